"""The one fetch module, against a real HTTP server on 127.0.0.1: limits, retries, redirects, 304s."""
from __future__ import annotations

import gzip
import socket
import threading
import time
import zlib
from datetime import UTC, datetime

import pytest
from werkzeug import Request, Response

from digest import __version__
from digest.config import FetchConfig
from digest.sources import SourceFailed
from digest.sources.http import DEFAULT_USER_AGENT, fetch
from digest.store import Store

NOW = datetime(2024, 5, 2, 9, 0, tzinfo=UTC)
FAST = FetchConfig(connect_timeout=0.5, timeout=0.5, retries=2, backoff=0.01, max_bytes=10_000)


def settings(**changes) -> FetchConfig:
    return FetchConfig(**{**FAST.__dict__, **changes})


class Counter:
    """A handler that answers with `respond(request)` and remembers every request it saw."""

    def __init__(self, respond):
        self.respond, self.requests = respond, []

    def __call__(self, request: Request) -> Response:
        self.requests.append(request)
        return self.respond(request)


def test_ok_sends_a_clear_user_agent_and_reads_the_body(httpserver):
    handler = Counter(lambda r: Response(b"hello", content_type="text/plain"))
    httpserver.expect_request("/ok").respond_with_handler(handler)
    result = fetch(httpserver.url_for("/ok"), FAST)
    assert (result.body, result.status, result.from_cache) == (b"hello", 200, False)
    assert result.content_type == "text/plain"
    assert handler.requests[0].headers["User-Agent"] == DEFAULT_USER_AGENT
    assert DEFAULT_USER_AGENT.startswith(f"digest/{__version__} ")
    assert "gzip" in handler.requests[0].headers["Accept-Encoding"]


def test_user_agent_is_configurable(httpserver):
    handler = Counter(lambda r: Response(b"x"))
    httpserver.expect_request("/ua").respond_with_handler(handler)
    fetch(httpserver.url_for("/ua"), settings(user_agent="MyPaper digest (ops@example.com)"))
    assert handler.requests[0].headers["User-Agent"] == "MyPaper digest (ops@example.com)"


@pytest.mark.parametrize("encoding, compress", [
    ("gzip", gzip.compress),
    ("deflate", zlib.compress),
    ("deflate", lambda data: zlib.compress(data)[2:-4]),  # raw deflate, as some servers send it
])
def test_compressed_bodies_are_decoded(httpserver, encoding, compress):
    text = "Київ 北京 ".encode() * 200
    httpserver.expect_request("/z").respond_with_data(compress(text), headers={"Content-Encoding": encoding})
    assert fetch(httpserver.url_for("/z"), FAST).body == text


def test_refused_connection_is_named_and_not_retried():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    backoff = 10.0  # what one retry would cost
    started = time.monotonic()
    with pytest.raises(SourceFailed, match=rf"^connection refused by 127.0.0.1:{port}$"):
        fetch(f"http://127.0.0.1:{port}/feed", settings(backoff=backoff))
    assert time.monotonic() - started < backoff / 2  # no backoff slept: refusing is not a hiccup


def test_slow_server_times_out_and_is_retried(httpserver):
    def slow(request):
        time.sleep(0.3)
        return Response(b"late")

    handler = Counter(slow)
    httpserver.expect_request("/slow").respond_with_handler(handler)
    with pytest.raises(SourceFailed, match=r"^timed out after 0.1 s \(2 attempts\)$"):
        fetch(httpserver.url_for("/slow"), settings(timeout=0.1, retries=1))
    time.sleep(0.3)  # let the single-threaded server finish the last sleeper
    assert len(handler.requests) == 2


def test_total_timeout_stops_a_server_that_drips(httpserver):
    chunks, pause = 50, 0.06  # a byte every 0.06 s, well within the 0.2 s a read may wait: 3 s in all
    done = threading.Event()

    def drip(request):
        def body():
            for _ in range(chunks):
                if done.wait(pause):
                    return
                yield b"x"
        return Response(body())

    httpserver.expect_request("/drip").respond_with_handler(drip)
    started = time.monotonic()
    with pytest.raises(SourceFailed, match=r"timed out after 0.2 s"):
        fetch(httpserver.url_for("/drip"), settings(timeout=0.2, retries=0))
    took = time.monotonic() - started
    done.set()  # the single-threaded server is free for the next test
    assert took < chunks * pause / 2  # each byte came in time; the whole did not: the fetch gave up long before the end
    time.sleep(2 * pause)


def test_5xx_is_retried_with_backoff_then_reported(httpserver):
    handler = Counter(lambda r: Response(b"oops", status=500))
    httpserver.expect_request("/500").respond_with_handler(handler)
    started = time.monotonic()
    with pytest.raises(SourceFailed, match=r"^HTTP 500 Internal Server Error \(3 attempts\)$"):
        fetch(httpserver.url_for("/500"), settings(backoff=0.05))
    assert len(handler.requests) == 3
    assert time.monotonic() - started >= 0.05 + 0.1  # backoff doubled between attempts


def test_a_passing_5xx_is_forgotten(httpserver):
    answers = iter([Response(b"busy", status=503), Response(b"fine")])
    handler = Counter(lambda r: next(answers))
    httpserver.expect_request("/flaky").respond_with_handler(handler)
    assert fetch(httpserver.url_for("/flaky"), FAST).body == b"fine"
    assert len(handler.requests) == 2


def test_4xx_is_reported_at_once(httpserver):
    handler = Counter(lambda r: Response(b"nope", status=404))
    httpserver.expect_request("/gone").respond_with_handler(handler)
    with pytest.raises(SourceFailed, match=r"^HTTP 404 Not Found$"):
        fetch(httpserver.url_for("/gone"), FAST)
    assert len(handler.requests) == 1


def test_redirects_are_followed_to_the_final_url(httpserver):
    httpserver.expect_request("/old").respond_with_response(Response(status=301, headers={"Location": "/middle"}))
    httpserver.expect_request("/middle").respond_with_response(Response(status=302, headers={"Location": httpserver.url_for("/new")}))
    httpserver.expect_request("/new").respond_with_data(b"moved here")
    result = fetch(httpserver.url_for("/old"), FAST)
    assert (result.body, result.final_url) == (b"moved here", httpserver.url_for("/new"))


def test_redirect_loop_is_detected(httpserver):
    httpserver.expect_request("/a").respond_with_response(Response(status=302, headers={"Location": "/b"}))
    httpserver.expect_request("/b").respond_with_response(Response(status=302, headers={"Location": "/a"}))
    with pytest.raises(SourceFailed, match=r"^redirect loop: .*/a -> .*/b -> .*/a$"):
        fetch(httpserver.url_for("/a"), FAST)


def test_redirects_are_bounded(httpserver):
    for hop in range(5):
        httpserver.expect_request(f"/hop{hop}").respond_with_response(Response(status=307, headers={"Location": f"/hop{hop + 1}"}))
    with pytest.raises(SourceFailed, match=r"^more than 3 redirects"):
        fetch(httpserver.url_for("/hop0"), settings(max_redirects=3))


def test_redirect_to_another_scheme_is_refused(httpserver):
    httpserver.expect_request("/file").respond_with_response(Response(status=302, headers={"Location": "file:///etc/passwd"}))
    with pytest.raises(SourceFailed, match=r"^redirected to file:///etc/passwd, which is not an http\(s\) URL$"):
        fetch(httpserver.url_for("/file"), FAST)


def test_declared_oversized_body_is_refused_before_reading(httpserver):
    httpserver.expect_request("/big").respond_with_data(b"x" * 20_000)
    with pytest.raises(SourceFailed, match=r"^response larger than 10 kB cap$"):
        fetch(httpserver.url_for("/big"), FAST)


def test_undeclared_oversized_body_stops_at_the_cap(httpserver):
    sent = []

    def endless(request):
        def chunks():
            for _ in range(1000):
                sent.append(4096)
                yield b"y" * 4096
        return Response(chunks())  # no Content-Length: chunked

    httpserver.expect_request("/stream").respond_with_handler(endless)
    with pytest.raises(SourceFailed, match=r"^response larger than 10 kB cap$"):
        fetch(httpserver.url_for("/stream"), FAST)
    assert sum(sent) < 1000 * 4096


def test_gzip_bomb_stops_at_the_cap(httpserver):
    bomb = gzip.compress(b"\0" * 5_000_000)  # ~5 KB on the wire
    httpserver.expect_request("/bomb").respond_with_data(bomb, headers={"Content-Encoding": "gzip"})
    with pytest.raises(SourceFailed, match=r"^response larger than 10 kB cap$"):
        fetch(httpserver.url_for("/bomb"), FAST)


def test_conditional_get_remembers_etag_and_reuses_the_body(httpserver, tmp_path):
    def conditional(request):
        if request.headers.get("If-None-Match") == '"v1"':
            return Response(status=304)
        return Response(b"<rss>v1</rss>", headers={"ETag": '"v1"'})

    handler = Counter(conditional)
    httpserver.expect_request("/feed").respond_with_handler(handler)
    url = httpserver.url_for("/feed")
    with Store(tmp_path / "d.db") as store:
        first = fetch(url, FAST, store, now=NOW)
    with Store(tmp_path / "d.db") as store:  # the next run, a new process
        second = fetch(url, FAST, store, now=NOW)
    assert (first.status, first.from_cache) == (200, False)
    assert (second.status, second.from_cache, second.body) == (304, True, b"<rss>v1</rss>")
    assert "If-None-Match" not in handler.requests[0].headers


def test_conditional_get_with_last_modified(httpserver, tmp_path):
    stamp = "Wed, 01 May 2024 08:00:00 GMT"

    def conditional(request):
        if request.headers.get("If-Modified-Since") == stamp:
            return Response(status=304)
        return Response(b"body", headers={"Last-Modified": stamp})

    httpserver.expect_request("/lm").respond_with_handler(conditional)
    with Store(tmp_path / "d.db") as store:
        fetch(httpserver.url_for("/lm"), FAST, store, now=NOW)
        again = fetch(httpserver.url_for("/lm"), FAST, store, now=NOW)
    assert (again.status, again.body) == (304, b"body")


def test_a_changed_resource_replaces_the_stored_copy(httpserver, tmp_path):
    versions = iter([(b"one", '"1"'), (b"two", '"2"')])

    def changing(request):
        body, tag = next(versions)
        return Response(body, headers={"ETag": tag})

    httpserver.expect_request("/c").respond_with_handler(changing)
    with Store(tmp_path / "d.db") as store:
        fetch(httpserver.url_for("/c"), FAST, store, now=NOW)
        assert fetch(httpserver.url_for("/c"), FAST, store, now=NOW).body == b"two"
        assert store.fetch_state(httpserver.url_for("/c")).etag == '"2"'


def test_unknown_host_and_bad_urls():
    with pytest.raises(SourceFailed, match=r"^host no-such-host.invalid not found$"):
        fetch("http://no-such-host.invalid/feed", FAST)
    with pytest.raises(SourceFailed, match=r"is not an http\(s\) URL"):
        fetch("ftp://example.com/feed", FAST)


def test_public_only_refuses_loopback_and_private_servers(httpserver):
    httpserver.expect_request("/internal").respond_with_data(b"admin page")
    url = httpserver.url_for("/internal")
    assert fetch(url, FAST).address in ("127.0.0.1", "::1")
    with pytest.raises(SourceFailed, match=r"^refused: localhost is at a non-public address \((127\.0\.0\.1|::1)\); set allow_private: true"):
        fetch(url, FAST, public_only=True)


def test_dropped_connections_are_retried():
    accepted = []
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.settimeout(2)

        def hang_up():
            for _ in range(2):
                connection, _ = listener.accept()
                accepted.append(connection.recv(4096))
                connection.close()  # no answer at all

        thread = threading.Thread(target=hang_up)
        thread.start()
        with pytest.raises(SourceFailed, match=r"^connection to 127.0.0.1:\d+ dropped before the response was complete \(2 attempts\)$"):
            fetch(f"http://127.0.0.1:{listener.getsockname()[1]}/feed", settings(retries=1))
        thread.join()
    assert len(accepted) == 2 and accepted[0].startswith(b"GET /feed HTTP/1.1")


def test_https_to_a_server_that_does_not_speak_tls(httpserver):
    httpserver.expect_request("/tls").respond_with_data(b"plain")
    url = httpserver.url_for("/tls").replace("http://", "https://")
    with pytest.raises(SourceFailed, match=r"^TLS error with localhost:\d+: "):
        fetch(url, FAST)
