"""The pagetext source on the seeds (the first real input) and on the project's own sample page."""
from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import ROOT

from digest.sources.normalise import mark_breaking
from digest.sources.pagetext import parse_page

KYIV = ZoneInfo("Europe/Kyiv")
NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
CHROME = [
    "Skip to content", "Edit post", "indicates required", "enter correct email", "Successfuly subscribed",
    "created with AI assistance", "Getty Images", "Photo by", "Subscribe", "date 2024", "Author:",
    "Thank you for signing up", "Editors' Picks", "MORE NEWS", "Explaining Ukraine",
    "economy on war footing",  # the related-story teaser's headline
]


def parse(path: Path, warnings: list[str] | None = None):
    """The page's items, their "Breaking:" labels taken as loading takes them (digest.sources.normalise)."""
    items = parse_page(path.read_text(), source="seed", tz=KYIV, now=NOW, warn=None if warnings is None else warnings.append)
    for item in items:
        mark_breaking(item, frozenset())
    return items


def test_article_is_one_story_with_title_author_time_and_clean_body(seeds: list[Path]) -> None:
    for page in seeds:
        stories = [item for item in parse(page) if item.kind == "story"]
        assert len(stories) == 1
        story = stories[0]
        assert story.title == "Pentagon chief, new Russian defense minister talk for the first time"
        assert story.author == "Kateryna Denisova"
        assert story.published == datetime(2024, 6, 26, 0, 16, tzinfo=KYIV)
        assert story.body.startswith("U.S. Defense Secretary Lloyd Austin held a phone call")
        assert story.body.endswith("for war crimes against Ukraine.")
        assert story.body.count("\n\n") == 6  # seven paragraphs, kept apart


def test_feed_entries_are_briefs_with_full_kyiv_times(seeds: list[Path]) -> None:
    briefs = {item.title: item for item in parse(seeds[1]) if item.kind == "brief"}
    times = {title[:25]: item.published for title, item in briefs.items()}
    assert times == {
        "CNN: US may allow deployi": datetime(2024, 6, 25, 23, 2, tzinfo=KYIV),
        "Ukraine brings back 90 PO": datetime(2024, 6, 25, 21, 59, tzinfo=KYIV),
        "Zelensky says he's sure U": datetime(2024, 6, 25, 21, 39, tzinfo=KYIV),
        "EU Council approves draft": datetime(2024, 6, 25, 20, 28, tzinfo=KYIV),
        "International Criminal Co": datetime(2024, 6, 25, 14, 5, tzinfo=KYIV),
    }
    icc = next(item for title, item in briefs.items() if title.startswith("International Criminal Court"))
    assert icc.breaking and not icc.title.lower().startswith("breaking")
    assert [item.breaking for item in briefs.values()].count(True) == 1
    pows = next(item for title, item in briefs.items() if "90 POWs" in title)
    assert pows.body.startswith("The released captives include 32 personnel")


def test_no_chrome_reaches_any_item(seeds: list[Path]) -> None:
    for page in seeds:
        for item in parse(page):
            text = f"{item.title}\n{item.body}\n{item.author or ''}"
            for chrome in CHROME:
                assert chrome.lower() not in text.lower(), (page.name, chrome)


def test_page_without_capture_date_dates_its_feed_as_read_and_says_so(seeds: list[Path]) -> None:
    warnings: list[str] = []
    items = parse(seeds[0], warnings)
    briefs = [item for item in items if item.kind == "brief"]
    # read at 14:00 Kyiv time: a 5:04 PM entry would be later that day, so it is the day before's
    assert len(briefs) == 1 and briefs[0].published == datetime(2026, 11, 20, 17, 4, tzinfo=KYIV)
    assert any("capture date" in warning for warning in warnings)


def test_own_sample_page() -> None:
    items = parse(ROOT / "sample" / "pages" / "2026-05-14-front.txt")
    kinds = [item.kind for item in items]
    assert kinds == ["story"] + ["brief"] * 5
    flood = items[1]
    assert flood.breaking and flood.title == "Flood warning issued for the lower Meridian river"
    assert flood.published == datetime(2026, 5, 14, 23, 48, tzinfo=KYIV)
    assert all("subscrib" not in item.body.lower() for item in items)


@pytest.mark.parametrize("text", ["", "\n\n", "Skip to content\nSubscribe", "11:02 PM", "by Nobody"])
def test_odd_pages_give_no_items_and_no_error(text: str) -> None:
    assert parse_page(text, source="x", tz=KYIV, now=NOW) == []
