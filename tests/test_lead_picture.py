"""The top story's picture: where sources give it, which ones are refused, and how the email reads with
it shown, blocked (Gmail's default for a new sender) and broken, at 375 and 600 px in Chromium.

The picture is a PNG this test draws itself, served from a loopback HTTP server: the email links to
pictures, it never carries or downloads them.
"""
from __future__ import annotations

import json
import struct
import zlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from sample_edition import config, edition
from test_browser import FIRST_LINE, artifacts_folder, browser  # noqa: F401  (the Chromium fixture)

from digest import render
from digest.images import lead_image
from digest.model import Image
from digest.sources.html import extract_article

WIDTHS = (375, 600)


def png(width: int, height: int) -> bytes:
    """A small PNG drawn here: a dark blue band over a lighter one."""
    rows = b"".join(b"\x00" + (bytes((16, 40, 74)) if y < height // 2 else bytes((120, 160, 200))) * width for y in range(height))
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


# Which pictures are kept


def test_only_http_pictures_of_a_real_size_are_kept() -> None:
    assert lead_image("https://img.example.org/a.jpg", "Photo: Jane Doe", "1200", "800") == Image(
        "https://img.example.org/a.jpg", "Photo: Jane Doe", 1200, 800)
    assert lead_image("/a.jpg", base="https://news.example.org/story") == Image("https://news.example.org/a.jpg")
    for refused in ("data:image/png;base64,iVBORw0KGgo=", "javascript:alert(1)", "file:///etc/passwd", "mailto:a@b.c", "", None, 7):
        assert lead_image(refused) is None, refused
    assert lead_image("https://track.example.org/open.gif", width=1, height=1) is None  # a tracking pixel
    assert lead_image("https://img.example.org/icon.png", width="32px") is None
    assert lead_image("https://img.example.org/a.jpg", "<b>Caption</b>\nby <i>A</i>", "wide", True) == Image(
        "https://img.example.org/a.jpg", "Caption by A")  # markup and nonsense sizes dropped


def test_feed_jsonl_and_page_pictures_reach_the_item(tmp_path: Path) -> None:
    from digest.config import Config, SourceConfig
    from digest.sources import SourceContext
    from digest.sources.feed import load as load_feed
    from digest.sources.jsonl import load as load_jsonl

    rss = tmp_path / "feed.xml"
    rss.write_text("""<?xml version="1.0"?><rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel><title>Wire</title>
<link>https://wire.example.org/</link>
<item><title>With media content</title><link>https://wire.example.org/a</link><pubDate>Thu, 14 May 2026 10:00:00 +0300</pubDate>
<media:content url="https://wire.example.org/a.jpg" medium="image" width="1200" height="800">
<media:credit>Photo: Wire</media:credit></media:content></item>
<item><title>With a thumbnail</title><link>https://wire.example.org/b</link><pubDate>Thu, 14 May 2026 10:00:00 +0300</pubDate>
<media:thumbnail url="https://wire.example.org/b.jpg" width="640" height="360"/></item>
<item><title>With an enclosure</title><link>https://wire.example.org/c</link><pubDate>Thu, 14 May 2026 10:00:00 +0300</pubDate>
<enclosure url="https://wire.example.org/c.png" type="image/png" length="100"/></item>
<item><title>With a pixel</title><link>https://wire.example.org/d</link><pubDate>Thu, 14 May 2026 10:00:00 +0300</pubDate>
<media:content url="https://wire.example.org/p.gif" medium="image" width="1" height="1"/></item>
</channel></rss>""")
    export = tmp_path / "items.jsonl"
    export.write_text("\n".join(json.dumps(line) for line in (
        {"title": "By address", "body": "b", "image": "https://cms.example.org/1.jpg"},
        {"title": "By object", "body": "b", "image": {"url": "https://cms.example.org/2.jpg", "alt": "Caption", "width": 800, "height": 450}},
        {"title": "Inline data", "body": "b", "image": "data:image/png;base64,AAAA"},
    )) + "\n")
    settings = Config(base_dir=tmp_path)
    now = datetime(2026, 5, 14, 12, tzinfo=UTC)
    feed = load_feed(SourceContext(SourceConfig(name="Wire", kind="feed", path=str(rss)), settings, now))
    assert [item.image for item in feed] == [
        Image("https://wire.example.org/a.jpg", "Photo: Wire", 1200, 800), Image("https://wire.example.org/b.jpg", "", 640, 360),
        Image("https://wire.example.org/c.png"), None]
    cms = load_jsonl(SourceContext(SourceConfig(name="CMS", kind="jsonl", path=str(export)), settings, now))
    assert [item.image for item in cms] == [Image("https://cms.example.org/1.jpg"), Image("https://cms.example.org/2.jpg", "Caption", 800, 450), None]
    page = ('<html><head><title>Pier</title><meta property="og:image" content="/img/pier.jpg">'
            '<meta property="og:image:alt" content="The pier at dawn"></head><body><article><h1>Pier</h1><p>'
            + "The old pier reopened after a year of repairs. " * 20 + "</p></article></body></html>")
    article = extract_article(page, "https://news.example.org/pier", tz=UTC, now=now)
    assert article is not None and article.image == Image("https://news.example.org/img/pier.jpg", "The pier at dawn")


# How the email reads


def edition_with_picture(url: str):
    ed = edition(stories=3, briefs=3)
    ed.sections[0].stories[0].lead.image = Image(url, "The night ferry at the pier. Photo: Harbour Herald", 1200, 675)
    return ed


def test_the_top_story_alone_shows_its_picture_sized_and_linked() -> None:
    ed = edition_with_picture("https://img.example.org/ferry.jpg")
    ed.sections[1].stories[0].lead.image = Image("https://img.example.org/other.jpg")
    html = render.render(ed, config(), "html").decode()
    assert html.count("<img") == 1 and 'src="https://img.example.org/ferry.jpg"' in html
    assert 'width="544" height="306"' in html and 'alt="The night ferry at the pier. Photo: Harbour Herald"' in html
    without = render.render(edition(stories=3, briefs=3), config(), "html").decode()
    assert "<img" not in without


@pytest.mark.browser
@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("state", ["shown", "blocked", "broken"])
def test_the_picture_shown_blocked_or_broken_in_chromium(browser, httpserver: HTTPServer, tmp_path: Path, width: int, state: str) -> None:  # noqa: F811
    httpserver.expect_request("/ferry.png").respond_with_data(png(600, 338), content_type="image/png")
    httpserver.expect_request("/gone.png").respond_with_data("not found", status=404)
    url = httpserver.url_for("/gone.png" if state == "broken" else "/ferry.png")
    path = tmp_path / "email.html"
    path.write_bytes(render.render(edition_with_picture(url), config(), "html"))
    context = browser.new_context(viewport={"width": width, "height": 900})
    if state == "blocked":
        context.route("**/*.png", lambda route: route.abort())
    page = context.new_page()
    page.goto(path.as_uri())
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(artifacts_folder("email") / f"picture-{state}-{width}px.png"), full_page=True)
    box = page.evaluate("""() => { const img = document.querySelector('img.lead'), h = document.querySelector('.hl');
        const r = img.getBoundingClientRect(), t = h.getBoundingClientRect(), col = h.closest('td').getBoundingClientRect();
        return {loaded: img.complete && img.naturalWidth > 0, left: r.left, width: r.width, height: r.height, bottom: r.bottom,
                headline: t.top, colLeft: col.left, colWidth: col.width}; }""")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert box["headline"] >= box["bottom"]  # the headline comes after the picture, never under it
    if state == "shown":
        assert box["loaded"]
        # the column's width (its text's edges), in proportion
        # where the headline's first line starts (its badge or its words, whichever the fonts put there)
        text_left = page.evaluate("() => {" + FIRST_LINE + "return firstLine(document.querySelector('.hl').closest('h3')).left; }")
        assert abs(box["left"] - text_left) <= 1 and box["width"] >= min(width - 40, 544) - 1
        assert abs(box["height"] - box["width"] * 338 / 600) <= 2
    else:
        assert not box["loaded"]
        # its alt text at most, however many lines these fonts give it: no picture-sized hole
        assert box["height"] < box["colWidth"] * 338 / 600 / 2, box
    page.close()
    context.close()
