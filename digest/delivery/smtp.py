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

