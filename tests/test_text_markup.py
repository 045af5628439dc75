"""The plain-text helpers every source runs on every title and body (their fast paths included)."""
from __future__ import annotations

import pytest

from digest.text.markup import canonical_url, fold, looks_like_html, plain_text, safe_url, to_text


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("  Kyiv\u00a0 talks\tresume \n", "Kyiv talks resume"),
        ("\ufeffBOM\u200bsplit\u200b", "BOM split"),  # invisible, though not whitespace to str.split
        ("line\u2028separator\x1cand\u3000ideographic", "line separator and ideographic"),
        ("\u200b\ufeff \n", ""),
    ],
)
def test_fold_gives_one_line_with_single_spaces(raw: str, folded: str) -> None:
    assert fold(raw) == folded


def test_plain_text_keeps_paragraphs_apart_whatever_the_line_ends() -> None:
    assert plain_text("One  line only ") == "One line only"
    assert plain_text("First\r\nstill first\r\n \t\r\nSecond\rthird line\n\n\n\nLast") == (
        "First still first\n\nSecond third line\n\nLast"
    )
    assert plain_text(" \n \n ") == ""


@pytest.mark.parametrize(
    ("text", "is_html"),
    [("3 < 4 and 5 > 2", False), ("Fish & chips", False), ("<p>Hi</p>", True), ("Tom &amp; Jerry", True),
     ("a <br/> b", True), ("&#8212; dash", True), ("plain words", False)],
)
def test_a_field_is_html_when_it_has_a_tag_or_an_entity(text: str, is_html: bool) -> None:
    assert looks_like_html(text) is is_html
    assert to_text(text) == (to_text(text) if is_html else plain_text(text))


@pytest.mark.parametrize(
    "url",
    ["javascript:alert(1)", "https://exa\u2003mple.com/", "https://example.com/a\x7fb", "https://example.com/a\x01b",
     "data:text/html,hi", "https:///no-host", "https://bbc.co.uk\u202e.evil.example/story"],
)
def test_unsafe_or_broken_urls_are_refused(url: str) -> None:
    assert safe_url(url) is None


def test_safe_urls_pass_and_tabs_inside_are_dropped() -> None:
    assert safe_url("https://example.com/a?b=1#c") == "https://example.com/a?b=1#c"
    assert safe_url("https://exa\tmple.com") == "https://example.com/"
    assert safe_url("mailto:desk@example.com") == "mailto:desk@example.com"


@pytest.mark.parametrize(
    ("url", "base", "expected"),
    [
        ("https://evil.example\\@www.bbc.co.uk/news/x", None, "https://evil.example/@www.bbc.co.uk/news/x"),
        ("https:\\\\evil.example\\news", None, "https://evil.example/news"),
        ("\\\\evil.example/x", "https://www.bbc.co.uk/news/", "https://evil.example/x"),
        ("/\\evil.example/x", "https://www.bbc.co.uk/news/", "https://evil.example/x"),
        ("https://www.bbc.co.uk/a?q=\\b#\\c", None, "https://www.bbc.co.uk/a?q=\\b#\\c"),  # kept after ? and #
        ("https://www.bbc.co.uk@evil.example/x", None, None),  # a user name: how a link poses as another
        ("https://example.com:99999/", None, None),
    ],
)
def test_links_are_read_as_browsers_read_them(url: str, base: str | None, expected: str | None) -> None:
    assert safe_url(url, base) == expected


def test_a_backslash_link_never_shares_the_real_storys_id() -> None:
    assert canonical_url("https://evil.example\\@www.bbc.co.uk/news/x") != canonical_url("https://www.bbc.co.uk/news/x")
    assert canonical_url("https://evil.example\\@www.bbc.co.uk/news/x").startswith("https://evil.example/")
