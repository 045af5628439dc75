"""A blurb's word budget: whole sentences while they fit, a lone long sentence cut at a clause.

A blurb reads like a digest's (a bold headline and a couple of short sentences), so the edition
gives each kind of story a word budget. Sentences are kept whole while they fit; a first sentence
longer than the whole budget is cut at the last clause boundary (a comma, semicolon, colon or
dash, or a sentence's end inside a quotation) inside it, else between words, and ends with an
ellipsis; a quotation it opens is closed after the ellipsis. A word is never cut.
"""
from __future__ import annotations

import re

__all__ = ["fit_words"]

ELLIPSIS = "…"
MIN_CLAUSE_SHARE = 0.5  # a clause cut keeps at least half the budget, else the cut falls between words
_CLAUSE_END = re.compile(r"[,;:.!?][”\"’»]?\s|\s[—–-]\s")  # also a sentence's end inside a long quotation
_QUOTES = (('"', '"'), ("“", "”"), ("«", "»"))


def fit_words(sentences: list[str], words: int) -> list[str]:
    """`sentences` within `words` words (0 means no budget)."""
    if words <= 0:
        return list(sentences)
    kept: list[str] = []
    used = 0
    for sentence in sentences:
        length = len(sentence.split())
        if used + length <= words:
            kept.append(sentence)
            used += length
        elif not kept:
            return [_cut(sentence, words)]
        else:
            break
    return kept


def _cut(sentence: str, words: int) -> str:
    """The sentence's first `words` words at most, ended at a clause boundary where there is one."""
    spans = list(re.finditer(r"\S+", sentence))
    head = sentence[: spans[words - 1].end()] if words <= len(spans) else sentence
    minimum = len(" ".join(sentence.split()[: max(1, int(words * MIN_CLAUSE_SHARE))]))
    clauses = [m.start() for m in _CLAUSE_END.finditer(sentence, 0, len(head) + 1) if m.start() >= minimum]
    end = clauses[-1] if clauses else len(head)
    cut = head[:end].rstrip(" ,;:.!?—–-") + ELLIPSIS
    for opening, closing in _QUOTES:  # a quotation opened in the blurb is closed in it
        opened = cut.count(opening) % 2 if opening == closing else cut.count(opening) - cut.count(closing)
        cut += closing * max(opened, 0)
    return cut
