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
    lines of output; raises DeliveryError with the exit status or signal and those lines. A `${NAME}`
    in the command is the environment variable NAME, filled in only when it runs; every configured
    secret (see `mask_secrets`) is shown as *** in the receipt and the errors, and so in the store,
    on stderr and in `digest status`.

    The command runs in its own session so a Ctrl-C meant for digest does not kill it mid-delivery:
    digest finishes the delivery and records it before it stops. Digest waits for the command to
    exit, not for its output to close: a sendmail that leaves a queue runner in the background
    (holding the pipes) has delivered when it exits 0. Of what it prints, only the last OUTPUT_KEPT
    bytes of stdout and of stderr are kept, however much it prints.
    """
    command = config.delivery.command

    def masked(text: str) -> str:
        return mask_secrets(text, command, config)

    try:
        argv = [_fill(word) for word in shlex.split(command)]
    except ValueError as exc:
        raise DeliveryError(masked(f"delivery.command `{command}` cannot be used ({exc})")) from None
    if not argv:
        raise DeliveryError("delivery.command is empty; set it to e.g. `sendmail -t`")
    if config.delivery.return_path:  # the bounce address, as sendmail, msmtp and Postfix's sendmail take it
        argv += ["-f", config.delivery.return_path.strip()]
    timeout = config.delivery.command_timeout
    try:
        status, stdout, stderr = _run(argv, message, timeout, config.base_dir)
    except FileNotFoundError:
        raise DeliveryError(masked(f"`{argv[0]}` (delivery.command) was not found; install it or give its full path")) from None
    except PermissionError:
        raise DeliveryError(masked(f"`{argv[0]}` (delivery.command) is not executable")) from None
    except TimedOut as exc:
        taken = "; it had the whole message, so it may have queued it" if exc.fed else ""
        raise DeliveryError(masked(f"`{command}` did not finish within {timeout:g} s and was stopped{taken}"), uncertain=exc.fed) from None
    said = _last_lines(stderr or stdout)
    if status < 0:
        problem = f"`{command}` was killed by {signal.Signals(-status).name}" + (f": {said}" if said else "")
    elif status != 0:
        problem = f"`{command}` exited with status {status}" + (f": {said}" if said else "")
        no_such_reader = status in (67, 68)  # sysexits EX_NOUSER, EX_NOHOST: this address, for good
        raise DeliveryError(masked(problem), permanent=no_such_reader, reader=no_such_reader)
    else:
        return masked(f"`{command}` accepted {message_id}" + (f": {said}" if said else ""))
    raise DeliveryError(masked(problem))


_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def _fill(word: str) -> str:
    """`word` with each `${NAME}` replaced by the environment variable NAME (ValueError when unset or empty)."""
    def value(found: re.Match[str]) -> str:
        name = found.group(1)
        if not os.environ.get(name):
            raise ValueError(f"environment variable {name}, which it names, is not set or empty")
        return os.environ[name]

    return _VARIABLE.sub(value, word)


class TimedOut(subprocess.TimeoutExpired):
    """The command was stopped at its timeout; `fed`: the whole message had gone into its stdin by then,
    so it may have queued the message before it was stopped."""

    def __init__(self, argv: list[str], timeout: float, *, fed: bool) -> None:
        super().__init__(argv, timeout)
        self.fed = fed


def _run(argv: list[str], data: bytes, timeout: float, cwd: Path) -> tuple[int, bytes, bytes]:
    """Run `argv` with `data` on its stdin until it exits: (exit status, the tails of stdout and stderr).

    stdin, stdout and stderr are served together (a command may print before it has read all of its
    input), each non-blocking. Past `timeout` the command and everything it started are killed and
    TimedOut is raised.
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
                raise TimedOut(argv, timeout, fed=not unsent)
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
_SECRET_OPTIONS = {"-p", "-u", "--user", "--ap", "-ap", "--au"}  # their value is a password or user:password (curl, swaks, mysql-alikes)
SHORTEST_SECRET = 4  # a configured value shorter than this is not masked: "***" for every "on" would hide the text


def mask_secrets(text: str, command: str, config: Config | None = None) -> str:
    """`text` with every secret shown as ***: the one way a command, or what it printed, is shown.

    The secrets are, first, the values of the environment variables the configuration names: each
    `${NAME}` in the command, `delivery.smtp.username_env` and `password_env`, `delivery.api.key_env`
    and the unsubscribe secrets. So a password passed as `${SMTP_PASSWORD}` is masked wherever it
    appears, however the command takes it (`curl -u user:${P}`, `swaks --ap ${P}`, `smtps://u:${P}@host`).
    Second, for a secret written into the command itself: the value of an option or variable whose
    name says so (`--password=x`, `--token x`, `SMTP_PASS=x`), of `-p`, `-u`, `--user`, `--ap`
    (`-p x`, `-px`, `-u user:x`), and the user and password in a URL (`smtps://user:x@host`).
    """
    try:
        words = shlex.split(command)
    except ValueError:
        words = command.split()
    for value in sorted({os.environ.get(name, "") for name in _configured(command, config)}, key=len, reverse=True):
        if len(value) >= SHORTEST_SECRET:
            text = text.replace(value, "***")
    secrets: list[str] = []
    for word, following in zip(words, words[1:] + [""], strict=False):
        name, equals, value = word.partition("=")
        if equals and _SECRET_NAME.search(name):  # --password=x, SMTP_PASS=x
            secrets.append(value)
        elif word in _SECRET_OPTIONS or word.startswith("-") and _SECRET_NAME.search(word):  # -p x, -u u:x, --password x
            secrets += [following, following.partition(":")[2]]
        elif word.startswith(("-p", "-u")) and not word.startswith("--"):  # -px, -uuser:x
            secrets += [word[2:], word[2:].partition(":")[2]]
        if "://" in word:
            try:
                parts = urlsplit(word)
                secrets += [parts.password or "", f"{parts.username}:{parts.password}" if parts.password else ""]
            except ValueError:
                pass
    for secret in sorted({secret for secret in secrets if secret}, key=len, reverse=True):
        # whole words only: a secret "on" written in the command hides `on`, not the middle of "connection"
        text = re.sub(rf"(?:(?<!\w)|(?<=\s-[pu])){re.escape(secret)}(?!\w)", "***", text)
    return text


def _configured(command: str, config: Config | None) -> list[str]:
    """The names of the environment variables holding secrets: those the command names, and the config's."""
    names = _VARIABLE.findall(command)
    if config is not None:
        smtp, api, newsletter = config.delivery.smtp, config.delivery.api, config.newsletter
        names += [name for name in (smtp.username_env, smtp.password_env, api.key_env, newsletter.unsubscribe_secret_env,
                                    newsletter.unsubscribe_previous_secrets_env) if name]
    return names


def _last_lines(output: bytes, lines: int = 3, limit: int = 500) -> str:
    text = output.decode("utf-8", "replace").strip()
    return " | ".join(text.splitlines()[-lines:])[-limit:]

