"""HTML fragments to clean text, and the one place that decides which URLs may reach an email.

Feed titles and bodies, CMS exports and article pages all arrive as HTML of unknown quality. The
rest of the pipeline wants plain text whose paragraphs are separated by one blank line, so the
summarizer sees sentences and the templates decide the markup. Links in item data are untrusted:
`safe_url` resolves them against their page and lets only http(s) and mailto through, so a
`javascript:` or `data:` URL never becomes a link in anyone's inbox.
"""
from __future__ import annotations

import re
from functools import lru_cache
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import ada_url

# Elements whose start or end begins a new paragraph.
BLOCKS = frozenset(
    """address article aside blockquote body br caption dd details div dl dt figcaption figure footer
    h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section summary table tbody td th thead tr ul""".split()
)
# Elements whose content is never text a reader should see.
HIDDEN = frozenset("script style noscript template head svg math iframe object embed canvas select button".split())
VOID = frozenset("area base br col embed hr img input link meta param source track wbr".split())

TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9-]*(?:\s[^<>]*)?/?>")
ENTITY = re.compile(r"&(?:[a-zA-Z][a-zA-Z0-9]{1,31}|#\d{1,7}|#[xX][0-9a-fA-F]{1,6});")
PARAGRAPH_BREAK = re.compile(r"\n[^\S\n]*\n")


class _TextCollector(HTMLParser):
    """Collects text runs, cutting a paragraph at every block element and skipping hidden ones."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.paragraphs: list[str] = []
        self.current: list[str] = []
        self.hidden_tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in HIDDEN and tag not in VOID:
            self.hidden_tags.append(tag)
            return
        if tag in BLOCKS:
            self.cut()
        if tag == "li" and not self.hidden_tags:
            self.current.append("- ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in BLOCKS:
            self.cut()

    def handle_endtag(self, tag: str) -> None:
        if self.hidden_tags:
            if tag in self.hidden_tags:
                # close up to the matching tag, forgiving unclosed children
                while self.hidden_tags and self.hidden_tags.pop() != tag:
                    pass
            return
        if tag in BLOCKS:
            self.cut()

    def handle_data(self, data: str) -> None:
        if not self.hidden_tags:
            self.current.append(data)

    def cut(self) -> None:
        text = fold("".join(self.current))
        if text and text != "-":
            self.paragraphs.append(text)
        self.current.clear()


def fold(text: str) -> str:
    """One line, single spaces, no invisible characters at the ends."""
    if "\u200b" in text or "\ufeff" in text:  # not whitespace to str.split, but invisible
        text = text.replace("\u200b", " ").replace("\ufeff", " ")
    if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        return text  # already so (most text): the space is the only whitespace a printable text can hold
    return " ".join(text.split())


def drop_closed(text: str, pattern: re.Pattern[str], close: str) -> str:
    """`text` without the matches of `pattern`, a lazy construct that ends with `close` (a comment, a
    marked section), in linear time: matching stops at the last `close`, since a construct opened after
    it never closes, and a lazy search from each of its openings would run to the end of the text."""
    last = text.rfind(close)
    if last < 0:
        return text
    cut = last + len(close)
    return pattern.sub("", text[:cut]) + text[cut:]


COMMENT = re.compile(r"<!--.*?-->", re.S)
_MARKED_SECTION = re.compile(r"<!\[.*?\]>", re.S)  # <![CDATA[...]]>, <![if ...]>


# A "<" that cannot begin a whole tag: no ">" before the next "<" (or the end), or what is left of an
# unclosed comment or marked section (the closed ones are removed first). The look ahead stops at the
# next "<" or ">", so each character is looked at about once.
_LONE_LT = re.compile(r"<(?=!--|!\[|[^<>]*(?:<|\Z))")


def complete_markup(html: str) -> str:
    """The fragment with comments and marked sections removed, and every "<" that cannot begin a
    whole tag written as "&lt;": what the standard library's parser shows as text anyway, but would
    first look for the end of, from each such "<" to the end of the text, so that "<a " repeated
    30,000 times took minutes."""
    if "<" not in html:
        return html
    if "<!" in html:
        html = drop_closed(drop_closed(html, COMMENT, "-->"), _MARKED_SECTION, "]>")
    return _LONE_LT.sub("&lt;", html)


# A fragment whose only markup is <p> and </p> (a CMS's usual body), with no entity in it.
_PARAGRAPHS_ONLY = re.compile(r"[^<&]*(?:</?p>[^<&]*)*")
_P_TAG = re.compile(r"</?p>")


def html_to_text(html: str) -> str:
    """Readable text of an HTML fragment: entities decoded, scripts and styles gone, one paragraph a line,
    paragraphs separated by a blank line."""
    if _PARAGRAPHS_ONLY.fullmatch(html):  # what the parser makes of it, at a fifth of the cost
        return "\n\n".join(text for text in map(fold, _P_TAG.split(html)) if text and text != "-")
    return _parsed_to_text(html)


def _parsed_to_text(html: str) -> str:
    """`html_to_text` for any fragment, through the standard library's HTML parser."""
    parser = _TextCollector()
    parser.feed(complete_markup(html))
    parser.close()
    parser.cut()
    return "\n\n".join(parser.paragraphs)


def plain_text(text: str) -> str:
    """Plain text in the same shape as `html_to_text`'s: paragraphs at blank lines, whitespace folded."""
    if "\n" not in text and "\r" not in text:
        return fold(text)  # one paragraph: most titles and briefs
    paragraphs = (fold(block) for block in PARAGRAPH_BREAK.split(text.replace("\r\n", "\n").replace("\r", "\n")))
    return "\n\n".join(p for p in paragraphs if p)


def looks_like_html(text: str) -> bool:
    """Whether a field given as "plain text or HTML" is HTML: it has a tag or an entity in it."""
    return ("<" in text and TAG.search(text) is not None) or ("&" in text and ENTITY.search(text) is not None)


def to_text(text: str) -> str:
    """Clean text from a field that may be plain text or HTML."""
    return html_to_text(text) if looks_like_html(text) else plain_text(text)


def inline_text(text: str) -> str:
    """A title or a name: clean text on one line."""
    if "<" not in text and "&" not in text:  # plain text (most titles): its words, single-spaced, are all of it
        return fold(text)
    return fold(to_text(text).replace("\n", " "))


# URLs

SAFE_SCHEMES = ("http", "https", "mailto")
_TAB_OR_NEWLINE = re.compile(r"[\t\n\r]")
_SPACE_OR_CONTROL = re.compile(r"[\s\x00-\x1f\x7f]")


def safe_url(url: str | None, base: str | None = None) -> str | None:
    """`url` made absolute against `base`, or None unless it is an http(s) URL with a host or a mailto.

    Browsers parse URLs by the WHATWG rules, which differ from Python's: they drop tabs and newlines
    inside URLs and ignore leading control characters, so "java\\tscript:" is still javascript: to
    them (both are removed here before the scheme is read), and in an http(s) URL they read "\\" as
    "/", so "https://evil.example\\@www.bbc.co.uk/" goes to evil.example (here it is written with
    "/"). Whatever else Python might read differently, a link is kept only when the host Python
    reads is the one a browser goes to (ada-url, a WHATWG parser, says which), so a link never shows
    one outlet's name, or takes its story's id, while it leads to another. A link with a user name
    in it ("https://www.bbc.co.uk@evil.example/") is dropped: no news link needs one, and it is how
    a link poses as another outlet to a reader.
    """
    if not url:
        return None
    if base is None and (plain := _PLAIN_HTTP_URL.fullmatch(url)):
        return url if plain.group(1) else url + "/"  # what the rules make of it, without parsing it four times
    return _by_the_rules(url, base)


def _by_the_rules(url: str, base: str | None) -> str | None:
    """`safe_url` for any link: cleaned as browsers clean it, parsed by Python and by a WHATWG parser."""
    cleaned = _TAB_OR_NEWLINE.sub("", url).strip("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f"
                                                  "\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f ")
    if not cleaned:
        return None
    cleaned = cleaned.replace(" ", "%20")
    if base:
        base_parts = urlsplit(base)
        if not (base_parts.scheme.lower() in ("http", "https") and base_parts.netloc):
            base = None
    given = _SCHEME.match(cleaned)
    is_http = given.group(1).lower() in ("http", "https") if given else bool(base)  # a relative link takes its base's scheme
    if is_http:
        cleaned = _slashes_as_browsers_read_them(cleaned)
    browser_sees = cleaned
    if base:
        cleaned = urljoin(base, cleaned)
    try:
        parts = urlsplit(cleaned)
        parts.port  # noqa: B018 (raises ValueError for a port that is not a number)
    except ValueError:  # e.g. an invalid IPv6 host
        return None
    scheme = parts.scheme.lower()
    if scheme not in SAFE_SCHEMES:
        return None
    if scheme == "mailto":
        return cleaned if parts.path else None
    if not parts.hostname or parts.username is not None or _SPACE_OR_CONTROL.search(cleaned):
        return None
    browser_host = _browser_host(browser_sees, base)
    if browser_host is None or browser_host != _browser_host(f"{scheme}://{parts.netloc}/"):
        return None  # a host no browser can reach is no link either (a bidi override in the name, say)
    return urlunsplit((scheme, parts.netloc, parts.path or "/", parts.query, parts.fragment))


_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")

# Most links in item data: http(s), a lower-case host of letters, digits and hyphens that ends in a
# name (not a number, no punycode: nothing a browser reads another way), no port or user, then printed
# ASCII without a backslash, and no empty query or fragment. `safe_url` gives such a link back as it is
# ("/" added when it has no path), which tests/test_text_markup.py checks against the full rules.
_PLAIN_HTTP_URL = re.compile(
    r"https?://(?!(?:[a-z0-9.-]*\.)?xn--)(?:[a-z0-9-]+\.)*[a-z][a-z0-9-]*"
    r"(/[^\x00-\x20\x7f-\U0010ffff?#\\]*(?:\?[^\x00-\x20\x7f-\U0010ffff#\\]+)?(?:#[^\x00-\x20\x7f-\U0010ffff\\]+)?)?"
)


def _slashes_as_browsers_read_them(url: str) -> str:
    """An http(s) URL (or one relative to an http(s) page) with each "\\" before its query or fragment
    written "/", as browsers read it."""
    ends = [at for at in (url.find("?"), url.find("#")) if at >= 0]
    cut = min(ends, default=len(url))
    return url[:cut].replace("\\", "/") + url[cut:]


def _browser_host(url: str, base: str | None = None) -> str | None:
    """The host and port a browser goes to for `url` (read against `base`), by the WHATWG rules."""
    try:
        return ada_url.URL(url, base).host if base else ada_url.URL(url).host
    except ValueError:
        return None


# Query parameters that say where a reader came from, never which page they read.
TRACKING_PARAMS = {
    "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "igshid", "twclid", "ttclid",
    "mc_cid", "mc_eid", "_ga", "_gl", "_hsenc", "_hsmi", "ref_src", "ref_url", "cmpid", "ncid", "ocid",
    "amp", "outputtype",
}
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_")


def is_tracking(key: str) -> bool:
    """A query parameter that only says where a reader came from (utm_source, fbclid, ...)."""
    key = key.lower()
    return key in TRACKING_PARAMS or key.startswith(TRACKING_PREFIXES)
_AMP_PATH = re.compile(r"(?:/amp/?|\.amp)$|/amp(?=/)", re.IGNORECASE)


@lru_cache(maxsize=1 << 15)
def canonical_url(url: str) -> str:
    """The one spelling of an address: https, bare host, no tracking, no AMP, no trailing slash.

    Two links to one page become equal strings; anything that picks a different page (path, the
    remaining query parameters, sorted) is kept. A string that is not an http(s) URL comes back trimmed.
    Remembered for the last 32,768 addresses: an item's link is asked for its id, then again for
    "one item per id" and by dedupe, a third of a second each at 10,000 items.
    """
    url = url.strip()
    plain = _PLAIN_HTTP_URL.fullmatch(url)
    if plain and "?" not in url:  # no query to sort or clean: the host and the path are all there is to it
        path = (plain.group(1) or "").partition("#")[0]
        host = url[url.index("//") + 2 : len(url) - len(plain.group(1) or "")]
        return f"https://{_bare_host(host)}{re.sub(r'/{2,}', '/', _AMP_PATH.sub('', path)).rstrip('/')}"
    return _canonical_by_the_rules(url)


def _bare_host(host: str) -> str:
    """A host without the "www." or "amp." that only one spelling of its address has."""
    for prefix in ("www.", "amp."):
        if host.startswith(prefix) and host.count(".") >= 2:
            host = host[len(prefix) :]
    return host


def _canonical_by_the_rules(url: str) -> str:
    """`canonical_url` for any (trimmed) string, through Python's URL parser."""
    if _SCHEME.match(url) and url[:5].lower() in ("http:", "https"):
        url = _slashes_as_browsers_read_them(url)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return url
    host = _bare_host(parts.hostname.rstrip("."))
    if ":" in host:
        host = f"[{host}]"  # an IPv6 address
    if port and port not in (80, 443):
        host = f"{host}:{port}"
    path = _AMP_PATH.sub("", parts.path)
    path = re.sub(r"/{2,}", "/", path).rstrip("/")
    query = sorted(
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if not is_tracking(key)
    )
    return urlunsplit(("https", host, path, urlencode(query), ""))

