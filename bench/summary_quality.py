"""Score the default summariser against every sumy summariser and the lead baseline.

Run: .venv/bin/python bench/summary_quality.py [--sentences 3]

Reads ../shared/data/bbc-news-summary/ (relative to the project root): 100 BBC articles, one
sentence a line, the first line the title, each paired with a human extractive summary. Every
system picks 3 sentences from the same body; the table gives sentence precision@3 (the share of
picked sentences the human also picked) and ROUGE-1/2 F1 (rouge-score, stemmer on).
The sumy rows are plain sumy (no cleaning, no sentence filter) over the same offline sentence
split, the way the README of the data set measured them.
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sumy.models.dom import ObjectDocumentModel, Paragraph, Sentence

from digest.summarize import ALGORITHMS, _sumy_summarizer, summarize
from digest.text.sentences import SentenceTokenizer, split_sentences

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "bbc-news-summary"

try:
    from rouge_score import rouge_scorer
except ImportError:  # pragma: no cover - a setup problem, said plainly
    sys.exit("bench needs rouge-score: pip install -e '.[bench]'")


@dataclass(frozen=True)
class Article:
    name: str
    title: str
    body: str
    summary: tuple[str, ...]


def load_articles(data: Path = DATA) -> list[Article]:
    """The article/summary pairs, sorted by topic and number."""
    if not (data / "article").is_dir():
        sys.exit(f"no data set at {data}: the bench needs ../shared beside the project")
    articles = []
    for path in sorted((data / "article").glob("*/*.txt")):
        lines = [line.strip() for line in path.read_text(encoding="utf-8", errors="replace").splitlines()]
        lines = [line for line in lines if line]
        summary_path = data / "summary" / path.parent.name / path.name
        summary = [line.strip() for line in summary_path.read_text(encoding="utf-8", errors="replace").splitlines()]
        articles.append(
            Article(
                name=f"{path.parent.name}/{path.stem}",
                title=lines[0],
                body="\n".join(lines[1:]),
                summary=tuple(line for line in summary if line),
            )
        )
    return articles


def _key(sentence: str) -> str:
    return " ".join(sentence.split())


def precision(chosen: list[str], reference: tuple[str, ...]) -> float:
    """Share of chosen sentences that the reference chose (a piece of a reference line counts)."""
    if not chosen:
        return 0.0
    lines = [_key(line) for line in reference]
    hits = sum(1 for s in chosen if any(_key(s) in line for line in lines))
    return hits / len(chosen)


def plain_sumy(algorithm: str, count: int) -> Callable[[Article], list[str]]:
    """sumy as it comes: every sentence of the body, the title as heading, nothing filtered."""

    def run(article: Article) -> list[str]:
        tokenizer = SentenceTokenizer("en")
        heading = Sentence(article.title, tokenizer, is_heading=True)
        sentences = [Sentence(s, tokenizer) for s in split_sentences(article.body)]
        document = ObjectDocumentModel([Paragraph([heading, *sentences])])
        return [str(s) for s in _sumy_summarizer(algorithm, "en")(document, count)]

    return run


def systems(count: int) -> dict[str, Callable[[Article], list[str]]]:
    table: dict[str, Callable[[Article], list[str]]] = {
        "news (default)": lambda a: summarize(a.body, count, title=a.title),
        f"first {count} sentences": lambda a: split_sentences(a.body)[:count],
    }
    for name in ALGORITHMS[1:]:
        table[f"sumy {name}"] = plain_sumy(name, count)
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=3)
    args = parser.parse_args()
    articles = load_articles()
    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2"], use_stemmer=True)
    print(f"{len(articles)} articles, {args.sentences} sentences each\n")
    print(f"| {'system':<22} | precision@{args.sentences} | ROUGE-1 F1 | ROUGE-2 F1 |")
    print(f"| {'-' * 22} | ----------: | ---------: | ---------: |")
    for name, run in systems(args.sentences).items():
        p = r1 = r2 = 0.0
        for article in articles:
            chosen = run(article)
            p += precision(chosen, article.summary)
            scores = scorer.score("\n".join(article.summary), "\n".join(chosen))
            r1 += scores["rouge1"].fmeasure
            r2 += scores["rouge2"].fmeasure
        n = len(articles)
        print(f"| {name:<22} | {100 * p / n:10.1f}% | {100 * r1 / n:10.1f} | {100 * r2 / n:10.1f} |")


if __name__ == "__main__":
    main()
