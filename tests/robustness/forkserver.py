"""Runs digest command lines for the robustness suite without paying for digest's imports each time.

Started once, it imports digest's command line and then reads requests, one JSON object a line:
{"op": "run", "args", "cwd", "out", "err"} forks a child that runs that command line as
`python -m digest` would (its own working folder, stdin from /dev/null, stdout and stderr to the
files named) and answers {"pid"}; {"op": "wait", "pid"} answers {"status", "max_rss_kb"} once the
child has ended (wait4: its exit status as subprocess reports it, and its own peak memory).

Every run is a new process forked from a state in which nothing has run yet, so runs cannot leak
into each other, and each one ends as the interpreter would end it: exit status from SystemExit, a
traceback on stderr and status 1 for any other exception.
"""
from __future__ import annotations

import json
import os
import sys
import traceback

os.environ["OPENBLAS_NUM_THREADS"] = "1"  # before numpy is imported: a process that forks must hold no threads

# digest's command line, and what its commands import when they run (it loads them per command):
# the imports this server exists to do once
import digest.archive.site  # noqa: E402, F401
import digest.daily  # noqa: E402, F401
import digest.output  # noqa: E402, F401
import digest.summarize.sumy_adapter  # noqa: E402, F401
from digest.cli import main  # noqa: E402


def run(request: dict) -> None:
    """In the forked child: become the command line, then end without returning."""
    code = 1
    try:
        os.chdir(request["cwd"])
        for fd, path, flags in ((0, os.devnull, os.O_RDONLY), (1, request["out"], os.O_WRONLY), (2, request["err"], os.O_WRONLY)):
            opened = os.open(path, flags)
            os.dup2(opened, fd)
            os.close(opened)
        main.main(args=request["args"], prog_name="digest")
        code = 0
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            code = exc.code or 0
        else:
            print(exc.code, file=sys.stderr)
    except BaseException:
        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
        os._exit(code)


def serve() -> None:
    for line in sys.stdin:
        request = json.loads(line)
        if request["op"] == "run":
            pid = os.fork()
            if pid == 0:
                run(request)
            reply = {"pid": pid}
        else:
            _, status, usage = os.wait4(request["pid"], 0)
            reply = {"status": os.waitstatus_to_exitcode(status), "max_rss_kb": usage.ru_maxrss}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    serve()
