"""Property-based tests (hypothesis) over the parts that read untrusted text: the page-text parser, the
cleaner, the sentence splitter, and the renderer. No text makes them raise; escaping always holds; what
they give back always parses.

The examples mix arbitrary Unicode with the shapes these parts look for (bylines, feed times, capture
dates, chrome, markup, hostile links, template syntax), so the search reaches past the first branch.
The profile bounds the examples per test (HYPOTHESIS_PROFILE=thorough for a longer search) and keeps
no example database, so nothing is written into the checkout.
"""
from __future__ import annotations

import email
import email.policy
import os
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import lxml.html
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from digest import render
from digest.config import Config, NewsletterConfig
from digest.model import DatedItem, Edition, Section, Story
from digest.render.view import HEADLINE_CHARS, PARAGRAPH_CHARS, clean_line
from digest.sources.pagetext import classify, parse_page
from digest.text.clean import clean_for_summary
from digest.text.sentences import split_sentences

from .conftest import CONTROL, hostile_markup, visible_text

pytestmark = pytest.mark.slow

settings.register_profile("robustness", max_examples=200, deadline=timedelta(seconds=5), database=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=5000, deadline=None, database=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "robustness"))

KYIV = ZoneInfo("Europe/Kyiv")
NOW = datetime(2024, 6, 25, 21, 0, tzinfo=UTC)
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December", "Smarch")
HOSTILE = (
    "<script>alert(1)</script>", '<img src=x onerror="alert(2)">', '" onmouseover="alert(3)', "' onclick='x",
    "javascript:alert(4)", "data:text/html,<script>alert(5)</script>", "<style>body{display:none}</style>",
    "<a href='javascript:alert(6)'>link</a>", "</a>", "<!--", "-->", "]]>", "<![CDATA[", "&lt;script&gt;", "&amp;",
    "&#0;", "&#x110000;", "&nosuch;", "{{ 7*7 }}", "{% raw %}", "{#", "</mj-text>", "<mj-raw>", "</mjml>",
    "\u202e", "\u2066", "\x00", "\ufffe", "\uffff", "\ud800", "\udfff", "\x1b[31m", "\r\n", "\r",
    "\u2028", "\u0085", "\ufeff", "\u200b", "\xa0", "\t",
    "🚢🌊", "👨‍👩‍👧", "مرفأ المدينة", "הנמל נפתח", "港口今天重新开放。", "Порт відкрив пристань.", "Mr.", "U.S.",
    "...", "…", "?!", "。", "%0a%0d", "\\", "`", "${x}", "x" * 300,
)
CHROME = ("Skip to content", "Edit post", "* indicates required", "Please, enter correct email address", "Subscribe",
          "Successfuly subscribed", "This audio is created with AI assistance", "5 min read", "Read more", "Share",
          "News Feed", "Live updates", "Author: Jane Roe", "(Photo: Reuters)", "Photo: Getty Images", "Advertisement")


def byline() -> st.SearchStrategy[str]:
    """Bylines with dates and times that may not exist (February 30, 13:75 PM, year 0)."""
    return st.builds(
        lambda month, day, year, hour, minute, half: f"by Jo Doe {month} {day}, {year} {hour}:{minute:02d} {half}",
        st.sampled_from(MONTHS), st.integers(0, 39), st.integers(0, 9999), st.integers(0, 99), st.integers(0, 99),
        st.sampled_from(("AM", "PM", "am", "pm")),
    )


def feed_time() -> st.SearchStrategy[str]:
    return st.builds(lambda hour, minute, half: f"{hour}:{minute:02d} {half}",
                     st.integers(0, 99), st.integers(0, 99), st.sampled_from(("AM", "PM", "pm")))


def capture_date() -> st.SearchStrategy[str]:
    return st.builds(lambda year, month, day: f"date {year:04d}-{month:02d}-{day:02d}",
                     st.integers(0, 9999), st.integers(0, 99), st.integers(0, 99))


def sentence() -> st.SearchStrategy[str]:
    words = st.lists(st.sampled_from(("the", "port", "Ferry", "crews", "said", "on", "Monday", "Kyiv", "U.S.", "Dr.",
                                      "3.5", "km", "“quoted”", "(AP)", "—")), min_size=1, max_size=14)
    return st.builds(lambda ws, end: " ".join(ws) + end, words, st.sampled_from((".", "!", "?", "…", "", ".\"", "。")))


def fragment() -> st.SearchStrategy[str]:
    return st.one_of(st.text(max_size=40), st.sampled_from(HOSTILE), st.sampled_from(CHROME), byline(), feed_time(),
                     capture_date(), sentence())


def untrusted_text(max_parts: int = 16) -> st.SearchStrategy[str]:
    """Fragments joined by spaces, line breaks or nothing: page text, item bodies, headlines."""
    return st.builds(lambda parts, glue: glue.join(parts), st.lists(fragment(), max_size=max_parts),
                     st.sampled_from(("\n", " ", "\n\n", "", "\r\n")))


# --- the page-text parser ------------------------------------------------------------------------------


@given(untrusted_text(24))
def test_page_text_parser_never_raises_and_keeps_chrome_out(text: str) -> None:
    warnings: list[str] = []
    items = parse_page(text, source="Page", tz=KYIV, now=NOW, warn=warnings.append)
    for item in items:
        assert item.title and item.kind in ("story", "brief")
        assert item.published is not None and item.published.tzinfo is not None
        for paragraph in item.body.split("\n\n") if item.body else ():
            assert classify(paragraph).kind != "chrome", paragraph


# --- the cleaner -----------------------------------------------------------------------------------------


@given(untrusted_text())
def test_cleaner_never_raises_and_gives_tidy_paragraphs(text: str) -> None:
    cleaned = clean_for_summary(text)
    assert "\n\n\n" not in cleaned
    for paragraph in cleaned.split("\n\n") if cleaned else ():
        assert paragraph
        for line in paragraph.split("\n"):
            assert line and line == line.strip(" \t"), repr(line)


# --- the sentence splitter -------------------------------------------------------------------------------


@given(untrusted_text(), st.sampled_from(("en", "uk", "zh", "de", "xx")))
def test_sentence_splitter_never_raises_and_loses_no_text(text: str, lang: str) -> None:
    sentences = split_sentences(text, lang)
    assert all(s and s == s.strip() and "\n" not in s for s in sentences)
    assert "".join("".join(s.split()) for s in sentences) == "".join(text.split())


# --- the renderer ------------------------------------------------------------------------------------------

DAY = date(2024, 6, 25)
CUTOFF = datetime(2024, 6, 26, 0, 0, tzinfo=KYIV)
URLS = st.one_of(
    st.none(), st.text(max_size=30), st.sampled_from(HOSTILE),  # (HOSTILE holds no URL that passes as safe)
    st.sampled_from(("javascript:alert(1)", " JaVaScRiPt:alert(2)", "java\tscript:alert(3)", "data:text/html,x",
                     "vbscript:x", "file:///etc/passwd", "mailto:desk@example.org", "mailto:", "//evil.example/x",
                     "https://[::1", "http://exa mple.org/", "https://example.org/a?b=<script>&c=\"'",
                     "https://example.org/\u202eevil", "HTTPS://EXAMPLE.ORG/CAPS")),
    st.builds(lambda host, path: f"https://{host}.example/{path}", st.text("abcxyz-", min_size=1, max_size=8), st.text(max_size=20)),
)


def item_text(parts: int = 4) -> st.SearchStrategy[str]:
    """A headline, a name or a summary sentence: arbitrary and hostile pieces (cheaper to draw than
    untrusted_text, which matters at a few dozen fields an edition)."""
    piece = st.one_of(st.text(max_size=24), st.sampled_from(HOSTILE), sentence())
    return st.builds(lambda pieces, glue: glue.join(pieces), st.lists(piece, max_size=parts), st.sampled_from((" ", "", "\n")))


HEADLINE = item_text()
NAME = item_text(2)
PUBLISHED = st.builds(lambda minutes: CUTOFF - timedelta(minutes=minutes), st.integers(1, 1440))


def stories(kind: str) -> st.SearchStrategy[Story]:
    """Stories of one item; every strategy is built once, as hypothesis validates each new one it meets."""

    def story(item_id, source, title, url, author, breaking, published, summary, score) -> Story:
        lead = DatedItem(id=item_id, source=source, kind=kind, title=title, url=url, author=author, breaking=breaking, published=published)
        return Story(lead=lead, members=[lead], summary=summary, score=score)

    return st.builds(story, st.text(max_size=8), NAME, HEADLINE, URLS, st.none() | NAME, st.booleans(), PUBLISHED,
                     st.lists(HEADLINE, max_size=3), st.floats(0, 10))


STORIES, BRIEFS = stories("story"), stories("brief")


@st.composite
def editions(draw) -> Edition:
    sections = [Section("top", "Top story", "top", [draw(STORIES)])]
    more = draw(st.lists(STORIES, max_size=3))
    feed = draw(st.lists(BRIEFS, max_size=4))
    if more:
        sections.append(Section("stories", draw(NAME) or "More", "stories", more))
    if feed:
        sections.append(Section("feed", "News Feed", "feed", feed))
    return Edition(date=DAY, cutoff=CUTOFF, title="Harbour Daily", sections=sections, note=draw(st.none() | HEADLINE))


CONFIG = Config(newsletter=NewsletterConfig(title="Harbour Daily", timezone="Europe/Kyiv", from_="Harbour Daily <daily@example.org>",
                                            to=["readers@example.org"], unsubscribe_url="https://example.org/unsubscribe"))


def words(text: str) -> str:
    return " ".join(text.split())


@given(editions())
def test_renderer_escapes_every_item_and_its_output_parses(edition: Edition) -> None:
    data = render.render(edition, CONFIG, "eml")
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert message.get_content_type() == "multipart/alternative"
    assert not [defect for part in message.walk() for defect in part.defects]
    text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    html = message.get_body(("html",)).get_content().replace("\r\n", "\n")
    assert hostile_markup(html) == []
    assert not CONTROL.search(text) and not CONTROL.search(html) and not CONTROL.search(str(message["Subject"]))
    shown = visible_text(html)
    parsed = words(lxml.html.document_fromstring(html).text_content())
    for story in edition.stories():  # those left after fitting under the clipping limit
        headline = clean_line(story.lead.title, HEADLINE_CHARS) or "(untitled)"
        for where in (shown, parsed, words(text)):
            assert words(headline) in where, headline
        for paragraph in story.summary:
            line = clean_line(paragraph, PARAGRAPH_CHARS)
            assert words(line) in shown and words(line) in words(text), line
