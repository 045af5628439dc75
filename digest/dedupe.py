"""One story per event: cluster the items that report the same thing.

Three tests join two items, cheapest first:

1. the same address after `canonical_url` (tracking parameters, `www.`, AMP variants and trailing
   slashes removed), unless the address is a live page that one source gives to several
   differently-titled entries;
2. the same words (`normalise_text`): one text carried by two sources;
3. near-duplicates: the same article lightly edited, a wire story re-published. Each distinct text
   gets a MinHash signature (digest.minhash) over its word 3-shingles; locality-sensitive hashing (32 bands of 4
   rows) puts texts that agree on a band in one bucket, and only pairs that share a bucket are
   compared, so the work grows with the number of items, not with its square. A candidate pair
   joins only when the Jaccard similarity of the two WHOLE texts' shingle sets reaches the
   threshold: sharing one paragraph (an article that ends with the day's breaking news) puts two
   texts in one bucket but leaves their whole-text similarity low, so they stay two stories.

Joins are transitive (union-find). Every order is fixed by the items' content, never by the order
they came in, so the same items always give the same stories.
"""
from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from digest.identity import one_per_id
from digest.model import DatedItem, Item, Story
from digest.text.markup import canonical_url

if TYPE_CHECKING:
    import numpy as np

# Bump whenever a change here could group the same items differently, so remembered groupings refresh.
CLUSTER_VERSION = "1"
DEFAULT_THRESHOLD = 0.5  # Jaccard of whole texts' shingles; config: ranking.duplicate_similarity

_WORD = re.compile(r"\w+")


def normalise_text(text: str) -> str:
    """The words of a text, lower-case, single-spaced: punctuation, quotes and layout do not count."""
    return " ".join(words(text))


def words(text: str) -> list[str]:
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold())


def item_text(item: Item) -> str:
    return f"{item.title}\n{item.body}"


def lead_key(item: DatedItem) -> tuple:
    """Fullest (most words) first, then earliest, then id: the order of a story's members."""
    return (-len(item.body.split()), item.published.timestamp(), item.id)


@dataclass
class ClusterStats:
    """What clustering cost, for the benchmark: how many candidate pairs were compared."""

    items: int = 0
    texts: int = 0
    comparisons: int = 0
    joined: int = 0


class _Groups:
    """Union-find over item positions; the smaller position is the root, so results never depend on merge order."""

    def __init__(self, size: int) -> None:
        self.parent = list(range(size))

    def find(self, at: int) -> int:
        root = at
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[at] != root:
            self.parent[at], at = root, self.parent[at]
        return root

    def join(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        self.parent[max(ra, rb)] = min(ra, rb)


def cluster(items: Sequence[DatedItem], *, threshold: float = DEFAULT_THRESHOLD, stats: ClusterStats | None = None) -> list[Story]:
    """Group items reporting the same event into Stories (lead = fullest member), oldest story first.

    An id given twice is one item (digest.identity's choice of copy).
    """
    ordered = sorted(one_per_id(items), key=lambda item: (item.published.timestamp(), item.id))
    groups = _Groups(len(ordered))
    stats = stats if stats is not None else ClusterStats()
    stats.items = len(ordered)

    for positions in _same_url(ordered):
        for other in positions[1:]:
            groups.join(positions[0], other)

    from digest.minhash import token_hashes  # numpy: only when there is clustering to do, not for a rebuild's regroup

    by_text: dict[str, list[int]] = defaultdict(list)
    hashes_of: dict[str, np.ndarray] = {}  # each item is tokenised once, for both tests
    known: dict[str, int] = {}
    for at, item in enumerate(ordered):
        tokens = words(item_text(item))
        text = " ".join(tokens)
        by_text[text].append(at)
        if text not in hashes_of:
            hashes_of[text] = token_hashes(tokens, known)
    for positions in by_text.values():
        for other in positions[1:]:
            groups.join(positions[0], other)

    texts = [(positions[0], hashes_of[text]) for text, positions in by_text.items() if text]
    stats.texts = len(texts)
    _join_near_duplicates(texts, groups, threshold, stats)

    members: dict[int, list[DatedItem]] = defaultdict(list)
    for at, item in enumerate(ordered):
        members[groups.find(at)].append(item)
    return _stories(members.values())


def _stories(groups: Iterable[list[DatedItem]]) -> list[Story]:
    """Each group as a Story led by its fullest item, the oldest story first."""
    stories = []
    for group in groups:
        if len(group) > 1:  # sort() would read even a lone item's words
            group.sort(key=lead_key)
        stories.append(Story(lead=group[0], members=group))
    stories.sort(key=lambda story: (min(member.published for member in story.members).timestamp(), story.lead.id))
    return stories


def fingerprint(items: Iterable[DatedItem], threshold: float = DEFAULT_THRESHOLD) -> str:
    """A key for the grouping `cluster(items, threshold=threshold)` finds: sha256 over what decides
    it (each item's id, source, address, title and text; the fullest copy of an id given twice), in
    an order of its own, with the threshold and CLUSTER_VERSION.

    Dates only order members and stories, which `regroup` does afresh, so an undated item that a
    source dates by the time it was read leaves the key as it was.
    """
    fields = sorted((item.id, item.source, item.url or "", item.title, item.body) for item in one_per_id(items))
    return hashlib.sha256(json.dumps([CLUSTER_VERSION, threshold, fields]).encode("ascii")).hexdigest()


def regroup(items: Iterable[DatedItem], groups: Iterable[Iterable[str]]) -> list[Story]:
    """The stories `cluster` gives for these items, from the item ids of its stories (remembered
    under their `fingerprint`), without comparing a text again."""
    by_id = {item.id: item for item in one_per_id(items)}
    return _stories([by_id[item_id] for item_id in ids] for ids in groups)


def _same_url(ordered: Sequence[DatedItem]) -> Iterable[list[int]]:
    """Positions sharing a canonical URL, except a live page's URL (one source, several titles)."""
    by_url: dict[str, list[int]] = defaultdict(list)
    for at, item in enumerate(ordered):
        if item.url:
            by_url[canonical_url(item.url)].append(at)
    for positions in by_url.values():
        if len(positions) < 2:  # most addresses: nothing to join, no title to read
            continue
        titles: dict[str, set[str]] = defaultdict(set)
        for at in positions:
            titles[ordered[at].source].add(normalise_text(ordered[at].title))
        if all(len(names) == 1 for names in titles.values()):
            yield positions


def _join_near_duplicates(texts: list[tuple[int, np.ndarray]], groups: _Groups, threshold: float, stats: ClusterStats) -> None:
    from digest.minhash import candidate_pairs, jaccard, shingle_sets, signatures

    if len(texts) < 2:
        return
    hashes, bounds = shingle_sets([tokens for _, tokens in texts])
    sets = [hashes[start:end] for start, end in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=False)]
    for first, second in candidate_pairs(signatures(hashes, bounds)):
        a, b = texts[first][0], texts[second][0]
        if groups.find(a) == groups.find(b):
            continue  # already one story: nothing to compare
        stats.comparisons += 1
        if jaccard(sets[first], sets[second]) >= threshold:
            groups.join(a, b)
            stats.joined += 1
