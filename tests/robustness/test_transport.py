"""Servers that fail, stall, loop, flood, or send bytes in the wrong encoding, through the command line:
each case one row, held to the contract in conftest.assert_contract."""
from __future__ import annotations

import socket
import zlib
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from .conftest import (
    SUSPECT_TITLES,
    Expect,
    Message,
    Server,
    assert_contract,
    entry,
    never_answer,
    plain_feed,
    redirect,
    respond,
    rss,
    stream,
    write_project,
)

HUNDREDS_OF_MB = 300_000_000
CAP = 2_000_000  # fetch.max_bytes in every case (conftest.write_project)
UKRAINIAN = "Порт відкрив нову пристань для поромів"

Setup = Callable[[Server, Path], tuple[dict, Expect, Callable[[Message, Server], None] | None]]
CASES: dict[str, Setup] = {}


def case(setup: Setup) -> Setup:
    CASES[setup.__name__] = setup
    return setup


def feed_at(url: str, **settings) -> dict:
    return {"kind": "feed", "url": url, **settings}


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@case
def connection_refused(server, folder):
    port = closed_port()
    return feed_at(f"http://127.0.0.1:{port}/feed"), Expect(failed=True, reason=rf"connection refused by 127\.0\.0\.1:{port}", seconds=5), None


@case
def server_never_answers(server, folder):
    """The configured timeout (fetch.timeout: 1) ends it; no retry is configured."""
    url = server.route("/feed", never_answer)
    return feed_at(url), Expect(failed=True, reason=r"timed out after 1 s$", seconds=1 + 4), None


@case
def server_trickles_forever(server, folder):
    """A byte every 50 ms for ever: no single read times out, the total timeout (1 s) ends it."""

    def trickle(request: BaseHTTPRequestHandler) -> None:
        request.send_response(200)
        request.send_header("Content-Type", "application/rss+xml")
        request.end_headers()
        try:
            while not request.app.closing.wait(0.05):  # type: ignore[attr-defined]
                request.wfile.write(b" ")
                request.wfile.flush()
        except OSError:
            pass

    url = server.route("/feed", trickle)
    return feed_at(url), Expect(failed=True, reason=r"timed out after 1 s$", seconds=1 + 4), None


@case
def http_500_retried_then_named(server, folder):
    url = server.route("/feed", respond(b"<h1>oops</h1>", status=500, content_type="text/html"))

    def retried(message: Message, server: Server) -> None:
        assert server.requested.count("/feed") == 2 * 2  # two attempts in each of the two builds

    # retries: 1 for this source's fetches (the config's fetch section is shared by every source)
    return feed_at(url), Expect(failed=True, reason=r"HTTP 500 Internal Server Error \(2 attempts\)"), retried


@case
def http_404(server, folder):
    url = server.url("/nothing-here")
    return feed_at(url), Expect(failed=True, reason=r"HTTP 404 Not Found$"), None


@case
def redirect_loop(server, folder):
    first = server.route("/a", redirect(server.url("/b")))
    server.route("/b", redirect("/c", status=301))
    server.route("/c", redirect(first, status=307))
    return feed_at(first), Expect(failed=True, reason=r"redirect loop: .*/a -> .*/b -> .*/c -> .*/a$"), None


def stopped_early(sent: list[int]) -> Callable[[Message, Server], None]:
    def check(message: Message, server: Server) -> None:
        assert len(sent) == 2 and all(count < 10 * CAP for count in sent), f"the server sent {sent} bytes"

    return check


@case
def hundreds_of_mb_streamed(server, folder):
    """300 MB of feed, no Content-Length: the cap stops reading after 2 MB, memory stays flat."""
    sent: list[int] = []
    body = entry("Harbour log line", body="Another line of the endless harbour log. " * 20)
    url = server.route("/feed", stream(body.encode() * 50, HUNDREDS_OF_MB, sent, head=rss()[:-25]))
    return feed_at(url), Expect(failed=True, reason=r"response larger than 2 MB cap", rss_margin_mb=40), stopped_early(sent)


@case
def hundreds_of_mb_declared(server, folder):
    """A Content-Length of 300 MB is refused before the body is read."""
    sent: list[int] = []

    def declared(request: BaseHTTPRequestHandler) -> None:
        request.send_response(200)
        request.send_header("Content-Type", "application/rss+xml")
        request.send_header("Content-Length", str(HUNDREDS_OF_MB))
        request.end_headers()
        sent.append(0)
        try:
            while sent[-1] < HUNDREDS_OF_MB:
                request.wfile.write(b" " * 65536)
                sent[-1] += 65536
        except OSError:
            pass

    url = server.route("/feed", declared)
    return feed_at(url), Expect(failed=True, reason=r"response larger than 2 MB cap", rss_margin_mb=40), stopped_early(sent)


@case
def gzip_bomb(server, folder):
    """300 MB of feed that is 300 kB on the wire: the cap counts what it decompresses to."""
    sent: list[int] = []

    def bomb(request: BaseHTTPRequestHandler) -> None:
        request.send_response(200)
        request.send_header("Content-Type", "application/rss+xml")
        request.send_header("Content-Encoding", "gzip")
        request.send_header("Connection", "close")
        request.end_headers()
        request.close_connection = True
        sent.append(0)
        packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
        zeros = b" " * 1_000_000
        try:
            request.wfile.write(packer.compress(rss()[:-25]))
            for _ in range(HUNDREDS_OF_MB // len(zeros)):
                packed = packer.compress(zeros)
                request.wfile.write(packed)
                sent[-1] += len(zeros)  # counted as decompressed bytes
            request.wfile.write(packer.flush())
        except OSError:
            pass

    url = server.route("/feed", bomb)
    return feed_at(url), Expect(failed=True, reason=r"response larger than 2 MB cap", rss_margin_mb=40), stopped_early(sent)


def ukrainian_feed(encoding: str, declared: str | None) -> bytes:
    data = rss(entry(UKRAINIAN, body="Пором ходитиме щодня. Квитки продають на пристані.", date="Wed, 01 May 2024 11:00:00 GMT"),
               encoding=encoding)
    declaration = f'<?xml version="1.0" encoding="{encoding}"?>'.encode()
    replacement = f'<?xml version="1.0" encoding="{declared}"?>'.encode() if declared else b""
    return data.replace(declaration, replacement)


@case
def wrong_charset_in_the_http_header(server, folder):
    """The header says Latin-1, the document is UTF-8 and says so: the document is right."""
    url = server.route("/feed", respond(ukrainian_feed("utf-8", "utf-8"), content_type="application/rss+xml; charset=iso-8859-1"))
    return feed_at(url), Expect(failed=False, reason=None, present=(UKRAINIAN,)), None


@case
def wrong_charset_in_the_document(server, folder):
    """Windows-1251 bytes under a declaration of UTF-8."""
    url = server.route("/feed", respond(ukrainian_feed("windows-1251", "utf-8")))
    return feed_at(url), Expect(failed=False, reason=None, present=(UKRAINIAN,)), None


@case
def missing_charset(server, folder):
    """Windows-1251 bytes, no charset in the header, no XML declaration."""
    url = server.route("/feed", respond(ukrainian_feed("windows-1251", None), content_type="text/xml"))
    return feed_at(url), Expect(failed=False, reason=None, present=(UKRAINIAN,)), None


@case
def invalid_utf8_bytes(server, folder):
    """Two bad bytes in one entry of a UTF-8 feed: that entry loses them, no other text is harmed."""
    feed = rss(entry(UKRAINIAN, date="Wed, 01 May 2024 11:00:00 GMT"),
               entry(SUSPECT_TITLES[0] + " \xff\xfe", date="Wed, 01 May 2024 12:00:00 GMT")).replace("\xff\xfe".encode(), b"\xff\xfe")
    url = server.route("/feed", respond(feed))
    return feed_at(url), Expect(failed=False, reason=r"not valid UTF-8", present=(UKRAINIAN, SUSPECT_TITLES[0])), None


@case
def nul_bytes(server, folder):
    feed = plain_feed().replace(SUSPECT_TITLES[0].encode(), SUSPECT_TITLES[0].replace(" ", "\x00 ", 1).encode())
    feed = feed.replace(b"The harbour office", b"The\x00\x00 harbour office")
    url = server.route("/feed", respond(feed))
    return feed_at(url), Expect(failed=False, reason=r"malformed XML", present=SUSPECT_TITLES), None


@pytest.mark.parametrize("name", sorted(CASES))
def test_transport_case(name: str, server: Server, tmp_path: Path, baseline_rss: float) -> None:
    source, expect, check = CASES[name](server, tmp_path)
    fetch = {"retries": 1, "backoff": 0.05} if name.startswith("http_500") else {}
    message = assert_contract(write_project(tmp_path, source, fetch=fetch), expect, baseline_rss)
    if check:
        check(message, server)
