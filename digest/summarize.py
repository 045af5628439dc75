"""Extractive summaries: pick the sentences an editor would pick, offline, in article order.

`summarize` cleans the text (bylines, captions, prompts), splits it into sentences with the
project's own offline splitter, sets aside sentences that make poor blurbs (fragments, lists of
names, sentences over 60 words, the headline repeated), then lets one algorithm choose.

The default, "news", was weighed on data (bench/summary_quality.py): centrality, what the article
keeps returning to, carries nearly all the signal; short sentences carry less of the story; a
near-repeat of a chosen sentence wastes the reader's time. The lead and the title were measured
too: past a tie-break they cost precision there, since a central sentence already is the lead
whenever the lead tells the story, so the lead only settles near-ties and the title only keeps
the headline out of its own summary.

sumy's summarisers are available by name, fed with the same sentences, stemmer and stop words,
so they need no NLTK data either.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import re
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from digest import jsonlines
from digest.text.clean import clean_for_summary
from digest.text.sentences import (
    SentenceTokenizer,
    split_sentences,
    stemmer_for,
    stop_words_for,
    tokenize_words,
)

if TYPE_CHECKING:
    from sumy.models.dom import ObjectDocumentModel

__all__ = [
    "ALGORITHMS",
    "SUMMARY_VERSION",
    "UnknownAlgorithm",
    "summarize",
    "summarize_jsonl",
    "summarize_many",
    "summary_key",
]

ALGORITHMS: tuple[str, ...] = ("news", "lexrank", "textrank", "luhn", "lsa", "kl", "sumbasic", "edmundson")
# Bump whenever cleaning, splitting or scoring changes what a summary is, so caches refresh.
SUMMARY_VERSION = "3"

MAX_WORDS = 60  # a longer sentence is a paragraph, not a blurb line
MIN_WORDS = 4  # fewer words is a fragment ("Read the full story.")
MIN_WORDS_UNPUNCTUATED = 10  # a short line without end punctuation is a heading or a label
LIST_PART_MAX_WORDS = 6  # a list's items are names or short phrases
PARALLEL_THRESHOLD = 64  # below this many documents a process pool costs more than it saves

# The "news" scorer, weighed on data (see bench/summary_quality.py): a sentence's worth is its
# centrality, damped for short sentences, plus a small lead prior that settles near-ties in
# favour of the top of the story; a near-repeat of a chosen sentence is never chosen.
DAMPING = 0.85  # PageRank's damping, as in TextRank
SUBSTANCE_WORDS = 20  # a sentence shorter than this carries less of the story...
SUBSTANCE_EXPONENT = 0.3  # ...by the factor (words / SUBSTANCE_WORDS) ** SUBSTANCE_EXPONENT
LEAD_WEIGHT = 0.02  # times 1 / sqrt(1 + position); centrality is scaled to a maximum of 1
DUPLICATE_SIMILARITY = 0.5  # cosine over content-word counts above which two sentences repeat

# The work on one text is bounded, so an item of 8,000 sentences (or the 5 MB a fetch may bring)
# costs what a long article does: the summariser reads at most TEXT_BUDGET characters (the lead,
# then evenly spread stretches of the rest) and scores at most MAX_SENTENCES of its sentences (the
# first LEAD_SENTENCES, then an even sample), since scoring compares every sentence with every
# other. A news article, even a long read, is well under both, and is summarised as it always was.
TEXT_BUDGET = 100_000
TEXT_STRETCHES = 20  # the stretches of a text over budget: its lead and 19 more, evenly spread
MAX_SENTENCES = 200
LEAD_SENTENCES = 80

_END_PUNCTUATION = tuple(".!?…。！？\"'”’»)")


class UnknownAlgorithm(ValueError):
    """The named summariser does not exist; the message lists the ones that do."""

    def __init__(self, name: str) -> None:
        super().__init__(f"unknown summary algorithm {name!r}; choose one of: {', '.join(ALGORITHMS)}")
        self.name = name


@dataclass(frozen=True)
class _Prepared:
    """A text ready to summarise: its usable sentences in order, grouped by paragraph."""

    sentences: tuple[str, ...]
    paragraph_of: tuple[int, ...]  # paragraph number of each sentence
    title: str | None
    lang: str


def _word_count(sentence: str) -> int:
    return len(sentence.split())


def _is_list_of_names(sentence: str) -> bool:
    """Line-ups, credits and lists: nothing but short comma-separated parts, or nearly all
    capitalised words. A sentence with a list inside it ("India, along with China, Brazil and
    Russia, has been invited to ...") has a long part and is kept."""
    parts = [p.strip(" \"'“”") for p in re.split(r"(?<!\d)[,;]|[,;](?!\d)", sentence)]
    parts = [p for p in parts if p]
    if (
        len(parts) >= 4
        and max(_word_count(p) for p in parts) <= LIST_PART_MAX_WORDS
        and sum(p[0].isupper() for p in parts) * 2 >= len(parts)
    ):
        return True
    words = re.findall(r"[^\W\d_][\w'’-]*", sentence)
    capitalised = sum(1 for w in words if w[0].isupper())
    return len(words) >= 6 and capitalised / len(words) >= 0.8


def _is_usable(sentence: str, title_key: str) -> bool:
    """Whether a sentence can stand alone as a line of a blurb."""
    words = _word_count(sentence)
    if words < MIN_WORDS or words > MAX_WORDS:
        return False
    if words < MIN_WORDS_UNPUNCTUATED and not sentence.endswith(_END_PUNCTUATION):
        return False
    if title_key and _normalise(sentence) == title_key:
        return False  # the headline repeated at the top of the body
    if _splits_a_quote(sentence):
        return False  # one piece of a quotation that runs over several sentences reads as a fragment
    return not _is_list_of_names(sentence)


def _quotations_whole(sentences: list[str]) -> list[str]:
    """Sentences, with a quotation that runs over several of them kept as one piece, so a blurb
    never opens a quote it does not close."""
    joined: list[str] = []
    for sentence in sentences:
        if joined and _splits_a_quote(joined[-1]):
            joined[-1] = f"{joined[-1]} {sentence}"
        else:
            joined.append(sentence)
    return joined


def _splits_a_quote(sentence: str) -> bool:
    """An opening or closing quotation mark whose partner is in another sentence."""
    straight = sentence.count('"') % 2 == 1
    curly = sentence.count("“") != sentence.count("”")
    guillemets = sentence.count("«") != sentence.count("»")
    return straight or curly or guillemets


def _normalise(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def _within_budget(text: str) -> str:
    """`text`, or for a text over TEXT_BUDGET its lead and evenly spread stretches of the rest, each
    starting and ending at a line break (else a full stop and a space) so that sentences stay whole."""
    if len(text) <= TEXT_BUDGET:
        return text
    length = TEXT_BUDGET // TEXT_STRETCHES
    starts = [0] + [_boundary_after(text, number * len(text) // TEXT_STRETCHES) for number in range(1, TEXT_STRETCHES)]
    ends = [min(_boundary_after(text, start + length), following) for start, following in zip(starts, [*starts[1:], len(text)], strict=False)]
    stretches = (text[start:end].strip() for start, end in zip(starts, ends, strict=False))
    return "\n\n".join(stretch for stretch in stretches if stretch)


def _boundary_after(text: str, at: int) -> int:
    """The first place at or after `at` where a line or (failing that, nearby) a sentence ends."""
    window = text[at : at + 2_000]
    for mark in ("\n", ". "):
        found = window.find(mark)
        if found >= 0:
            return at + found + len(mark)
    return min(at + len(window), len(text))


def _sample(kept: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """At most MAX_SENTENCES of the sentences, in order: the first LEAD_SENTENCES, then an even spread."""
    if len(kept) <= MAX_SENTENCES:
        return kept
    rest = kept[LEAD_SENTENCES:]
    wanted = MAX_SENTENCES - LEAD_SENTENCES
    return kept[:LEAD_SENTENCES] + [rest[n * len(rest) // wanted] for n in range(wanted)]


def _prepare(text: str, title: str | None, lang: str) -> _Prepared:
    """Clean, split, drop poor blurb sentences and exact repeats; bound the work (TEXT_BUDGET, MAX_SENTENCES)."""
    cleaned = clean_for_summary(_within_budget(text or ""))
    title_key = _normalise(title) if title else ""
    paragraphs = [split_sentences(paragraph, lang) for paragraph in cleaned.split("\n\n")]
    usable = [(s, p) for p, sentences in enumerate(paragraphs) for s in sentences if _is_usable(s, title_key)]
    if not usable:
        # a brief that is one short line, or one quotation over several sentences, is still its own
        # best summary: shown whole, a quotation never cut open
        usable = [
            (s, p) for p, sentences in enumerate(paragraphs) for s in _quotations_whole(sentences)
            if not title_key or _normalise(s) != title_key
        ]
    seen: set[str] = set()
    kept: list[tuple[str, int]] = []
    for sentence, paragraph in usable:
        key = _normalise(sentence)
        if key not in seen:
            seen.add(key)
            kept.append((sentence, paragraph))
    kept = _sample(kept)
    return _Prepared(
        sentences=tuple(s for s, _ in kept),
        paragraph_of=tuple(p for _, p in kept),
        title=title,
        lang=lang,
    )


# ---------------------------------------------------------------------------------------------
# The "news" summariser


def _content_terms(sentence: str, lang: str) -> list[str]:
    """Stemmed words that are not stop words."""
    stop = stop_words_for(lang)
    stem = stemmer_for(lang)
    return [stem(w.lower()) for w in tokenize_words(sentence, lang) if w.lower() not in stop]


def _count_matrix(term_lists: Sequence[Sequence[str]]) -> np.ndarray:
    """Sentence x term matrix of counts."""
    vocabulary: dict[str, int] = {}
    for terms in term_lists:
        for term in terms:
            vocabulary.setdefault(term, len(vocabulary))
    matrix = np.zeros((len(term_lists), max(len(vocabulary), 1)))
    for row, terms in enumerate(term_lists):
        for term in terms:
            matrix[row, vocabulary[term]] += 1.0
    return matrix


def _centrality(counts: np.ndarray) -> np.ndarray:
    """TextRank's PageRank over shared content words, normalised by the sentences' log lengths,
    scaled to a maximum of 1. Unlike sumy's TextRank there are no self-loops, which would
    reward a long sentence for resembling itself."""
    size = counts.shape[0]
    overlap = counts @ counts.T
    np.fill_diagonal(overlap, 0.0)
    log_lengths = np.log(np.maximum(counts.sum(axis=1), 1.0))
    norm = log_lengths[:, None] + log_lengths[None, :]
    weights = np.divide(overlap, norm, out=overlap.copy(), where=norm > 0)
    row_sums = weights.sum(axis=1, keepdims=True)
    transition = np.divide(weights, row_sums, out=np.full_like(weights, 1.0 / size), where=row_sums > 0)
    rank = np.full(size, 1.0 / size)
    for _ in range(200):
        updated = (1.0 - DAMPING) / size + DAMPING * (transition.T @ rank)
        converged = np.abs(updated - rank).sum() < 1e-9
        rank = updated
        if converged:
            break
    return rank / rank.max()


def _cosine(counts: np.ndarray) -> np.ndarray:
    norms = np.sqrt((counts * counts).sum(axis=1))
    norms[norms == 0] = 1.0
    return (counts @ counts.T) / (norms[:, None] * norms[None, :])


def _news(doc: _Prepared, count: int) -> list[int]:
    """Choose up to `count` sentence indices: centrality x substance + lead, no near-repeats."""
    counts = _count_matrix([_content_terms(s, doc.lang) for s in doc.sentences])
    words = np.array([_word_count(s) for s in doc.sentences], dtype=float)
    substance = np.minimum(words / SUBSTANCE_WORDS, 1.0) ** SUBSTANCE_EXPONENT
    lead = 1.0 / np.sqrt(1.0 + np.arange(len(words)))
    score = _centrality(counts) * substance + LEAD_WEIGHT * lead
    similarity = _cosine(counts)
    chosen: list[int] = []
    for _ in range(min(count, len(words))):
        allowed = score.copy()
        if chosen:
            allowed[similarity[chosen].max(axis=0) > DUPLICATE_SIMILARITY] = -np.inf
            allowed[chosen] = -np.inf
        best = int(np.argmax(allowed))  # the earliest of equal scores
        if allowed[best] == -np.inf:
            break  # everything left repeats what is already chosen
        chosen.append(best)
    return chosen


# ---------------------------------------------------------------------------------------------
# sumy's summarisers, on the same sentences


def _sumy_summarizer(algorithm: str, lang: str) -> Callable[[ObjectDocumentModel, int], tuple]:
    # sumy's summarisers are imported here, when one is asked for: they load NLTK, a cost that a
    # build summarising with "news", or nothing at all (a rebuild from the cache), need not pay.
    from sumy.summarizers.edmundson import EdmundsonSummarizer
    from sumy.summarizers.kl import KLSummarizer
    from sumy.summarizers.lex_rank import LexRankSummarizer
    from sumy.summarizers.lsa import LsaSummarizer
    from sumy.summarizers.luhn import LuhnSummarizer
    from sumy.summarizers.sum_basic import SumBasicSummarizer
    from sumy.summarizers.text_rank import TextRankSummarizer

    stemmer = stemmer_for(lang)
    stop_words = stop_words_for(lang)
    summarizer: Any  # sumy has no type information
    if algorithm == "edmundson":
        # Edmundson's cue and key methods need hand-made bonus and stigma word lists; the title
        # and location methods need only the stop words (its "null words"). "" stands in for
        # a language without stop words, since sumy refuses an empty list.
        summarizer = EdmundsonSummarizer(stemmer, cue_weight=0.0, key_weight=0.0)
        summarizer.null_words = stop_words or frozenset({""})
        return summarizer
    classes = {
        "lexrank": LexRankSummarizer,
        "textrank": TextRankSummarizer,
        "luhn": LuhnSummarizer,
        "lsa": LsaSummarizer,
        "kl": KLSummarizer,
        "sumbasic": SumBasicSummarizer,
    }
    summarizer = classes[algorithm](stemmer)
    summarizer.stop_words = stop_words
    return summarizer


def _sumy(doc: _Prepared, count: int, algorithm: str) -> list[int]:
    """Run one of sumy's summarisers over the prepared sentences; map its choice to indices."""
    from sumy.models.dom import ObjectDocumentModel, Paragraph, Sentence

    tokenizer = SentenceTokenizer(doc.lang)
    index_of: dict[Sentence, int] = {}
    paragraphs: dict[int, list[Sentence]] = {}
    for index, (text, number) in enumerate(zip(doc.sentences, doc.paragraph_of, strict=False)):
        sentence = Sentence(text, tokenizer)
        index_of[sentence] = index
        paragraphs.setdefault(number, []).append(sentence)
    groups = list(paragraphs.values())
    if doc.title:  # the headline heads the first paragraph, as in sumy's plain-text parser
        groups[0].insert(0, Sentence(doc.title, tokenizer, is_heading=True))
    document = ObjectDocumentModel([Paragraph(group) for group in groups])
    chosen = _sumy_summarizer(algorithm, doc.lang)(document, count)
    return [index_of[s] for s in chosen]


# ---------------------------------------------------------------------------------------------
# Public API


def _check_algorithm(algorithm: str) -> None:
    if algorithm not in ALGORITHMS:
        raise UnknownAlgorithm(algorithm)


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
    _check_algorithm(algorithm)
    doc = _prepare(text, title, lang)
    if sentences <= 0 or not doc.sentences:
        return []
    if len(doc.sentences) <= sentences:
        return list(doc.sentences)
    if algorithm == "news":
        chosen = _news(doc, sentences)
    else:
        chosen = _sumy(doc, sentences, algorithm)
    return [doc.sentences[i] for i in sorted(set(chosen))]


def _summarize_one(job: tuple[str, str | None, int, str, str]) -> list[str]:
    text, title, sentences, lang, algorithm = job
    return summarize(text, sentences, title=title, lang=lang, algorithm=algorithm)


def summarize_many(
    docs: Iterable[tuple[str, str | None]],
    sentences: int = 3,
    *,
    lang: str = "en",
    algorithm: str = "news",
    workers: int | None = None,
) -> list[list[str]]:
    """Summaries of (text, title) pairs, in input order; large batches use every core."""
    _check_algorithm(algorithm)
    jobs = [(text, title, sentences, lang, algorithm) for text, title in docs]
    workers = min(workers or os.cpu_count() or 1, len(jobs))
    if workers <= 1 or len(jobs) < PARALLEL_THRESHOLD:
        return [_summarize_one(job) for job in jobs]
    chunk = max(1, math.ceil(len(jobs) / (workers * 4)))
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(_summarize_one, jobs, chunksize=chunk))


def summary_key(text: str, title: str | None, sentences: int, lang: str, algorithm: str) -> str:
    """A cache key for one summary: sha256 over the inputs, the settings and SUMMARY_VERSION."""
    payload = json.dumps(
        [SUMMARY_VERSION, algorithm, lang, sentences, title, text], ensure_ascii=False, separators=(",", ":")
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def summarize_jsonl(
    lines: Iterable[str],
    sentences: int = 3,
    *,
    lang: str = "en",
    algorithm: str = "news",
    on_bad: Callable[[int, str], None],
) -> list[dict[str, object]]:
    """`digest summarize --jsonl`: {"id", "text", "title"?} lines in, {"id", "summary"} out, in input order.

    A line that is not an object with a "text" string goes to `on_bad` with its number and is skipped.
    """
    _check_algorithm(algorithm)
    ids: list[object] = []
    docs: list[tuple[str, str | None]] = []
    for number, record in jsonlines.objects(lines, on_bad):
        if not isinstance(record.get("text"), str):
            on_bad(number, f'needs a "text" string, not {jsonlines.describe(record.get("text"))}')
            continue
        title = record.get("title")
        ids.append(record.get("id"))
        docs.append((record["text"], title if isinstance(title, str) else None))
    summaries = summarize_many(docs, sentences, lang=lang, algorithm=algorithm)
    return [{"id": doc_id, "summary": summary} for doc_id, summary in zip(ids, summaries, strict=False)]
