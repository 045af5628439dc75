"""What a story says of itself is read from all of its members."""
from __future__ import annotations

from datetime import UTC, datetime

from digest.model import DatedItem, Story


def item(source: str, url: str | None = None, breaking: bool = False) -> DatedItem:
    return DatedItem(id=f"{source}-1", source=source, kind="story", title="Bridge reopens", body="Text.", url=url, breaking=breaking,
                     published=datetime(2026, 5, 14, 9, 0, tzinfo=UTC))


def test_a_lead_without_a_link_borrows_the_first_members_link() -> None:
    scraped, exported = item("page"), item("cms", url="https://example.com/bridge")
    story = Story(lead=scraped, members=[scraped, exported])
    assert story.url == "https://example.com/bridge"
    assert Story(lead=scraped, members=[scraped]).url is None


def test_breaking_when_any_copy_says_so_and_coverage_counts_sources() -> None:
    routine, flagged = item("page"), item("wire", breaking=True)
    story = Story(lead=routine, members=[routine, flagged])
    assert story.breaking and story.coverage == 2
    assert not Story(lead=routine, members=[routine]).breaking
