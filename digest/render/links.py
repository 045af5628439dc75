"""Outgoing links: only safe URLs leave, and each can carry the newsletter's UTM tags.

`safe_url` (digest.text.markup) is the one place that decides which URLs may reach an email; this
module only adds campaign tags on top, so a link the reader clicks is always one that passed it.
"""
from __future__ import annotations

import re
import unicodedata
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import ada_url

from digest.text.markup import is_tracking, safe_url

_NOT_IN_XML = re.compile("[\ud800-\udfff\ufffe\uffff]")


def outgoing(url: str | None, utm: dict[str, str]) -> str | None:
    """`url` if it is safe (http, https or mailto), without the tracking parameters it came with and
    with `utm` set on http(s) links; else None.

    A feed's own tags (`utm_source=rss`, `fbclid`) would credit the wrong channel or follow the
    reader, so they go whether or not the newsletter sets its own; other query parameters stay as
    they are, and a link with nothing to change is left exactly as it was.
    """
    url = inert_url(safe_url(url))
    if url is not None and _NOT_IN_XML.search(url):
        return None  # a link no XML document may hold would stop MJML's parser, and the whole email with it
    if url is None or url.startswith("mailto:"):
        return url
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    kept = [(key, value) for key, value in query if key not in utm and not is_tracking(key)]
    if not utm and len(kept) == len(query):
        return url
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(kept + sorted(utm.items())), parts.fragment))


def inert_url(url: str | None) -> str | None:
    """`url` with every brace percent-encoded (`%7B`, `%7D`, which a server reads as the same), so a
    link an item gave can never hold the per-reader placeholder (see `readers.inert`); None when the
    braces are in its host, which no real site's name has."""
    if url is None or "{" not in url and "}" not in url:
        return url
    if any(brace in (urlsplit(url).netloc) for brace in "{}"):
        return None
    return url.replace("{", "%7B").replace("}", "%7D")


def domain(url: str) -> str:
    """The host a link goes to, for link text that says where it leads ("Read more on example.com"),
    shown as a browser's address bar shows it: bidi controls (which can make `bbc.co.uk‮.evil.example`
    read as another host) removed, and a label that mixes scripts (`bbс.co.uk`, its "с" Cyrillic)
    in punycode (`xn--bb-pmc.co.uk`), so the host a reader sees is the one the link goes to."""
    host = _BIDI.sub("", urlsplit(url).hostname or "")
    encoded = ada_url.idna_to_ascii(host).decode("ascii") if host else ""
    labels = encoded.split(".") if encoded else [_punycode(label) for label in host.split(".")]
    latin_tld = not labels[-1].startswith("xn--")
    return ".".join(_shown(label, latin_tld) for label in labels).removeprefix("www.")


# Bidi controls and marks: invisible, they reorder what is around them (Unicode's Bidi_Control).
_BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# Scripts a browser lets one label mix (Chromium's IDN display policy): Japanese, Chinese, Korean with Latin.
_MIXES = ({"LATIN", "CJK", "HIRAGANA", "KATAKANA"}, {"LATIN", "CJK", "BOPOMOFO"}, {"LATIN", "CJK", "HANGUL"})


# Cyrillic letters that read as Latin ones: a label of nothing else (`аррӏе`) under a Latin top-level
# domain poses as a Latin name, and a browser shows it in punycode (a whole-script lookalike).
_LATIN_LOOKALIKES = frozenset("аԁеһіјӏорԛѕԝхуьъсҽпгѵѡ")


def _shown(label: str, latin_tld: bool) -> str:
    """An ASCII label as shown: a punycode one (`xn--`) in its own letters when they are of one script
    (`гавань`) and do not pose as Latin ones, else as it is."""
    if not label.startswith("xn--"):
        return label
    letters = ada_url.idna_to_unicode(label)
    scripts = {unicodedata.name(char, "?").split(" ")[0] for char in letters if unicodedata.category(char).startswith("L")}
    if not letters or not (len(scripts) <= 1 or any(scripts <= mix for mix in _MIXES)):
        return label
    lookalike = latin_tld and all(char in _LATIN_LOOKALIKES for char in letters if unicodedata.category(char).startswith("L"))
    return label if lookalike else letters


def _punycode(label: str) -> str:
    """A label IDNA refuses (a joiner where none may be), as punycode of its characters: never shown raw."""
    return label if label.isascii() else "xn--" + label.encode("punycode").decode("ascii")
