"""Recency x importance: one score per story, and the parts it is made of, so an editor can see why.

    score      = recency x importance
    recency    = 0.5 ** (age / ranking.half_life_hours)
    importance = 1 + breaking + priority + coverage + source + substance + keywords

`age` runs from the story's newest report to the edition's cut-off (never below 0). Every item has a
date (a DatedItem): the normalising step (digest.sources.normalise) dates an undated one by the moment
it was read, so it ranks as fresh news.

The importance signals, each weighted in `config.yaml` under `ranking.weights`:

- breaking: 1 when any member is breaking: flagged so, a "Breaking:" headline, or a tag (or section)
  in its source's `breaking_categories`, all decided once when the item is loaded.
- priority: the highest editorial priority among the members (the item's own plus its source's).
- coverage: log2 of the number of distinct sources carrying the story (1 source: 0, 2: 1, 4: 2).
- source: the highest source `weight` among the members, minus 1 (a weight-1 source adds nothing).
- substance: the lead's body length, up to 1 at 300 words (a one-line brief: 0); a body that looks
  degenerate (thousands of characters without a sentence end, one word over and over) earns 0.
- keywords: the sum of `ranking.keywords` weights of the words or phrases found in the lead's title
  and body (positive boosts, negative penalties; each counted once).

`story.components` holds each part's contribution to the score: `recency` is the recency factor
itself (what a plain, unweighted story of that age scores) and every signal contributes
recency x weight x signal, so the components add up to the score exactly (they are rounded to six
decimals first and the score is their sum). Should penalties push importance below 0.1, a `floor`
component lifts it back to 0.1, so a penalised story still sinks with age instead of rising.

Ties, and only ties, are broken by the newest report, then by the story id: equal inputs always
give one order.
"""
from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from datetime import datetime

from digest.config import Config, RankingWeights, SourceConfig
from digest.model import Story

SIGNALS = ("breaking", "priority", "coverage", "source", "substance", "keywords")
SUBSTANCE_WORDS = 300  # a body this long counts as a fully reported story
MIN_IMPORTANCE = 0.1
PLACES = 6
UNCONFIGURED = SourceConfig(name="", kind="jsonl")  # the defaults, for an item whose source is not in the config


def phrase_pattern(phrases: Iterable[str]) -> re.Pattern[str] | None:
    """One case-insensitive pattern finding any of `phrases` as whole words (any spacing between them)."""
    alternatives = sorted({" ".join(phrase.split()) for phrase in phrases if phrase.strip()}, key=lambda p: (-len(p), p))
    if not alternatives:
        return None
    body = "|".join(r"\s+".join(map(re.escape, phrase.split())) for phrase in alternatives)
    return re.compile(rf"(?<!\w)(?:{body})(?!\w)", re.IGNORECASE)


def found_phrases(pattern: re.Pattern[str] | None, text: str) -> set[str]:
    """The distinct phrases `pattern` finds in `text`, lower-case and single-spaced."""
    if pattern is None:
        return set()
    return {" ".join(match.group(0).casefold().split()) for match in pattern.finditer(text)}


def newest(story: Story) -> datetime:
    """The newest report's date."""
    return max(member.published for member in story.members)


def sort_key(story: Story) -> tuple:
    """Best first: score, then the newest report, then the id, so equal inputs give one order."""
    return (-story.score, -newest(story).timestamp(), story.id)


def ranked(stories: Iterable[Story]) -> list[Story]:
    return sorted(stories, key=sort_key)


def score(stories: Iterable[Story], cutoff: datetime, config: Config) -> list[Story]:
    """Fill each story's score and components; return the stories best first."""
    ranking = config.ranking
    sources = {source.name: source for source in config.sources}
    keyword_weights = {" ".join(phrase.casefold().split()): weight for phrase, weight in ranking.keywords.items()}
    keywords = phrase_pattern(ranking.keywords)
    stories = list(stories)
    for story in stories:
        age_hours = max(0.0, (cutoff.timestamp() - newest(story).timestamp()) / 3600)
        recency = 0.5 ** (age_hours / ranking.half_life_hours)
        signals = _signals(story, sources, ranking.weights)
        signals["keywords"] = sum(keyword_weights[phrase] for phrase in found_phrases(keywords, f"{story.lead.title}\n{story.lead.body}"))
        components = {"recency": round(recency, PLACES)}
        components.update((name, round(recency * signals[name], PLACES)) for name in SIGNALS)
        importance = 1 + sum(signals.values())
        if importance < MIN_IMPORTANCE:
            components["floor"] = round(recency * (MIN_IMPORTANCE - importance), PLACES)
        story.components = components
        story.score = round(sum(components.values()), PLACES)
    return ranked(stories)


def _signals(story: Story, sources: dict[str, SourceConfig], weights: RankingWeights) -> dict[str, float]:
    """Each weighted importance signal of a story (keywords apart: their weights are their own)."""
    member_sources = [sources.get(member.configured_source, UNCONFIGURED) for member in story.members]
    priority = max(member.priority + source.priority for member, source in zip(story.members, member_sources, strict=False))
    weight = max(source.weight for source in member_sources)
    # saturates at SUBSTANCE_WORDS, and a degenerate body (a run-on, one word repeated) earns nothing for its length
    substance = 0.0 if story.lead.suspect else min(1.0, len(story.lead.body.split()) / SUBSTANCE_WORDS)
    return {
        "breaking": weights.breaking * story.breaking,  # decided once when loaded (digest.sources.normalise)
        "priority": weights.priority * priority,
        "coverage": weights.coverage * math.log2(story.coverage),
        "source": weights.source * (weight - 1),
        "substance": weights.substance * substance,
    }


def explain_rows(stories: Iterable[Story], *, as_given: bool = False) -> list[dict]:
    """What `digest explain` shows, one dict per story in rank order (the --json lines' contract), or,
    `as_given`, in the order given: the pipeline's, the edition's stories as the editor arranged them,
    then the rest best first.
    `desk` lists what the editor's ledger did to the story ("pinned by the editor, was #7"); `updated`
    is the date of the edition a story sent before moved on from (digest.developing), else None."""
    return [
        {
            "rank": rank,
            "score": story.score,
            "components": dict(story.components),
            "coverage": story.coverage,
            "section": story.section,
            "title": story.title,
            "kind": story.kind,
            "item_ids": story.item_ids,
            "desk": list(story.desk.notes) if story.desk else [],
            "key": story.key,
            "updated": story.update.previous.isoformat() if story.update else None,  # the edition it moved on from
        }
        for rank, story in enumerate(stories if as_given else ranked(stories), start=1)
    ]


def format_explain(rows: list[dict], *, as_json: bool = False) -> str:
    """The rows as JSON lines, or as text: rank, score, non-zero components, [kind, section, xcoverage; the editor's
    edits], title last."""
    if as_json:
        return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    lines = []
    for row in rows:
        parts = " ".join(f"{name}={value:+.4f}" for name, value in row["components"].items() if value)
        desk = "".join(f"; {note}" for note in row["desk"]) + (f"; updated since the edition of {row['updated']}" if row.get("updated") else "")
        where = f"[{row['kind']}, {row['section'] or '-'}, x{row['coverage']}{desk}]"
        lines.append(f"{row['rank']:>3}  {row['score']:7.4f}  {parts}  {where}  {row['title']}\n")
    return "".join(lines)
