"""Time how long a command takes to start, beside a bare Python interpreter in the same run.

Run: .venv/bin/python bench/startup.py [--runs 15]

Each row is a command run in a process of its own, as a user runs it, `--runs` times, interleaved
with the others so that whatever else the machine is doing falls on all rows alike: wall seconds,
the median and the fastest run, and the median CPU seconds the process used (which a machine busy
with other work inflates much less than the wall time). The baseline is `python -c pass` (the interpreter alone); the target
for `digest --help` and `digest status` is at most TARGET seconds above it. `status` reads a project
where the sample day was sent to the outbox (set up first, not timed). `build` is shown for scale.
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = 0.25  # seconds above the bare interpreter, for --help and status
DAY = "2026-05-14"
ENV = {**os.environ, "DIGEST_UNSUBSCRIBE_SECRET": "a-bench-secret-of-some-length-0123456789"}


def sent_project(folder: Path) -> Path:
    """The shipped config and sample day, its edition sent to the outbox."""
    shutil.copy(ROOT / "config.yaml", folder / "config.yaml")
    shutil.copytree(ROOT / "sample", folder / "sample")
    subprocess.run([sys.executable, "-m", "digest", "send", "--date", DAY], cwd=folder, env=ENV, check=True, capture_output=True)
    return folder


def seconds(argv: list[str], cwd: Path) -> tuple[float, float]:
    """Wall seconds of one run, and the CPU seconds (user and system) its process used: on a machine
    busy with other work the wall time grows with the queue for the cores, the CPU time much less."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(argv, cwd=cwd, env=ENV, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="runs of each command (default 15)")
    runs = parser.parse_args().runs
    python = [sys.executable]
    with tempfile.TemporaryDirectory(prefix="digest-startup-") as folder:
        project = sent_project(Path(folder))
        rows = {
            "python -c pass": python + ["-c", "pass"],
            "digest --help": python + ["-m", "digest", "--help"],
            "digest status": python + ["-m", "digest", "status", "--date", DAY],
            "digest unsubscribe": python + ["-m", "digest", "unsubscribe", "nobody@example.com"],
            "digest build (for scale)": python + ["-m", "digest", "build", "--date", DAY, "--format", "text", "-o", "-"],
        }
        took: dict[str, list[tuple[float, float]]] = {name: [] for name in rows}
        for _ in range(runs):
            for name, argv in rows.items():
                took[name].append(seconds(argv, project))
    base = statistics.median(wall for wall, _ in took["python -c pass"])
    base_cpu = statistics.median(cpu for _, cpu in took["python -c pass"])
    print(f"start-up, {runs} runs each, interleaved; {os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f}")
    print(f"{'command':<26} {'median s':>9} {'fastest s':>10} {'above python':>13} {'CPU s':>7} {'CPU above':>10}  target (wall)")
    failed = False
    for name, values in took.items():
        median = statistics.median(wall for wall, _ in values)
        cpu = statistics.median(cpu for _, cpu in values)
        above = median - base
        checked = name in ("digest --help", "digest status")
        verdict = ("ok" if above <= TARGET else "OVER") if checked else ""
        failed |= checked and above > TARGET
        print(f"{name:<26} {median:>9.3f} {min(wall for wall, _ in values):>10.3f} {above:>+13.3f} {cpu:>7.3f} {cpu - base_cpu:>+10.3f}"
              f"  {f'<= +{TARGET} {verdict}' if checked else ''}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
