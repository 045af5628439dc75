"""Time the default summarizer against sumy's LexRank on 1,000 news articles.

Run: .venv/bin/python bench/summary_speed.py [--articles 1000] [--baseline DIR]

The articles are the 100 BBC ones in ../shared/data/bbc-news-summary/ cycled, each copy varied
(its sentences rotated by the copy's number after the first), so no two texts are the same.
Rows: sumy LexRank through `summarize` one after another; the default with one worker and with
every core through `summarize_many`; and `digest summarize --jsonl` as a user runs it (process
start-up included). The one-worker rows fit each summary to a story's word budget too (2
sentences, 60 words), as the edition does. `--baseline DIR` times the one-worker row with another
checkout's code (say a worktree at main) in a subprocess, on the same articles in the same run,
before and after this checkout's, so a change is read against what it replaces on the same load.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "bbc-news-summary"

from digest.summarize import fit_words, summarize, summarize_many  # noqa: E402

# One worker's summaries and budgets, timed inside its own interpreter (the checkout's code on PYTHONPATH).
_ONE_WORKER = """
import json, resource, sys, time
from digest.summarize import fit_words, summarize_many
articles = [tuple(pair) for pair in json.load(open(sys.argv[1]))]
cpu = lambda: sum(resource.getrusage(resource.RUSAGE_SELF)[:2])
wall, used = time.perf_counter(), cpu()
[fit_words(summary, 60) for summary in summarize_many(articles, 2, workers=1)]
print(json.dumps([time.perf_counter() - wall, cpu() - used]))
"""


def one_worker(checkout: Path, articles: list[tuple[str, str]]) -> tuple[float, float]:
    """Wall-clock and CPU seconds of the one-worker row with `checkout`'s code."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", encoding="utf-8") as file:
        json.dump(articles, file)
        file.flush()
        result = subprocess.run([sys.executable, "-c", _ONE_WORKER, file.name], capture_output=True, check=True,
                                cwd=checkout, env={**os.environ, "PYTHONPATH": str(checkout)})
    seconds, cpu = json.loads(result.stdout)
    return seconds, cpu


def load_articles(count: int) -> list[tuple[str, str]]:
    """`count` (text, title) pairs: the BBC articles cycled, each copy's body rotated."""
    paths = sorted((DATA / "article").glob("*/*.txt"))
    if not paths:
        sys.exit(f"no data set at {DATA}: the bench needs ../shared beside the project")
    base = []
    for path in paths:
        lines = [line.strip() for line in path.read_text(encoding="utf-8", errors="replace").splitlines() if line.strip()]
        base.append((lines[0], lines[1:]))
    articles = []
    for number in range(count):
        title, body = base[number % len(base)]
        turn = 1 + (number // len(base)) % max(len(body) - 1, 1) if number >= len(base) else 0
        lead, rest = body[:1], body[1:]
        articles.append(("\n".join(lead + rest[turn % max(len(rest), 1):] + rest[: turn % max(len(rest), 1)]), title))
    return articles


def _cpu() -> float:
    """CPU seconds used so far by this process and its finished children (pool workers, the CLI)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed(run: Callable[[], object]) -> tuple[float, float]:
    """Wall-clock and CPU seconds of one run: on a busy machine the second shows the work done."""
    wall, cpu = time.perf_counter(), _cpu()
    run()
    return time.perf_counter() - wall, _cpu() - cpu


def run_cli(articles: list[tuple[str, str]]) -> None:
    lines = "".join(json.dumps({"id": i, "text": t, "title": h}) + "\n" for i, (t, h) in enumerate(articles))
    result = subprocess.run(
        [sys.executable, "-m", "digest", "summarize", "--jsonl", "-n", "3"],
        input=lines.encode(), capture_output=True, cwd=ROOT, check=True,
    )
    if len(result.stdout.splitlines()) != len(articles):
        sys.exit("digest summarize --jsonl did not answer every line")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--baseline", type=Path, help="another checkout to time the one-worker row with, in the same run")
    args = parser.parse_args()
    articles = load_articles(args.articles)
    cores = os.cpu_count() or 1
    rows: list[tuple[str, tuple[float, float]]] = [
        ("sumy lexrank, serial", timed(lambda: [summarize(t, 3, title=h, algorithm="lexrank") for t, h in articles])),
    ]
    if args.baseline:
        rows.append(("news + budget, 1 worker, baseline", one_worker(args.baseline.resolve(), articles)))
    rows += [
        ("news + budget, 1 worker", one_worker(ROOT, articles)),
        ("news + budget, 1 worker, in process", timed(
            lambda: [fit_words(s, 60) for s in summarize_many(articles, 2, workers=1)])),
        (f"news, {cores} workers", timed(lambda: summarize_many(articles, 3, workers=cores))),
        (f"digest summarize --jsonl ({cores} cores)", timed(lambda: run_cli(articles))),
    ]
    if args.baseline:
        rows.append(("news + budget, 1 worker, baseline again", one_worker(args.baseline.resolve(), articles)))
    baseline = rows[0][1][0]
    load = os.getloadavg()[0]
    print(f"{len(articles)} articles, 3 sentences each, {cores} cores, load average {load:.1f} at the end\n")
    print(f"| {'system':<36} | seconds | CPU seconds | articles/s | vs LexRank |")
    print(f"| {'-' * 36} | ------: | ----------: | ---------: | ---------: |")
    for name, (seconds, cpu) in rows:
        print(
            f"| {name:<36} | {seconds:7.2f} | {cpu:11.2f} | {len(articles) / seconds:10.0f} | {baseline / seconds:9.2f}x |"
        )


if __name__ == "__main__":
    main()
