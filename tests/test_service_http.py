"""The email services call out through digest's own HTTP rules: the API key never follows a redirect
to another origin, an answer is read only up to its cap, a slow answer ends at `delivery.api.timeout`
for the whole exchange, an odd answer is no traceback, and a password in `delivery.api.url` is never
printed. Real loopback servers; the real command line sends."""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from test_providers import Loopback, api_project, outcomes
from test_readers import READERS, unsubscribe_secret  # noqa: F401 (autouse: the secret is set)
from test_send import DAY1

from digest.delivery.api import ANSWER_CAP, shown_url

TOKEN = "pm-token-5ecret"
Respond = Callable[[BaseHTTPRequestHandler], None]


@dataclass
class Server(Loopback):
    """A loopback server whose `respond` writes each whole answer itself; every request's headers are kept."""

    respond: Respond
    seen: list[dict[str, str]] = field(default_factory=list)
    written: int = 0  # bytes of body the server managed to write

    def start(self) -> Server:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                owner.seen.append({k.lower(): v for k, v in self.headers.items()})
                try:
                    owner.respond(self)
                except (BrokenPipeError, ConnectionResetError):  # digest stopped reading: as it should
                    pass
                self.close_connection = True

            def log_message(self, *args: object) -> None:
                pass

        self.serve(Handler)  # ThreadingHTTPServer's threads are daemons: a slow answer never holds up stop()
        return self


@pytest.fixture
def serve(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Respond], Server]]:
    monkeypatch.setenv("POSTMARK_SERVER_TOKEN", TOKEN)
    servers: list[Server] = []

    def start(respond: Respond) -> Server:
        servers.append(Server(respond).start())
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


def head(handler: BaseHTTPRequestHandler, status: int, headers: dict[str, str]) -> None:
    handler.send_response(status)
    for name, value in headers.items():
        handler.send_header(name, value)
    handler.end_headers()


def test_a_redirect_does_not_carry_the_key_to_another_origin(tmp_path: Path, serve) -> None:
    elsewhere = serve(lambda h: head(h, 200, {"Content-Length": "2"}) or h.wfile.write(b"[]"))
    service = serve(lambda h: head(h, 307, {"Location": elsewhere.url + "/email/batch", "Content-Length": "0"}))
    project = api_project(tmp_path, "postmark", service.url.replace("//", "//user:hunter2@"))
    result = project.digest("send", "--date", str(DAY1))
    assert result.exit_code == 1
    assert service.seen and service.seen[0]["x-postmark-server-token"] == TOKEN  # the service itself got it
    assert not elsewhere.seen  # the other origin got nothing: neither the key nor the batch
    assert "answered 307, a redirect to " + elsewhere.url in result.stderr and "delivery.api.url" in result.stderr
    assert "hunter2" not in result.stderr + result.stdout and "***@127.0.0.1" in result.stderr
    assert set(outcomes(project).values()) == {"pending"}


def test_a_huge_answer_is_read_only_up_to_the_cap_and_the_batch_it_accepts_is_recorded_sent(tmp_path: Path, serve) -> None:
    """A 200 is an accepted batch however big its body: on main the batch stayed pending and went again next run."""
    total = 40 * ANSWER_CAP  # no Content-Length: only reading tells how big it is

    def flood(handler: BaseHTTPRequestHandler) -> None:
        head(handler, 200, {"Content-Type": "application/json", "Connection": "close"})
        chunk = b"[" + b" " * 65534
        server = handler.server.owner  # type: ignore[attr-defined]
        while server.written < total:
            handler.wfile.write(chunk)
            server.written += len(chunk)

    server = serve(flood)
    server.server.owner = server  # type: ignore[attr-defined]
    project = api_project(tmp_path, "postmark", server.url)
    result = project.digest("send", "--date", str(DAY1))
    assert result.exit_code == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert server.written < total / 2  # digest stopped reading; the rest could not even be written
    assert len(server.seen) == 1  # not retried
    assert set(outcomes(project).values()) == {"sent"}
    status = project.digest("status", "--date", str(DAY1)).stdout
    assert "postmark accepted the batch (200); its answer could not be read (response larger than 1 MB cap)" in status
    assert project.digest("send", "--date", str(DAY1)).exit_code == 0 and len(server.seen) == 1


def test_an_answer_whose_status_came_but_whose_body_is_slow_is_an_accepted_batch(tmp_path: Path, serve) -> None:
    stop = threading.Event()

    def drip(handler: BaseHTTPRequestHandler) -> None:  # one byte at a time: no single read ever times out
        head(handler, 200, {"Content-Type": "application/json", "Content-Length": "100000"})
        while not stop.wait(0.05):
            handler.wfile.write(b" ")
            handler.wfile.flush()

    server = serve(drip)
    project = api_project(tmp_path, "postmark", server.url, ", timeout: 0.5")  # the later timeout wins
    try:
        result = project.digest("send", "--date", str(DAY1))
    finally:
        stop.set()
    assert result.exit_code == 0, result.stderr
    assert len(server.seen) == 1 and set(outcomes(project).values()) == {"sent"}
    assert "its answer could not be read (timed out after 0.5 s)" in project.digest("status", "--date", str(DAY1)).stdout


def test_no_answer_at_all_by_the_deadline_is_uncertain_tried_once_and_never_again_unasked(tmp_path: Path, serve) -> None:
    """The batch went whole and the service said nothing within delivery.api.timeout: on main it was
    posted again up to `retries` times in the run, and again on the next run."""
    stop = threading.Event()
    server = serve(lambda handler: stop.wait(5) and None)
    project = api_project(tmp_path, "postmark", server.url, ", timeout: 0.5")
    try:
        first = project.digest("send", "--date", str(DAY1))
        second = project.digest("send", "--date", str(DAY1))
    finally:
        stop.set()
    assert first.exit_code == 1
    assert f"postmark at {server.url} was sent the whole batch but no answer came back (timed out after 0.5 s" in first.stderr
    assert "3 readers (ann@example.org, bob@example.net, cy@example.com)" in first.stderr and first.stderr.count("may have reached") == 1
    assert "--resend-uncertain" in second.stderr
    assert len(server.seen) == 1  # once, in two runs
    assert set(outcomes(project).values()) == {"uncertain"}


@pytest.mark.parametrize("body", [b"[" * 100_000 + b"]" * 100_000, b'[{"ErrorCode": {}, "Message": [1]}, 7, null]', b"\xff not json",
                                  b'{"a": ' * 50_000 + b"1" + b"}" * 50_000],
                         ids=["deep-list", "odd-results", "not-json", "deep-object"])
def test_an_odd_answer_to_an_accepted_batch_is_no_traceback_and_the_batch_is_sent(tmp_path: Path, serve, body: bytes) -> None:
    """On main a 100 kB nested 200 answer left the batch pending: sent again next run."""
    server = serve(lambda h: head(h, 200, {"Content-Length": str(len(body))}) or h.wfile.write(body))
    project = api_project(tmp_path, "postmark", server.url)
    result = project.digest("send", "--date", str(DAY1))
    assert "Traceback" not in result.stderr and result.exit_code == 0, result.stderr
    assert set(outcomes(project).values()) == {"sent"}
    assert project.digest("send", "--date", str(DAY1)).exit_code == 0 and len(server.seen) == 1


def test_a_password_in_the_url_is_shown_as_stars() -> None:
    assert shown_url("https://user:pw@api.example.com:8443/v3") == "https://***@api.example.com:8443/v3"
    assert shown_url("https://api.example.com") == "https://api.example.com"


