"""A real SMTP server on 127.0.0.1 (aiosmtpd) for the delivery tests, and a test certificate for TLS."""
from __future__ import annotations

import asyncio
import shutil
import socket
import ssl
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes  # exactly the bytes the client sent


@dataclass
class Handler:
    received: list[Received] = field(default_factory=list)
    refuse_recipients: set[str] = field(default_factory=set)
    defer_recipients: set[str] = field(default_factory=set)  # refused with a temporary 451
    every_recipient: str | None = None  # the answer to every RCPT (e.g. a relay that wants a login)
    mail_from: str | None = None  # the answer to every MAIL FROM
    late: dict[str, float] = field(default_factory=dict)  # recipient -> seconds the message is queued before its 250
    drop: set[str] = field(default_factory=set)  # recipients whose message is queued and the connection then dropped, unanswered
    on_queue: Callable[[Received], None] | None = None  # called with each message as it is queued
    sessions: int = 0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        self.sessions += 1
        session.host_name = hostname
        return responses

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.mail_from:
            return self.mail_from
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.every_recipient:
            return self.every_recipient
        if address in self.refuse_recipients:
            return "550 5.1.1 no such mailbox"
        if address in self.defer_recipients:
            return "451 4.3.0 mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        if self.on_queue:
            self.on_queue(self.received[-1])
        await asyncio.sleep(max((self.late.get(rcpt, 0.0) for rcpt in envelope.rcpt_tos), default=0.0))
        if self.drop & set(envelope.rcpt_tos):
            server.transport.close()
            return None
        return f"250 2.0.0 Ok: queued as Q{len(self.received)}"

    def copies(self) -> dict[str, int]:
        """How many copies each recipient was handed (queued), whatever digest was told."""
        counts: dict[str, int] = {}
        for message in self.received:
            for rcpt in message.rcpt_tos:
                counts[rcpt] = counts.get(rcpt, 0) + 1
        return counts


class MailServer:
    """Start, stop and start again on the same port, as a real relay going down and coming back."""

    def __init__(self, *, tls: ssl.SSLContext | None = None, implicit_tls: bool = False,
                 login: tuple[str, str] | None = None) -> None:
        self.handler = Handler()
        self.port = free_port()
        self.tls, self.implicit_tls, self.login = tls, implicit_tls, login
        self.controller: Controller | None = None

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    def start(self) -> MailServer:
        options: dict = {}
        if self.tls and self.implicit_tls:
            options["ssl_context"] = self.tls
        elif self.tls:
            options.update(tls_context=self.tls, require_starttls=True)
        if self.login:
            options.update(authenticator=self._authenticate, auth_required=True)
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, **options)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller:
            self.controller.stop()
            self.controller = None

    def _authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login.decode(), auth_data.password.decode()) == self.login
        return AuthResult(success=ok, handled=False)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def mail_server():
    server = MailServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost: (cert, key). The cert is its own CA."""
    if not shutil.which("openssl"):
        pytest.skip("openssl is not installed: the TLS tests need it to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-addext", "basicConstraints=critical,CA:TRUE"],
        check=True, capture_output=True,
    )
    return cert, key


def server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*map(str, certificate))
    return context
