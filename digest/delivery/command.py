"""Pipe one message to a command (sendmail -t, msmtp -t, ...); its exit status says whether it was taken."""
from __future__ import annotations

import os
import re
import selectors
import shlex
import signal
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit

from digest.config import Config
from digest.delivery.base import DeliveryError

OUTPUT_KEPT = 64 * 1024  # of what the command prints, the last this many bytes of each stream are kept
READ_CHUNK = 64 * 1024
POLL = 0.05  # seconds between checks that the command has exited, while its output is still open


def deliver_by_command(message: bytes, message_id: str, config: Config) -> str:
    """Pipe the message to the command; its exit status decides whether it was accepted.

    Takes the message's bytes and its Message-ID; returns a receipt naming the command and its last
    lines of output; raises DeliveryError with the exit status or signal and those lines. Secrets in
    the command (see `mask_secrets`) are masked in both, and so in the store and on stderr.

    The command runs in its own session so a Ctrl-C meant for digest does not kill it mid-delivery:
    digest finishes the delivery and records it before it stops. Digest waits for the command to
    exit, not for its output to close: a sendmail that leaves a queue runner in the background
    (holding the pipes) has delivered when it exits 0. Of what it prints, only the last OUTPUT_KEPT
    bytes of stdout and of stderr are kept, however much it prints.
    """
    command = config.delivery.command
    try:
        argv = shlex.split(command)
    except ValueError as exc:
        raise DeliveryError(mask_secrets(f"delivery.command `{command}` cannot be split into words ({exc}); fix its quoting", command)) from None
    if not argv:
        raise DeliveryError("delivery.command is empty; set it to e.g. `sendmail -t`")
    if config.delivery.return_path:  # the bounce address, as sendmail, msmtp and Postfix's sendmail take it
        argv += ["-f", config.delivery.return_path.strip()]
    timeout = config.delivery.command_timeout
    try:
        status, stdout, stderr = _run(argv, message, timeout, config.base_dir)
    except FileNotFoundError:
        raise DeliveryError(mask_secrets(f"`{argv[0]}` (delivery.command) was not found; install it or give its full path", command)) from None
    except PermissionError:
        raise DeliveryError(mask_secrets(f"`{argv[0]}` (delivery.command) is not executable", command)) from None
    except subprocess.TimeoutExpired:
        raise DeliveryError(mask_secrets(f"`{command}` did not finish within {timeout:g} s and was stopped", command)) from None
    said = _last_lines(stderr or stdout)
    if status < 0:
        problem = f"`{command}` was killed by {signal.Signals(-status).name}" + (f": {said}" if said else "")
    elif status != 0:
        problem = f"`{command}` exited with status {status}" + (f": {said}" if said else "")
        no_such_reader = status in (67, 68)  # sysexits EX_NOUSER, EX_NOHOST: this address, for good
        raise DeliveryError(mask_secrets(problem, command), permanent=no_such_reader, reader=no_such_reader)
    else:
        return mask_secrets(f"`{command}` accepted {message_id}" + (f": {said}" if said else ""), command)
    raise DeliveryError(mask_secrets(problem, command))


def _run(argv: list[str], data: bytes, timeout: float, cwd: Path) -> tuple[int, bytes, bytes]:
    """Run `argv` with `data` on its stdin until it exits: (exit status, the tails of stdout and stderr).

    stdin, stdout and stderr are served together (a command may print before it has read all of its
    input), each non-blocking. Past `timeout` the command and everything it started are killed and
    TimeoutExpired is raised.
    """
    deadline = time.monotonic() + timeout
    process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd,
                               start_new_session=True)
    assert process.stdin and process.stdout and process.stderr
    stdout, stderr = bytearray(), bytearray()
    kept = {process.stdout.fileno(): stdout, process.stderr.fileno(): stderr}
    unsent = memoryview(data)
    with selectors.DefaultSelector() as selector, process.stdin, process.stdout, process.stderr:
        for fd in kept:
            os.set_blocking(fd, False)
            selector.register(fd, selectors.EVENT_READ)
        os.set_blocking(process.stdin.fileno(), False)
        selector.register(process.stdin.fileno(), selectors.EVENT_WRITE)
        while process.poll() is None:
            left = deadline - time.monotonic()
            if left <= 0:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
                raise subprocess.TimeoutExpired(argv, timeout)
            for key, _ in selector.select(min(left, POLL)):
                if key.fd in kept:
                    if not _read_into(key.fd, kept[key.fd]):
                        selector.unregister(key.fd)
                    continue
                try:
                    unsent = unsent[os.write(key.fd, unsent):]
                except BlockingIOError:
                    continue
                except BrokenPipeError:  # it stopped reading: its exit status will say whether that was fine
                    unsent = unsent[:0]
                if not unsent:
                    selector.unregister(key.fd)
                    process.stdin.close()
        for fd, tail in kept.items():  # what it printed just before it exited; not what a background child prints after
            if fd in selector.get_map():
                for _ in range(OUTPUT_KEPT // READ_CHUNK * 4):
                    if not _read_into(fd, tail):
                        break
    return process.returncode, bytes(stdout), bytes(stderr)


def _read_into(fd: int, tail: bytearray) -> bool:
    """Read what is there into `tail`, keeping its last OUTPUT_KEPT bytes; False at the end of the stream
    or when nothing is waiting."""
    try:
        chunk = os.read(fd, READ_CHUNK)
    except BlockingIOError:
        return False
    tail += chunk
    del tail[:-OUTPUT_KEPT]
    return bool(chunk)


_SECRET_NAME = re.compile(r"pass|secret|token|key|auth|cred", re.IGNORECASE)


def mask_secrets(text: str, command: str) -> str:
    """`text` with every secret the command line carries shown as ***: the one way a command is shown.

    A secret is the value of an option or variable whose name says so (`--password=x`, `--token x`,
    `SMTP_PASS=x`), of `-p` (`-p x`, `-px`), or the password in a URL (`smtp://user:x@host`).
    It is masked wherever it appears in `text`: the command itself, or what the command printed.
    """
    try:
        words = shlex.split(command)
    except ValueError:
        words = command.split()
    secrets: list[str] = []
    for word, following in zip(words, words[1:] + [""], strict=False):
        name, equals, value = word.partition("=")
        if equals and _SECRET_NAME.search(name):  # --password=x, SMTP_PASS=x
            secrets.append(value)
        elif word == "-p" or word.startswith("-") and _SECRET_NAME.search(word):  # -p x, --password x
            secrets.append(following)
        elif word.startswith("-p") and not word.startswith("--"):  # -px
            secrets.append(word[2:])
        if "://" in word:
            try:
                secrets.append(urlsplit(word).password or "")
            except ValueError:
                pass
    for secret in sorted({secret for secret in secrets if secret}, key=len, reverse=True):
        # whole words only: a secret "on" hides `on`, not the middle of "connection"
        text = re.sub(rf"(?:(?<!\w)|(?<=\s-p)){re.escape(secret)}(?!\w)", "***", text)
    return text


def _last_lines(output: bytes, lines: int = 3, limit: int = 500) -> str:
    text = output.decode("utf-8", "replace").strip()
    return " | ".join(text.splitlines()[-lines:])[-limit:]

