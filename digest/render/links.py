"""Outgoing links: only safe URLs leave, and each can carry the newsletter's UTM tags.

`safe_url` (digest.text.markup) is the one place that decides which URLs may reach an email; this
module only adds campaign tags on top, so a link the reader clicks is always one that passed it.
"""
from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

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
    """The host a link goes to, for link text that says where it leads ("Read more on example.com")."""
    host = urlsplit(url).hostname or ""
    return host.removeprefix("www.")
