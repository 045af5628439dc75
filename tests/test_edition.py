"""The edition: window and cut-off, sections, limits, stories already sent."""
from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from conftest import kyiv_config

from digest.config import Config, EditionConfig, NewsletterConfig, ScheduleConfig, SectionConfig, SourceConfig
from digest.dedupe import cluster
from digest.edition import build_edition, in_window, window
from digest.rank import score

KYIV = ZoneInfo("Europe/Kyiv")
DAY = date(2024, 6, 25)


def config(**edition) -> Config:
    """An end-of-day edition unless `cutoff` says otherwise: the day's items are the day's edition."""
    settings = EditionConfig(**{"cutoff": "24:00", **edition})
    return kyiv_config(NewsletterConfig(timezone="Europe/Kyiv", title="Ukraine Daily"), edition=settings)


def kyiv(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=KYIV)


def edition_of(items, cfg, **kwargs):
    start, cutoff = window(cfg, DAY)
    stories = score(cluster([item for item in items if in_window(item, start, cutoff)]), cutoff, cfg)
    return build_edition(stories, cfg, DAY, **kwargs)


def layout(edition) -> list[tuple[str, list[str]]]:
    return [(section.key, [story.title for story in section.stories]) for section in edition.sections]


# window and cut-off


def test_default_cutoff_is_the_first_send_time_of_the_day():
    morning = Config(newsletter=NewsletterConfig(timezone="Europe/Kyiv"), schedule=ScheduleConfig(at=["19:00", "06:30"]))
    assert window(morning, DAY) == (kyiv("2024-06-24 06:30"), kyiv("2024-06-25 06:30"))
    assert window(Config(newsletter=NewsletterConfig(timezone="Europe/Kyiv")), DAY) == (kyiv("2024-06-24 07:00"), kyiv("2024-06-25 07:00"))


def test_cutoff_24_00_is_the_whole_day_in_the_newsletters_time_zone():
    assert window(config(), DAY) == (kyiv("2024-06-25 00:00"), kyiv("2024-06-26 00:00"))


def test_morning_edition_covers_the_24_hours_before_its_cutoff():
    assert window(config(cutoff="07:00"), DAY) == (kyiv("2024-06-24 07:00"), kyiv("2024-06-25 07:00"))


def test_window_hours_sets_the_start():
    assert window(config(window_hours=12), DAY) == (kyiv("2024-06-25 12:00"), kyiv("2024-06-26 00:00"))


def real_hours(start: datetime, end: datetime) -> float:
    return (end.timestamp() - start.timestamp()) / 3600  # not end - start: one zone subtracts on the wall clock


@pytest.mark.parametrize("day, hours", [(date(2024, 3, 31), 23), (date(2024, 10, 27), 25)])
@pytest.mark.parametrize("cutoff", ["24:00", "07:00", "03:30"])
def test_daily_editions_meet_exactly_across_a_dst_change(day, hours, cutoff):
    cfg = config(cutoff=cutoff)
    windows = [window(cfg, day + timedelta(days=offset)) for offset in (-1, 0, 1, 2)]
    for before, after in zip(windows, windows[1:], strict=False):
        assert before[1].timestamp() == after[0].timestamp()  # no gap, no overlap
    lengths = [real_hours(*pair) for pair in windows]
    assert sum(lengths) == 3 * 24 + hours  # the change takes or gives one hour
    if cutoff != "03:30":
        assert lengths[1] == hours  # the change at 03:00/04:00 falls in the edition of its own day


def test_a_cutoff_the_clock_skips_is_the_end_of_the_gap():
    start, cutoff = window(config(cutoff="03:30"), date(2024, 3, 31))
    assert cutoff.isoformat() == "2024-03-31T04:00:00+03:00"  # when a 03:30 send fires that day (schedule.py)
    assert start.isoformat() == "2024-03-30T03:30:00+02:00"
    assert window(config(cutoff="03:30"), date(2024, 4, 1))[0] == cutoff  # the next edition starts there


def test_in_window_includes_the_start_and_excludes_the_cutoff(make_item):
    start, cutoff = window(config(), DAY)
    assert in_window(make_item("At the start", at="2024-06-25 00:00"), start, cutoff)
    assert in_window(make_item("Last minute", at="2024-06-25 23:59"), start, cutoff)
    assert not in_window(make_item("At the cut-off", at="2024-06-26 00:00"), start, cutoff)
    assert not in_window(make_item("The day before", at="2024-06-24 23:59"), start, cutoff)


# sections


BODIES = {
    "Grain ship leaves Odesa": "A bulk carrier with wheat for Egypt sailed from the southern port after repairs to two berths.",
    "Front line report from Pokrovsk": "Soldiers holding trenches east of the town describe daily glide bomb attacks and a lack of shells.",
    "Power back in Kharkiv": "Engineers reconnected most households overnight after a missile hit a substation in the city.",
    "Parliament passes budget": "Lawmakers voted for an amendment raising defense spending by a third for the rest of the year.",
    "Drones downed over Kyiv": "Air defense units shot down eleven attack drones approaching the capital from the south.",
    "Talks with the EU continue": "Negotiators met in Luxembourg for a second round on the chapters covering courts and public procurement.",
    "Yesterday's news": "A report published a day earlier about the harvest forecast for the coming season.",
}


def day_items(make_item):
    """A day of four briefs and three stories (reported at length), and one brief from the day before."""

    def item(title, at, kind="brief", **fields):
        body = BODIES[title] * (12 if kind == "story" else 1)
        return make_item(title, body, kind=kind, at=at, **fields)

    return [
        item("Grain ship leaves Odesa", "2024-06-25 10:00", kind="story", tags=("economy",)),
        item("Front line report from Pokrovsk", "2024-06-25 20:00", kind="story", source="Frontline desk"),
        item("Power back in Kharkiv", "2024-06-25 21:00", kind="story", breaking=True),
        item("Parliament passes budget", "2024-06-25 09:00"),
        item("Drones downed over Kyiv", "2024-06-25 22:30"),
        item("Talks with the EU continue", "2024-06-25 15:00"),
        item("Yesterday's news", "2024-06-24 15:00"),
    ]


def test_default_edition_reads_like_ukraine_daily(make_item):
    edition = edition_of(day_items(make_item), config())
    assert layout(edition) == [
        ("top", ["Power back in Kharkiv"]),
        ("stories", ["Front line report from Pokrovsk", "Grain ship leaves Odesa"]),
        ("feed", ["Drones downed over Kyiv", "Talks with the EU continue", "Parliament passes budget"]),  # by rank (here the newest first)
    ]
    assert [(s.title, s.layout) for s in edition.sections] == [("Top story", "top"), ("More stories", "stories"), ("News Feed", "feed")]
    assert all(story.section == section.key for section in edition.sections for story in section.stories)
    assert (edition.date, edition.cutoff, edition.title) == (DAY, kyiv("2024-06-26 00:00"), "Ukraine Daily")


def test_top_is_the_best_brief_when_there_is_no_story(make_item):
    briefs = [item for item in day_items(make_item) if item.kind == "brief"]
    edition = edition_of(briefs, config())
    assert layout(edition)[0] == ("top", ["Drones downed over Kyiv"])


def test_an_empty_day_gives_an_edition_without_sections():
    assert edition_of([], config()).sections == []


def test_the_news_feed_is_in_rank_order_so_an_older_breaking_brief_leads_it(make_item):
    items = [item for item in day_items(make_item) if item.kind == "brief"]
    items.append(make_item("ICC issues an arrest warrant", BODIES["Talks with the EU continue"], at="2024-06-25 08:00", breaking=True))
    edition = edition_of(items + [make_item("Main", BODIES["Power back in Kharkiv"] * 12, kind="story", at="2024-06-25 12:00")], config())
    feed = edition.sections[-1]
    assert feed.key == "feed" and feed.stories[0].title == "ICC issues an arrest warrant"  # the oldest, ranked first
    assert [story.score for story in feed.stories] == sorted((story.score for story in feed.stories), reverse=True)


def test_section_rules_first_match_wins(make_item):
    cfg = config()
    cfg.sections = [
        SectionConfig(key="war", title="War", keywords=["front line", "drones"], sources=["Frontline desk"]),
        SectionConfig(key="economy", title="Economy", tags=["Economy"], keywords=["budget", "drones"], layout="feed"),
    ]
    edition = edition_of(day_items(make_item), cfg)
    assert layout(edition) == [
        ("top", ["Power back in Kharkiv"]),
        ("war", ["Front line report from Pokrovsk", "Drones downed over Kyiv"]),  # stories layout: by rank
        ("economy", ["Grain ship leaves Odesa", "Parliament passes budget"]),  # feed layout: by rank too
        ("feed", ["Talks with the EU continue"]),
    ]
    assert [s.title for s in edition.sections][:3] == ["Top story", "War", "Economy"]


def test_a_section_of_the_source_or_the_item_goes_to_the_rule_with_that_key(make_item):
    cfg = config()
    cfg.sources = [SourceConfig(name="Opinion desk", kind="jsonl", path="x.jsonl", section="opinion")]
    cfg.sections = [SectionConfig(key="opinion", title="Opinion"), SectionConfig(key="culture", title="Culture")]
    items = [
        make_item("Main story", BODIES["Power back in Kharkiv"], kind="story", at="2024-06-25 12:00", breaking=True),
        make_item("Why the budget matters", BODIES["Parliament passes budget"], kind="story", source="Opinion desk"),
        make_item("A film festival opens", BODIES["Talks with the EU continue"], section="culture"),
    ]
    assert layout(edition_of(items, cfg)) == [
        ("top", ["Main story"]),
        ("opinion", ["Why the budget matters"]),
        ("culture", ["A film festival opens"]),
    ]


def test_a_full_section_sends_the_rest_where_unmatched_stories_go(make_item):
    cfg = config()
    cfg.sections = [SectionConfig(key="all", title="All", keywords=["the"], limit=1)]
    edition = edition_of(day_items(make_item), cfg)
    assert layout(edition) == [
        ("top", ["Power back in Kharkiv"]),
        ("all", ["Front line report from Pokrovsk"]),  # the best-ranked of the rest
        ("stories", ["Grain ship leaves Odesa"]),
        ("feed", ["Drones downed over Kyiv", "Talks with the EU continue", "Parliament passes budget"]),
    ]


def test_max_stories_keeps_the_best_ranked(make_item):
    edition = edition_of(day_items(make_item), config(max_stories=3))
    assert layout(edition) == [
        ("top", ["Power back in Kharkiv"]),
        ("stories", ["Front line report from Pokrovsk"]),
        ("feed", ["Drones downed over Kyiv"]),
    ]


def test_stories_sent_in_an_earlier_edition_never_repeat(make_item):
    items = day_items(make_item)
    sent_story = items[2].id  # Power back in Kharkiv: its story id
    copy = make_item("Drones downed over Kyiv overnight", BODIES["Drones downed over Kyiv"], source="Wire", at="2024-06-25 23:00")
    sent_member = copy.id  # the drones story's other member was sent before
    edition = edition_of([*items, copy], config(), sent_story_ids=frozenset({sent_story, sent_member}))
    titles = [story.title for story in edition.stories()]
    assert "Power back in Kharkiv" not in titles and not any(title.startswith("Drones") for title in titles)
    assert layout(edition)[0] == ("top", ["Front line report from Pokrovsk"])


def test_the_same_day_in_any_order_gives_the_same_edition(make_item):
    items = day_items(make_item)
    expected = layout(edition_of(items, config(max_stories=5)))
    for seed in range(3):
        random.Random(seed).shuffle(items)
        assert layout(edition_of(items, config(max_stories=5))) == expected


def test_stories_left_out_have_no_section(make_item):
    cfg = config(max_stories=2)
    start, cutoff = window(cfg, DAY)
    stories = score(cluster([item for item in day_items(make_item) if in_window(item, start, cutoff)]), cutoff, cfg)
    build_edition(stories, cfg, DAY, sent_story_ids=frozenset({stories[0].id}))
    assert [story.section for story in stories] == [None, "top", "feed", None, None, None]
