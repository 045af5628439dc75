"""Recency x importance: the defaults an editor would sign, the explanation, determinism."""
from __future__ import annotations

import json
import random
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from conftest import kyiv_config

from digest.config import Config, RankingConfig, SourceConfig
from digest.model import Story
from digest.rank import explain_rows, format_explain, score
from digest.sources.normalise import mark_breaking

KYIV = ZoneInfo("Europe/Kyiv")
CUTOFF = datetime(2024, 6, 26, 0, 0, tzinfo=KYIV)  # the end of June 25 in Kyiv
BRIEF_BODY = "Officials confirmed the figure in a short statement and said more details would follow later in the day."
REPORTED = " ".join([BRIEF_BODY] * 20)  # a fully reported story: over 300 words


def config(**ranking) -> Config:
    return kyiv_config(ranking=RankingConfig(**ranking))


def story(*members) -> Story:
    return Story(lead=members[0], members=list(members))


def order(stories, cfg=None) -> list[str]:
    return [s.title for s in score(stories, CUTOFF, cfg or config())]


# the defaults from the issue


@pytest.mark.parametrize("morning", ["06:00", "09:00", "11:30"])
@pytest.mark.parametrize("evening", ["18:00", "21:00", "23:59"])
def test_breaking_brief_from_this_morning_outranks_routine_brief_from_this_evening(make_item, morning, evening):
    breaking = make_item("Strike on Odesa port", BRIEF_BODY, at=f"2024-06-25 {morning}", breaking=True)
    routine = make_item("Parliament passes budget amendment", BRIEF_BODY, at=f"2024-06-25 {evening}")
    assert order([story(routine), story(breaking)]) == ["Strike on Odesa port", "Parliament passes budget amendment"]


def test_breaking_brief_from_this_morning_outranks_a_reported_story_from_this_evening(make_item):
    breaking = make_item("Strike on Odesa port", "", at="2024-06-25 08:00", breaking=True)
    reported = make_item("Budget amendment explained", REPORTED, kind="story", at="2024-06-25 22:00")
    assert order([story(reported), story(breaking)])[0] == "Strike on Odesa port"


def test_story_two_sources_carry_outranks_one_source_story_of_the_same_age(make_item):
    single = make_item("Grid repairs in Kharkiv", REPORTED, source="Site", kind="story", at="2024-06-25 18:00")
    first = make_item("Grain ship leaves Odesa", REPORTED, source="Site", kind="story", at="2024-06-25 18:00")
    second = make_item("Grain ship sails", REPORTED, source="Wire", kind="story", at="2024-06-25 18:00")
    ranked = score([story(single), story(first, second)], CUTOFF, config())
    assert [s.title for s in ranked] == ["Grain ship leaves Odesa", "Grid repairs in Kharkiv"]
    assert ranked[0].components["coverage"] > 0 == ranked[1].components["coverage"]


def test_newer_outranks_older_when_all_else_is_equal(make_item):
    stories = [story(make_item(f"Brief at {hour}", BRIEF_BODY, at=f"2024-06-25 {hour}")) for hour in ("09:00", "21:00", "15:00")]
    assert order(stories) == ["Brief at 21:00", "Brief at 15:00", "Brief at 09:00"]


def test_a_one_line_item_is_less_than_a_reported_story_of_the_same_age(make_item):
    one_line = make_item("Grain ship leaves Odesa", "", at="2024-06-25 18:00")
    reported = make_item("Grain exports, explained", REPORTED, kind="story", at="2024-06-25 18:00")
    assert order([story(one_line), story(reported)]) == ["Grain exports, explained", "Grain ship leaves Odesa"]


def test_equal_inputs_always_give_the_same_order(make_item):
    stories = [story(make_item(f"Brief {n}", BRIEF_BODY, at="2024-06-25 12:00", source=f"S{n % 3}")) for n in range(12)]
    expected = [s.id for s in score(stories, CUTOFF, config())]
    assert expected == sorted(expected)  # equal scores and times: by id
    for seed in range(5):
        random.Random(seed).shuffle(stories)
        assert [s.id for s in score(stories, CUTOFF, config())] == expected


# each signal and its weight


def test_recency_halves_every_half_life(make_item):
    ranked = score([story(make_item("Twelve hours old", at="2024-06-25 12:00"))], CUTOFF, config(half_life_hours=12))
    assert ranked[0].components["recency"] == 0.5
    ranked = score([story(make_item("A day old", at="2024-06-25 00:00"))], CUTOFF, config(half_life_hours=12))
    assert ranked[0].components["recency"] == 0.25


def test_items_after_the_cutoff_are_not_fresher_than_the_cutoff(make_item):
    (late,) = score([story(make_item("Late", at="2024-06-26 03:00"))], CUTOFF, config())
    assert late.components["recency"] == 1.0


@pytest.mark.parametrize(
    "fields, source",
    [
        ({"breaking": True}, SourceConfig(name="Wire", kind="feed", url="https://example.com/feed")),
        ({"title": "Breaking: Strike on Odesa port"}, SourceConfig(name="Wire", kind="feed", url="https://example.com/feed")),
        ({"tags": ("Breaking News",)}, SourceConfig(name="Wire", kind="feed", url="https://example.com/feed")),
        ({"tags": ("urgent",)}, SourceConfig(name="Wire", kind="feed", url="https://example.com/feed", breaking_categories=["Urgent"])),
    ],
)
def test_breaking_from_the_flag_the_headline_or_the_sources_categories(make_item, fields, source):
    cfg = config()
    cfg.sources = [source]
    title = fields.pop("title", "Strike on Odesa port")
    item = make_item(title, at="2024-06-25 12:00", **fields)
    mark_breaking(item, frozenset(category.casefold() for category in source.breaking_categories))  # as loading does
    (ranked,) = score([story(item)], CUTOFF, cfg)
    assert ranked.components["breaking"] == pytest.approx(ranked.components["recency"] * 2.0, abs=1e-6)
    assert item.title == "Strike on Odesa port"


def test_priority_and_source_weight_come_from_item_and_source(make_item):
    cfg = config()
    cfg.sources = [SourceConfig(name="Desk", kind="jsonl", path="x.jsonl", priority=2, weight=1.5)]
    (ranked,) = score([story(make_item("Picked by the desk", at="2024-06-25 12:00", source="Desk", priority=1))], CUTOFF, cfg)
    recency = ranked.components["recency"]
    assert ranked.components["priority"] == pytest.approx(recency * 0.25 * 3, abs=1e-6)
    assert ranked.components["source"] == pytest.approx(recency * 1.0 * 0.5, abs=1e-6)


def test_keyword_boosts_and_penalties(make_item):
    cfg = config(keywords={"air defense": 1.0, "Sponsored": -0.5})
    plain = make_item("Parliament passes budget", BRIEF_BODY)
    boosted = make_item("Air  Defense downs drones over Kyiv", BRIEF_BODY)
    penalised = make_item("Sponsored: a webinar on grain logistics", BRIEF_BODY)
    partial = make_item("Air defenses strengthened", BRIEF_BODY)  # not the phrase "air defense"
    ranked = score([story(plain), story(boosted), story(penalised), story(partial)], CUTOFF, cfg)
    assert [s.title for s in ranked][0] == boosted.title and ranked[-1].title == penalised.title
    assert {s.title: s.components["keywords"] for s in ranked}[partial.title] == 0


def test_heavy_penalties_floor_importance_so_penalised_stories_still_fade(make_item):
    cfg = config(keywords={"horoscope": -5})
    old = story(make_item("Horoscope for the morning", at="2024-06-25 06:00"))
    new = story(make_item("Horoscope for the evening", at="2024-06-25 20:00"))
    ranked = score([old, new], CUTOFF, cfg)
    assert [s.title for s in ranked] == [new.title, old.title]
    assert new.score == pytest.approx(0.1 * new.components["recency"], abs=1e-6)
    assert "floor" in new.components


def test_components_add_up_to_the_score_exactly(make_item):
    cfg = config(keywords={"odesa": 0.3})
    members = [
        make_item("Strike on Odesa port", REPORTED, source="Site", kind="story", at="2024-06-25 14:00", priority=2, breaking=True),
        make_item("Strike on Odesa port", BRIEF_BODY, source="Wire", at="2024-06-25 15:00"),
    ]
    (ranked,) = score([story(*members)], CUTOFF, cfg)
    assert set(ranked.components) == {"recency", "breaking", "priority", "coverage", "source", "substance", "keywords"}
    assert ranked.score == round(sum(ranked.components.values()), 6)
    assert all(value > 0 for name, value in ranked.components.items() if name != "source")


# explain


def test_explain_rows_and_their_text_and_json_forms(make_item):
    members = [make_item("Grain ship leaves Odesa", REPORTED, source="Site", kind="story", at="2024-06-25 18:00"),
               make_item("Grain ship sails", REPORTED, source="Wire", kind="story", at="2024-06-25 18:30")]
    lone = make_item("Parliament passes budget", BRIEF_BODY, at="2024-06-25 10:00")
    ranked = score([story(lone), story(*members)], CUTOFF, config())
    ranked[0].section, ranked[1].section = "top", "feed"
    rows = explain_rows(reversed(ranked))  # rank order whatever order they are given in
    assert [row["rank"] for row in rows] == [1, 2]
    first = rows[0]
    assert first == {
        "rank": 1,
        "score": ranked[0].score,
        "components": ranked[0].components,
        "coverage": 2,
        "section": "top",
        "title": "Grain ship leaves Odesa",
        "kind": "story",
        "item_ids": [m.id for m in members],
        "desk": [],  # what the editor's ledger did to it (tests/test_desk.py)
        "key": None,
        "updated": None,  # the edition a story moved on from (tests/test_developing.py)
    }
    lines = format_explain(rows, as_json=True).splitlines()
    assert [json.loads(line) for line in lines] == rows
    text = format_explain(rows).splitlines()
    assert len(text) == 2
    assert text[0].startswith("  1  ") and text[0].endswith("  Grain ship leaves Odesa")
    assert f"{ranked[0].score:.4f}" in text[0] and "[story, top, x2]" in text[0] and "recency=+" in text[0]
    assert text[1].endswith("Parliament passes budget") and "[brief, feed, x1]" in text[1]
