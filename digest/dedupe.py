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

import re
import unicodedata
import zlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import numpy as np

from digest.model import Item, Story

DEFAULT_THRESHOLD = 0.5  # Jaccard of whole texts' shingles; config: ranking.duplicate_similarity
SHINGLE_WORDS = 3
BANDS, ROWS = 32, 4  # a pair at Jaccard 0.5 shares a band with p = 1 - (1 - 0.5**4)**32 = 0.87; at 0.6, 0.99
_random = np.random.RandomState(20240626)  # legacy generator: the same numbers on every numpy version
_A = _random.randint(0, 1 << 63, size=BANDS * ROWS, dtype=np.uint64) * np.uint64(2) + np.uint64(1)  # odd multipliers
_B = _random.randint(0, 1 << 63, size=BANDS * ROWS, dtype=np.uint64)
_C1, _C2 = np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F)  # odd constants that mix hashes into one
_HASH_MASK = np.uint64(0xFFFFFFFF)
_SHIFT = np.uint64(32)

# Query parameters that say where a reader came from, never which page they read.
TRACKING_PARAMS = {
    "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "igshid", "twclid", "ttclid",
    "mc_cid", "mc_eid", "_ga", "_gl", "_hsenc", "_hsmi", "ref_src", "ref_url", "cmpid", "ncid", "ocid",
    "amp", "outputtype",
}
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_")
_AMP_PATH = re.compile(r"(?:/amp/?|\.amp)$|/amp(?=/)", re.IGNORECASE)
_WORD = re.compile(r"\w+")


def canonical_url(url: str) -> str:
    """The one spelling of an address: https, bare host, no tracking, no AMP, no trailing slash.

    Two links to one page become equal strings; anything that picks a different page (path, the
    remaining query parameters, sorted) is kept. A string that is not an http(s) URL comes back trimmed.
    """
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return url
    host = parts.hostname.rstrip(".")
    for prefix in ("www.", "amp."):
        if host.startswith(prefix) and host.count(".") >= 2:
            host = host[len(prefix) :]
    if ":" in host:
        host = f"[{host}]"  # an IPv6 address
    if port and port not in (80, 443):
        host = f"{host}:{port}"
    path = _AMP_PATH.sub("", parts.path)
    path = re.sub(r"/{2,}", "/", path).rstrip("/")
    query = sorted(
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if key.lower() not in TRACKING_PARAMS and not key.lower().startswith(TRACKING_PREFIXES)
    )
    return urlunsplit(("https", host, path, urlencode(query), ""))


def normalise_text(text: str) -> str:
    """The words of a text, lower-case, single-spaced: punctuation, quotes and layout do not count."""
    return " ".join(words(text))


def words(text: str) -> list[str]:
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold())


def item_text(item: Item) -> str:
    return f"{item.title}\n{item.body}"


def lead_key(item: Item) -> tuple:
    """Fullest (most words) first, then earliest (undated last), then id: the order of a story's members."""
    return (-len(item.body.split()), _timestamp(item.published), item.id)


def _timestamp(moment: datetime | None) -> float:
    return moment.timestamp() if moment else float("inf")


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


def cluster(items: Sequence[Item], *, threshold: float = DEFAULT_THRESHOLD, stats: ClusterStats | None = None) -> list[Story]:
    """Group items reporting the same event into Stories (lead = fullest member), oldest story first.

    An id given twice is one item: its fullest copy is kept.
    """
    by_id: dict[str, Item] = {}
    for item in sorted(items, key=lead_key, reverse=True):
        by_id[item.id] = item
    ordered = sorted(by_id.values(), key=lambda item: (_timestamp(item.published), item.id))
    groups = _Groups(len(ordered))
    stats = stats if stats is not None else ClusterStats()
    stats.items = len(ordered)

    for positions in _same_url(ordered):
        for other in positions[1:]:
            groups.join(positions[0], other)

    by_text: dict[str, list[int]] = defaultdict(list)
    for at, item in enumerate(ordered):
        by_text[normalise_text(item_text(item))].append(at)
    for positions in by_text.values():
        for other in positions[1:]:
            groups.join(positions[0], other)

    texts = [(positions[0], text) for text, positions in by_text.items() if text]
    stats.texts = len(texts)
    _join_near_duplicates(texts, groups, threshold, stats)

    members: dict[int, list[Item]] = defaultdict(list)
    for at, item in enumerate(ordered):
        members[groups.find(at)].append(item)
    stories = []
    for group in members.values():
        group.sort(key=lead_key)
        stories.append(Story(lead=group[0], members=group))
    stories.sort(key=lambda story: (_timestamp(_earliest(story)), story.lead.id))
    return stories


def _earliest(story: Story) -> datetime | None:
    dates = [member.published for member in story.members if member.published]
    return min(dates) if dates else None


def _same_url(ordered: Sequence[Item]) -> Iterable[list[int]]:
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


def shingles(text: str, token_hashes: dict[str, int]) -> np.ndarray:
    """The sorted distinct hashes of a normalised text's word 3-shingles (a short text is one shingle)."""
    tokens = text.split()
    for token in set(tokens).difference(token_hashes):
        token_hashes[token] = zlib.crc32(token.encode()) or 1  # 0 pads a short text
    hashes = np.fromiter(map(token_hashes.__getitem__, tokens), dtype=np.uint64, count=len(tokens))
    if len(hashes) < SHINGLE_WORDS:
        hashes = np.concatenate([hashes, np.zeros(SHINGLE_WORDS - len(hashes), dtype=np.uint64)])
    with np.errstate(over="ignore"):
        mixed = hashes[:-2] * _C1 + hashes[1:-1] * _C2 + hashes[2:]
    return np.unique(mixed >> _SHIFT ^ mixed & _HASH_MASK)  # folded to 32 bits


def signature(shingle_hashes: np.ndarray) -> np.ndarray:
    """MinHash: for each of BANDS*ROWS hash functions, the least hash over the shingles.

    The functions are multiply-add-shift hashes of 32-bit keys ((a*x + b) mod 2**64, top 32 bits),
    a universal family that needs no modulo, the costly part of the classic (a*x + b) mod p.
    """
    with np.errstate(over="ignore"):
        return ((np.outer(_A, shingle_hashes) + _B[:, None]) >> _SHIFT).min(axis=1)


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
            for start, end in zip(starts[ends - starts > 1].tolist(), ends[ends - starts > 1].tolist()):
                members = sorted(order[start:end].tolist())
                pairs.update((a, b) for i, a in enumerate(members) for b in members[i + 1 :])
    return sorted(pairs)


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Exact Jaccard similarity of two sorted distinct shingle-hash arrays."""
    shared = len(np.intersect1d(a, b, assume_unique=True))
    return shared / (len(a) + len(b) - shared)


def _join_near_duplicates(texts: list[tuple[int, str]], groups: _Groups, threshold: float, stats: ClusterStats) -> None:
    if len(texts) < 2:
        return
    token_hashes: dict[str, int] = {}
    sets = [shingles(text, token_hashes) for _, text in texts]
    signatures = np.stack([signature(shingle_set) for shingle_set in sets])
    for first, second in candidate_pairs(signatures):
        a, b = texts[first][0], texts[second][0]
        if groups.find(a) == groups.find(b):
            continue  # already one story: nothing to compare
        stats.comparisons += 1
        if jaccard(sets[first], sets[second]) >= threshold:
            groups.join(a, b)
            stats.joined += 1
