"""The one step every source's items go through after loading, whatever their kind.

It owns the rules that are the same for every kind: the "Breaking:" label and the breaking flag,
items without a date or dated in the future, and ids given twice (by digest.identity's rules). Each
kind's module only reads its input into Items, leaving `published` None when the input gives no date
and a headline's "Breaking:" label in place; from here on every item has a date and no label.
"""
from __future__ import annotations

from digest import identity
from digest.model import DatedItem, Item
from digest.sources.context import SourceContext
from digest.text.clean import BREAKING_LABEL, clean_headline, headline_from, strip_breaking_label


def normalise(items: list[Item], ctx: SourceContext) -> list[DatedItem]:
    """A source's items as the rest of digest sees them; stderr hears of what was changed or dropped."""
    return identity.distinct(date_by_read(breaking(items, ctx), ctx), ctx.warn)


def breaking(items: list[Item], ctx: SourceContext) -> list[Item]:
    """The items, each marked breaking by `mark_breaking`; one whose headline is only the label, with
    no text to title it by either, is dropped (stderr says so)."""
    categories = ctx.breaking_categories  # worked out once, not once an item
    kept = [item for item in items if mark_breaking(item, categories)]
    if len(kept) < len(items):
        dropped = len(items) - len(kept)
        ctx.warn(f"{dropped} item{'s' * (dropped > 1)} with only 'Breaking:' for a headline and no text; skipped")
    return kept


def mark_breaking(item: Item, categories: frozenset[str]) -> bool:
    """The one "Breaking:" rule, whatever the source. Breaking, decided once: the item's own flag, a
    "Breaking:" headline (the label dropped, as it says nothing the flag does not), or a tag or section
    among the source's `breaking_categories`. A headline that is only the label gives way to the
    text's first sentence (as an untitled feed entry's is); False when there is no text either (the item has nothing to show)."""
    item.title, labelled = strip_breaking_label(item.title)
    if BREAKING_LABEL.fullmatch(item.title):
        item.title, labelled = clean_headline(headline_from(item.body)), True
    item.breaking = item.breaking or labelled or (
        bool(categories) and any(label.casefold().strip() in categories for label in (*item.tags, item.section or "")))
    return bool(item.title)


def date_by_read(items: list[Item], ctx: SourceContext) -> list[DatedItem]:
    """Items without a date, and items dated after the moment they were read, are dated by that moment,
    and stderr names the source and the items. An undated item is taken as news of the run (the input
    gives nothing older to go by). Any amount ahead counts: an item dated a few hours ahead would otherwise
    be the freshest of the next edition and take its top, and one dated in 2999 would be in no edition."""
    ahead = ctx.now.timestamp()
    late = [item.published is not None and item.published.timestamp() > ahead for item in items]  # each date read once
    undated = [item for item in items if item.published is None]
    future = [item for item, is_late in zip(items, late, strict=True) if is_late]
    for which, redated in (("without a date", undated), ("dated in the future", future)):
        if redated:
            titles = ", ".join(f"'{item.title[:60]}'" for item in redated[:3]) + (" ..." if len(redated) > 3 else "")
            many = len(redated) > 1
            what = (f"{'they go' if many else 'it goes'} in the first edition built after {'they were' if many else 'it was'} seen"
                    if redated is undated else f"dated by the time {'they were' if many else 'it was'} read")
            ctx.warn(f"{len(redated)} item{'s' * many} {which} ({titles}); {what}")
    kept: list[DatedItem] = []
    for item, is_late in zip(items, late, strict=True):
        dated = DatedItem.of(item, ctx.now if item.published is None or is_late else item.published)
        dated.undated = item.published is None  # shown without a time of day, ranked with no recency advantage
        kept.append(dated)
    return kept
