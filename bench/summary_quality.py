"""Score the default summarizer against the lead and every sumy summarizer, one table per set.

Run: .venv/bin/python bench/summary_quality.py [--sentences 3] [--jsonl MORE.jsonl ...]

Sets (relative to the project root), all measured in the same run:

- ../shared/data/news-dev/news_dev.jsonl: 250 CNN/Daily Mail articles, raw as published, with the
  highlights their newsroom wrote (ROUGE against the highlights), also by half: the default's
  weights were set on the even-numbered lines and read on the odd ones, held out;
- ../shared/data/bbc-news-summary/: 100 BBC articles, the first line the title, each with a
  human extractive summary (sentence precision@N too: the share of picked sentences it also picked);
- any --jsonl file of {"id", "text", "summary", "title"?, "lang"?} lines (a held-back set).

Baselines: the first N sentences of the raw text, the first N after the byline, dateline and
captions are removed (the project's cleaning), and every sumy summarizer as it comes (every
sentence, the title as heading, nothing filtered) over the same offline split. Beside ROUGE-1/2 F1
(rouge-score, stemmer on), two reading checks: the share of summaries whose first sentence leans on
one left out ("He added ...", "But ...") and the share that carry a caption, byline, dateline,
credit or "Read more" fragment. Both are measured by patterns of this file, apart from the rules
the summarizer uses.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sumy.models.dom import ObjectDocumentModel, Paragraph, Sentence

from digest.summarize import ALGORITHMS, summarize
from digest.summarize.sumy_adapter import summarizer
from digest.text.clean import clean_for_summary
from digest.text.sentences import SentenceTokenizer, split_sentences

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"

try:
    from rouge_score import rouge_scorer
except ImportError:  # pragma: no cover - a setup problem, said plainly
    sys.exit("bench needs rouge-score: pip install -e '.[bench]'")



@dataclass(frozen=True)
class Article:
    name: str
    title: str | None
    body: str
    summary: tuple[str, ...]
    lang: str = "en"


def load_bbc(data: Path = DATA / "bbc-news-summary") -> list[Article]:
    """The BBC article/summary pairs, sorted by topic and number."""
    articles = []
    for path in sorted((data / "article").glob("*/*.txt")):
        lines = [line.strip() for line in path.read_text(encoding="utf-8", errors="replace").splitlines()]
        lines = [line for line in lines if line]
        summary_path = data / "summary" / path.parent.name / path.name
        summary = [line.strip() for line in summary_path.read_text(encoding="utf-8", errors="replace").splitlines()]
        articles.append(Article(f"{path.parent.name}/{path.stem}", lines[0], "\n".join(lines[1:]),
                                tuple(line for line in summary if line)))
    return articles


def load_jsonl(path: Path) -> list[Article]:
    """{"id", "text", "summary" (lines, or a list), "title"?, "lang"?} per line."""
    articles = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            summary = row["summary"] if isinstance(row["summary"], list) else row["summary"].splitlines()
            articles.append(Article(str(row.get("id")), row.get("title"), row["text"],
                                    tuple(s.strip() for s in summary if s.strip()), row.get("lang") or "en"))
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


# The reading checks, kept apart from the summarizer's own rules so they measure it.
_LEANS = re.compile(
    r"^[\"'“‘«]?(?:he|she|they|it|his|her|their|its|this|these|those|such|but|however|also|and|yet|still"
    r"|meanwhile|instead|nevertheless|moreover|furthermore|then|thus|therefore|він|вона|вони|це|але|проте"
    r"|також|он|она|они|это|но|однако|также|the\s+(?:move|decision|announcement|statement|comments|remarks"
    r"|incident|deal|plan|measure|step))\b",
    re.I,
)
_FRAGMENT = re.compile(
    r"\((?:[^()]*\b)?(?:pictured|left|right|centre|center|file photo)\b[^()]*\)|\b(?:photo|image|picture)s?\s*(?:by|:)"
    r"|getty images|\b(?:published|updated)\s*:|\bdaily mail reporter\b|\((?:cnn|reuters|ap|afp)\)"
    r"|(?-i:^By\s+(?:[A-Z][\w'’-]+\s*){1,3}(?:[.,|]|$))"
    r"|(?-i:^[A-Z]{3,}(?:,\s*\w+)*\s+[—–-])|\bread more\b|\bclick here\b|\bfollow\s+@",
    re.I,
)


def leans(summary: list[str]) -> bool:
    return bool(summary) and bool(_LEANS.match(summary[0].strip()))


def has_fragment(summary: list[str]) -> bool:
    return any(_FRAGMENT.search(s.strip()) for s in summary)


def plain_sumy(algorithm: str, count: int) -> Callable[[Article], list[str]]:
    """sumy as it comes: every sentence of the body, the title as heading, nothing filtered."""

    def run(article: Article) -> list[str]:
        tokenizer = SentenceTokenizer(article.lang)
        heading = [Sentence(article.title, tokenizer, is_heading=True)] if article.title else []
        sentences = [Sentence(s, tokenizer) for s in split_sentences(article.body, article.lang)]
        document = ObjectDocumentModel([Paragraph([*heading, *sentences])])
        return [str(s) for s in summarizer(algorithm, article.lang)(document, count)]

    return run


def systems(count: int) -> dict[str, Callable[[Article], list[str]]]:
    table: dict[str, Callable[[Article], list[str]]] = {
        "digest default (news)": lambda a: summarize(a.body, count, title=a.title, lang=a.lang),
        f"first {count}, raw": lambda a: split_sentences(a.body, a.lang)[:count],
        f"first {count}, byline removed": lambda a: split_sentences(clean_for_summary(a.body), a.lang)[:count],
    }
    for name in ALGORITHMS[1:]:
        table[f"sumy {name}"] = plain_sumy(name, count)
    return table


def table(name: str, articles: list[Article], count: int, with_precision: bool, halves: bool = False) -> None:
    """One row per system. With `halves`, ROUGE-1 also on the even-numbered articles (0, 2, ...: the
    half the default's weights were set on) and the odd-numbered ones (held out while setting them)."""
    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2"], use_stemmer=True)
    print(f"\n{name}: {len(articles)} articles, {count} sentences each\n")
    extra = f" precision@{count} |" if with_precision else ""
    extra += " R-1 even (tuned) | R-1 odd (held out) |" if halves else ""
    print(f"| {'system':<28} |{extra} ROUGE-1 F1 | ROUGE-2 F1 | opens leaning | caption/byline |")
    rule = " ----------: |" if with_precision else ""
    rule += " ---------------: | -----------------: |" if halves else ""
    print(f"| {'-' * 28} |{rule} ---------: | ---------: | ------------: | -------------: |")
    for system, run in systems(count).items():
        p = r2 = lean = fragment = 0.0
        r1: list[float] = []
        for article in articles:
            chosen = run(article)
            p += precision(chosen, article.summary)
            scores = scorer.score("\n".join(article.summary), "\n".join(chosen))
            r1.append(scores["rouge1"].fmeasure)
            r2 += scores["rouge2"].fmeasure
            lean += leans(chosen)
            fragment += has_fragment(chosen)
        n = len(articles)
        cell = f" {100 * p / n:10.1f}% |" if with_precision else ""
        if halves:
            even, odd = r1[0::2], r1[1::2]
            cell += f" {100 * sum(even) / max(len(even), 1):16.2f} | {100 * sum(odd) / max(len(odd), 1):18.2f} |"
        print(f"| {system:<28} |{cell} {100 * sum(r1) / n:10.2f} | {100 * r2 / n:10.2f} | {100 * lean / n:12.1f}% |"
              f" {100 * fragment / n:13.1f}% |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=3)
    parser.add_argument("--jsonl", type=Path, action="append", default=[], help="another set, held back")
    args = parser.parse_args()
    news_dev, bbc = DATA / "news-dev" / "news_dev.jsonl", DATA / "bbc-news-summary"
    if not news_dev.is_file() or not (bbc / "article").is_dir():
        sys.exit(f"no data sets under {DATA}: the bench needs ../shared beside the project")
    table("news-dev (newsroom highlights)", load_jsonl(news_dev), args.sentences, with_precision=False, halves=True)
    table("bbc-news-summary (extracts)", load_bbc(bbc), args.sentences, with_precision=True)
    for path in args.jsonl:
        table(path.name, load_jsonl(path), args.sentences, with_precision=False)


if __name__ == "__main__":
    main()
