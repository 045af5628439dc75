"""digest.identity: one recipe for each kind of id, and one choice of copy for an id given twice."""
from __future__ import annotations

from datetime import UTC, datetime

from digest import identity
from digest.model import DatedItem

AT = datetime(2026, 5, 14, 9, 0, tzinfo=UTC)


def copy(body: str, source: str = "Wire", published: datetime = AT) -> DatedItem:
    return DatedItem(id="same", source=source, kind="story", title="Dam holds", body=body, published=published)


def test_the_fullest_copy_then_the_earliest_stands_for_an_id_whatever_the_order() -> None:
    short, full, later_full = copy("Short."), copy("A fuller text of it."), copy("A fuller text of it.", published=AT.replace(hour=10))
    for order in ([short, full, later_full], [later_full, full, short], [full, later_full, short]):
        assert identity.one_per_id(order) == [full]


def test_equal_copies_from_two_sources_are_chosen_by_content_not_by_order() -> None:
    a, b = copy("Same text.", source="Agency"), copy("Same text.", source="Bureau")
    assert identity.one_per_id([b, a])[0] is a and identity.one_per_id([a, b])[0] is a


def test_a_headline_makes_the_same_id_with_or_without_its_breaking_label() -> None:
    assert identity.item_id("Wire", url=None, title="Breaking: Dam holds", published=AT) == identity.item_id(
        "Wire", url=None, title="Dam holds", published=AT)
    assert identity.scraped_id("Page", "brief", "BREAKING - Dam holds", AT) == identity.scraped_id("Page", "brief", "Dam holds", AT)
    assert identity.item_id("Wire", url=None, title="Dam holds", published=AT) != identity.scraped_id("Wire", "story", "Dam holds", AT)


def test_one_link_is_one_id_across_sources_and_tracking_parameters() -> None:
    assert identity.item_id("A", url="https://Example.com/story?utm_source=x", title="One", published=None) == identity.item_id(
        "B", url="https://example.com/story", title="Other", published=AT, guid="g1")
