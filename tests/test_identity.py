"""digest.identity: one recipe for each kind of id, and one choice of copy for an id given twice."""
from __future__ import annotations

from datetime import UTC, datetime

from digest import identity
from digest.model import DatedItem, Item

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


def test_posts_of_a_live_page_that_share_its_link_are_items_of_their_own() -> None:
    def post(title: str) -> Item:
        return Item(id=identity.url_id("https://example.com/live"), source="Live", kind="brief", title=title,
                    url="https://example.com/live#post", published=AT)

    first, second, alone = post("Pier closed"), post("Ferry back"), post("Only one")
    alone.url, alone.id = "https://example.com/other", identity.url_id("https://example.com/other")
    identity.apart_from_shared_links([(first, "g-1"), (second, None), (alone, "g-3")], "Live")
    assert first.id == identity.item_id("Live", url=None, guid="g-1", title="Pier closed", published=AT)
    assert second.id == identity.item_id("Live", url=None, title="Ferry back", published=AT)  # no guid: headline and date
    assert alone.id == identity.url_id("https://example.com/other")  # a link of its own keeps its id
