"""Where the default summarizer sits between newsroom highlights and BBC extracts, and what any
weighting of the lead against centrality can reach on both.

Run: .venv/bin/python bench/summary_frontier.py [--sentences 3]

Two sets pull apart (bench/summary_quality.py has their full tables). The newsroom highlights of
news-dev reward the lead: the first three sentences beat every sumy summarizer there by 4 to 10
ROUGE-1 points. The BBC extracts reward centrality: sumy's TextRank beats the first three
sentences there by 14 points. Issue 23 asks for one default that is at least the lead + 0.5 on
news-dev and at least every sumy summarizer (TextRank) on BBC, in the same run.

This bench walks two families of the default summarizer from "all lead" to "all centrality", on
the same prepared sentences, and prints each point on both sets:

- the default as it is, its lead weight moved from 0 to 20 (centrality, headline and the
  sentence-quality factors as they are);
- the same with sumy's TextRank (self-loops, no lead in its random jump) as its centrality, the
  measure that wins on BBC, and no weight on the headline, so that its "all centrality" end is
  sumy's TextRank on the default's sentences.

A row marked "both" would meet both targets. Each point is read on the same articles in the same
run, so the rows compare with each other and with the baselines printed above them.
"""
from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import replace

import numpy as np
from summary_quality import DATA, Article, load_bbc, load_jsonl, plain_sumy, precision, scorer_for

from digest.summarize.news import NewsSummarizer, Weights
from digest.summarize.prepare import prepare
from digest.summarize.sumy_adapter import document
from digest.text.clean import clean_for_summary
from digest.text.sentences import split_sentences, stemmer_for, stop_words_for

LEAD_WEIGHTS = (0.0, 0.1, 0.25, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 5.0, 20.0)


class TextRankCentrality(NewsSummarizer):
    """The default with sumy's TextRank as its centrality: word overlap over the sum of the log
    lengths, each sentence linked to itself too, and a random jump to any sentence alike."""

    def centrality(self, counts: np.ndarray, lead: np.ndarray) -> np.ndarray:
        overlap = counts @ counts.T
        log_lengths = np.log(np.maximum(counts.sum(axis=1), 1.0))
        norm = log_lengths[:, None] + log_lengths[None, :]
        edges = np.divide(overlap, norm, out=overlap.copy(), where=norm > 0)
        rows = edges.sum(axis=1, keepdims=True)
        size = counts.shape[0]
        transition = np.divide(edges, rows, out=np.full_like(edges, 1.0 / size), where=rows > 0)
        rank = np.full(size, 1.0 / size)
        for _ in range(200):
            updated = 0.15 / size + 0.85 * (transition.T @ rank)
            converged = np.abs(updated - rank).sum() < 1e-9
            rank = updated
            if converged:
                break
        return rank / rank.max()


def run_with(kind: type[NewsSummarizer], weights: Weights, count: int) -> Callable[[Article], list[str]]:
    """One point of a family: the default's preparation, this summarizer and weights."""

    def run(article: Article) -> list[str]:
        doc = prepare(article.body, article.title, article.lang)
        if len(doc.sentences) <= count:
            return list(doc.sentences)
        model, index_of = document(doc)
        chosen = kind(stemmer_for(article.lang), stop_words_for(article.lang), article.lang, weights)(model, count)
        return [doc.sentences[i] for i in sorted({index_of[s] for s in chosen})]

    return run


def score(run: Callable[[Article], list[str]], articles: list[Article]) -> tuple[float, float]:
    """Mean ROUGE-1 F1 and sentence precision, in percent."""
    scorer = scorer_for("en")
    r1 = p = 0.0
    for article in articles:
        chosen = run(article)
        r1 += scorer.score("\n".join(article.summary), "\n".join(chosen))["rouge1"].fmeasure
        p += precision(chosen, article.summary)
    return 100 * r1 / len(articles), 100 * p / len(articles)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sentences", type=int, default=3)
    count = parser.parse_args().sentences
    news_path = DATA / "news-dev" / "news_dev.jsonl"
    if not news_path.exists() or not (DATA / "bbc-news-summary").exists():
        raise SystemExit(f"needs ../shared/data beside the project ({DATA} not found)")
    news, bbc = load_jsonl(news_path), load_bbc()

    baselines: dict[str, Callable[[Article], list[str]]] = {
        f"first {count}, byline removed": lambda a: split_sentences(clean_for_summary(a.body), a.lang)[:count],
        "sumy textrank": plain_sumy("textrank", count),
        "sumy luhn": plain_sumy("luhn", count),
        "sumy lexrank": plain_sumy("lexrank", count),
    }
    measured = {name: (score(run, news), score(run, bbc)) for name, run in baselines.items()}
    news_target = measured[f"first {count}, byline removed"][0][0] + 0.5
    bbc_target = max(measured[name][1][0] for name in baselines if name.startswith("sumy"))

    print(f"\n{len(news)} news-dev articles, {len(bbc)} BBC articles, {count} sentences each\n")
    print(f"targets (issue 23): news-dev ROUGE-1 >= {news_target:.2f} (the lead + 0.5), "
          f"BBC ROUGE-1 >= {bbc_target:.2f} (the best sumy summarizer)\n")
    print("| system | lead weight | news-dev ROUGE-1 | BBC ROUGE-1 | BBC precision@3 | meets |")
    print("| --- | --: | --: | --: | --: | --- |")
    for name, ((news_r1, _), (bbc_r1, bbc_p)) in measured.items():
        print(f"| {name} | | {news_r1:.2f} | {bbc_r1:.2f} | {bbc_p:.1f}% | |")
    default = Weights()
    families = (("digest default", NewsSummarizer, default),
                ("TextRank centrality, no headline", TextRankCentrality, replace(default, title=0.0)))
    for family, kind, weights in families:
        for lead in LEAD_WEIGHTS:
            run = run_with(kind, replace(weights, lead=lead), count)
            (news_r1, _), (bbc_r1, bbc_p) = score(run, news), score(run, bbc)
            meets = [label for label, ok in (("news-dev", news_r1 >= news_target), ("BBC", bbc_r1 >= bbc_target)) if ok]
            label = "both" if len(meets) == 2 else ", ".join(meets)
            mark = " (default)" if kind is NewsSummarizer and lead == default.lead else ""
            print(f"| {family}{mark} | {lead:g} | {news_r1:.2f} | {bbc_r1:.2f} | {bbc_p:.1f}% | {label} |", flush=True)


if __name__ == "__main__":
    main()
