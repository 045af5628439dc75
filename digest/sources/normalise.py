"""The one step every source's items go through after loading, whatever their kind.

It owns the rules that are the same for every kind: the "Breaking:" label and the breaking flag,
items without a date or dated in the future, and ids given twice. Each kind's module only reads its
input into Items, leaving `published` None when the input gives no date; from here on every item has one.
"""
from __future__ import annotations

from collections import defaultdict

from digest.model import Item, stable_id
from digest.sources import SourceContext
from digest.text.clean import strip_breaking_label
from digest.text.markup import canonical_url


def normalise(items: list[Item], ctx: SourceContext) -> list[Item]:
    """A source's items as the rest of digest sees them; stderr hears of what was changed or dropped."""
    for item in items:
        mark_breaking(item, ctx.breaking_categories)
    date_by_read(items, ctx)
    return distinct_ids(items, ctx)


def mark_breaking(item: Item, categories: frozenset[str]) -> None:
    """Breaking, decided once: the item's own flag, a "Breaking:" headline (the label dropped, as it
    says nothing the flag does not), or a tag or section among the source's `breaking_categories`."""
    item.title, labelled = strip_breaking_label(item.title)
    labels = (*item.tags, item.section or "")
    item.breaking = item.breaking or labelled or any(label.casefold().strip() in categories for label in labels)


def date_by_read(items: list[Item], ctx: SourceContext) -> None:
    """Items without a date, and items dated after the moment they were read, are dated by that moment,
    and stderr names the source and the items. An undated item is taken as news of the run (the input
    gives nothing older to go by). Any amount ahead counts: an item dated a few hours ahead would otherwise
    be the freshest of the next edition and take its top, and one dated in 2999 would be in no edition."""
    undated = [item for item in items if item.published is None]
    future = [item for item in items if item.published and item.published.timestamp() > ctx.now.timestamp()]
    for which, redated in (("without a date", undated), ("dated in the future", future)):
        for item in redated:
            item.published = ctx.now
        if redated:
            titles = ", ".join(f"'{item.title[:60]}'" for item in redated[:3]) + (" ..." if len(redated) > 3 else "")
            dated = "they were" if len(redated) > 1 else "it was"
            ctx.warn(f"{len(redated)} item{'s' * (len(redated) > 1)} {which} ({titles}); dated by the time {dated} read")


def distinct_ids(items: list[Item], ctx: SourceContext) -> list[Item]:
    """One item per id within a source, where the id is the source's own (a guid, a CMS id) or made
    from the title and date; ids made from a link are left alone, as two copies under one link are
    versions of one article (load_all keeps the fuller).

    A repeat (same id, title and text) is dropped. Items that only share an id (a guid reused by a
    broken feed, one CMS id on two lines) are each kept under an id made from the shared one and their
    own text, since merging them would lose all but one; all of them are renamed, so the ids do not
    depend on which came first. Either way stderr says so.
    """
    # whether each item's id is its own rather than made from its link (worked out once: 10,000-entry feeds exist)
    own = [not (item.url and item.id == stable_id("url", canonical_url(item.url))) for item in items]
    texts: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for item, is_own in zip(items, own, strict=False):
        if is_own:
            texts[item.id].add((item.title, item.body))
    shared = {key for key, seen in texts.items() if len(seen) > 1}
    kept: set[str] = set()
    out: list[Item] = []
    repeats = 0
    for item, is_own in zip(items, own, strict=False):
        if is_own:
            if item.id in shared:
                item.id = stable_id(item.id, item.title, item.body)
            if item.id in kept:
                repeats += 1
                continue
            kept.add(item.id)
        out.append(item)
    if repeats:
        ctx.warn(f"{repeats} item{'s repeat' if repeats > 1 else ' repeats'} an earlier one (same id and text); dropped")
    if shared:
        renamed = sum(len(texts[key]) for key in shared)
        ids = "one id" if len(shared) == 1 else f"{len(shared)} ids"
        ctx.warn(f"{renamed} items share {ids} (a guid or id given twice) but differ in text; each is kept as an item of its own")
    return out
