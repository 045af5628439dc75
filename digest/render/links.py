"""Outgoing links: only safe URLs leave, and each can carry the newsletter's UTM tags.

`safe_url` (digest.text.markup) is the one place that decides which URLs may reach an email; this
module only adds campaign tags on top, so a link the reader clicks is always one that passed it.
"""
from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from digest.text.markup import safe_url

_NOT_IN_XML = re.compile("[\ud800-\udfff\ufffe\uffff]")


def outgoing(url: str | None, utm: dict[str, str]) -> str | None:
    """`url` if it is safe (http, https or mailto), with `utm` set on http(s) links; else None.

    The newsletter's tags replace tags of the same name already on the link (a feed's own
    `utm_source=rss` would otherwise credit the wrong channel); other query parameters stay as they are.
    """
    url = safe_url(url)
    if url is not None and _NOT_IN_XML.search(url):
        return None  # a link no XML document may hold would stop MJML's parser, and the whole email with it
    if url is None or not utm or url.startswith("mailto:"):
        return url
    parts = urlsplit(url)
    kept = [(key, value) for key, value in parse_qsl(parts.query, keep_blank_values=True) if key not in utm]
    query = urlencode(kept + sorted(utm.items()))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def domain(url: str) -> str:
    """The host a link goes to, for link text that says where it leads ("Read more on example.com")."""
    host = urlsplit(url).hostname or ""
    return host.removeprefix("www.")
