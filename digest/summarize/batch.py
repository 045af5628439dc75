"""Many summaries at once: in parallel for large batches, keyed for the cache, and `digest summarize`."""
from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Callable, Iterable, Iterator
from typing import TextIO

from digest import jsonlines
from digest.summarize.budget import fit_words
from digest.summarize.choose import SUMMARY_VERSION, check_algorithm, note_stemming, summarize

__all__ = ["summarize_jsonl", "summarize_lines", "summarize_many", "summary_key"]

PARALLEL_THRESHOLD = 64  # below this many documents a process pool costs more than it saves


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
    return _many([(text, title, sentences, lang, algorithm) for text, title in docs], algorithm, workers)


def _many(jobs: list[tuple[str, str | None, int, str, str]], algorithm: str, workers: int | None = None) -> list[list[str]]:
    check_algorithm(algorithm)
    for lang in sorted({job[3] for job in jobs}):
        note_stemming(lang)  # here, once, not once in each worker
    workers = min(workers or os.cpu_count() or 1, len(jobs))
    if workers <= 1 or len(jobs) < PARALLEL_THRESHOLD:
        return [_summarize_one(job) for job in jobs]
    from concurrent.futures import ProcessPoolExecutor  # here: multiprocessing is for large batches only

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
    words: int = 0,
    on_bad: Callable[[int, str], None],
) -> list[dict[str, object]]:
    """`digest summarize --jsonl`: {"id", "text", "title"?, "lang"?} lines in, {"id", "summary"} out,
    in input order, each within `words` words (0: no budget); a line's "lang" overrides `lang`.

    A line that is not an object with a "text" string goes to `on_bad` with its number and is skipped.
    """
    check_algorithm(algorithm)
    ids: list[object] = []
    jobs: list[tuple[str, str | None, int, str, str]] = []
    for number, record in jsonlines.objects(lines, on_bad):
        if not isinstance(record.get("text"), str):
            on_bad(number, f'needs a "text" string, not {jsonlines.describe(record.get("text"))}')
            continue
        title = record.get("title")
        line_lang = record.get("lang")
        ids.append(record.get("id"))
        jobs.append((record["text"], title if isinstance(title, str) else None, sentences,
                     line_lang if isinstance(line_lang, str) and line_lang.strip() else lang, algorithm))
    summaries = _many(jobs, algorithm)
    return [{"id": doc_id, "summary": fit_words(summary, words, job[3])}
            for doc_id, summary, job in zip(ids, summaries, jobs, strict=True)]


def summarize_lines(
    source: TextIO,
    sentences: int = 3,
    *,
    lang: str = "en",
    algorithm: str = "news",
    title: str | None = None,
    words: int = 0,
    jsonl: bool = False,
    warn: Callable[[str], None],
) -> Iterator[str]:
    """`digest summarize`: what it prints, a line at a time. The text read from `source`, summarized
    in `sentences` sentences within `words` words (0: no budget), one sentence a line; with `jsonl`,
    one {"id", "summary"} object a line, in input order (see `summarize_jsonl`), and each line that is
    not a JSON object with a "text" string named to `warn` with the file and its number."""
    if not jsonl:
        yield from fit_words(summarize(source.read(), sentences, title=title, lang=lang, algorithm=algorithm), words, lang)
        return

    def skip(number: int, reason: str) -> None:
        warn(f"{source.name}: line {number}: {reason}; skipped")

    for row in summarize_jsonl(source, sentences, lang=lang, algorithm=algorithm, words=words, on_bad=skip):
        yield json.dumps(row, ensure_ascii=False)
