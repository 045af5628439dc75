"""One story per event: cluster the items that report the same thing.

Three tests join two items, cheapest first:

1. the same address after `canonical_url` (tracking parameters, `www.`, AMP variants and trailing
   slashes removed), unless the address is a live page that one source gives to several
   differently-titled entries;
2. the same words (`normalise_text`): one text carried by two sources;
3. near-duplicates: the same article lightly edited, a wire story re-published. Each distinct text
   gets a MinHash signature over its word 3-shingles; locality-sensitive hashing (32 bands of 4
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
import zlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from digest.identity import one_per_id
from digest.model import DatedItem, Item, Story
from digest.text.markup import canonical_url

# Bump whenever a change here could group the same items differently, so remembered groupings refresh.
CLUSTER_VERSION = "1"
DEFAULT_THRESHOLD = 0.5  # Jaccard of whole texts' shingles; config: ranking.duplicate_similarity
SHINGLE_WORDS = 3
BANDS, ROWS = 32, 4  # a pair at Jaccard 0.5 shares a band with p = 1 - (1 - 0.5**4)**32 = 0.87; at 0.6, 0.99
_random = np.random.RandomState(20240626)  # legacy generator: the same numbers on every numpy version
_A = _random.randint(0, 1 << 63, size=BANDS * ROWS, dtype=np.uint64) * np.uint64(2) + np.uint64(1)  # odd multipliers
_B = _random.randint(0, 1 << 63, size=BANDS * ROWS, dtype=np.uint64)
_C1, _C2 = np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F)  # odd constants that mix hashes into one
_HASH_MASK = np.uint64(0xFFFFFFFF)
_SHIFT = np.uint64(32)

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
        titles: dict[str, set[str]] = defaultdict(set)
        for at in positions:
            titles[ordered[at].source].add(normalise_text(ordered[at].title))
        if len(positions) > 1 and all(len(names) == 1 for names in titles.values()):
            yield positions


def token_hashes(tokens: Sequence[str], known: dict[str, int]) -> np.ndarray:
    """Each word's 32-bit hash, never 0 (0 pads a short text); `known` keeps them from text to text.

    Texts are turned into these arrays one by one, so a day's millions of words never live as
    strings all at once: at 10,000 items that memory, not the hashing, was the cost. Most texts of a
    day use no word an earlier one did not, so the new words are looked for only when one is met.
    """
    try:
        return np.fromiter(map(known.__getitem__, tokens), dtype=np.uint64, count=len(tokens))
    except KeyError:
        for token in set(tokens).difference(known):
            known[token] = zlib.crc32(token.encode()) or 1
        return np.fromiter(map(known.__getitem__, tokens), dtype=np.uint64, count=len(tokens))


def shingle_sets(texts: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Every text's sorted distinct word 3-shingle hashes (a text under three words is one shingle),
    from its `token_hashes`.

    All texts at once, as one array `hashes` in which text i's set is `hashes[bounds[i]:bounds[i + 1]]`:
    at 10,000 items, numpy calls made once per text cost more than the hashing itself.
    """
    real = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    padded = np.maximum(real, SHINGLE_WORDS)  # a short text is padded with 0s to one shingle
    tokens = np.zeros(int(padded.sum()), dtype=np.uint64)
    shift_to_padded = np.cumsum(padded) - padded - (np.cumsum(real) - real)
    tokens[np.repeat(shift_to_padded, real) + np.arange(real.sum())] = np.concatenate([*texts, np.zeros(0, np.uint64)])
    owner = np.repeat(np.arange(len(texts), dtype=np.uint64), padded)
    with np.errstate(over="ignore"):
        mixed = tokens[:-2] * _C1 + tokens[1:-1] * _C2 + tokens[2:]
    inside = owner[:-2] == owner[2:]  # the shingle's three words belong to one text
    folded = (mixed >> _SHIFT ^ mixed & _HASH_MASK)[inside]  # folded to 32 bits
    keys = np.sort(owner[:-2][inside] << _SHIFT | folded)  # by text, then by hash
    keys = keys[np.r_[True, keys[1:] != keys[:-1]]]  # distinct (np.unique hashes: slower on big arrays)
    bounds = np.searchsorted(keys >> _SHIFT, np.arange(len(texts) + 1, dtype=np.uint64))
    return keys & _HASH_MASK, bounds


def shingles(text: str) -> np.ndarray:
    """The sorted distinct shingle hashes of one normalised text."""
    return shingle_sets([token_hashes(text.split(), {})])[0]


def signatures(hashes: np.ndarray, bounds: np.ndarray, *, block: int = 1 << 13) -> np.ndarray:
    """MinHash: one row per shingle set of `shingle_sets`, for each of BANDS*ROWS hash functions the
    least hash over the set's shingles.

    The functions are multiply-add-shift hashes of 32-bit keys ((a*x + b) mod 2**64, top 32 bits),
    a universal family that needs no modulo, the costly part of the classic (a*x + b) mod p. Sets are
    hashed about `block` shingles at a time, so memory stays flat however many items there are.
    """
    count = len(bounds) - 1
    result = np.empty((count, BANDS * ROWS), dtype=np.uint64)
    first = 0
    while first < count:
        last = int(np.searchsorted(bounds, bounds[first] + block, side="right")) - 1
        last = min(max(last, first + 1), count)  # at least one set, however large
        with np.errstate(over="ignore"):
            permuted = np.multiply.outer(_A, hashes[bounds[first] : bounds[last]])
            permuted += _B[:, None]
        result[first:last] = np.minimum.reduceat(permuted, bounds[first:last] - bounds[first], axis=1).T
        first = last
    return result >> _SHIFT  # the top 32 bits of the least value are the least top 32 bits


def candidate_pairs(signatures: np.ndarray) -> list[tuple[int, int]]:
    """Pairs of rows whose signatures agree on all ROWS values of at least one band: LSH, sorted.

    Each band's values are folded into one 64-bit key and the rows sorted by it, so finding the rows
    that share a bucket costs a sort per band; a rare fold collision only adds a candidate, which
    the exact comparison then turns down.
    """
    pairs: set[tuple[int, int]] = set()
    with np.errstate(over="ignore"):
        for band in range(BANDS):
            rows = signatures[:, band * ROWS : (band + 1) * ROWS]
            keys = np.zeros(len(signatures), dtype=np.uint64)
            for column in range(ROWS):
                keys = (keys ^ rows[:, column]) * _C1 + _C2
            order = np.argsort(keys, kind="stable")
            sorted_keys = keys[order]
            starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
            ends = np.r_[starts[1:], len(keys)]
            for start, end in zip(starts[ends - starts > 1].tolist(), ends[ends - starts > 1].tolist(), strict=False):
                members = sorted(order[start:end].tolist())
                pairs.update((a, b) for i, a in enumerate(members) for b in members[i + 1 :])
    return sorted(pairs)


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Exact Jaccard similarity of two sorted distinct shingle-hash arrays."""
    shared = len(np.intersect1d(a, b, assume_unique=True))
    return shared / (len(a) + len(b) - shared)


def _join_near_duplicates(texts: list[tuple[int, np.ndarray]], groups: _Groups, threshold: float, stats: ClusterStats) -> None:
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
