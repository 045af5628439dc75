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
import shlex
import signal
import smtplib
import ssl
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from digest.config import Config
from digest.files import write_atomically
from digest.readers import Reader
from digest.render.mime import Letter


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
    status: str
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
                outcomes.append(Outcome(address, "refused" if exc.permanent else "pending", str(exc), stop=not exc.reader))
                continue
            outcomes.append(Outcome(address, "sent", receipt))
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


def deliver_by_command(message: bytes, message_id: str, config: Config) -> str:
    """Pipe the message to the command; its exit status decides whether it was accepted.

    The command runs in its own session so a Ctrl-C meant for digest does not kill it mid-delivery:
    digest finishes the delivery and records it before it stops.
    """
    command = config.delivery.command
    try:
        argv = shlex.split(command)
    except ValueError as exc:
        raise DeliveryError(f"delivery.command `{command}` cannot be split into words ({exc}); fix its quoting") from None
    if not argv:
        raise DeliveryError("delivery.command is empty; set it to e.g. `sendmail -t`")
    try:
        done = subprocess.run(
            argv, input=message, capture_output=True, timeout=config.delivery.command_timeout,
            cwd=config.base_dir, start_new_session=True,
        )
    except FileNotFoundError:
        raise DeliveryError(f"`{argv[0]}` (delivery.command) was not found; install it or give its full path") from None
    except PermissionError:
        raise DeliveryError(f"`{argv[0]}` (delivery.command) is not executable") from None
    except subprocess.TimeoutExpired:
        raise DeliveryError(f"`{command}` did not finish within {config.delivery.command_timeout:g} s and was stopped") from None
    said = _last_lines(done.stderr or done.stdout)
    if done.returncode < 0:
        name = signal.Signals(-done.returncode).name
        raise DeliveryError(f"`{command}` was killed by {name}" + (f": {said}" if said else ""))
    if done.returncode != 0:
        no_such_reader = done.returncode in (67, 68)  # sysexits EX_NOUSER, EX_NOHOST: this address, for good
        raise DeliveryError(f"`{command}` exited with status {done.returncode}" + (f": {said}" if said else ""),
                            permanent=no_such_reader, reader=no_such_reader)
    return f"`{command}` accepted {message_id}" + (f": {said}" if said else "")


def _last_lines(output: bytes, lines: int = 3, limit: int = 500) -> str:
    text = output.decode("utf-8", "replace").strip()
    return " | ".join(text.splitlines()[-lines:])[-limit:]


# SMTP


def deliver_by_smtp(message: bytes, message_id: str, config: Config) -> str:
    """Send over SMTP to the message's own recipients (To, Cc, Bcc), as `sendmail -t` would."""
    recipients = envelope(message)[1]
    with SmtpSession(config) as session:
        return session.post(message, message_id, *recipients)


class SmtpSession:
    """One SMTP connection, opened at the first message and kept for the rest of the list."""

    def __init__(self, config: Config) -> None:
        self.config, self.settings = config, config.delivery.smtp
        self.where = f"{self.settings.host}:{self.settings.port}"
        self.server: smtplib.SMTP | None = None

    def __enter__(self) -> SmtpSession:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.server is not None:
            try:
                self.server.quit()
            except (smtplib.SMTPException, OSError):
                self.server.close()

    def _connect(self) -> smtplib.SMTP:
        settings = self.settings
        credentials = _credentials(self.config)
        context = ssl.create_default_context(cafile=self.config.resolve(settings.ca_file) if settings.ca_file else None)
        if settings.ssl:
            server: smtplib.SMTP = smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout, context=context)
        else:
            server = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
        try:
            if settings.starttls:
                server.starttls(context=context)
            if credentials:
                server.login(*credentials)
        except BaseException:
            server.close()
            raise
        return server

    def post(self, message: bytes, message_id: str, *recipients: str) -> str:
        """Send `message` to `recipients`; a refused recipient is a DeliveryError about that reader."""
        sender = envelope(message)[0]
        where, settings = self.where, self.settings
        try:
            if self.server is None:
                self.server = self._connect()
            return f"smtp {where} accepted {message_id}: " + _transmit(self.server, sender, list(recipients), message)
        except smtplib.SMTPAuthenticationError as exc:
            raise DeliveryError(f"smtp {where} refused the login ({exc.smtp_code}); check the credentials in ${settings.username_env} and ${settings.password_env}") from None
        except smtplib.SMTPNotSupportedError as exc:
            raise DeliveryError(f"smtp {where}: {exc}; check delivery.smtp.starttls / ssl and whether the server needs a login") from None
        except smtplib.SMTPDataError as exc:
            raise DeliveryError(f"smtp {where} refused the message: {exc.smtp_code} {_text(exc.smtp_error)}",
                                permanent=exc.smtp_code >= 500, reader=True) from None
        except smtplib.SMTPResponseException as exc:
            self._drop()
            raise DeliveryError(f"smtp {where} refused the message: {exc.smtp_code} {_text(exc.smtp_error)}") from None
        except smtplib.SMTPRecipientsRefused as exc:
            refused = ", ".join(f"{rcpt} ({code} {_text(text)})" for rcpt, (code, text) in exc.recipients.items())
            permanent = all(code >= 500 for code, _ in exc.recipients.values())
            raise DeliveryError(f"smtp {where} refused every recipient: {refused}", permanent=permanent, reader=True) from None
        except smtplib.SMTPServerDisconnected as exc:
            self._drop()
            raise DeliveryError(f"smtp {where} closed the connection before accepting the message ({exc})") from None
        except ssl.SSLError as exc:
            self._drop()
            raise DeliveryError(f"smtp {where}: TLS failed ({exc.reason or exc}); check delivery.smtp.ssl / starttls and the port") from None
        except (smtplib.SMTPException, OSError) as exc:
            self._drop()
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc) or type(exc).__name__
            raise DeliveryError(f"cannot reach smtp {where}: {reason}; is the server up, and are delivery.smtp.host and port right?") from None

    def _drop(self) -> None:
        """Forget a connection in an unknown state; the next message opens a new one."""
        if self.server is not None:
            self.server.close()
            self.server = None


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
        note += "; refused " + ", ".join(f"{rcpt} ({code} {_text(text)})" for rcpt, (code, text) in refused.items())
    return note


def _text(reply: bytes | str) -> str:
    return (reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply).replace("\n", " ")


def envelope(message: bytes) -> tuple[str, list[str]]:
    """The envelope sender and recipients, read from the message's headers."""
    headers = email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(message)
    recipients = [addr for _, addr in email.utils.getaddresses(headers.get_all("To", []) + headers.get_all("Cc", []) + headers.get_all("Bcc", [])) if addr]
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
