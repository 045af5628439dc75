"""JSON Lines exported from a CMS: one item a line, in the item format the README documents.

Each line is an object with `title` and `body` (plain text or HTML) and, optionally, `id`, `url`,
`published` (ISO 8601; without an offset it is in the source's time zone, else the newsletter's),
`kind` (`story` | `brief`; default: the source's `item_kind`, itself `story` by default),
`section`, `tags` (list of text), `breaking` (bool), `priority` (int, higher first), `author`,
`source` and `lang` (a language tag such as `uk` or `pt-BR`; anything else is warned about and the
source's language used). `null` is the same as leaving a key out. Unknown keys are kept in
`Item.extra` and otherwise ignored, so an export can carry more than digest reads.

`source` names the outlet that published the item (an agency, a partner site) and becomes the
item's source, so a story carried by two outlets in one export counts as covered twice; the
configured source's name is kept in `Item.via`. Without it the item's source is the
configured name.

A broken line (not JSON, not an object, no title or body, a value of the wrong type, a date that is
not ISO 8601) is reported with its file and line number and skipped; every other line is kept.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, cast

from digest import jsonlines
from digest.i18n import language_tag
from digest.images import lead_image
from digest.model import Image, Item, Kind
from digest.sources.context import SourceContext, parse_iso_date
from digest.text.markup import inline_text, safe_url, to_text

TEXT_FIELDS = ("section", "author", "source", "lang")
KNOWN = {"id", "url", "published", "kind", "title", "body", "tags", "breaking", "priority", "image", *TEXT_FIELDS}


class BrokenLine(ValueError):
    """This line cannot become an item; the message says why."""


def load(ctx: SourceContext) -> list[Item]:
    items = ctx.load_files(lambda path, text: read_file(ctx, path, text), reuse=True)
    if not items:
        raise ctx.nothing_in("items")
    return items


def read_file(ctx: SourceContext, path: Path, text: str) -> list[Item]:
    """The good lines of one file (`text`, read from `path`) as items; each bad line is one warning naming file and line."""
    text = text.lstrip("\ufeff")
    items: list[Item] = []

    def skip(number: int, reason: str) -> None:
        ctx.warn(f"{reason}; line skipped", ctx.where(path, number))

    for number, record in jsonlines.objects(text.splitlines(), skip):
        def warn(reason: str, number: int = number) -> None:
            ctx.warn(reason, ctx.where(path, number))

        try:
            item = parse_record(record, ctx, warn)
        except BrokenLine as exc:
            skip(number, str(exc))
            continue
        items.append(item)
    return items


def parse_record(record: dict[str, Any], ctx: SourceContext, warn: Callable[[str], None]) -> Item:
    """One line's object to one Item, or BrokenLine saying what is wrong with it; `warn` hears of what was dropped."""
    for key in ("title", "body"):
        if record.get(key) is None:
            raise BrokenLine(f"'{key}' is missing (every line needs a title and a body)")
    get = _Getter(record)
    title = inline_text(get.text("title") or "")
    if not title:
        raise BrokenLine("'title' is empty")
    body = to_text(get.text("body") or "")
    kind = get.text("kind") or ctx.source.item_kind
    if kind not in ("story", "brief"):
        raise BrokenLine(f"'kind' is '{kind}'; use 'story' or 'brief'")
    raw_url = get.text("url")
    url = safe_url(raw_url)
    published = _published(get.text("published"), ctx)
    given_id = record.get("id")
    if given_id is not None and (isinstance(given_id, bool) or not isinstance(given_id, (str, int)) or given_id == ""):
        raise BrokenLine(f"'id' should be text or a whole number, not {jsonlines.describe(given_id)}")
    outlet = get.text("source")
    extra = {key: value for key, value in record.items() if key not in KNOWN}
    if raw_url and not url:
        warn(f"url '{raw_url[:60]}' is not an http(s) or mailto link; item kept without it")
    raw_lang = get.text("lang")
    lang = language_tag(raw_lang)
    if raw_lang and not lang:
        warn(f"lang '{raw_lang[:60]}' is not a language tag such as en, uk or pt-BR; the source's language is used")
    own_id = {"id": str(given_id)} if given_id is not None else {}
    return ctx.item(
        title,
        url=url,
        published=published,
        **own_id,
        source=outlet or ctx.source.name,
        via=ctx.source.name if outlet else None,
        kind=cast(Kind, kind),  # checked above
        body=body,
        author=inline_text(get.text("author") or "") or None,
        section=get.text("section") or ctx.source.section,
        tags=tuple(tag for tag in (inline_text(t) for t in get.list_of_text("tags")) if tag),
        breaking=get.typed("breaking", bool, "true or false") or False,
        priority=get.typed("priority", int, "a whole number") or 0,
        lang=lang or ctx.lang,
        extra=extra,
        image=_image(record.get("image")),
    )


def _image(value: Any) -> Image | None:
    """`image`: the picture's URL, or {"url", "alt", "width", "height"}; anything else is no picture."""
    if isinstance(value, dict):
        return lead_image(value.get("url"), value.get("alt"), value.get("width"), value.get("height"))
    return lead_image(value)


def _published(value: str | None, ctx: SourceContext) -> datetime | None:
    if value is None:
        return None
    parsed = parse_iso_date(value, ctx.tz)
    if parsed is None:
        raise BrokenLine(f"'published' is '{value}', not an ISO 8601 date such as 2024-05-01T08:30:00+03:00")
    return parsed


class _Getter:
    """Typed access to a line's optional values, raising BrokenLine on a value of the wrong type."""

    def __init__(self, record: dict[str, Any]) -> None:
        self.record = record

    def typed(self, key: str, kind: type, described: str) -> Any:
        value = self.record.get(key)
        if value is None:
            return None
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise BrokenLine(f"'{key}' should be {described}, not {jsonlines.describe(value)}")
        return value

    def text(self, key: str) -> str | None:
        value = self.record.get(key)
        return value if value is None or type(value) is str else self.typed(key, str, "text")  # the usual case first

    def list_of_text(self, key: str) -> list[str]:
        values = self.typed(key, list, "a list of text") or []
        if not all(isinstance(value, str) for value in values):
            raise BrokenLine(f"'{key}' should be a list of text")
        return values
