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
        ("Already one line, «Київ» and £5", "Already one line, «Київ» and £5"),  # the fast path: returned as it is
        (" lead", "lead"), ("trail ", "trail"), ("two  spaces", "two spaces"), ("", ""),
        ("no\u00a0break", "no break"), ("en\u2009space", "en space"), ("unit\x1fseparator", "unit separator"),
    ],
)
def test_fold_gives_one_line_with_single_spaces(raw: str, folded: str) -> None:
    assert fold(raw) == folded == " ".join(raw.replace("\u200b", " ").replace("\ufeff", " ").split())


def test_folds_fast_path_holds_for_every_kind_of_whitespace() -> None:
    """fold returns a printable text with single spaces as it is: that is only right if every character
    str.split takes for whitespace, but the space, is one str.isprintable refuses."""
    import sys

    assert [c for c in range(sys.maxunicode + 1) if chr(c).isspace() and chr(c).isprintable()] == [0x20]


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


PLAIN_LINKS = [
    "https://example.com", "http://news.example/world/17", "https://www.bbc.co.uk/news/uk-1?x=1&y=%20#top",
    "https://a-b.example/p?q=?#f#g", "https://example.com/a;b=c/@d", "https://1.2.3.example/", "https://host/", "https://-x.example/",
]
NOT_PLAIN = [
    "HTTPS://Example.com/", "https://1.2.3.4/", "https://example.123/", "https://xn--nxasmq6b.example/", "https://a.xn--p1ai/",
    "https://xn--zz.example/", "https://example.com:8080/", "https://user@example.com/", "https://example.com?q", "https://example.com/a?",
    "https://example.com/a?#f", "https://example.com/a#", "https://example.com\\@evil.example/", "https://example.com/a b",
    "https://exa_mple.com/", "https://example.com./", "https://example.com/é", "https://a..b/", "javascript:x",
]


@pytest.mark.parametrize(("url", "plain"), [(url, True) for url in PLAIN_LINKS] + [(url, False) for url in NOT_PLAIN])
def test_the_quick_way_for_plain_links_gives_what_the_rules_give(url: str, plain: bool) -> None:
    from digest.text.markup import _PLAIN_HTTP_URL, _by_the_rules

    assert bool(_PLAIN_HTTP_URL.fullmatch(url)) is plain
    assert safe_url(url) == _by_the_rules(url, None)


def test_the_quick_way_agrees_with_the_rules_on_many_made_up_links() -> None:
    """Links built from the pieces that decide the quick way's regex (hosts, ports, paths, queries),
    each compared with the full rules; many take the quick way."""
    import itertools

    from digest.text.markup import _PLAIN_HTTP_URL, _by_the_rules, _canonical_by_the_rules

    hosts = ["example.com", "www.example.com", "amp.a.b", "www.a", "a", "x-.y",
             "1.a", "a.1", "0x1", "xn--a.b", "a.xn--b", "axn--b.c", "A.com", "a_b.c", "a..b", ""]
    rests = ["", "/", "/p", "//p", "/p?", "/p?q", "/p?q#", "/p#f", "?q", "#f", "/%41", "/p\\q", "/p?q\\", "/é", "/ p", ":80/p", "@h/p",
             "/amp", "/a.amp/", "/p//q/", "/amp/x#f"]
    quick = 0
    for scheme, host, rest in itertools.product(["http", "https", "HTTP", "ftp"], hosts, rests):
        url = f"{scheme}://{host}{rest}"
        quick += bool(_PLAIN_HTTP_URL.fullmatch(url))
        assert safe_url(url) == _by_the_rules(url, None), url
        assert canonical_url(url) == _canonical_by_the_rules(url.strip()), url
    assert quick > 50


@pytest.mark.parametrize("url", [
    "https://www.example.com/news/", "http://amp.example.co.uk/a/amp/", "https://www.example/a//b.amp#top", "https://www.a/",
    "https://example.com", "https://example.com/a?utm_source=x", " https://example.com/a/ ", "https://example.com/amp",
])
def test_canonical_url_takes_the_quick_way_to_the_same_address(url: str) -> None:
    from digest.text.markup import _canonical_by_the_rules

    assert canonical_url(url) == _canonical_by_the_rules(url.strip())


def test_paragraphs_only_html_is_read_as_the_parser_reads_it() -> None:
    """A body of <p> tags and text takes a quick way; every arrangement of its pieces gives what the
    HTML parser gives, and anything else (an entity, another tag) goes to the parser."""
    import itertools

    from digest.text.markup import _PARAGRAPHS_ONLY, _parsed_to_text, html_to_text

    pieces = ["<p>", "</p>", "Grid holds.", " ", "-", "\n", "a > b", "\u200b", "<P>", "&amp;", "<br>", "<", "\ufeff x"]
    quick = 0
    for length in range(1, 5):
        for parts in itertools.product(pieces, repeat=length):
            html = "".join(parts)
            quick += bool(_PARAGRAPHS_ONLY.fullmatch(html))
            assert html_to_text(html) == _parsed_to_text(html), repr(html)
    assert quick > 1000
