"""The one way digest fetches a URL: bounded in time and size, polite, and clear when it fails.

Every source with a `url` (and every article page a feed links to) comes through `fetch`, so each
of them gets the same limits: a connect timeout and a total timeout per attempt, a size cap that
stops reading as soon as it is passed (counted after decompression, so a gzip bomb stops too),
bounded redirects with loop detection, retries with exponential backoff only where waiting can help
(timeouts, dropped connections, 5xx), and conditional GET: the ETag and Last-Modified of the last
good response are kept in the store, so an unchanged feed costs one 304.

The email services' API calls (`digest.delivery.api`) come through `post`: the same deadline and
size cap, but no redirect is followed, so the credentials in their headers stay with their origin.

It is built on http.client rather than urllib because urllib cannot bound the total time of a
response (its timeout is per socket operation, so a server dripping one byte a second never times
out) nor tell a connect timeout from a read timeout.
"""
from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import Message
from http import HTTPStatus
from typing import NamedTuple, Protocol
from urllib.parse import urljoin, urlsplit

from digest import __version__
from digest.config import FetchConfig
from digest.sources.failure import SourceFailed
from digest.store import FetchState

DEFAULT_USER_AGENT = f"digest/{__version__} (daily newsletter builder; python http.client)"
REDIRECTS = (301, 302, 303, 307, 308)
CHUNK = 64 * 1024


@dataclass
class FetchResult:
    body: bytes
    final_url: str
    status: int  # 200, or 304 when the stored copy was still good
    from_cache: bool = False
    headers: Message = field(default_factory=Message)
    address: str = ""  # the IP address of the server that answered

    @property
    def content_type(self) -> str:
        return self.headers.get_content_type() if self.headers.get("Content-Type") else ""


class Response(NamedTuple):
    status: int
    reason: str
    headers: Message
    body: bytes
    address: str


class Retryable(SourceFailed):
    """A failure that may pass if we wait a moment; the message is for the user."""


class TooLarge(SourceFailed):
    """The answer passed the size cap; reading stopped there."""


class Unanswered(Retryable):
    """A POST went out whole but its answer did not come back whole (timed out, dropped, over the cap,
    not HTTP): the server may have acted on it. `status`: the answer's status, when its first line came."""

    def __init__(self, reason: str, status: int | None = None) -> None:
        super().__init__(reason)
        self.status = status


class FetchStateStore(Protocol):
    """Where conditional-GET state is kept: the Store, or a run's FetchStates in front of it."""

    def fetch_state(self, url: str) -> FetchState | None: ...

    def put_fetch_state(self, url: str, state: FetchState, fetched: datetime) -> None: ...


def fetch(
    url: str,
    settings: FetchConfig,
    store: FetchStateStore | None = None,
    *,
    accept: str = "*/*",
    now: datetime | None = None,
    public_only: bool = False,
) -> FetchResult:
    """GET `url` within `settings`' limits; raise SourceFailed with a reason a person understands.

    `public_only` refuses servers at loopback, private or link-local addresses, checked on the
    addresses DNS gives for every hop (so at every redirect too) before any is connected to: a public
    feed must not lead digest to an intranet page, whether by a redirect or by its entries' links,
    nor even to a TCP or TLS handshake with one.
    """
    state = store.fetch_state(url) if store else None
    attempts = settings.retries + 1
    for attempt in range(attempts):
        try:
            result = _attempt(url, settings, state, accept, public_only)
            break
        except Retryable as exc:
            if attempt + 1 == attempts:
                tries = f" ({attempts} attempts)" if attempts > 1 else ""
                raise SourceFailed(f"{exc}{tries}") from None
            time.sleep(settings.backoff * 2**attempt)
    if result.from_cache and state is not None:
        result.body = state.body or b""
    elif store and (result.headers.get("ETag") or result.headers.get("Last-Modified")):
        kept = FetchState(result.headers.get("ETag"), result.headers.get("Last-Modified"), result.body)
        store.put_fetch_state(url, kept, now or datetime.now(UTC))
    return result


def _attempt(url: str, settings: FetchConfig, state: FetchState | None, accept: str, public_only: bool) -> FetchResult:
    """One try, following redirects, all within one `settings.timeout`."""
    deadline = time.monotonic() + settings.timeout
    visited = [url]
    current = url
    while True:
        headers = {
            "User-Agent": settings.user_agent or DEFAULT_USER_AGENT,
            "Accept": accept,
            "Accept-Encoding": "gzip, deflate",
        }
        if state and state.body is not None and current == url:
            if state.etag:
                headers["If-None-Match"] = state.etag
            if state.last_modified:
                headers["If-Modified-Since"] = state.last_modified
        response = _request(current, headers, settings, deadline, public_only)
        status = response.status
        if status in REDIRECTS and response.headers.get("Location"):
            target = urljoin(current, response.headers["Location"].strip())
            if urlsplit(target).scheme not in ("http", "https"):
                raise SourceFailed(f"redirected to {target}, which is not an http(s) URL")
            if target in visited:
                raise SourceFailed("redirect loop: " + " -> ".join(visited + [target]))
            if len(visited) > settings.max_redirects:
                raise SourceFailed(f"more than {settings.max_redirects} redirects (last to {target})")
            visited.append(target)
            current = target
            continue
        if status == 304 and ("If-None-Match" in headers or "If-Modified-Since" in headers):
            return FetchResult(b"", current, 304, from_cache=True, headers=response.headers, address=response.address)
        if 500 <= status < 600:
            raise Retryable(_status_text(status, response.reason))
        if not 200 <= status < 300:
            raise SourceFailed(_status_text(status, response.reason))
        return FetchResult(response.body, current, status, headers=response.headers, address=response.address)


def query(url: str, headers: dict[str, str], settings: FetchConfig) -> Response:
    """One GET of an API (an email service asked what it took), bounded as `post` is; a 2xx's body is
    read, a redirect returned unfollowed, so credentials in `headers` never reach another origin."""
    deadline = time.monotonic() + settings.timeout
    return _request(url, headers, settings, deadline, False)


def post(url: str, data: bytes, headers: dict[str, str], settings: FetchConfig) -> Response:
    """One POST within `settings.timeout` (the whole exchange) and `settings.max_bytes` (the answer),
    whatever its status. A redirect is returned as it is, never followed, so credentials in `headers`
    never reach another origin. Raises Unanswered once the request went out whole (the server may
    have acted on it), else Retryable (timed out, dropped) or SourceFailed (refused, not found)."""
    deadline = time.monotonic() + settings.timeout
    return _request(url, headers, settings, deadline, False, method="POST", data=data)


def _request(url: str, headers: dict[str, str], settings: FetchConfig, deadline: float, public_only: bool,
             *, method: str = "GET", data: bytes | None = None) -> Response:
    """One HTTP exchange; a GET's body is read only for a 2xx, a POST's always (never past the cap or the deadline)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not host:
        raise SourceFailed(f"{url} is not an http(s) URL")
    try:
        port = parts.port
    except ValueError:
        raise SourceFailed(f"{url} has an invalid port") from None
    where = f"{host}:{port}" if port else host
    connect_timeout = min(settings.connect_timeout, _remaining(deadline, settings))
    if parts.scheme == "https":
        connection: http.client.HTTPConnection = http.client.HTTPSConnection(
            host, port, timeout=connect_timeout, context=ssl.create_default_context()
        )
    else:
        connection = http.client.HTTPConnection(host, port, timeout=connect_timeout)
    if public_only:
        connection._create_connection = _public_connection  # type: ignore[attr-defined]  # http.client's hook for opening the socket
    sent, status = False, None  # a POST out whole, and the status line of its answer: what a failure after it leaves unknown
    try:
        try:
            connection.connect()
        except TimeoutError:
            raise Retryable(f"could not connect to {where} within {_seconds(connect_timeout)}") from None
        sock = connection.sock  # kept: http.client lets go of it once a response says it will close
        address = sock.getpeername()[0]
        try:
            sock.settimeout(_remaining(deadline, settings))
            path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            connection.request(method, path, body=data, headers=headers)
            sent = method != "GET"
            response = connection.getresponse()
            status = response.status
            wanted = 200 <= response.status < 300 or method != "GET"
            body = _read_body(response, sock, settings, deadline) if wanted else b""
        except TimeoutError:
            raise Retryable(f"timed out after {_seconds(settings.timeout)}") from None
        except (ConnectionResetError, ConnectionAbortedError, http.client.IncompleteRead, BrokenPipeError):
            raise Retryable(f"connection to {where} dropped before the response was complete") from None
        except http.client.HTTPException as exc:
            raise SourceFailed(f"{where} did not answer in HTTP ({type(exc).__name__})") from None
        except OSError as exc:  # a TLS or socket error while reading the answer of a POST out whole
            if sent:
                raise Unanswered(f"{where}: {exc.strerror or exc}", status) from None
            raise
    except ConnectionRefusedError:
        raise SourceFailed(f"connection refused by {where}") from None
    except socket.gaierror:
        raise SourceFailed(f"host {host} not found") from None
    except ssl.SSLError as exc:
        raise SourceFailed(f"TLS error with {where}: {exc.reason or exc}") from None
    except OSError as exc:
        raise SourceFailed(f"cannot reach {where}: {exc.strerror or exc}") from None
    except SourceFailed as exc:
        if sent and not isinstance(exc, Unanswered):
            raise Unanswered(str(exc), status) from None
        raise
    finally:
        connection.close()
    return Response(response.status, response.reason, response.msg, body, address)


def _read_body(response: http.client.HTTPResponse, sock: socket.socket, settings: FetchConfig, deadline: float) -> bytes:
    """The response body, decompressed, streamed so neither the cap nor the deadline is ever overrun."""
    too_large = f"response larger than {_size(settings.max_bytes)} cap"
    declared = response.getheader("Content-Length")
    if declared and declared.strip().isdigit() and int(declared) > settings.max_bytes:
        raise TooLarge(too_large)
    decoder = _decoder(response.getheader("Content-Encoding", ""))
    out = bytearray()
    while True:
        sock.settimeout(_remaining(deadline, settings))
        chunk = response.read1(CHUNK)
        if not chunk:
            break
        try:
            out += decoder.decompress(chunk, settings.max_bytes + 1 - len(out)) if decoder else chunk
        except zlib.error:
            raise SourceFailed(f"response is not valid {response.getheader('Content-Encoding')} data") from None
        if len(out) > settings.max_bytes or decoder and decoder.unconsumed_tail:
            raise TooLarge(too_large)
    if decoder:
        out += decoder.flush()
        if len(out) > settings.max_bytes:
            raise TooLarge(too_large)
    return bytes(out)


def _decoder(encoding: str):
    """A streaming decompressor for the Content-Encoding, or None for identity."""
    encoding = encoding.strip().lower()
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        return _Deflate()
    if encoding in ("", "identity"):
        return None
    raise SourceFailed(f"response uses content encoding '{encoding}', which digest does not read")


class _Deflate:
    """"deflate" is zlib-wrapped by the standard and raw by some servers; the first bytes tell which."""

    def __init__(self) -> None:
        self.inner: zlib._Decompress | None = None

    def decompress(self, data: bytes, max_length: int) -> bytes:
        if self.inner is None:
            wrapped = len(data) >= 2 and data[0] & 0x0F == 8 and (data[0] << 8 | data[1]) % 31 == 0
            self.inner = zlib.decompressobj(zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)
        return self.inner.decompress(data, max_length)

    @property
    def unconsumed_tail(self) -> bytes:
        return self.inner.unconsumed_tail if self.inner else b""

    def flush(self) -> bytes:
        return self.inner.flush() if self.inner else b""


def _public_connection(host_port: tuple[str, int], timeout: float | None = None, source_address: object = None) -> socket.socket:
    """A TCP connection to the host's first public address that answers, every address checked before
    any is connected to: a loopback, private or link-local server gets no packet, let alone a TLS
    handshake. `socket.create_connection`, less the addresses that are not public."""
    host, port = host_port
    found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    public = [info for info in found if _is_public(str(info[4][0]))]
    if not public:
        raise SourceFailed(f"refused: {host} is at a non-public address ({found[0][4][0]}); "
                           "set allow_private: true on the source if it is an intranet server")
    failure: OSError | None = None
    for family, kind, proto, _, sockaddr in public:
        sock = socket.socket(family, kind, proto)
        try:
            sock.settimeout(timeout)
            sock.connect(sockaddr)
            return sock
        except OSError as exc:
            sock.close()
            failure = exc
    assert failure is not None
    raise failure


def _is_public(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_global
    except ValueError:
        return False


def _status_text(status: int, reason: str) -> str:
    """"HTTP 404 Not Found", in the standard's words rather than whatever case the server used."""
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        pass
    return f"HTTP {status} {reason}".rstrip()


def _remaining(deadline: float, settings: FetchConfig) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise Retryable(f"timed out after {_seconds(settings.timeout)}")
    return left


def _seconds(value: float) -> str:
    return f"{value:g} s"


def _size(value: int) -> str:
    return f"{value / 1_000_000:g} MB" if value >= 1_000_000 else f"{value / 1000:g} kB" if value >= 1000 else f"{value} bytes"
