"""SMTP: one connection per list, each message bounded by `delivery.smtp.deadline`.

A message is accepted when the server answers 250 to its data. Credentials come only from the
environment variables the config names and never appear in a receipt or an error.
"""
from __future__ import annotations

import email.parser
import email.policy
import email.utils
import os
import re
import smtplib
import socket
import ssl
import threading
from collections.abc import Mapping
from dataclasses import dataclass

from digest.config import Config
from digest.delivery.base import DeliveryError

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
        """Send `message` to `recipients`. Raises DeliveryError: about the reader (a 5.1.x or 5.2.x for
        them, or a temporary refusal), about the sender or the connection (the list stops), or
        uncertain (the whole message went and no answer came: the server may have queued it)."""
        sender = (self.config.delivery.return_path or "").strip() or envelope(message)[0]
        where, settings = self.where, self.settings
        fresh = self.server is None
        credentials = _credentials(self.config) if fresh else None  # before connecting: a missing one is no network error
        server = self.server = self.server or self._new_server()
        deadline = _Deadline(server, settings.deadline)
        progress = _Progress()
        try:
            with deadline:
                if fresh:
                    self._connect(server, credentials)
                return f"smtp {where} accepted {message_id}: " + _transmit(server, sender, list(recipients), message, progress)
        except smtplib.SMTPSenderRefused as exc:
            raise DeliveryError(f"smtp {where} refused the sender <{sender}>: {exc.smtp_code} {_text(exc.smtp_error)};"
                                " check delivery.return_path / newsletter.from and the relay's rules") from None
        except smtplib.SMTPDataError as exc:
            permanent, reader = _whose({"": (exc.smtp_code, exc.smtp_error)})
            raise DeliveryError(_smtp_failure(exc, where, self.config), permanent=permanent, reader=reader) from None
        except smtplib.SMTPRecipientsRefused as exc:
            permanent, reader = _whose(exc.recipients)
            said = _refusals(exc.recipients)
            if reader:
                raise DeliveryError(f"smtp {where} refused every recipient: {said}", permanent=permanent, reader=True) from None
            raise DeliveryError(f"smtp {where} refused every recipient with an answer about the sender or the relay, not the"
                                f" reader: {said}; check the login and relay settings (delivery.smtp)") from None
        except (smtplib.SMTPException, OSError) as exc:
            self._drop()
            if progress.handed and not progress.answered:
                why = f"delivery.smtp.deadline, {settings.deadline:g} s, passed" if deadline.passed else _text(str(exc) or type(exc).__name__)
                raise DeliveryError(f"smtp {where} was handed the whole message but no answer came ({why}); it may have queued it",
                                    uncertain=True) from None
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
        return (f"smtp {where} refused the login: {exc.smtp_code} {_text(exc.smtp_error)}; check the credentials in"
                f" ${settings.username_env} and ${settings.password_env}")
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


@dataclass
class _Progress:
    """How far one message got: `handed` once its whole text (up to the final dot) was written to the
    server, `answered` once the server's answer to it came back. Handed and not answered: maybe taken."""

    handed: bool = False
    answered: bool = False


def _transmit(server: smtplib.SMTP, sender: str, recipients: list[str], message: bytes, progress: _Progress) -> str:
    """MAIL, RCPT, DATA by hand (not sendmail()) to keep the server's final answer, e.g. its queue id,
    and to know whether the whole message went before a failure."""
    server.ehlo_or_helo_if_needed()
    options = []
    if not message.isascii():
        if not server.has_extn("8bitmime"):
            raise smtplib.SMTPNotSupportedError("the message has 8-bit bytes and the server does not take 8BITMIME")
        options.append("BODY=8BITMIME")
    code, text = server.mail(sender, options)
    if code != 250:
        _reset(server)
        raise smtplib.SMTPSenderRefused(code, text, sender)
    refused = {}
    for recipient in recipients:
        code, text = server.rcpt(recipient)
        if code not in (250, 251):
            refused[recipient] = (code, text)
    if len(refused) == len(recipients):
        _reset(server)
        raise smtplib.SMTPRecipientsRefused(refused)
    server.putcmd("data")
    code, text = server.getreply()
    if code != 354:
        _reset(server)
        raise smtplib.SMTPDataError(code, text)
    data = smtplib._quote_periods(message)  # type: ignore[attr-defined]  # as SMTP.data() does it
    server.send(data + (b"" if data.endswith(b"\r\n") else b"\r\n") + b".\r\n")
    progress.handed = True
    code, text = server.getreply()
    progress.answered = True
    if code != 250:
        _reset(server)
        raise smtplib.SMTPDataError(code, text)
    note = f"{code} {_text(text)}"
    if refused:
        note += "; refused " + _refusals(refused)
    return note


def _reset(server: smtplib.SMTP) -> None:
    """RSET after a refusal; the refusal is the answer, so a connection lost here changes nothing."""
    try:
        server.rset()
    except (smtplib.SMTPException, OSError):
        pass


_ENHANCED = re.compile(r"\s*([245])\.(\d{1,3})\.\d{1,3}\b")  # RFC 3463: class.subject.detail


def _whose(refusals: Mapping[str, tuple[int, bytes | str]]) -> tuple[bool, bool]:
    """(permanent, about the reader) of the server's refusals of one message.

    About the reader: a temporary refusal, or a permanent one whose enhanced code is 5.1.x (the
    address) or 5.2.x (the mailbox), RFC 3463; without an enhanced code, 550 to 553 (RFC 5321's
    mailbox answers). Anything else (5.7.x: relay denied, a login needed; 554: the transaction) is
    about the sender or the transaction: the reader is not to blame and stays pending.
    """
    def about_reader(code: int, text: bytes | str) -> bool:
        if code < 500:
            return True
        found = _ENHANCED.match(_text(text))
        return found.group(2) in ("1", "2") if found else 550 <= code <= 553

    mine = all(about_reader(code, text) for code, text in refusals.values())
    return mine and all(code >= 500 for code, _ in refusals.values()), mine


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

