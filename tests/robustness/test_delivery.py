"""Mail servers that misbehave after, around or instead of taking the message, through `digest send`:
a message the server took is sent once, whatever comes after; a stalled server is cut off at the
delivery deadline; a password never crosses plain TCP unless the config says so."""
from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest

from .conftest import DAY, GOOD_TITLES, Child, Outcome, run, write_project
from .rawsmtp import RawSmtp


def smtp_project(folder: Path, server: RawSmtp, **smtp) -> Path:
    delivery = {"method": "smtp", "smtp": {"host": "127.0.0.1", "port": server.port, "timeout": 5, **smtp}}
    return write_project(folder, extra=f"delivery: {json.dumps(delivery)}\n")


def send(config: Path, **kwargs) -> Outcome:
    return run("send", "-c", str(config), "--date", DAY, cwd=config.parent, **kwargs)


@pytest.fixture
def servers():
    started: list[RawSmtp] = []

    def start(**behaviour) -> RawSmtp:
        started.append(RawSmtp(**behaviour))
        return started[-1]

    yield start
    for server in started:
        server.close()


@pytest.mark.parametrize("quit_reply", [b"500 5.5.1 what?\r\n", b"421 4.3.0 going down\r\n", None], ids=["500", "421", "hang-up"])
def test_a_message_the_server_took_is_sent_once_whatever_quit_gets(tmp_path: Path, servers, quit_reply: bytes | None) -> None:
    server = servers(quit_reply=quit_reply)
    config = smtp_project(tmp_path, server)
    first = send(config)
    assert first.status == 0 and "Traceback" not in first.stderr, first
    assert "accepted <" in first.stderr and "250 2.0.0 queued as R1" in first.stderr, first
    for _ in range(2):
        again = send(config)
        assert again.status == 0 and "already sent" in again.stderr, again
    assert len(server.messages) == 1
    assert GOOD_TITLES[0].encode() in server.messages[0]


def test_a_server_trickling_its_greeting_is_cut_off_at_the_deadline(tmp_path: Path, servers) -> None:
    server = servers(trickle=0.2)  # every read gets a byte well within the 5 s timeout: only the deadline ends it
    outcome = send(smtp_project(tmp_path, server, deadline=2))
    assert outcome.status == 1 and "Traceback" not in outcome.stderr, outcome
    assert "did not take the message within 2 s (delivery.smtp.deadline)" in outcome.stderr, outcome
    assert 2 <= outcome.seconds < 2 + 4, outcome


def test_sigterm_during_a_stalled_delivery_stops_within_the_deadline(tmp_path: Path, servers) -> None:
    server = servers(trickle=0.2)
    child = Child(("send", "-c", str(smtp_project(tmp_path, server, deadline=3)), "--date", DAY), cwd=tmp_path)
    assert server.connected.wait(15), "digest never connected"
    signalled = time.monotonic()
    os.kill(child.pid, signal.SIGTERM)
    outcome = child.finish()
    stopped = time.monotonic() - signalled
    assert outcome.status == -signal.SIGTERM, outcome  # the held SIGTERM, acted on once the delivery gave up
    assert stopped < 3 + 2, f"stopped {stopped:.1f} s after SIGTERM\n{outcome}"
    assert "SIGTERM received" in outcome.stderr, outcome


def test_a_login_over_plain_tcp_needs_allow_plaintext_auth(tmp_path: Path, servers, monkeypatch) -> None:
    monkeypatch.setenv("DIGEST_SMTP_USER", "digest-bot")
    monkeypatch.setenv("DIGEST_SMTP_PASSWORD", "pl41n-s3cret")
    server = servers()
    login = {"username_env": "DIGEST_SMTP_USER", "password_env": "DIGEST_SMTP_PASSWORD"}
    refused = send(smtp_project(tmp_path, server, **login), fresh=True)
    assert refused.status == 2, refused
    assert "config.yaml: delivery.smtp: a login without TLS would send the password in the clear" in refused.stderr
    assert "allow_plaintext_auth: true" in refused.stderr
    assert server.commands == [] and not server.connected.is_set()  # never even connected

    allowed = send(smtp_project(tmp_path, server, allow_plaintext_auth=True, **login), fresh=True)
    assert allowed.status == 0, allowed
    assert len(server.messages) == 1 and any(command.startswith(b"AUTH") for command in server.commands)
    assert "pl41n-s3cret" not in allowed.stderr
