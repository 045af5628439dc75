"""Hand one finished message to the mail system: a command (sendmail -t), an SMTP server, or an outbox.

`deliver` returns only once the mail system has accepted the message, and raises DeliveryError with a
reason a person can act on otherwise. Accepted means: the command exited 0, the SMTP server answered
250 to the message's data, or the .eml file is in place under its final name. SMTP credentials come
only from the environment variables the config names and never appear in a receipt or an error.
"""
from __future__ import annotations

import email.parser
import email.policy
import email.utils
import os
import re
import selectors
import shlex
import signal
import smtplib
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from digest.config import Config
from digest.files import write_atomically
from digest.readers import Reader
from digest.render.mime import Letter
from digest.store import DeliveryStatus


class DeliveryError(Exception):
    """The mail system did not accept the message; the text says why and what to check.

    `permanent`: the mail system refused for good (a 5xx), so trying again is pointless. `reader`: the
    refusal is about this one recipient (a refused RCPT), so the rest of the list can still go; else the
    mail system itself failed (down, refused the login) and the send stops, the rest left pending.
    """

    def __init__(self, reason: str, *, permanent: bool = False, reader: bool = False) -> None:
        super().__init__(reason)
        self.permanent, self.reader = permanent, reader


Post = Callable[[bytes, str, str], str]  # (message, Message-ID, recipient) -> receipt; raises DeliveryError


@dataclass(frozen=True)
class Outgoing:
    """One reader's copy, as the send loop hands it to a transport."""

    reader: Reader
    token: str | None
    message_id: str


@dataclass(frozen=True)
class Outcome:
    """What the mail system said of one reader's copy: `sent`, `pending` (try again later) or `refused`
    (for good). `stop`: the mail system itself failed, so the rest of the list waits for the next run."""

    address: str
    status: DeliveryStatus
    said: str
    stop: bool = False


class Sender(Protocol):
    batch: int  # readers handed over at once

    def send(self, letter: Letter, entries: list[Outgoing], date: datetime) -> list[Outcome]: ...


class MessageSender:
    """One RFC 5322 message per reader, posted one at a time (command, SMTP, outbox)."""

    batch = 1

    def __init__(self, post: Post) -> None:
        self.post = post

    def send(self, letter: Letter, entries: list[Outgoing], date: datetime) -> list[Outcome]:
        outcomes = []
        for entry in entries:
            address = entry.reader.address
            try:
                receipt = self.post(letter.eml(entry.reader, entry.token, date), entry.message_id, address)
            except DeliveryError as exc:
                outcomes.append(Outcome(address, DeliveryStatus.REFUSED if exc.permanent else DeliveryStatus.PENDING, str(exc), stop=not exc.reader))
                continue
            outcomes.append(Outcome(address, DeliveryStatus.SENT, receipt))
        return outcomes


def deliver(message: bytes, message_id: str, config: Config) -> str:
    """Deliver one `message` to its own recipients by `delivery.method`; return a receipt for the run log."""
    methods: dict[str, Callable[[bytes, str, Config], str]] = {
        "command": deliver_by_command,
        "smtp": deliver_by_smtp,
        "outbox": deliver_to_outbox,
    }
    return methods[config.delivery.method](message, message_id, config)


@contextmanager
def transport(config: Config) -> Iterator[Sender]:
    """A sender for a whole list: over SMTP one connection for all of it, through an email API in batches."""
    if config.delivery.method == "api":
        from digest.providers import provider

        yield provider(config)
    elif config.delivery.method == "smtp":
        with SmtpSession(config) as session:
            yield MessageSender(session.post)
    else:
        yield MessageSender(lambda message, message_id, recipient: deliver(message, message_id, config))


# command: sendmail -t, msmtp -t, ...

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


# SMTP

QUIT_WAIT = 2.0  # seconds the server gets to answer QUIT: the message is delivered by then, the answer changes nothing


def deliver_by_smtp(message: bytes, message_id: str, config: Config) -> str:
    """Send over SMTP to the message's own recipients (To, Cc, Bcc), as `sendmail -t` would.

    Takes the message's bytes and its Message-ID; returns a receipt with the server's answer to the
    data (e.g. its queue id); raises DeliveryError with a reason a person can act on.
    """
    recipients = envelope(message)[1]
    with SmtpSession(config) as session:
        return session.post(message, message_id, *recipients)


class SmtpSession:
    """One SMTP connection, opened at the first message and kept for the rest of the list.

    A message is delivered the moment the server answers 250 to its data, so that is when `post`
    returns: what QUIT gets at the end (another code, a dropped connection, silence for QUIT_WAIT
    seconds) is never a failure, which would send the message again on the next run. Each message,
    with the connection it may open, must fit in `delivery.smtp.deadline`, however slowly the server
    answers: at the deadline the connection is shut, so a stop signal held during delivery waits at
    most that long.
    """

    def __init__(self, config: Config) -> None:
        self.config, self.settings = config, config.delivery.smtp
        self.where = f"{self.settings.host}:{self.settings.port}"
        self.server: smtplib.SMTP | None = None

    def __enter__(self) -> SmtpSession:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.server is not None:
            with _Deadline(self.server, QUIT_WAIT):
                _say_goodbye(self.server)

    def _connect(self, server: smtplib.SMTP, credentials: tuple[str, str] | None) -> None:
        settings = self.settings
        server.connect(settings.host, settings.port)
        if settings.starttls:
            server.starttls(context=self._context())
        if credentials:
            server.login(*credentials)

    def _context(self) -> ssl.SSLContext:
        settings = self.settings
        return ssl.create_default_context(cafile=self.config.resolve(settings.ca_file) if settings.ca_file else None)

    def _new_server(self) -> smtplib.SMTP:
        settings = self.settings
        timeout = min(settings.timeout, settings.deadline)
        server = smtplib.SMTP_SSL(timeout=timeout, context=self._context()) if settings.ssl else smtplib.SMTP(timeout=timeout)
        server._host = settings.host  # type: ignore[attr-defined]  # the name TLS checks the certificate against; set by the constructor only when it connects
        return server

    def post(self, message: bytes, message_id: str, *recipients: str) -> str:
        """Send `message` to `recipients`; a refused recipient is a DeliveryError about that reader."""
        sender = (self.config.delivery.return_path or "").strip() or envelope(message)[0]
        where, settings = self.where, self.settings
        fresh = self.server is None
        credentials = _credentials(self.config) if fresh else None  # before connecting: a missing one is no network error
        server = self.server = self.server or self._new_server()
        deadline = _Deadline(server, settings.deadline)
        try:
            with deadline:
                if fresh:
                    self._connect(server, credentials)
                return f"smtp {where} accepted {message_id}: " + _transmit(server, sender, list(recipients), message)
        except smtplib.SMTPDataError as exc:
            if deadline.passed:
                self._drop()
                raise self._late() from None
            raise DeliveryError(_smtp_failure(exc, where, self.config), permanent=exc.smtp_code >= 500, reader=True) from None
        except smtplib.SMTPRecipientsRefused as exc:
            permanent = all(code >= 500 for code, _ in exc.recipients.values())
            raise DeliveryError(f"smtp {where} refused every recipient: {_refusals(exc.recipients)}", permanent=permanent, reader=True) from None
        except (smtplib.SMTPException, OSError) as exc:
            self._drop()
            if deadline.passed:
                raise self._late() from None
            raise DeliveryError(_smtp_failure(exc, where, self.config)) from None

    def _late(self) -> DeliveryError:
        return DeliveryError(f"smtp {self.where} did not take the message within {self.settings.deadline:g} s (delivery.smtp.deadline);"
                             " the server is stalled or too slow, and the connection was closed")

    def _drop(self) -> None:
        """Forget a connection in an unknown state; the next message opens a new one."""
        if self.server is not None:
            self.server.close()
            self.server = None


def _smtp_failure(exc: smtplib.SMTPException | OSError, where: str, config: Config) -> str:
    """Why the server did not take the message, in words that say what to check."""
    settings = config.delivery.smtp
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return f"smtp {where} refused the login ({exc.smtp_code}); check the credentials in ${settings.username_env} and ${settings.password_env}"
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return f"smtp {where}: {exc}; check delivery.smtp.starttls / ssl and whether the server needs a login"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"smtp {where} refused the message: {exc.smtp_code} {_text(exc.smtp_error)}"
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return f"smtp {where} closed the connection before accepting the message ({exc})"
    if isinstance(exc, ssl.SSLError):
        return f"smtp {where}: TLS failed ({exc.reason or exc}); check delivery.smtp.ssl / starttls and the port"
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc) or type(exc).__name__
    return f"cannot reach smtp {where}: {reason}; is the server up, and are delivery.smtp.host and port right?"


def _say_goodbye(server: smtplib.SMTP) -> None:
    """QUIT and close, whatever the answer: by now the message was taken or the delivery has failed."""
    try:
        if server.sock is not None:
            server.docmd("QUIT")
    except (smtplib.SMTPException, OSError):
        pass
    finally:
        server.close()


class _Deadline:
    """Shut an SMTP connection down once `seconds` have passed, ending whatever read or write waits on it.

    A socket timeout bounds one read, not a reply: a server sending a byte a second never trips it.
    A watcher thread shuts the socket (again every few milliseconds, in case STARTTLS has just swapped
    it for a new one), which wakes the blocked call with an error; `passed` then says why.
    """

    def __init__(self, server: smtplib.SMTP, seconds: float) -> None:
        self.server, self.seconds = server, seconds
        self.done = threading.Event()
        self.passed = False
        self.watcher = threading.Thread(target=self._watch, name="smtp-deadline", daemon=True)

    def __enter__(self) -> _Deadline:
        self.watcher.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.done.set()
        self.watcher.join()

    def _watch(self) -> None:
        if self.done.wait(self.seconds):
            return
        self.passed = True
        while True:
            sock = self.server.sock
            if sock is not None:
                try:
                    socket.socket.shutdown(sock, socket.SHUT_RDWR)  # the plain socket's: an SSLSocket's would unwrap it
                except OSError:
                    pass
            if self.done.wait(0.02):
                return


def _transmit(server: smtplib.SMTP, sender: str, recipients: list[str], message: bytes) -> str:
    """MAIL, RCPT, DATA by hand (not sendmail()) to keep the server's final answer, e.g. its queue id."""
    server.ehlo_or_helo_if_needed()
    options = []
    if not message.isascii():
        if not server.has_extn("8bitmime"):
            raise smtplib.SMTPNotSupportedError("the message has 8-bit bytes and the server does not take 8BITMIME")
        options.append("BODY=8BITMIME")
    code, text = server.mail(sender, options)
    if code != 250:
        server.rset()
        raise smtplib.SMTPSenderRefused(code, text, sender)
    refused = {}
    for recipient in recipients:
        code, text = server.rcpt(recipient)
        if code not in (250, 251):
            refused[recipient] = (code, text)
    if len(refused) == len(recipients):
        server.rset()
        raise smtplib.SMTPRecipientsRefused(refused)
    code, text = server.data(message)
    if code != 250:
        server.rset()
        raise smtplib.SMTPDataError(code, text)
    note = f"{code} {_text(text)}"
    if refused:
        note += "; refused " + _refusals(refused)
    return note


def _refusals(refused: dict[str, tuple[int, bytes]]) -> str:
    """The refused recipients with the server's answer to each: `a@x (550 no such user), ...`."""
    return ", ".join(f"{rcpt} ({code} {_text(text)})" for rcpt, (code, text) in refused.items())


def _text(reply: bytes | str) -> str:
    return (reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply).replace("\n", " ")


_HEAD_END = re.compile(rb"\r?\n\r?\n")  # the empty line after the headers


def envelope(message: bytes) -> tuple[str, list[str]]:
    """The envelope sender and recipients, read from the message's headers (the body, the same for
    every reader and far longer, is not parsed)."""
    head = _HEAD_END.split(message, maxsplit=1)[0]
    headers = email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(head)
    recipients = [addr for _, addr in email.utils.getaddresses(
        headers.get_all("To", []) + headers.get_all("Cc", []) + headers.get_all("Bcc", [])) if addr]
    if not recipients:
        raise DeliveryError("the message has no recipients (To, Cc or Bcc); set newsletter.to")
    sender = email.utils.parseaddr(headers.get("Sender") or headers.get("From") or "")[1]
    if not sender:
        raise DeliveryError("the message has no From address; set newsletter.from")
    return sender, recipients


def _credentials(config: Config) -> tuple[str, str] | None:
    """(user, password) from the environment variables the config names; None when it names none."""
    settings = config.delivery.smtp
    names = {"username_env": settings.username_env, "password_env": settings.password_env}
    if not any(names.values()):
        return None
    for key, name in names.items():
        if not name:
            raise DeliveryError(f"delivery.smtp.{key} is not set, but the other credential is; name both environment variables")
        if not os.environ.get(name):
            raise DeliveryError(f"environment variable {name} (delivery.smtp.{key}) is not set or empty")
    return os.environ[settings.username_env], os.environ[settings.password_env]  # type: ignore[index]


# outbox


def deliver_to_outbox(message: bytes, message_id: str, config: Config) -> str:
    """Write one .eml per Message-ID: to a temp file, flushed to disk, then renamed into place.

    Another program watching the folder never sees half a message, and a retry of the same edition
    replaces the same file instead of adding a second one.
    """
    folder = config.resolve(config.delivery.outbox)
    target = folder / outbox_name(message_id)
    try:
        write_atomically(target, message, durable=True)
    except OSError as exc:
        raise DeliveryError(f"cannot write to the outbox {folder}: {exc.strerror or exc}") from None
    return f"wrote {target}"


def outbox_name(message_id: str) -> str:
    """A file name from the Message-ID, safe on every file system."""
    return re.sub(r"[^A-Za-z0-9._@+-]", "_", message_id.strip().strip("<>")) + ".eml"
