"""Article pages (over a real HTTP server and from files), and the HTML-to-text and URL-safety helpers."""
from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from conftest import sources_config

from digest.config import SourceConfig
from digest.sources import load_each
from digest.text.markup import canonical_url, html_to_text, looks_like_html, plain_text, safe_url, to_text

NOW = datetime(2024, 5, 2, 9, 0, tzinfo=UTC)

PAGE = """<!DOCTYPE html>
<html lang="en"><head>
<title>Bakery wins national bread prize | Riverside Post</title>
<meta property="og:title" content="Bakery wins national bread prize">
<meta name="author" content="Sam Ortiz">
<meta property="article:published_time" content="2024-05-01T14:20:00">
<link rel="canonical" href="https://riverside.example.com/food/bakery-prize?utm_source=rss">
<script>window.analytics = {};</script>
<style>body { font-family: serif; }</style>
</head><body>
<header><a href="/">Riverside Post</a> <a href="/subscribe">Subscribe</a> <a href="/login">Log in</a></header>
<nav><ul><li><a href="/news">News</a></li><li><a href="/food">Food</a></li><li><a href="/sport">Sport</a></li></ul></nav>
<main><article>
<h1>Bakery wins national bread prize</h1>
<p class="byline">By Sam Ortiz</p>
<p>A family bakery on Mill Street has won the national prize for sourdough, beating more than two hundred entries from across the country.</p>
<p>The judges praised the loaf's crust and its open crumb, and said the bakery's starter, kept alive since 1962, gave it a flavour they had not met before.</p>
<p>The owners said they would keep their prices as they are and bake an extra batch on Saturdays for the visitors they expect.</p>
</article>
<aside><h3>Most read</h3><ul><li><a href="/x">Council votes on parking</a></li><li><a href="/y">Floods close the ring road</a></li></ul></aside>
</main>
<footer>© 2024 Riverside Post. All rights reserved. <a href="/privacy">Privacy</a></footer>
</body></html>"""  # noqa: E501 - a page's paragraphs are long lines


def test_article_page_from_a_url(httpserver):
    httpserver.expect_request("/food/bakery").respond_with_data(PAGE, content_type="text/html; charset=utf-8")
    (ctx,) = load_each(sources_config(SourceConfig(name="Post", kind="html", allow_private=True, url=httpserver.url_for("/food/bakery"))), NOW)
    assert ctx.problems == []
    (item,) = ctx.items
    assert item.title == "Bakery wins national bread prize"
    assert item.author == "Sam Ortiz"
    assert item.published == datetime(2024, 5, 1, 14, 20, tzinfo=ZoneInfo("Europe/Kyiv"))  # no offset: the newsletter's zone
    assert item.url == "https://riverside.example.com/food/bakery-prize"  # the page's canonical URL
    paragraphs = item.body.split("\n\n")
    assert len(paragraphs) == 3 and paragraphs[0].startswith("A family bakery on Mill Street")
    for chrome in ("Subscribe", "Most read", "All rights reserved", "analytics", "font-family", "By Sam Ortiz"):
        assert chrome not in item.body
    assert item.kind == "story"


def test_article_pages_from_files_by_glob(tmp_path):
    (tmp_path / "pages").mkdir()
    (tmp_path / "pages" / "a-bakery.html").write_text(PAGE, encoding="utf-8")
    undated = PAGE.replace('<meta property="article:published_time" content="2024-05-01T14:20:00">', "")
    (tmp_path / "pages" / "b-undated.html").write_text(undated.replace("Bakery wins", "Baker wins"), encoding="utf-8")
    (tmp_path / "pages" / "c-empty.html").write_text("<html><body><nav>Home</nav></body></html>", encoding="utf-8")
    (ctx,) = load_each(sources_config(SourceConfig(name="Pages", kind="html", path="pages/*.html", item_kind="brief"), base=tmp_path), NOW)
    assert [item.title for item in ctx.items] == ["Bakery wins national bread prize", "Baker wins national bread prize"]
    assert ctx.items[1].published == NOW
    assert {item.kind for item in ctx.items} == {"brief"}
    assert [str(p) for p in ctx.problems] == [
        "source 'Pages' (pages/c-empty.html): no article text found in this page",
        "source 'Pages': 1 item without a date ('Baker wins national bread prize'); it goes in the first edition built after it was seen",
    ]


def test_a_page_with_no_article_fails_the_source(httpserver):
    httpserver.expect_request("/empty").respond_with_data("<html><body><nav>Home</nav></body></html>", content_type="text/html")
    (ctx,) = load_each(sources_config(SourceConfig(name="Empty", kind="html", allow_private=True, url=httpserver.url_for("/empty"))), NOW)
    assert ctx.items == []
    assert [(p.reason, p.source_failed) for p in ctx.problems] == [(f"no article text found in {httpserver.url_for('/empty')}", True)]


def test_a_dead_page_fails_the_source(httpserver):
    httpserver.expect_request("/gone").respond_with_data("", status=404)
    (ctx,) = load_each(sources_config(SourceConfig(name="Gone", kind="html", allow_private=True, url=httpserver.url_for("/gone"))), NOW)
    assert [(str(p), p.source_failed) for p in ctx.problems] == [("source 'Gone': HTTP 404 Not Found", True)]


# the helpers every source and the renderer share


def test_html_to_text_keeps_paragraphs_and_drops_what_readers_never_see():
    html = """<div><h2>Heading</h2><p>First &amp; <b>bold</b>
        paragraph&nbsp;here.</p><script>var a = "<p>no</p>";</script><style>p{}</style>
        <p>Second<br>line</p><ul><li>one</li><li>two</li></ul><!-- a comment --><p>  </p>
        <noscript>enable js</noscript><template><p>hidden</p></template>caf&eacute; &#x41;&#66;</div>"""
    assert html_to_text(html) == "Heading\n\nFirst & bold paragraph here.\n\nSecond\n\nline\n\n- one\n\n- two\n\ncafé AB"


def test_html_to_text_survives_broken_markup():
    assert html_to_text("<p>unclosed <b>bold <i>mixed</b> text<p>next &unknown; &") == "unclosed bold mixed text\n\nnext &unknown; &"
    assert html_to_text("<script>never closed <p>gone") == ""


def test_plain_text_and_the_choice_between_them():
    assert plain_text("  One\r\nline   wrapped.\n\n\n\nTwo.  ") == "One line wrapped.\n\nTwo."
    assert not looks_like_html("Prices rose 5% as 3 < 4 and R&D spending fell")
    assert looks_like_html("Tom &amp; Jerry") and looks_like_html("a <em>b</em>")
    assert to_text("3 < 4, so x > y") == "3 < 4, so x > y"
    assert to_text("<p>a</p><p>b</p>") == "a\n\nb"


@pytest.mark.parametrize("url, base, expected", [
    ("https://example.com/a?b=1#c", None, "https://example.com/a?b=1#c"),
    ("HTTP://Example.com", None, "http://Example.com/"),
    ("/news/1", "https://site.example/feed.xml", "https://site.example/news/1"),
    ("story.html", "https://site.example/live/feed", "https://site.example/live/story.html"),
    ("//cdn.example/x", "https://site.example/", "https://cdn.example/x"),
    ("mailto:desk@example.com", None, "mailto:desk@example.com"),
    ("https://example.com/a b", None, "https://example.com/a%20b"),
    ("javascript:alert(1)", None, None),
    (" JaVaScRiPt:alert(1)", "https://site.example/", None),
    ("java\tscript:alert(1)", None, None),
    ("\x01javascript:alert(1)", None, None),
    ("data:text/html,<script>alert(1)</script>", None, None),
    ("vbscript:msgbox", None, None),
    ("file:///etc/passwd", None, None),
    ("/relative/without/base", None, None),
    ("http:///no-host", None, None),
    ("https://[::1", None, None),
    ("mailto:", None, None),
    ("", None, None),
    (None, None, None),
    ("/x", "javascript:alert(1)//", None),
])
def test_safe_url_lets_only_http_and_mailto_through(url, base, expected):
    assert safe_url(url, base) == expected


def test_canonical_url_ignores_what_does_not_name_the_article():
    assert canonical_url("https://News.Example.com:443/a?utm_source=x&id=7&fbclid=y#top") == "https://news.example.com/a?id=7"
    assert canonical_url("http://example.com:8080") == "https://example.com:8080"  # the one spelling dedupe uses too
