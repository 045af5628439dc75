"""Article pages (HTML), from a URL or from files: the article's own text, title, author and date.

Finding the article in a page full of menus, teasers and footers is what trafilatura is built and
benchmarked for (with htmldate for the date), so digest uses it rather than stripping tags by hand.
`extract_article` also serves feeds whose entries carry only a teaser (`full_text: true`).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from digest.images import lead_image
from digest.model import Image, Item
from digest.sources.context import SourceContext, parse_iso_date
from digest.sources.failure import SourceFailed
from digest.text.clean import clean_headline
from digest.text.markup import fold, inline_text, safe_url

ACCEPT_HTML = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"


@dataclass
class Article:
    title: str
    text: str  # paragraphs separated by a blank line
    url: str | None
    author: str | None
    published: datetime | None
    tags: tuple[str, ...]
    image: Image | None = None


def extract_article(page: bytes | str, url: str | None, *, tz, now: datetime) -> Article | None:
    """The article in an HTML page, or None when the page holds no titled article text.

    The date is the page's original publication date (not its last update) from its markup (meta
    tags, JSON-LD, <time>, the URL), never later than `now`; one without an offset is taken in
    `tz`. htmldate's "extensive" guessing is off: it dates an undated page by its "© 2024" footer,
    and a wrong date puts an article in the wrong edition, where no date is said so on stderr.
    """
    # here, not at the top (nor any of its modules: importing one runs the package's own imports): it
    # takes a fifth of a second to import, and most runs have no pages
    import trafilatura
    from trafilatura.settings import Document

    document = trafilatura.bare_extraction(
        page,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=False,
        date_extraction_params={
            "original_date": True,
            "extensive_search": False,
            "outputformat": "%Y-%m-%dT%H:%M:%S%z",
            "max_date": now.date().isoformat(),
        },
    )
    if not isinstance(document, Document):  # None: no article found
        return None
    title, text = inline_text(document.title or ""), document.text or ""
    if not title or not text.strip():
        return None
    paragraphs = [fold(line) for line in text.splitlines()]
    paragraphs = [p for p in paragraphs if p]
    if paragraphs and paragraphs[0] == title:
        paragraphs = paragraphs[1:]  # the headline is repeated at the top of the article body
    tags = [tag.strip() for value in (document.tags or []) + (document.categories or []) for tag in value.split(",")]
    return Article(
        title=title,
        text="\n\n".join(paragraphs),
        url=safe_url(document.url or url),
        author=inline_text(document.author or "") or None,
        published=parse_iso_date(document.date, tz) if document.date else None,
        tags=tuple(dict.fromkeys(tag for tag in tags if tag)),
        image=lead_image(document.image, _image_alt(page) if document.image else None, base=document.url or url),
    )


def _image_alt(page: bytes | str) -> str | None:
    """The page's own words for its og:image (og:image:alt), the lead picture's caption."""
    import lxml.html

    try:
        found = lxml.html.fromstring(page).xpath('//meta[@property="og:image:alt" or @name="twitter:image:alt"]/@content')
    except (ValueError, lxml.etree.ParserError):
        return None
    return str(found[0]) if found else None


def load(ctx: SourceContext) -> list[Item]:
    if ctx.source.url:
        fetched = ctx.fetch(ctx.source.url, accept=ACCEPT_HTML)
        article = extract_article(fetched.body, fetched.final_url, tz=ctx.tz, now=ctx.now)
        if article is None:
            raise SourceFailed(f"no article text found in {fetched.final_url}")
        return [to_item(article, ctx)]

    def read_page(path: Path, page: bytes) -> list[Item]:
        article = extract_article(page, None, tz=ctx.tz, now=ctx.now)
        if article is None:
            ctx.warn("no article text found in this page", ctx.where(path))
            return []
        return [to_item(article, ctx)]

    items = ctx.load_files(read_page, ctx.read_bytes)
    if not items:
        raise ctx.nothing_in("article")
    return items


def to_item(article: Article, ctx: SourceContext) -> Item:
    return ctx.item(clean_headline(article.title), url=article.url, published=article.published, body=article.text,
                    author=article.author, tags=article.tags, image=article.image)
