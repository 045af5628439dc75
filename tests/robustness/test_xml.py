"""Hostile and broken XML through the command line: each case one row, one feed served on 127.0.0.1
beside a good source, held to the contract in conftest.assert_contract."""
from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import (
    SECRET,
    SUSPECT_TITLES,
    Expect,
    Message,
    Server,
    assert_contract,
    entry,
    plain_feed,
    respond,
    rss,
    write_project,
)

BOMB_PROLOG = "<!DOCTYPE rss [\n" + '<!ENTITY a0 "ha">\n' + "".join(
    f'<!ENTITY a{n} "{f"&a{n - 1};" * 10}">\n' for n in range(1, 10)
) + "]>\n"
LOGIN_PAGE = b"""<!DOCTYPE html><html><head><title>Sign in</title><script>var token = "session-abc";</script></head>
<body><form action="/login" method="post"><label>Email <input name="email"></label>
<label>Password <input name="password" type="password"></label><button>Sign in to Quay news</button></form></body></html>"""
ENTRIES = 10_000

Setup = Callable[[Server, Path], tuple[dict, Expect, Callable[[Message, Server], None] | None]]
CASES: dict[str, Setup] = {}


def case(setup: Setup) -> Setup:
    CASES[setup.__name__] = setup
    return setup


def served(server: Server, data: bytes, **kwargs) -> dict:
    return {"kind": "feed", "url": server.route("/feed", respond(data, **kwargs))}


@case
def entity_bomb(server, folder):
    feed = rss(entry("&a9;"), entry(SUSPECT_TITLES[0]), prolog=BOMB_PROLOG)
    return served(server, feed), Expect(failed=True, reason=r"refused: the XML declares the entity 'a0'", absent=("hahaha",), seconds=5), None


@case
def external_entity_over_http(server, folder):
    prolog = f'<!DOCTYPE rss [<!ENTITY secret SYSTEM "file://{folder / "secret.txt"}">]>\n'
    feed = rss(entry("Quay notice: &secret;", body="&secret;"), entry(SUSPECT_TITLES[0]), prolog=prolog)
    return served(server, feed), Expect(failed=True, reason=r"refused: the XML declares an external entity 'secret'"), None


@case
def external_entity_in_a_feed_file(server, folder):
    prolog = f'<!DOCTYPE rss [<!ENTITY secret SYSTEM "{folder / "secret.txt"}">]>\n'
    (folder / "quay.xml").write_bytes(rss(entry("&secret;"), entry(SUSPECT_TITLES[0]), prolog=prolog))
    return {"kind": "feed", "path": "quay.xml"}, Expect(failed=True, reason=r"external entity 'secret'"), None


def dtd_never_fetched(message: Message, server: Server) -> None:
    assert "/evil.dtd" not in server.requested


def evil_dtd(server: Server, folder: Path) -> str:
    return server.route("/evil.dtd", respond(f'<!ENTITY secret SYSTEM "file://{folder / "secret.txt"}">'.encode(),
                                              content_type="application/xml-dtd"))


@case
def external_dtd_is_never_fetched(server, folder):
    """A DOCTYPE naming an external DTD (every RSS 0.91 feed has one) is fine; the DTD is never fetched."""
    prolog = f'<!DOCTYPE rss SYSTEM "{evil_dtd(server, folder)}">\n'
    feed = rss(*(entry(title, date=f"Wed, 01 May 2024 1{n}:00:00 GMT") for n, title in enumerate(SUSPECT_TITLES)), prolog=prolog)
    return served(server, feed), Expect(failed=False, reason=None, present=SUSPECT_TITLES), dtd_never_fetched


@case
def parameter_entity_fetching_a_dtd(server, folder):
    prolog = f'<!DOCTYPE rss [<!ENTITY % remote SYSTEM "{evil_dtd(server, folder)}"> %remote;]>\n'
    feed = rss(entry("&secret;"), entry(SUSPECT_TITLES[0]), prolog=prolog)
    return served(server, feed), Expect(failed=True, reason=r"refused: the XML declares an external entity 'remote'"), dtd_never_fetched


@case
def truncated_xml(server, folder):
    whole = plain_feed()
    cut = whole[: whole.index(SUSPECT_TITLES[2].encode()) + 10]  # inside the third entry's title
    return served(server, cut), Expect(failed=False, reason=r"malformed XML \(line \d+, column \d+: no element found\); kept the \d entries",
                                       present=SUSPECT_TITLES[:2]), None


@case
def truncated_before_any_entry(server, folder):
    whole = plain_feed()
    return served(server, whole[: whole.index(b"<item>") + 3]), Expect(failed=True, reason=r"not an RSS or Atom feed|malformed XML"), None


@case
def html_login_page(server, folder):
    return served(server, LOGIN_PAGE, content_type="text/html; charset=utf-8"), Expect(
        failed=True, reason=r"not a feed: got an HTML page", absent=("Password", "session-abc", "Sign in")), None


@case
def empty_body(server, folder):
    return served(server, b""), Expect(failed=True, reason=r"empty response"), None


@case
def feed_without_entries(server, folder):
    """A valid feed on a quiet day: nothing to warn about."""
    return served(server, rss()), Expect(failed=False, reason=None), None


PRIVATE_TITLE = "Private memo from the local disk"


def private_feed(folder: Path) -> Path:
    """A feed on digest's own disk that no server may make it read."""
    path = folder / "private.xml"
    path.write_bytes(rss(entry(PRIVATE_TITLE), entry(SECRET)))
    return path


@case
def body_that_is_a_local_path(server, folder):
    """feedparser opens a str or bytes that looks like a path: the body must be read as the document it is."""
    return served(server, str(private_feed(folder)).encode()), Expect(
        failed=True, reason=r"not an RSS or Atom feed", absent=(PRIVATE_TITLE,)), None


@case
def body_that_is_a_file_url(server, folder):
    return served(server, private_feed(folder).as_uri().encode()), Expect(
        failed=True, reason=r"not an RSS or Atom feed", absent=(PRIVATE_TITLE,)), None


@case
def body_that_is_dev_zero(server, folder):
    """Opened as a path, /dev/zero is read until memory runs out."""
    return served(server, b"/dev/zero"), Expect(failed=True, reason=r"not an RSS or Atom feed", seconds=5), None


@case
def unknown_encoding_declared(server, folder):
    """Python has no codec named "bogus": read the feed as feedparser does (as ASCII here) and say so."""
    feed = plain_feed().replace(b'encoding="utf-8"', b'encoding="bogus"')
    return served(server, feed), Expect(
        failed=False, reason=r"declares the encoding 'bogus', which is not known; read as [\w-]+", present=SUSPECT_TITLES), None


def ten_thousand_entries_feed() -> bytes:
    """Every entry in the edition's window, all before the good source's items (which must still win
    on recency: the edition holds 40 stories, and a flood may push out older news, never newer)."""
    entries = (
        entry(f"Tide table number {n} for berth {n % 97}", body=f"Berth {n % 97} reports tide {n} at {n % 24:02d}:{n % 60:02d}. "
              f"Pilot boats {n % 13} and {n % 7} stand by for the evening. Vessel {n} waits at anchor.",
              link=f"https://quay.example/tides/{n}", date=f"Wed, 01 May 2024 {n % 6:02d}:{n % 60:02d}:{n % 59:02d} GMT")
        for n in range(ENTRIES)
    )
    return rss(*entries)


@pytest.fixture(scope="module")
def big_feed() -> bytes:
    return ten_thousand_entries_feed()


def at_least_ten_tide_tables(message: Message, server: Server) -> None:
    assert len(set(re.findall(r"Tide table number \d+", message.text))) >= 10


@pytest.mark.parametrize("name", sorted(CASES))
def test_xml_case(name: str, server: Server, tmp_path: Path, baseline_rss: float) -> None:
    source, expect, check = CASES[name](server, tmp_path)
    message = assert_contract(write_project(tmp_path, source), expect, baseline_rss)
    assert SECRET not in message.text
    if check:
        check(message, server)


@pytest.mark.slow
def test_ten_thousand_entries(server: Server, tmp_path: Path, baseline_rss: float, big_feed: bytes) -> None:
    source = {"kind": "feed", "url": server.route("/feed", respond(big_feed)), "item_kind": "brief"}
    expect = Expect(failed=False, reason=None, seconds=20, rss_margin_mb=250)
    message = assert_contract(write_project(tmp_path, source, fetch={"max_bytes": 10_000_000, "timeout": 10}), expect, baseline_rss)
    at_least_ten_tide_tables(message, None)
