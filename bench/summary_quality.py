"""Score the default summarizer against the lead and every sumy summarizer, and read its blurbs.

Run: .venv/bin/python bench/summary_quality.py [--sentences 3] [--baseline DIR] [--jsonl MORE.jsonl ...]

Sets (relative to the project root), all measured in the same run:

- ../shared/data/news-dev/news_dev.jsonl: 250 CNN/Daily Mail articles, raw as published, with the
  highlights their newsroom wrote (ROUGE against the highlights), also by half: the default's
  weights were set on the even-numbered lines and read on the odd ones, held out;
- ../shared/data/bbc-news-summary/: 100 BBC articles, the first line the title, each with a
  human extractive summary (sentence precision@N too: the share of picked sentences it also picked);
- ../shared/data/orangesum-fr-dev/orangesum_fr_dev.jsonl: 300 French articles with their authors'
  abstracts (2 sentences: the abstracts are about 35 words);
- any --jsonl file of {"id", "text", "summary", "title"?, "lang"?} lines (a held-back set);
- the sample days (config.yaml, sample/uk/config.yaml), the seeds' day (../shared/seeds) and the
  real feeds (../shared/data/feeds: release notes and a blog, another style): no reference there,
  so only the reading checks.

ROUGE-1/2 F1 is rouge-score's, stemmer on, for English; for other languages it is counted on
Unicode words (`\\w+`, lower case) without stemming, since rouge-score's tokenizer drops every
letter outside a-z. Baselines, at the same sentence count: the first N sentences of the raw text,
the first N after the byline, dateline and captions are removed, and every sumy summarizer as it
comes (every sentence, the title as heading, nothing filtered) over the same offline split.
`--baseline DIR` adds the default summarizer of another checkout (say a worktree at main), run in
a subprocess on the same articles, so a change is read against what it replaces in one run.

Then the blurbs as the edition makes them (a story: 2 sentences within 60 words; a brief: 1 within
40), read for what a reader notices: the share that ends with an ellipsis, that opens a sentence
mid-way or in lower case (its first word is not a sentence's first word in the source), that ends
on an attribution whose speaker is not in the blurb (", he said." with nothing before it naming
him), and that carries a line of page furniture ("Read more:", "Follow us on", "| Getty Images"), or a line that is a
lead-in to what the blurb left out (it ends on a colon) or a list's item with its marker ("- Fixed").
These checks are patterns of this file, apart from the rules the summarizer uses.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sumy.models.dom import ObjectDocumentModel, Paragraph, Sentence

from digest.summarize import ALGORITHMS, boilerplate, fit_words, summarize
from digest.summarize.sumy_adapter import summarizer
from digest.text.clean import clean_for_summary
from digest.text.sentences import SentenceTokenizer, split_sentences

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
SEEDS = ROOT.parent / "shared" / "seeds"
FEEDS = DATA / "feeds"
BUDGETS = {"story": (2, 60), "brief": (1, 40)}  # the edition's defaults: sentences, words

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
    kind: str = "story"
    template: frozenset[str] = frozenset()  # its source's boilerplate that day, which the build leaves out

    @property
    def text(self) -> str:
        """The text the build summarizes: the body without its source's boilerplate."""
        return boilerplate.without(self.body, self.template)


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


def load_day(config_text: str | None, config_path: Path) -> list[Article]:
    """The items of one configured day (its sources as `digest build` reads them), no references."""
    from digest.config import load_config
    from digest.sources import load_all

    if config_text is not None:
        config_path.write_text(config_text, encoding="utf-8")
    config = load_config(config_path)
    items, _ = load_all(config, datetime.now().astimezone(), progress=False)
    templates = boilerplate.shared_paragraphs((item.source, item.body) for item in items)
    return [Article(item.id, item.title, item.body, (), item.lang or config.newsletter.lang, item.kind,
                    templates[item.source])
            for item in sorted(items, key=lambda i: i.id)]


def _key(sentence: str) -> str:
    return " ".join(sentence.split())


def precision(chosen: list[str], reference: tuple[str, ...]) -> float:
    """Share of chosen sentences that the reference chose (a piece of a reference line counts)."""
    if not chosen:
        return 0.0
    lines = [_key(line) for line in reference]
    hits = sum(1 for s in chosen if any(_key(s) in line for line in lines))
    return hits / len(chosen)


class UnicodeWords:
    """rouge-score's tokenizer interface over Unicode words, lower case, no stemming."""

    def tokenize(self, text: str) -> list[str]:
        return re.findall(r"\w+", text.lower())


def scorer_for(lang: str) -> rouge_scorer.RougeScorer:
    if lang == "en":
        return rouge_scorer.RougeScorer(["rouge1", "rouge2"], use_stemmer=True)
    return rouge_scorer.RougeScorer(["rouge1", "rouge2"], tokenizer=UnicodeWords())


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
_FURNITURE = re.compile(
    r"\b(?:read\s+(?:more|also|next)|see\s+also|follow\s+us|sign\s+up\s+(?:for|to)|subscribe\s+to\s+(?:our|the)"
    r"|lire\s+aussi|à\s+lire\s+(?:aussi|également)|suivez[- ]nous|abonnez[- ]vous|lee\s+también|leer\s+más|síguenos"
    r"|suscríbete|lesen\s+sie\s+(?:auch|mehr)|mehr\s+zum\s+thema|folgen\s+sie\s+uns|leggi\s+anche|seguici"
    r"|leia\s+(?:também|mais)|siga-nos|czytaj\s+(?:też|także|więcej)|читайте\s+(?:також|также|більше)"
    r"|підписуйтес[ья]|подписывайтесь|дивіться\s+також|смотрите\s+также)\b"
    r"|[|/]\s*(?:getty\s+images|afp|reuters|ap\s+photo|epa|efe|shutterstock)\b|\(\s*(?:photo|foto)\s*:",
    re.I,
)
_TRAILING_ATTRIBUTION = re.compile(
    r"(?:,|[\"”»])\s*(?:he|she|they)\s+(?:said|says|added|adds|noted|wrote|explained|continued|told\s+\w+)"
    r"|(?:,|[\"”»])\s*(?:said|added)\s+(?:he|she)"
    r"|\b(?:a-t-(?:il|elle)|ont-(?:ils|elles)|ajoute-t-(?:il|elle)|précise-t-(?:il|elle))"
    r"|,\s*(?:додав|додала|сказав|сказала|зазначив|зазначила|наголосив|наголосила)\s+(?:він|вона)"
    r"|,\s*(?:добавил|добавила|сказал|сказала|отметил|отметила)\s+(?:он|она)"
    r"|,\s*(?:er|sie)\s+(?:sagte|fügte\s+hinzu)|,\s*(?:sagte|fügte)\s+(?:er|sie)",
    re.I,
)
# A line that points at what the blurb left out ("You can download it here:") or that is a list's item
# with its marker ("- Fixed ...").
_LEAD_IN_OR_ITEM = re.compile(r"[:：]\s*$|^\s*[-*•·▪]\s")
_ATTRIBUTION_END = re.compile(rf"(?:{_TRAILING_ATTRIBUTION.pattern})[^.!?]{{0,40}}[.!?…]?[\"”»]?\s*$", re.I)
_SENTENCE_ENDS = re.compile(r"[.!?…][\"'”’»)]*\s+(?=[\"'“‘«(]?[^\W\d_])")


def leans(summary: list[str]) -> bool:
    return bool(summary) and bool(_LEANS.match(summary[0].strip()))


def has_fragment(summary: list[str]) -> bool:
    return any(_FRAGMENT.search(s.strip()) for s in summary)


def _squash(text: str) -> str:
    return " ".join(text.split())


def _where(sentence: str, source: str) -> int:
    """Where the sentence starts in the (squashed) source, by its first words; -1 when not found."""
    words = sentence.split()
    for count in (8, 5, 3):
        found = source.find(" ".join(words[:count]))
        if found >= 0:
            return found
    return -1


# Capitalised words that open English sentences and nothing else: after a lower-case word with no
# full stop they start a sentence that a run-in photo caption ran into ("... in 2014 The cost ...").
# Not "I", which is capitalised inside a sentence too.
_RUN_IN_OPENERS = frozenset("The A An He She They It We You His Her Their Its This These Those And But In On".split())


def opens_mid_sentence(sentence: str, source: str) -> bool:
    """Lower case, or the words before it in the source do not end a sentence (nor a line, nor a
    label, nor a run-in caption before an English opener)."""
    first = re.search(r"\w", sentence)  # a sentence may open on a number: "30% des Français ..."
    if first and first.group(0).islower() and first.group(0).upper() != first.group(0):
        return True
    at = _where(sentence, source)
    before = source[:at].rstrip(" \t") if at >= 0 else ""
    if at <= 0 or before.endswith(tuple(".!?…:\"'”’»)]|\n•·—–-")):
        return False
    return sentence.lstrip("\"'“‘«").split()[0] not in _RUN_IN_OPENERS or not before[-1:].isalnum()


def orphan_attribution(blurb: list[str], source: str) -> bool:
    """A sentence ending ", he said." whose sentence before it in the source is not the one before it
    in the blurb. The text's opening sentence leaves nothing out before it: its "he" is its own
    subject ("The family's lawyer is to file a complaint ..., he announced on Friday")."""
    for number, sentence in enumerate(blurb):
        if not _ATTRIBUTION_END.search(sentence):
            continue
        here = _where(sentence, source)
        if number == 0:
            if here < 0 or _SENTENCE_ENDS.search(source[:here + 1]):
                return True
            continue
        there = _where(blurb[number - 1], source)
        if here < 0 or there < 0 or not 0 <= here - there or len(_SENTENCE_ENDS.findall(source[there:here])) > 1:
            return True
    return False


def reading(blurbs: list[list[str]], articles: list[Article]) -> dict[str, float]:
    """The reading checks' shares over the blurbs of the articles, in percent."""
    counts = {"ellipsis": 0, "mid-sentence": 0, "orphan attribution": 0, "furniture": 0, "lead-in": 0, "words": 0}
    for blurb, article in zip(blurbs, articles, strict=True):
        source = "\n".join(_squash(line) for line in article.body.splitlines())
        counts["ellipsis"] += bool(blurb) and blurb[-1].rstrip("\"'”’»)").endswith(("…", "..."))
        counts["mid-sentence"] += any(opens_mid_sentence(s, source) for s in blurb)
        counts["orphan attribution"] += orphan_attribution(blurb, source)
        counts["furniture"] += any(_FURNITURE.search(s) for s in blurb)
        counts["lead-in"] += any(_LEAD_IN_OR_ITEM.search(s) for s in blurb)
        counts["words"] += sum(len(s.split()) for s in blurb)
    n = max(len(articles), 1)
    return {key: (value / n if key == "words" else 100 * value / n) for key, value in counts.items()}


def plain_sumy(algorithm: str, count: int) -> Callable[[Article], list[str]]:
    """sumy as it comes: every sentence of the body, the title as heading, nothing filtered."""

    def run(article: Article) -> list[str]:
        tokenizer = SentenceTokenizer(article.lang)
        heading = [Sentence(article.title, tokenizer, is_heading=True)] if article.title else []
        sentences = [Sentence(s, tokenizer) for s in split_sentences(article.body, article.lang)]
        document = ObjectDocumentModel([Paragraph([*heading, *sentences])])
        return [str(s) for s in summarizer(algorithm, article.lang)(document, count)]

    return run


# The baseline checkout's summarizer, run in its own interpreter: {"text", "title", "lang", "n", "words"}
# lines in, one JSON list of sentences a line out (a document it fails on gives []).
_BASELINE = """
import json, sys
from digest.summarize import fit_words, summarize
for line in sys.stdin:
    job = json.loads(line)
    try:
        chosen = summarize(job["text"], job["n"], title=job["title"], lang=job["lang"])
        try:  # the word rules are per language since issue 23; a checkout from before takes no lang
            fitted = fit_words(chosen, job["words"], job["lang"]) if job["words"] else chosen
        except TypeError:
            fitted = fit_words(chosen, job["words"])
        print(json.dumps(fitted))
    except Exception:
        print("[]")
"""


def baseline_summaries(checkout: Path, articles: list[Article], count: int, words: int = 0) -> list[list[str]]:
    """The default summarizer of another checkout, over the same articles."""
    jobs = "".join(json.dumps({"text": a.body, "title": a.title, "lang": a.lang, "n": count, "words": words}) + "\n"
                   for a in articles)
    result = subprocess.run([sys.executable, "-c", _BASELINE], input=jobs.encode(), capture_output=True, check=True,
                            cwd=checkout, env={**os.environ, "PYTHONPATH": str(checkout)})
    return [json.loads(line) for line in result.stdout.decode().splitlines()]


def systems(count: int, baseline: Path | None) -> dict[str, Callable[[list[Article]], list[list[str]]]]:
    def each(run: Callable[[Article], list[str]]) -> Callable[[list[Article]], list[list[str]]]:
        return lambda articles: [run(a) for a in articles]

    table = {"digest default (news)": each(lambda a: summarize(a.body, count, title=a.title, lang=a.lang))}
    if baseline is not None:
        table["digest default, baseline"] = lambda articles: baseline_summaries(baseline, articles, count)
    table[f"first {count}, raw"] = each(lambda a: split_sentences(a.body, a.lang)[:count])
    table[f"first {count}, byline removed"] = each(lambda a: split_sentences(clean_for_summary(a.body), a.lang)[:count])
    for name in ALGORITHMS[1:]:
        table[f"sumy {name}"] = each(plain_sumy(name, count))
    return table


def table(name: str, articles: list[Article], count: int, with_precision: bool, baseline: Path | None,
          halves: bool = False) -> None:
    """One row per system. With `halves`, ROUGE-1 also on the even-numbered articles (0, 2, ...: the
    half the default's weights were set on) and the odd-numbered ones (held out while setting them)."""
    scorer = scorer_for(articles[0].lang if articles else "en")
    print(f"\n{name}: {len(articles)} articles, {count} sentences each\n")
    extra = f" precision@{count} |" if with_precision else ""
    extra += " R-1 even (tuned) | R-1 odd (held out) |" if halves else ""
    print(f"| {'system':<28} |{extra} ROUGE-1 F1 | ROUGE-2 F1 | opens leaning | caption/byline |")
    rule = " ----------: |" if with_precision else ""
    rule += " ---------------: | -----------------: |" if halves else ""
    print(f"| {'-' * 28} |{rule} ---------: | ---------: | ------------: | -------------: |")
    for system, run in systems(count, baseline).items():
        p = r2 = lean = fragment = 0.0
        r1: list[float] = []
        for article, chosen in zip(articles, run(articles), strict=True):
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


def blurbs_table(name: str, articles: list[Article], baseline: Path | None, by_kind: bool = False) -> None:
    """The reading checks on the blurbs the edition would show: every article as a story and as a
    brief (a set of articles), or each item by its own kind (a day)."""
    print(f"\n{name}: blurbs as the edition makes them, {len(articles)} texts\n")
    print(f"| {'blurbs':<34} | ends with … | opens mid-sentence | attribution without speaker | furniture |"
          " lead-in or list item | words |")
    print(f"| {'-' * 34} | ----------: | -----------------: | --------------------------: | --------: |"
          " -------------------: | ----: |")
    for kind in BUDGETS:
        group = [a for a in articles if a.kind == kind] if by_kind else articles
        if not group:
            continue
        count, words = BUDGETS[kind]
        runs = {"digest default": [fit_words(summarize(a.text, count, title=a.title, lang=a.lang), words, a.lang) for a in group]}
        if baseline is not None:
            runs["baseline"] = baseline_summaries(baseline, group, count, words)
        for system, blurbs in runs.items():
            shares = reading(blurbs, group)
            label = f"{system}, {'stories' if kind == 'story' else 'briefs'} ({count}, {words} words)"
            print(f"| {label:<34} | {shares['ellipsis']:10.1f}% | {shares['mid-sentence']:17.1f}% |"
                  f" {shares['orphan attribution']:26.1f}% | {shares['furniture']:8.1f}% | {shares['lead-in']:19.1f}% |"
                  f" {shares['words']:5.1f} |")


def days(baseline: Path | None) -> None:
    """The sample days and the seeds' day, as their configs read them."""
    with tempfile.TemporaryDirectory() as folder:
        found: list[tuple[str, list[Article]]] = [
            ("sample day (config.yaml)", load_day(None, ROOT / "config.yaml")),
            ("Ukrainian sample (sample/uk)", load_day(None, ROOT / "sample" / "uk" / "config.yaml")),
        ]
        if any(SEEDS.glob("*.txt")):
            seeds = (f'newsletter: {{title: Seeds, timezone: Europe/Kyiv, from: "a@example.com"}}\n'
                     f'sources: [{{name: seeds, kind: pagetext, path: "{SEEDS}/*.txt", url: "https://example.com/"}}]\n')
            found.append(("seeds' day (../shared/seeds)", load_day(seeds, Path(folder) / "seeds.yaml")))
        if any(FEEDS.glob("*")):
            feeds = ('newsletter: {title: Feeds, timezone: UTC, from: "a@example.com"}\nsources:\n'
                     + "".join(f'  - {{name: {path.name}, kind: feed, path: "{path}"}}\n' for path in sorted(FEEDS.glob("*"))))
            found.append(("real feeds (../shared/data/feeds)", load_day(feeds, Path(folder) / "feeds.yaml")))
        for name, articles in found:
            blurbs_table(name, articles, baseline, by_kind=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=3, help="for the English sets")
    parser.add_argument("--fr-sentences", type=int, default=2, help="for the French set, whose abstracts are short")
    parser.add_argument("--baseline", type=Path, help="another checkout whose default summarizer to run beside this one")
    parser.add_argument("--jsonl", type=Path, action="append", default=[], help="another set, held back")
    args = parser.parse_args()
    baseline = args.baseline.resolve() if args.baseline else None
    news_dev, bbc, french = DATA / "news-dev" / "news_dev.jsonl", DATA / "bbc-news-summary", DATA / "orangesum-fr-dev" / "orangesum_fr_dev.jsonl"
    if not news_dev.is_file() or not (bbc / "article").is_dir():
        sys.exit(f"no data sets under {DATA}: the bench needs ../shared beside the project")
    sets = [("news-dev (newsroom highlights)", load_jsonl(news_dev), args.sentences, False, True),
            ("bbc-news-summary (extracts)", load_bbc(bbc), args.sentences, True, False)]
    if french.is_file():
        sets.append(("orangesum-fr-dev (authors' abstracts, French)", load_jsonl(french), args.fr_sentences, False, False))
    sets += [(path.name, load_jsonl(path), args.sentences, False, False) for path in args.jsonl]
    for name, articles, count, with_precision, halves in sets:
        table(name, articles, count, with_precision, baseline, halves)
        blurbs_table(name, articles, baseline)
    days(baseline)


if __name__ == "__main__":
    main()
