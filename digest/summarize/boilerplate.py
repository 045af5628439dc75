"""A source's boilerplate: the paragraphs its stories in one edition share word for word.

Release notes end each release with the same upgrade advice, a live feed closes each entry with the
same "Follow our live coverage", a newsroom repeats one background paragraph under every story of a
series. Such a paragraph is the source's template, not the news of any one item, yet it is central
to each item (it shares the item's words), so a summarizer would pick it, and the email would show
it under each of them. A paragraph found in SHARED_BY or more of one source's stories in the
edition is left out of the texts their blurbs are chosen from, as boilerplate removers (boilerpipe,
trafilatura) drop a site's template across its pages. A text that would be left with nothing keeps
its paragraphs. Paragraphs are compared whole, so the cost grows with the text, not its square.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

__all__ = ["SHARED_BY", "shared_paragraphs", "without"]

SHARED_BY = 3  # two items sharing a paragraph may be one story told twice; three make a template


def _paragraphs(text: str) -> set[str]:
    """The text's lines, as a template repeats them: word for word, the same spaces inside."""
    return {line.strip() for line in text.split("\n")} - {""}


def shared_paragraphs(texts: Iterable[tuple[str, str]]) -> Mapping[str, frozenset[str]]:
    """Per source, the paragraphs that SHARED_BY or more of its texts carry; `texts` are
    (source, text) pairs, one per item."""
    counts: dict[str, Counter[str]] = {}
    for source, text in texts:
        counts.setdefault(source, Counter()).update(_paragraphs(text))
    return {source: frozenset(p for p, n in counted.items() if n >= SHARED_BY) for source, counted in counts.items()}


def without(text: str, shared: frozenset[str]) -> str:
    """`text` without its shared paragraphs; whole when they are all it has."""
    if not shared:
        return text
    lines = text.split("\n")
    kept = [line for line in lines if line.strip() not in shared]
    if not any(line.strip() for line in kept):
        return text
    return "\n".join(kept)
