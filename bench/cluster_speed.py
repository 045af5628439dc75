"""How clustering scales: 1,000 and 10,000 items, against comparing every pair.

    python bench/cluster_speed.py [--repeat N]

The items are generated here, the same on every run: news-like texts (briefs of 40-90 words,
stories of 250-600) whose words follow a Zipf law over a 20,000-word vocabulary with common
function words between them, so unrelated texts share the stock phrases real ones do. About 5%
are planted near-duplicates (another source's copy of an earlier item with a few words changed, a
credit line added, sometimes its last sentence cut) and 1% exact copies.

For each size the table gives the time `dedupe.cluster` takes (the best of --repeat runs, in CPU
seconds of this process, so other load on a shared machine does not count), the
candidate pairs LSH sent to the exact comparison, the planted duplicates it found (recall) and
the stories that joined items of different origins (false joins). The baseline, measured in the
same run, is the naive method: the exact whole-text Jaccard on every pair, timed on all pairs of
the 1,000 items and on a sample of the 10,000 (its 50 million pairs would take minutes), scaled to
all pairs. The ratio of the two cluster times must stay under 12 for 10x the items.
"""
from __future__ import annotations

import argparse
import itertools
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from digest.dedupe import ClusterStats, cluster, normalise_text  # noqa: E402
from digest.minhash import jaccard, shingles  # noqa: E402
from digest.model import DatedItem  # noqa: E402

FUNCTION_WORDS = "the of and to in a on for that with said is was by at from as has it after were are have".split()
SOURCES = ["Capital Herald", "Wire Service", "Eastern Courier", "Harbour Post", "Morning Ledger"]
START = datetime(2024, 6, 25, tzinfo=UTC)
MAX_RATIO = 12.0


def vocabulary(rng: random.Random, size: int = 20_000) -> list[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    words = set()
    while len(words) < size:
        words.add("".join(rng.choices(letters, k=rng.randint(3, 10))))
    return sorted(words)


def text(rng: random.Random, words: list[str], weights: list[float], length: int) -> str:
    content = rng.choices(words, weights, k=length)
    sentences, sentence = [], []
    for word in content:
        sentence.append(word)
        if rng.random() < 0.4:
            sentence.append(rng.choice(FUNCTION_WORDS))
        if len(sentence) > rng.randint(12, 25):
            sentences.append(" ".join(sentence).capitalize() + ".")
            sentence = []
    sentences.append(" ".join(sentence).capitalize() + ".")
    return " ".join(sentences)


def edited(rng: random.Random, original: str, words: list[str]) -> str:
    """A light edit: about 3% of words replaced, a credit line added, sometimes the last sentence cut."""
    tokens = original.split()
    for at in rng.sample(range(len(tokens)), k=max(1, len(tokens) // 33)):
        tokens[at] = rng.choice(words)
    result = " ".join(tokens)
    if rng.random() < 0.3 and result.count(". ") >= 3:
        result = result.rsplit(". ", 1)[0] + "."
    return result + " Reporting by " + rng.choice(SOURCES) + "."


def generate(count: int, seed: int = 1) -> tuple[list[DatedItem], dict[str, int]]:
    """`count` items and, for each, the origin it was copied from (its own position when original)."""
    rng = random.Random(seed)
    words = vocabulary(rng)
    weights = [1 / (rank + 1) ** 1.1 for rank in range(len(words))]
    items: list[DatedItem] = []
    origin: dict[str, int] = {}
    for n in range(count):
        source = rng.choice(SOURCES)
        published = START + timedelta(seconds=rng.randint(0, 86_399))
        roll = rng.random()
        if items and roll < 0.06:
            original_at = rng.randrange(len(items))
            original = items[original_at]
            body = original.body if roll < 0.01 else edited(rng, original.body, words)
            title, kind, root = original.title, original.kind, origin[original.id]
        else:
            kind = "story" if rng.random() < 0.3 else "brief"
            length = rng.randint(250, 600) if kind == "story" else rng.randint(40, 90)
            title = text(rng, words, weights, rng.randint(6, 12)).rstrip(".")
            body, root = text(rng, words, weights, length), n
        item = DatedItem(id=f"item-{n:05d}", source=source, kind=kind, title=title, body=body, published=published)
        items.append(item)
        origin[item.id] = root
    return items, origin


def measure(count: int, repeat: int) -> dict:
    items, origin = generate(count)
    best, stats, stories = float("inf"), ClusterStats(), []
    for _ in range(repeat):
        run_stats = ClusterStats()
        began = time.process_time()
        stories = cluster(items, stats=run_stats)
        best, stats = min(best, time.process_time() - began), run_stats
    story_of = {item_id: n for n, story in enumerate(stories) for item_id in story.item_ids}
    copies = [item for item in items if origin[item.id] != int(item.id.split("-")[1])]
    found = sum(story_of[item.id] == story_of[items[origin[item.id]].id] for item in copies)
    false_joins = sum(len({origin[i] for i in story.item_ids}) > 1 for story in stories)
    naive_seconds, naive_pairs_timed = naive_all_pairs(items, pairs_cap=500_000)
    all_pairs = count * (count - 1) // 2
    return {
        "items": count,
        "stories": len(stories),
        "compared": stats.comparisons,
        "all_pairs": all_pairs,
        "seconds": best,
        "naive_seconds": naive_seconds * all_pairs / naive_pairs_timed,
        "naive_measured": naive_pairs_timed == all_pairs,
        "recall": found / len(copies) if copies else 1.0,
        "copies": len(copies),
        "false_joins": false_joins,
    }


def naive_all_pairs(items: list[DatedItem], pairs_cap: int) -> tuple[float, int]:
    """The baseline: the exact Jaccard on every pair (or on the first `pairs_cap` of them), timed."""
    began = time.process_time()
    sets = [shingles(normalise_text(f"{item.title}\n{item.body}")) for item in items]
    pairs = 0
    for a, b in itertools.islice(itertools.combinations(range(len(sets)), 2), pairs_cap):
        jaccard(sets[a], sets[b])
        pairs += 1
    return time.process_time() - began, pairs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per size; the best time is reported")
    args = parser.parse_args()
    rows = [measure(count, args.repeat) for count in (1_000, 10_000)]
    print("| items | stories | pairs compared (LSH) | all pairs | cluster time | naive all-pairs time | dup recall | false joins |")
    print("|------:|--------:|---------------------:|----------:|-------------:|---------------------:|-----------:|------------:|")
    for row in rows:
        naive = f"{row['naive_seconds']:.1f} s" + ("" if row["naive_measured"] else " (est.)")
        print(
            f"| {row['items']:,} | {row['stories']:,} | {row['compared']:,} | {row['all_pairs']:,} | {row['seconds']:.2f} s "
            f"| {naive} | {row['recall']:.1%} of {row['copies']} | {row['false_joins']} |"
        )
    ratio = rows[1]["seconds"] / rows[0]["seconds"]
    verdict = "ok" if ratio <= MAX_RATIO else "TOO SLOW"
    print(f"\n10x the items took {ratio:.1f}x the time (limit {MAX_RATIO:.0f}x): {verdict}")
    return 0 if ratio <= MAX_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
