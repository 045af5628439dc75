"""MinHash over word 3-shingles, in numpy: digest.dedupe's third test, near-duplicates.

Apart from dedupe so that numpy (a tenth of a second to import) is loaded only when there are texts
to compare: a rebuild that regroups the stories it remembers never needs it.
"""
from __future__ import annotations

import zlib
from collections.abc import Sequence

import numpy as np

SHINGLE_WORDS = 3
BANDS, ROWS = 32, 4  # a pair at Jaccard 0.5 shares a band with p = 1 - (1 - 0.5**4)**32 = 0.87; at 0.6, 0.99
_random = np.random.RandomState(20240626)  # legacy generator: the same numbers on every numpy version
_A = _random.randint(0, 1 << 63, size=BANDS * ROWS, dtype=np.uint64) * np.uint64(2) + np.uint64(1)  # odd multipliers
_B = _random.randint(0, 1 << 63, size=BANDS * ROWS, dtype=np.uint64)
_C1, _C2 = np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F)  # odd constants that mix hashes into one
_HASH_MASK = np.uint64(0xFFFFFFFF)
_SHIFT = np.uint64(32)


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
