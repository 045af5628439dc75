"""One text's summary: prepare it, let the named summarizer choose, give the sentences in article order."""
from __future__ import annotations

import logging
from functools import lru_cache
from typing import get_args

from digest.config import Algorithm
from digest.summarize.prepare import prepare
from digest.text.sentences import language_name, missing_stemmer

__all__ = ["ALGORITHMS", "SUMMARY_VERSION", "UnknownAlgorithm", "check_algorithm", "note_stemming", "summarize"]

log = logging.getLogger("digest")

ALGORITHMS: tuple[str, ...] = get_args(Algorithm)  # the config's schema names them
# Bump whenever cleaning, splitting or scoring changes what a summary is, so caches refresh.
SUMMARY_VERSION = "7"


class UnknownAlgorithm(ValueError):
    """The named summarizer does not exist; the message lists the ones that do."""

    def __init__(self, name: str) -> None:
        super().__init__(f"unknown summary algorithm {name!r}; choose one of: {', '.join(ALGORITHMS)}")
        self.name = name


def check_algorithm(algorithm: str) -> None:
    if algorithm not in ALGORITHMS:
        raise UnknownAlgorithm(algorithm)


@lru_cache(maxsize=64)
def note_stemming(lang: str) -> None:
    """Say once per language, on stderr, that its texts are summarized without stemming, and why
    (sumy has no stemmer for it, or the stemmer needs a package not installed: Polish's pystempel)."""
    reason = missing_stemmer(lang)
    if reason is not None:
        name = language_name(lang).capitalize() or "its"
        log.warning(f"lang '{lang}': {reason}, so {name} texts are summarized without stemming")


def summarize(
    text: str,
    sentences: int = 3,
    *,
    title: str | None = None,
    lang: str = "en",
    algorithm: str = "news",
) -> list[str]:
    """The `sentences` best sentences of `text`, in article order; a text with no more usable
    sentences than that comes back whole, and an empty one as []."""
    check_algorithm(algorithm)
    doc = prepare(text, title, lang)
    if sentences <= 0 or not doc.sentences:
        return []
    if len(doc.sentences) <= sentences:
        return list(doc.sentences)
    # sumy, and NLTK with its stemmers, are loaded here, when a text needs a choice: a build whose
    # summaries all come from the cache, and every command that summarizes nothing, never load them
    from digest.summarize.sumy_adapter import document, summarizer

    note_stemming(lang)
    model, index_of = document(doc)
    chosen = summarizer(algorithm, lang)(model, sentences)
    return [doc.sentences[i] for i in sorted({index_of[s] for s in chosen})]
