"""Time `digest build` on a realistic day of N items, beside the naive way of summarizing them.

Run: .venv/bin/python bench/pipeline.py [--items 1000 10000] [--keep DIR]

For each N it writes a day of N items as JSON Lines (about 30% full stories, 70% briefs, 5% the
same event again from a second outlet, lightly edited; text from a word-pair model of the BBC
articles in ../shared/data/bbc-news-summary/, so no two items are the same text), a config
pointing at it, and then, in the same run:

- `digest build` as a user runs it (a subprocess of the real CLI, `-o` to a file), cold (a new
  store: no summary cache) then warm (the same config, data and store again): wall seconds, the
  CLI's own per-stage seconds (`--timings`), items per second and the child's peak RSS;
- the naive way: sumy LexRank (through `digest.summarize`, the same sentences and stemmer) on every
  item, one after another in one process: summarizing alone, no parsing, dedupe or rendering;
- for honesty, what summarizing EVERY item with the default summarizer on every core
  (`summarize_many`) costs: the pipeline only summarizes the stories that make the edition.

Then one table of all of it, the ratio of cold build to the naive loop, and the cost of 10x the
items (the growth from the smallest N to the largest).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "bbc-news-summary"
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from digest.summarize import summarize, summarize_many  # noqa: E402
from digest.text.markup import to_text  # noqa: E402

DAY = "2026-03-02"
STORY_SHARE, DUPLICATE_SHARE = 0.30, 0.05
OUTLETS = 100  # an aggregator of a hundred feeds
STORY_SENTENCES, BRIEF_SENTENCES = 3, 1  # the config's summary lengths, for every measurement
SEED = 20260302
TARGETS_AT = 10_000  # the targets are for a day of this many items


# ---------------------------------------------------------------------------------------------
# A realistic day


class WordPairModel:
    """Sentences in the BBC articles' words: each word follows one that followed it in an article.

    A Markov chain over word pairs keeps the vocabulary, sentence lengths and punctuation of news
    while every sentence is new, so dedupe sees distinct items and summaries have real work.
    """

    def __init__(self, sentences: list[list[str]]) -> None:
        self.next_words: dict[tuple[str, str], list[str]] = defaultdict(list)
        self.openers: list[tuple[str, str]] = []
        for words in sentences:
            if len(words) < 6:
                continue
            padded = ["", "", *words, ""]
            self.openers.append((words[0], words[1]))
            for a, b, c in zip(padded, padded[1:], padded[2:], strict=False):
                self.next_words[(a, b)].append(c)

    def sentence(self, rng: random.Random, max_words: int = 45) -> str:
        a, b = rng.choice(self.openers)
        words = [a, b]
        while len(words) < max_words:
            following = self.next_words.get((a, b))
            if not following:
                break
            word = rng.choice(following)
            if word == "":
                break
            words.append(word)
            a, b = b, word
        text = " ".join(words)
        return text if text.endswith((".", "?", "!", '"')) else text.rstrip(",;:") + "."


def load_corpus() -> tuple[WordPairModel, list[str], list[str]]:
    """The word-pair model, the article titles and the topics (sections) of the BBC set."""
    paths = sorted((DATA / "article").glob("*/*.txt"))
    if not paths:
        sys.exit(f"no data set at {DATA}: the bench needs ../shared beside the project")
    sentences, titles = [], []
    for path in paths:
        lines = [line.strip() for line in path.read_text(encoding="utf-8", errors="replace").splitlines() if line.strip()]
        titles.append(lines[0])
        sentences.extend(line.split() for line in lines[1:])
    topics = sorted({path.parent.name for path in paths})
    return WordPairModel(sentences), titles, topics


def headline(sentence: str, rng: random.Random) -> str:
    words = sentence.rstrip(".?!").split()
    return " ".join(words[: rng.randint(5, 10)]).strip(",;:'\"")


def make_day(count: int, seed: int = SEED) -> list[dict]:
    """`count` JSON Lines records for one day: stories, briefs, and second-source copies."""
    rng = random.Random(seed)
    model, _titles, topics = load_corpus()
    midnight = time.mktime(time.strptime(DAY, "%Y-%m-%d")) - time.timezone  # DAY 00:00 UTC
    records: list[dict] = []
    for number in range(count):
        published = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(midnight + rng.uniform(60, 86_000)))
        outlet = f"Outlet {rng.randrange(OUTLETS):02d}"
        if records and rng.random() < DUPLICATE_SHARE:
            records.append(second_source(rng.choice(records), number, outlet, rng))
            continue
        topic = rng.choice(topics)
        if rng.random() < STORY_SHARE / (1 - DUPLICATE_SHARE):
            paragraphs = [[model.sentence(rng) for _ in range(rng.randint(1, 3))] for _ in range(rng.randint(4, 12))]
            body = "".join(f"<p>{' '.join(p)}</p>" for p in paragraphs) if number % 2 else "\n\n".join(map(" ".join, paragraphs))
            kind = "story"
        else:
            body = " ".join(model.sentence(rng, 35) for _ in range(rng.randint(1, 3)))
            kind = "brief"
        records.append({
            "id": f"item-{number}",
            "url": f"https://news.example/{topic}/{number}",
            "published": published,
            "kind": kind,
            "title": headline(model.sentence(rng), rng),
            "body": body,
            "section": topic,
            "tags": [topic],
            "source": outlet,
            "priority": 1 if rng.random() < 0.02 else 0,
            "breaking": rng.random() < 0.005,
        })
    return records


def second_source(original: dict, number: int, outlet: str, rng: random.Random) -> dict:
    """The same event from another outlet: its own address and headline, the text lightly edited."""
    body = original["body"]
    words = body.split(" ")
    for _ in range(max(1, len(words) // 40)):  # about one word in forty changed
        at = rng.randrange(len(words))
        words[at] = rng.choice(["reportedly", "officials", "said", "on", "Monday", "also"])
    return {
        **original,
        "id": f"item-{number}",
        "url": f"https://other.example/{number}",
        "title": f"{original['title']} - {outlet}",
        "body": " ".join(words),
        "source": outlet if outlet != original["source"] else f"{outlet} wire",
    }


def write_project(folder: Path, records: list[dict]) -> Path:
    """The day as JSON Lines and a config that builds it; returns the config's path."""
    with (folder / "day.jsonl").open("w", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    config = folder / "config.yaml"
    config.write_text(
        "newsletter: {title: Bench Daily, timezone: UTC}\n"
        "sources:\n  - {name: CMS export, kind: jsonl, path: day.jsonl}\n"
        f"edition: {{date: '{DAY}'}}\n"
        f"summary: {{story_sentences: {STORY_SENTENCES}, brief_sentences: {BRIEF_SENTENCES}}}\n"
        "store: {path: store/digest.db}\n",
        encoding="utf-8",
    )
    return config


# ---------------------------------------------------------------------------------------------
# Measuring


@dataclass
class Run:
    wall: float
    peak_rss_mb: float
    stages: dict[str, float] = field(default_factory=dict)
    cpu: float = 0.0  # user + system seconds (a busy machine inflates the wall time, much less the CPU)


_TIMINGS = re.compile(r"timings \(s\): (.*)$", re.MULTILINE)


def run_build(config: Path) -> Run:
    """`digest build` as a user runs it; its wall time, peak RSS (from wait4) and stage timings."""
    command = [sys.executable, "-m", "digest", "build", "-c", str(config), "-o", str(config.parent / "out.html"), "--timings"]
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=err, cwd=config.parent,
                                 env={**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))})
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        stderr = err.read().decode("utf-8", errors="replace")
    if child.returncode != 0:
        sys.exit(f"digest build failed ({child.returncode}):\n{stderr}")
    found = _TIMINGS.search(stderr)
    if not found:
        sys.exit(f"digest build printed no timings:\n{stderr}")
    stages = {name: float(seconds) for name, seconds in (part.rsplit(" ", 1) for part in found.group(1).split(", "))}
    stages.pop("total", None)
    return Run(wall=wall, peak_rss_mb=usage.ru_maxrss / 1024, stages=stages, cpu=usage.ru_utime + usage.ru_stime)


def documents(records: list[dict]) -> dict[int, list[tuple[str, str]]]:
    """(text, title) of every item, grouped by its summary length, parsed before any clock starts."""
    by_length: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for record in records:
        length = STORY_SENTENCES if record["kind"] == "story" else BRIEF_SENTENCES
        by_length[length].append((to_text(record["body"]), record["title"]))
    return by_length


def naive_seconds(docs: dict[int, list[tuple[str, str]]]) -> tuple[float, float]:
    """sumy LexRank on every item, one after another, in this process: (wall, CPU) seconds."""
    start, cpu = time.perf_counter(), time.process_time()
    with np.errstate(all="ignore"):  # sumy's LexRank divides by zero on one-sentence texts
        for length, pairs in docs.items():
            for text, title in pairs:
                summarize(text, length, title=title, algorithm="lexrank")
    return time.perf_counter() - start, time.process_time() - cpu


def every_summary_seconds(docs: dict[int, list[tuple[str, str]]]) -> float:
    """The default summarizer on every item, on every core (what a pipeline summarizing all would pay)."""
    start = time.perf_counter()
    for length, pairs in docs.items():
        summarize_many(pairs, length)
    return time.perf_counter() - start


@dataclass
class Result:
    items: int
    cold: Run
    warm: Run
    naive: float
    naive_cpu: float
    every_summary: float
    summarized: int  # summaries the cold build made: the edition's stories, the only ones it summarizes


def measure(count: int, keep: Path | None) -> Result:
    records = make_day(count)
    folder = Path(tempfile.mkdtemp(prefix=f"digest-bench-{count}-"))
    try:
        config = write_project(folder, records)
        cold = run_build(config)
        warm = run_build(config)
        with sqlite3.connect(folder / "store" / "digest.db") as db:
            summarized = db.execute("SELECT COUNT(*) FROM summaries").fetchone()[0]
        docs = documents(records)
        naive, naive_cpu = naive_seconds(docs)
        every = every_summary_seconds(docs)
        if keep:
            shutil.copytree(folder, keep / str(count), dirs_exist_ok=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return Result(count, cold, warm, naive, naive_cpu, every, summarized)


# ---------------------------------------------------------------------------------------------
# Reporting


def load_average() -> str:
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


def report(results: list[Result], load_before: str) -> str:
    cores = os.cpu_count() or 1
    lines = [f"digest build on a generated day; {cores} cores; load average (1, 5, 15 min) before: {load_before}, after: {load_average()}", ""]
    stages = list(dict.fromkeys(name for r in results for run in (r.cold, r.warm) for name in run.stages))
    header = ["items", "run", *stages, "start-up+other", "total s", "CPU s", "items/s", "peak RSS MB"]
    lines.append("| " + " | ".join(header) + " |")
    lines.append("|" + "|".join("---:" if i != 1 else "---" for i in range(len(header))) + "|")
    for r in results:
        for name, run in (("cold", r.cold), ("warm", r.warm)):
            other = run.wall - sum(run.stages.values())
            cells = [f"{r.items:,}", name, *(f"{run.stages.get(s, 0.0):.3f}" for s in stages),
                     f"{other:.3f}", f"{run.wall:.2f}", f"{run.cpu:.2f}", f"{r.items / run.wall:,.0f}", f"{run.peak_rss_mb:.0f}"]
            lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "| items | naive: sumy LexRank, every item, serial (s) | cold build (s) | naive / cold | naive / cold in CPU s | "
              f"warm build (s) | summaries made by the cold build | default summarizer, every item, {cores} cores (s) | "
              "cold build had it summarized every item (s, estimate) |",
              "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        every_item_build = r.cold.wall - r.cold.stages.get("summaries", 0.0) + r.every_summary
        lines.append(f"| {r.items:,} | {r.naive:.2f} | {r.cold.wall:.2f} | {r.naive / r.cold.wall:.1f}x | "
                     f"{r.naive_cpu:.2f} / {r.cold.cpu:.2f} = {r.naive_cpu / r.cold.cpu:.1f}x | {r.warm.wall:.2f} | "
                     f"{r.summarized} | {r.every_summary:.2f} | {every_item_build:.2f} |")
    small, large = results[0], results[-1]
    if len(results) == 1:
        lines += ["", "growth: one size measured; give two (--items 1000 10000) to see what 10x the items costs"]
    else:
        lines += ["", f"growth {small.items:,} -> {large.items:,} items ({large.items / small.items:.0f}x): "
                  f"cold {large.cold.wall / small.cold.wall:.2f}x, warm {large.warm.wall / small.warm.wall:.2f}x, "
                  f"naive {large.naive / small.naive:.2f}x"]
    peak = max(large.cold.peak_rss_mb, large.warm.peak_rss_mb)
    checks = [
        (f"cold build at most a sixth of the naive loop ({large.cold.wall:.2f} s vs {large.naive / 6:.2f} s)", large.cold.wall <= large.naive / 6),
        (f"... in CPU seconds ({large.cold.cpu:.2f} s vs {large.naive_cpu / 6:.2f} s)", large.cold.cpu <= large.naive_cpu / 6),
        (f"warm build at most 1 s ({large.warm.wall:.2f} s; {large.warm.cpu:.2f} s CPU)", large.warm.wall <= 1),
        (f"peak RSS under 1 GB ({peak:.0f} MB)", peak < 1024),
    ]
    if len(results) > 1:
        growth = large.cold.wall / small.cold.wall
        checks.append((f"10x the items costs at most 12x ({growth:.2f}x, cold)", growth <= 12 * large.items / small.items / 10))
    if large.items < TARGETS_AT:
        return "\n".join([*lines, "", f"targets: set for {TARGETS_AT:,} items (start-up dominates smaller days)"])
    lines += ["", f"targets at {large.items:,} items:"]
    lines += [f"- {'met' if ok else 'MISSED'}: {text}" for text, ok in checks]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, nargs="+", default=[1000, 10000], help="day sizes to measure (default: 1000 10000)")
    parser.add_argument("--keep", type=Path, default=None, help="copy each generated day, config and store here")
    args = parser.parse_args()
    load_before = load_average()
    results = []
    for count in sorted(args.items):
        results.append(measure(count, args.keep))
        print(f"measured {count:,} items", file=sys.stderr)
    print(report(results, load_before))


if __name__ == "__main__":
    main()
