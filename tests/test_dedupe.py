"""Clustering: one story per event, and canonical URLs."""
from __future__ import annotations

import dataclasses
import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from digest.dedupe import ClusterStats, canonical_url, cluster, fingerprint, regroup
from digest.minhash import shingle_sets, signatures, token_hashes
from digest.sources.pagetext import parse_page

KYIV = ZoneInfo("Europe/Kyiv")

GRAIN = (
    "A bulk carrier loaded with forty thousand tonnes of wheat left the port of Odesa on Tuesday morning, "
    "the first ship to sail since a drone attack damaged two berths last week. Port officials said the "
    "vessel was bound for Egypt and would follow the corridor along the western coast of the Black Sea. "
    "Repairs to the damaged berths are expected to take another fortnight, the regional administration "
    "said, and three more ships are waiting to be loaded. Traders in Kyiv said insurance premiums for the "
    "route had fallen slightly since the spring but remained far above their pre-war level. The navy "
    "said it had intercepted two sea drones near the approach to the port on Monday night. Farmers in "
    "the south have warned that storage is running short as the harvest begins, and the agriculture "
    "ministry has asked rail operators to add wagons on the routes to the Danube ports."
)
POWER = (
    "Engineers restored electricity to most of Kharkiv by Wednesday afternoon after a missile strike on a "
    "substation left about two hundred thousand households without power overnight. The city's mayor said "
    "hospitals and water pumping stations had run on generators and that no patients had been moved. The "
    "national grid operator announced rolling outages of up to four hours in the evening peak for the rest "
    "of the week, asking residents to switch off boilers and washing machines between six and ten. Repair "
    "crews worked through the night in freezing rain, and one worker was injured by debris, officials said. "
    "The energy minister said imports from neighbouring countries had been raised to their technical limit "
    "and that two damaged transformers would be replaced with units delivered by European partners."
)
SHARED = (
    "Air raid sirens sounded across the capital late on Tuesday evening after the air force warned of "
    "ballistic missiles launched from the north, and residents were urged to stay in shelters until the "
    "all-clear was given shortly before midnight."
)


def lightly_edited(text: str) -> str:
    """The same article after a copy editor's pass: one sentence reworded, a few words changed."""
    sentences = text.split(". ")
    sentences[1] = "Officials at the port said the ship was heading for Egypt along the western coast"
    return ". ".join(sentences).replace("Tuesday morning", "Tuesday", 1).replace("fallen slightly", "eased", 1)


# canonical URLs


@pytest.mark.parametrize(
    "variant",
    [
        "https://example.com/news/odesa-grain",
        "https://www.example.com/news/odesa-grain",
        "http://example.com/news/odesa-grain",
        "https://example.com/news/odesa-grain/",
        "https://EXAMPLE.com/news/odesa-grain?utm_source=newsletter&utm_medium=email&utm_campaign=daily",
        "https://example.com/news/odesa-grain?fbclid=IwAR0abc",
        "https://example.com/news/odesa-grain?gclid=xyz&utm_term=grain",
        "https://example.com/news/odesa-grain/amp",
        "https://example.com/news/odesa-grain/amp/",
        "https://example.com/news/odesa-grain.amp",
        "https://example.com/news/odesa-grain?amp=1",
        "https://amp.example.com/news/odesa-grain",
        "https://www.example.com:443/news//odesa-grain/#comments",
    ],
)
def test_canonical_url_removes_what_does_not_pick_the_page(variant):
    assert canonical_url(variant) == "https://example.com/news/odesa-grain"


def test_canonical_url_keeps_what_picks_the_page():
    assert canonical_url("https://example.com/search?q=grain&page=2") == canonical_url("https://example.com/search?page=2&q=grain")
    assert canonical_url("https://example.com/search?q=grain&page=2") != canonical_url("https://example.com/search?q=grain&page=3")
    assert canonical_url("https://example.com/news/a") != canonical_url("https://example.com/news/b")
    assert canonical_url("https://example.com/amplifier") == "https://example.com/amplifier"
    assert canonical_url("https://example.com:8080/a") == "https://example.com:8080/a"
    assert canonical_url("https://example.com/") == "https://example.com"


@pytest.mark.parametrize("odd", ["mailto:desk@example.com", "not a url", "", "http://[::1"])
def test_canonical_url_leaves_what_is_not_a_web_address(odd):
    assert canonical_url(odd) == odd.strip()


# exact and near duplicates


def test_same_url_after_canonicalisation_is_one_story(make_item):
    a = make_item("Grain ship leaves Odesa", "Short text.", source="Site", url="https://www.example.com/grain/?utm_source=x")
    b = make_item("Grain ship sails", "Other short text.", source="Aggregator", url="https://example.com/grain/amp")
    (story,) = cluster([a, b])
    assert story.coverage == 2


def test_a_live_page_url_shared_by_several_entries_does_not_join_them(make_item):
    live = "https://example.com/live/war-latest"
    entries = [
        make_item("Grain ship leaves Odesa", GRAIN, source="Live", url=live + "#1"),
        make_item("Power back in Kharkiv", POWER, source="Live", url=live + "#2"),
    ]
    assert len(cluster(entries)) == 2


def test_same_text_under_two_sources_is_one_story(make_item):
    a = make_item("Grain ship leaves Odesa", GRAIN, source="Site", kind="story")
    b = make_item("GRAIN SHIP LEAVES ODESA!", GRAIN.replace(",", "").upper(), source="Syndicate", kind="story", at="2024-06-25 14:00")
    (story,) = cluster([a, b])
    assert story.coverage == 2
    assert story.lead is a  # equally full: the earlier one leads


def test_lightly_edited_article_is_one_story(make_item):
    a = make_item("Grain ship leaves Odesa after drone attack", GRAIN, source="Site", kind="story")
    b = make_item("First grain ship since drone attack leaves Odesa", lightly_edited(GRAIN), source="Wire", kind="story")
    assert len(cluster([a, b])) == 1


def test_republished_wire_story_with_its_own_intro_and_credit_is_one_story(make_item):
    wire = make_item("Grain ship leaves Odesa", GRAIN, source="Wire", kind="story")
    reprint = make_item(
        "Wheat shipment sails from Odesa",
        "ODESA (Wire) — " + GRAIN + " Reporting by the Wire's Odesa bureau; editing by the night desk.",
        source="Regional paper",
        kind="story",
        at="2024-06-25 16:30",
    )
    (story,) = cluster([wire, reprint])
    assert story.lead is reprint  # the fuller copy leads
    assert story.coverage == 2


def test_two_events_sharing_a_paragraph_stay_two_stories(make_item):
    grain = make_item("Grain ship leaves Odesa", GRAIN + "\n\n" + SHARED, source="Site", kind="story")
    power = make_item("Power back in Kharkiv", POWER + "\n\n" + SHARED, source="Site", kind="story")
    sirens = make_item("Air raid alert in Kyiv", SHARED, source="Site")
    stories = cluster([grain, power, sirens])
    assert sorted(story.title for story in stories) == ["Air raid alert in Kyiv", "Grain ship leaves Odesa", "Power back in Kharkiv"]


def test_different_events_are_different_stories(make_item):
    items = [make_item(f"Item {n}", text, source="Site") for n, text in enumerate([GRAIN, POWER, SHARED])]
    assert [len(story.members) for story in cluster(items)] == [1, 1, 1]


# seeds: the same article captured twice


@pytest.fixture
def seed_pages(seeds):
    return [path.read_text(encoding="utf-8") for path in seeds]


def _parse(page: str, source: str):
    return parse_page(page, source=source, tz=KYIV, now=datetime(2024, 6, 26, 12, tzinfo=UTC))


def _pentagon(stories):
    return [story for story in stories if "Pentagon" in story.title]


def test_seed_article_from_two_sources_is_one_story_with_coverage_two(seed_pages):
    items = [item for n, page in enumerate(seed_pages) for item in _parse(page, f"capture {n}")]
    (story,) = _pentagon(cluster(items))
    assert story.coverage == 2 and len(story.members) == 2
    assert len(cluster(items)) == len(items) - 1  # nothing else merged


def test_seed_article_twice_in_one_source_is_one_story(seed_pages):
    """One source, two captures: the same id twice (load_all keeps one; cluster does too), or two ids."""
    items = [item for page in seed_pages for item in _parse(page, "site")]
    (story,) = _pentagon(cluster(items))
    assert len(story.members) == 1
    article = story.lead
    copy = dataclasses.replace(article, id="re-captured", published=article.published + timedelta(hours=9))
    (story,) = _pentagon(cluster([*items, copy]))
    assert sorted(story.item_ids) == sorted([article.id, "re-captured"])
    assert story.lead is article  # equally full: the earlier


# lead, members, order


def test_lead_is_the_fullest_then_the_earliest_then_the_smallest_id(make_item):
    short = make_item("Grain ship leaves Odesa", GRAIN.rsplit(". ", 1)[0], source="A", at="2024-06-25 08:00")
    full_late = make_item("Grain ship leaves Odesa", GRAIN, source="B", at="2024-06-25 18:00", url="https://example.com/g")
    full_early = make_item("Grain ship sails", GRAIN, source="C", at="2024-06-25 10:00", url="https://example.com/g?utm_source=z")
    (story,) = cluster([short, full_late, full_early])
    assert story.lead is full_early
    assert story.members == [full_early, full_late, short]
    twin_a = make_item("Same", GRAIN, id="b-id")
    twin_b = make_item("Same", GRAIN, id="a-id")
    assert cluster([twin_a, twin_b])[0].lead is twin_b


def test_clustering_ignores_input_order(make_item):
    items = [
        make_item("Grain ship leaves Odesa", GRAIN, source="A", kind="story"),
        make_item("Grain ship sails", lightly_edited(GRAIN), source="B", kind="story", at="2024-06-25 13:00"),
        make_item("Power back in Kharkiv", POWER, source="A", at="2024-06-25 09:00"),
        make_item("Air raid alert", SHARED, source="C", at="2024-06-25 20:00"),
        make_item("Air raid alert in Kyiv", SHARED, source="D", at="2024-06-25 23:00"),
    ]
    expected = [story.item_ids for story in cluster(items)]
    assert len(expected) == 3
    for seed in range(5):
        random.Random(seed).shuffle(items)
        assert [story.item_ids for story in cluster(items)] == expected


def test_clustering_compares_far_fewer_pairs_than_all(make_item):
    vocabulary = (GRAIN + " " + POWER).split()
    rng = random.Random(7)
    items = [make_item(f"Item {n}", " ".join(rng.choices(vocabulary, k=60)), source="S") for n in range(400)]
    stats = ClusterStats()
    assert len(cluster(items, stats=stats)) == 400
    assert stats.comparisons < 400  # all pairs would be 79,800


def test_empty_input_gives_no_stories():
    assert cluster([]) == []


def test_shingles_and_signatures_do_not_depend_on_the_batch() -> None:
    """All texts are shingled and MinHashed at once; each text's result must be what it gets alone,
    for texts under three words (padded to one shingle) and for sets split across hashing blocks."""
    rng = random.Random(7)
    vocabulary = [f"w{n}" for n in range(40)] + ["київ", "straße", "東京"]
    texts = [[rng.choice(vocabulary) for _ in range(rng.choice([0, 1, 2, 3, 4, 60, 700]))] for _ in range(60)]
    known: dict[str, int] = {}
    hashes, bounds = shingle_sets([token_hashes(tokens, known) for tokens in texts])
    together = signatures(hashes, bounds)
    for at, tokens in enumerate(texts):
        alone, alone_bounds = shingle_sets([token_hashes(tokens, {})])
        assert alone.tolist() == hashes[bounds[at] : bounds[at + 1]].tolist()
        assert len(alone) >= 1 and alone.tolist() == sorted(set(alone.tolist()))
        assert signatures(alone, alone_bounds).tolist() == [together[at].tolist()]
    assert signatures(hashes, bounds, block=1).tolist() == together.tolist()
    assert signatures(hashes, bounds, block=50).tolist() == together.tolist()


def _day(make_item) -> list:
    body = " ".join(f"word{n}" for n in range(60))
    return [
        make_item("Dam breach floods villages", body, source="Wire", id="a", at="2024-06-25 09:00"),
        make_item("Dam breach floods villages", body + " more", source="Daily", id="b", at="2024-06-25 10:00"),
        make_item("Parliament passes budget", "The budget passed after a long night of votes.", id="c"),
        make_item("Storm warning for the coast", "Wind and rain are expected tonight.", id="d"),
    ]


def test_fingerprint_ignores_order_and_sees_every_field_clustering_reads(make_item) -> None:
    items = _day(make_item)
    key = fingerprint(items)
    assert fingerprint(list(reversed(items))) == key
    assert fingerprint(items, threshold=0.6) != key
    for change in ({"body": "other"}, {"title": "other"}, {"url": "https://x.example/1"}, {"source": "Other"}, {"id": "z"}):
        changed = [dataclasses.replace(items[0], **change), *items[1:]]
        assert fingerprint(changed) != key, change
    assert fingerprint(items[:3]) != key


def test_regroup_gives_the_stories_cluster_gave(make_item) -> None:
    items = _day(make_item)
    stories = cluster(items)
    again = regroup(list(reversed(items)), [story.item_ids for story in stories])
    assert [(s.id, s.item_ids, s.coverage) for s in again] == [(s.id, s.item_ids, s.coverage) for s in stories]
    assert [story.item_ids for story in stories][0] == ["b", "a"]  # the fuller copy leads


def test_dates_only_order_stories_so_they_are_not_in_the_fingerprint(make_item) -> None:
    items = _day(make_item)
    redated = [dataclasses.replace(item, published=datetime(2024, 6, 25, 23 - n, tzinfo=UTC)) for n, item in enumerate(items)]
    assert fingerprint(redated) == fingerprint(items)
    groups = [story.item_ids for story in cluster(items)]
    assert [(s.id, s.item_ids) for s in regroup(redated, groups)] == [(s.id, s.item_ids) for s in cluster(redated)]
