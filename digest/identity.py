"""Which item is which: how an item's id is made, and which copy stands for an id given twice.

Ids decide what counts as already sent (an edition records its stories' and items' ids, and a story
whose id or any item's id went out is never sent again), so every id is made here and every "one
item per id" choice takes the same copy, by `preferred`. The recipes, in the order they apply:

- a CMS export's own `id`, as the line gives it (the export is the authority on its items);
- an item with a link: its canonical URL (`url_id`), so one article reached through two sources,
  or with tracking parameters, is one item;
- else the source's own id for it (a feed's guid), within that source;
- else what it says and when: its headline and the date the source gave (none: ""), within its
  source (`item_id`). A scraped
  page's items also carry their kind (`scraped_id`): an article and a brief with one headline and
  minute are two items.

A headline is taken without its "Breaking:" label: an update that drops the label is the same item.
Items of one source that share an id of the source's own but differ in text (a guid reused by a
broken feed) each get an id of their own made from it (`distinct`), and entries of one feed that
share a link (a live blog's posts) get ids from their guids instead (`apart_from_shared_links`).
"""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import TypeVar

from digest.model import DatedItem, Item, stable_id
from digest.text.clean import strip_breaking_label
from digest.text.markup import canonical_url

I = TypeVar("I", bound=DatedItem)  # noqa: E741


def url_id(url: str) -> str:
    """The id of the item at `url`, whichever source carries it."""
    return stable_id("url", canonical_url(url))


def item_id(source: str, *, url: str | None, title: str, published: datetime | None, guid: str | None = None) -> str:
    """An item's id: from its canonical URL, else from the source's own id for it, else from its
    headline and date (see the module's docstring)."""
    if url:
        return url_id(url)
    if guid:
        return stable_id(source, "guid", guid)
    return stable_id(source, _headline(title), published.isoformat() if published else "")


def scraped_id(source: str, kind: str, title: str, published: datetime) -> str:
    """The id of an article or a brief read from a scraped page: the same source, kind, headline and
    time always give the same id."""
    return stable_id(source, kind, _headline(title), published.isoformat())


def _made(key: str) -> bool:
    """Whether `key` has the shape of an id made here (16 hex digits): one that has not is the source's
    own, with no need to work out its link's id to tell."""
    return len(key) == 16 and all(char in "0123456789abcdef" for char in key)


def _headline(title: str) -> str:
    return strip_breaking_label(title)[0]


def apart_from_shared_links(items: Sequence[tuple[Item, str | None]], source: str) -> None:
    """Items of one feed document (each with its guid, if any) that link to one page, a live blog's
    posts each at its #anchor, are items of their own: their id comes from their guid, else their
    headline and date, not from the shared link, which would make them one item and keep one of them."""
    sharing = Counter(item.id for item, _ in items if item.url)
    for item, guid in items:
        if item.url and sharing[item.id] > 1:
            item.id = item_id(source, url=None, guid=guid, title=item.title, published=item.published)


def preferred(item: DatedItem) -> tuple:
    """The order in which copies of one id are chosen, the first wins: the fullest text, then the
    earliest date, then by source, headline and link, so the choice never depends on load order."""
    return (-len(item.body), item.published.timestamp(), item.source, item.title, item.url or "")


def one_per_id(items: Iterable[I]) -> list[I]:
    """One item per id, the `preferred` copy, in the order each id first came."""
    by_id: dict[str, I] = {}
    for item in items:
        kept = by_id.get(item.id)
        if kept is None or preferred(item) < preferred(kept):
            by_id[item.id] = item
    return list(by_id.values())


def distinct(items: Sequence[I], warn: Callable[[str], None]) -> list[I]:
    """One source's items, one per id: where the id is the source's own (a guid, a CMS id) or made
    from the headline and date, a repeat (same id, headline and text) is dropped, and items that only
    share an id (a guid reused by a broken feed, one CMS id on two lines) are each kept under an id
    made from the shared one and their own text, since merging them would lose all but one; all of
    them are renamed, so the ids do not depend on which came first. `warn` hears of both. Copies under
    one link are left for `one_per_id` over every source, as versions of one article.
    """
    # whether each item's id is its own rather than made from its link (worked out once: 10,000-entry feeds exist)
    own = [not (item.url and _made(item.id) and item.id == url_id(item.url)) for item in items]
    texts: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for item, is_own in zip(items, own, strict=True):
        if is_own:
            texts[item.id].add((item.title, item.body))
    shared = {key for key, seen in texts.items() if len(seen) > 1}
    for item, is_own in zip(items, own, strict=True):
        if is_own and item.id in shared:
            item.id = stable_id(item.id, item.title, item.body)
    chosen = {id(item) for item in one_per_id(item for item, is_own in zip(items, own, strict=True) if is_own)}
    kept = [item for item, is_own in zip(items, own, strict=True) if not is_own or id(item) in chosen]
    repeats = len(items) - len(kept)
    if repeats:
        warn(f"{repeats} item{'s repeat' if repeats > 1 else ' repeats'} an earlier one (same id and text); dropped")
    if shared:
        renamed = sum(len(texts[key]) for key in shared)
        ids = "one id" if len(shared) == 1 else f"{len(shared)} ids"
        warn(f"{renamed} items share {ids} (a guid or id given twice) but differ in text; each is kept as an item of its own")
    return kept
