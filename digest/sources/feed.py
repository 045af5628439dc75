"""RSS 0.9x/1.0/2.0 and Atom feeds, from a URL or from files, read with feedparser.

Each entry becomes one Item: its HTML title and body turned into clean text, its link made absolute
and safe, its categories as tags (a category listed in `breaking_categories` marks it breaking),
and its own date (published, else updated; an entry with neither is left undated, for the
normalising step to date by the time it was read). With `full_text: true` each entry's page is fetched and its article extracted,
for feeds that only carry a teaser.

XML from the network is untrusted. Before feedparser sees a document it is parsed once by expat
with a guard, and any entity declaration (the stuff of "billion laughs" bombs and of external
entities such as file:///etc/passwd) fails the source: entities are never expanded or resolved.
A document that is not a feed (an HTML page, JSON) fails the source with that reason; a malformed
feed that feedparser can still partly read keeps its readable entries, with a warning.
"""
from __future__ import annotations

import codecs
import io
import re
import xml.sax
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from xml.parsers import expat

import feedparser

from digest import identity, images
from digest.i18n import language_tag
from digest.model import Item
from digest.sources.context import SourceContext
from digest.sources.failure import SourceFailed
from digest.sources.html import ACCEPT_HTML, Article, extract_article
from digest.text.clean import clean_headline, headline_from
from digest.text.markup import fold, html_to_text, plain_text, safe_url, to_text

ACCEPT_FEED = "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, application/xml;q=0.8, text/xml;q=0.8, */*;q=0.5"
ENTITY_DECLARATION = re.compile(rb"<!ENTITY", re.IGNORECASE)
HTML_PAGE = re.compile(rb"<!doctype\s+html|<html[\s>]", re.IGNORECASE)
XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
SURROGATE_REFERENCE = re.compile(  # &#xD800; to &#xDFFF;, and 55296 to 57343 in decimal
    rb"&#(?:[xX]0*[dD][89a-fA-F][0-9a-fA-F]{2}|0*(?:5529[6-9]|55[3-9]\d\d|56\d{3}|57[0-2]\d\d|573[0-3]\d|5734[0-3]));"
)
# feedparser's notes that do not make a feed any less readable
HARMLESS = (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)


@dataclass
class Document:
    """One feed document to read: its bytes, the URL it came from, and how warnings name it."""

    data: bytes
    base: str | None
    content_type: str | None
    where: str


def load(ctx: SourceContext) -> list[Item]:
    if ctx.source.url:
        fetched = ctx.fetch(ctx.source.url, accept=ACCEPT_FEED)
        items = parse_feed(Document(fetched.body, fetched.final_url, fetched.headers.get("Content-Type"), ctx.where()), ctx)
    else:
        items = ctx.load_files(lambda path, data: parse_feed(Document(data, None, None, ctx.where(path)), ctx), ctx.read_bytes)
    if ctx.source.full_text:
        add_full_text(items, ctx)
    return items


class _EntityDeclared(Exception):
    def __init__(self, name: str, external: str | None) -> None:
        super().__init__(name)
        self.name, self.external = name, external


def _refuse_entity(name: str, _parameter: bool, _value: str | None, _base: str | None, system_id: str | None, public_id: str | None,
                   _notation: str | None) -> None:
    raise _EntityDeclared(name, system_id or public_id)


def screen_xml(data: bytes) -> str | None:
    """Raise SourceFailed if the document declares an entity (none is ever expanded or resolved);
    else say where it is not well-formed XML (None when it is, or when expat cannot tell).

    expat reads the document with a handler that stops at the first entity declaration, the way
    defusedxml guards its parsers. An external DTD reference alone (every Netscape RSS 0.91 feed
    has one) is allowed: expat never loads it, and neither does feedparser. The position of a
    syntax error comes from here too, as feedparser reports it in a copy of the document it edited.
    """
    return _screen(data, None)


def _screen(data: bytes, encoding: str | None) -> str | None:
    parser = expat.ParserCreate(encoding)
    parser.EntityDeclHandler = _refuse_entity
    parser.UnparsedEntityDeclHandler = lambda name, base, system_id, public_id, notation: _refuse_entity(
        name, False, None, base, system_id, public_id, notation
    )
    try:
        parser.Parse(data, True)
        return None
    except LookupError:
        # the document declares an encoding Python does not know ("bogus"): feedparser falls back
        # to UTF-8 or Windows-1252, ASCII-compatible both, so it is screened as Latin-1 reads it
        return _screen(data, "iso-8859-1")
    except _EntityDeclared as declared:
        if declared.external:
            raise SourceFailed(
                f"refused: the XML declares an external entity '{declared.name}' ({declared.external}), "
                "which digest never resolves"
            ) from None
        raise SourceFailed(
            f"refused: the XML declares the entity '{declared.name}'; entity declarations can expand into "
            "an entity bomb, and digest never expands them"
        ) from None
    except (expat.ExpatError, ValueError) as exc:
        # expat gave up (malformed, or in a multi-byte encoding it lacks) before reading every
        # declaration: feedparser's forgiving parser will read it, so none may be in it anywhere
        if ENTITY_DECLARATION.search(data):
            raise SourceFailed("refused: the XML declares entities (<!ENTITY ...>), which digest never expands") from None
        if isinstance(exc, expat.ExpatError):
            return f"line {exc.lineno}, column {exc.offset + 1}: {expat.ErrorString(exc.code)}"
        return None


def repair_utf8(data: bytes) -> tuple[bytes, int]:
    """A UTF-8 document with a few invalid byte sequences, each replaced by U+FFFD, and how many there
    were; any other document unchanged, with 0. Character references to half a UTF-16 surrogate pair
    ("&#55296;", which feedparser turns into a character no encoder writes, failing the whole source)
    are replaced and counted too, whatever the encoding.

    Meeting one invalid byte, feedparser decodes the whole document in an encoding it guesses, so two
    stray bytes garble every entry of a Ukrainian feed, silently. A document counts as damaged UTF-8
    when it declares no other encoding and its valid multi-byte characters outnumber its invalid
    sequences by far: text in a legacy encoding (Windows-1251, Latin-1) almost never forms valid
    UTF-8 sequences, so it is still left to feedparser's detection.
    """
    data, references = SURROGATE_REFERENCE.subn(b"&#xFFFD;", data)
    try:
        data.decode("utf-8")
        return data, references
    except UnicodeDecodeError:
        pass
    declared = XML_ENCODING.match(data)
    if declared and declared.group(1).lower().replace(b"_", b"-") not in (b"utf-8", b"utf8"):
        return data, references
    text = data.decode("utf-8", errors="replace")
    invalid = text.count("\ufffd") - data.count("\ufffd".encode())
    valid = sum(1 for char in text if char > "\x7f") - text.count("\ufffd")
    if valid <= 4 * invalid:
        return data, references
    return text.encode("utf-8"), invalid + references


def _unknown_encoding(data: bytes) -> str | None:
    """The encoding the XML declaration names, when Python has no codec by that name."""
    declared = XML_ENCODING.match(data)
    if not declared:
        return None
    name = declared.group(1).decode("ascii")
    try:
        codecs.lookup(name)
    except LookupError:
        return name
    return None


def parse_feed(document: Document, ctx: SourceContext) -> list[Item]:
    """The entries of one feed document as Items; SourceFailed when it is not a readable feed."""
    if not document.data.strip():
        raise SourceFailed("empty response" if document.base else "the file is empty")
    data, damaged = repair_utf8(document.data)
    malformed = screen_xml(data)  # the very bytes feedparser reads
    if damaged:
        ctx.warn(f"{damaged} character{'s' * (damaged != 1)} not valid UTF-8 (bytes, or references to half a surrogate pair), "
                 "shown as \ufffd; the rest of the text is kept", document.where)
    headers = {"content-type": document.content_type or "application/xml"}
    if document.base:
        headers["content-location"] = document.base
    # feedparser opens a str or bytes that looks like a path or a URL ("/dev/zero", "file:///..."): it
    # is only ever given a stream of the bytes already in hand. Its HTML sanitiser and link resolver
    # are off: every text becomes plain text in html_to_text, which drops scripts and styles itself,
    # and their scans of unclosed markup ("<a " repeated) took minutes on a body under the fetch cap
    parsed = feedparser.parse(io.BytesIO(data), response_headers=headers, sanitize_html=False, resolve_relative_uris=False)
    unknown = _unknown_encoding(data)
    if unknown:
        ctx.warn(f"the XML declares the encoding '{unknown}', which is not known; read as {parsed.get('encoding') or 'UTF-8'}",
                 document.where)
    exception = parsed.get("bozo_exception")
    problem = (malformed or _describe(exception)) if parsed.get("bozo") and not isinstance(exception, HARMLESS) else None
    if not parsed.get("version") and not parsed.entries:
        if HTML_PAGE.search(document.data[:4096]):
            raise SourceFailed("not a feed: got an HTML page (is the url the site's page rather than its feed?)")
        raise SourceFailed(f"not an RSS or Atom feed ({problem})" if problem else "not an RSS or Atom feed")
    if problem:
        if not parsed.entries:
            raise SourceFailed(f"malformed XML: {problem}")
        ctx.warn(f"malformed XML ({problem}); kept the {len(parsed.entries)} entries that could be read", document.where)

    base = document.base or parsed.feed.get("link")
    typed = str(parsed.get("version", "")).startswith("atom")
    language = language_tag(parsed.feed.get("language"))
    lang = ctx.source.lang or (re.split("[-_]", language)[0].lower() if language else ctx.lang)
    read: list[tuple[feedparser.FeedParserDict, Item]] = []
    site = safe_url(parsed.feed.get("link"), document.base)
    for number, entry in enumerate(parsed.entries, start=1):
        item = entry_to_item(entry, ctx, base=base, lang=lang, typed=typed)
        if item is None:
            ctx.warn(f"entry {number} has neither a title nor any text; skipped", document.where)
            continue
        item.page = site
        read.append((entry, item))
    identity.apart_from_shared_links([(item, entry.get("id")) for entry, item in read], ctx.source.name)
    return [item for _, item in read]


def entry_to_item(entry: feedparser.FeedParserDict, ctx: SourceContext, *, base: str | None, lang: str, typed: bool = False) -> Item | None:
    """One feed entry as an Item (its `published` None when the entry has no usable date); `typed`:
    the feed is Atom, whose text constructs say whether they are text or HTML."""
    bodies = [_text(content, typed=typed) for content in entry.get("content", [])]
    if entry.get("summary_detail"):
        bodies.append(_text(entry.summary_detail, typed=typed))
    body = max(bodies, key=len, default="")
    title = _text(entry.title_detail, typed=typed) if entry.get("title_detail") else ""
    title = clean_headline(fold(title) if title else headline_from(body))
    if not title:
        return None
    url = safe_url(entry.get("link"), base)
    published = _date(entry.get("published_parsed") or entry.get("updated_parsed"))
    tags = tuple(dict.fromkeys(filter(None, (fold(tag.get("label") or tag.get("term") or "") for tag in entry.get("tags", [])))))
    author = (entry.get("author_detail") or {}).get("name") or entry.get("author") or ""
    updated = _date(dict.get(entry, "updated_parsed")) if entry.get("published_parsed") else None  # dict.get: not feedparser's fallback to published
    extra = {"updated": updated.isoformat()} if updated and published and updated > published else {}  # a story that moved on (digest.developing)
    return ctx.item(title, url=url, published=published, guid=entry.get("id"), body=body, author=fold(author) or None,
                    tags=tags, lang=lang, image=images.from_feed_entry(entry, base), extra=extra)


def add_full_text(items: list[Item], ctx: SourceContext) -> None:
    """Replace each teaser by its page's article, fetched concurrently; a page that fails keeps the teaser.
    The entries' links are untrusted data: ctx.fetch keeps them to public addresses (unless allow_private)."""

    def article_for(item: Item) -> Article | str:
        try:
            fetched = ctx.fetch(item.url or "", accept=ACCEPT_HTML, conditional=False)
        except SourceFailed as exc:
            return str(exc)
        article = extract_article(fetched.body, fetched.final_url, tz=ctx.tz, now=ctx.now)
        return article if article else "no article text found in the page"

    linked = [item for item in items if item.url]
    with ThreadPoolExecutor(max_workers=ctx.config.fetch.concurrency) as pool:
        results = list(pool.map(article_for, linked))
    for item, result in zip(linked, results, strict=False):
        if isinstance(result, str):
            ctx.warn(f"full text of '{item.title}' not fetched ({result}); the feed's text is kept")
        elif len(result.text) > len(item.body):
            item.body = result.text
            item.author = item.author or result.author
            item.image = item.image or result.image


def _text(detail: feedparser.FeedParserDict, *, typed: bool) -> str:
    """A feed text construct as clean text, read as HTML unless the feed says it is plain.

    Atom says which each construct is (`typed`). In RSS, "text/plain" is only feedparser's guess, and
    it guesses so precisely when a title holds elements it would not allow (<script>, <style>), which
    it then leaves in: there the text is read as HTML when it has a tag or an entity in it, as a CMS
    export's text is, so the elements go with their code.
    """
    value = detail.get("value") or ""
    if detail.get("type") != "text/plain":
        return html_to_text(value)
    return plain_text(value) if typed else to_text(value)


def _date(parsed) -> datetime | None:
    """feedparser's struct_time, which it has already brought to UTC."""
    return datetime(*parsed[:6]).replace(tzinfo=UTC) if parsed else None


def _describe(problem: Exception) -> str:
    if isinstance(problem, xml.sax.SAXParseException):
        return problem.getMessage()  # its position is in feedparser's edited copy, not in the feed
    return str(problem) or type(problem).__name__
