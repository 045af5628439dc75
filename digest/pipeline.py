"""The stages as one function: sources -> window -> dedupe -> rank -> edition -> summaries.

Summaries come last on purpose: only the stories that make the edition are summarized, and each
summary is looked up in the store's cache first, so a rebuild of the same day summarizes nothing.
Nothing here renders: fitting the edition to the email is digest.render.fit's, the step after.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from digest import dedupe, developing, rank, summarize, undated
from digest import edition as editions
from digest.config import Config
from digest.desk import Ledger, ledger_for
from digest.desk.apply import arrange
from digest.errors import DigestError
from digest.model import DatedItem, Edition, Problem, Story
from digest.sources import load_all
from digest.store import Store
from digest.summarize import boilerplate
from digest.timing import Timings


class BuildError(DigestError):
    """The edition could not be built at all (as opposed to a Problem, which leaves the rest intact)."""

    def __init__(self, message: str, problems: list[Problem]) -> None:
        super().__init__(message)
        self.problems = problems  # what went wrong on the way, for the user to see first


@dataclass
class BuildResult:
    edition: Edition
    stories: list[Story]  # every story in the window: the edition's in reading order, then the rest best first (what `explain` shows)
    problems: list[Problem]
    timings: Timings = field(default_factory=Timings)  # seconds per stage, in the order they ran
    ledger: Ledger | None = None  # the editor's ledger the edition was built with (digest.desk)

    @property
    def source_failed(self) -> bool:
        return any(problem.source_failed for problem in self.problems)

    @property
    def ledger_unused(self) -> bool:
        """An entry of the editor's ledger matched nothing, or pinned beyond the edition."""
        return any(problem.ledger for problem in self.problems)


def edition_day(config: Config, requested: date | None, now: datetime, *, sending: bool) -> date:
    """--date, else the config's pinned date, else by the clock: for a send, the latest edition whose
    cut-off has passed; for a preview (build, explain), the edition whose cut-off comes next."""
    if requested:
        return requested
    if config.edition.date:
        return date.fromisoformat(config.edition.date)
    return editions.latest_due(config, now) if sending else editions.next_due(config, now)


def build(
    config: Config, day: date, *, now: datetime, store: Store | None = None, note: str | None = None,
    timings: Timings | None = None, summaries: bool = True,
) -> BuildResult:
    """Build the edition of `day` from every configured source: chosen, laid out and summarized, for
    digest.render.fit to fit to the email.

    `note` is the editor's note (default: the ledger's, else newsletter.note). `timings` (one is made if not given) gets
    each stage's seconds. `summaries=False` leaves every summary empty: `explain` shows none.
    """
    timings = timings if timings is not None else Timings()
    start, cutoff = editions.window(config, day)
    desk_problems: list[Problem] = []
    ledger = ledger_for(config, store, day, desk_problems)  # read first: a broken ledger stops the build before any fetch
    with timings.stage("sources"):
        items, problems = load_all(config, now, store)
    problems.extend(desk_problems)
    if config.sources and sum(problem.source_failed for problem in problems) == len(config.sources):
        raise BuildError("every source failed (see the warnings above): there is nothing to build an edition from", problems)
    with timings.stage("window"):
        in_window, placed = undated.in_edition(items, config, day, now, store)
        problems.extend(placed)
        moved_on = developing.find(items, store, day, start, cutoff)  # sent before, with news since (or a correction)
        in_window += moved_on.redated
    with timings.stage("dedupe"):
        clusters = cluster(in_window, config, store)
    with timings.stage("rank"):
        stories = rank.score(clusters, cutoff, config)
    with timings.stage("edition"):
        sent = (store.sent_ids(before=day) if store is not None else frozenset()).difference(moved_on.updates)
        for story in stories:
            story.update = moved_on.updates.get(story.lead.id)
        available = [story for story in stories if not editions.was_sent(story, sent)]
        arranged = arrange(available, stories, ledger, limit=config.edition.max_stories, day=day, cutoff=cutoff)
        problems.extend(arranged.problems)
        edition = editions.build_edition(stories, config, day, sent_story_ids=sent, chosen=arranged.chosen)
        edition.note = note if note is not None else (ledger.note if ledger else None)
        edition.corrections = moved_on.corrections
        problems.extend(why_empty(config, day, problems, items, in_window, stories, available, edition))
    if summaries:
        with timings.stage("summaries"):
            problems.extend(summarize_stories([story for story in edition.stories() if not (story.desk and story.desk.blurb)], config, store))
    for story in edition.stories():
        if story.desk and story.desk.blurb:
            story.summary = [story.desk.blurb]
    if store is not None:
        with timings.stage("store"):
            store.record_items(((item.id, item.source) for item in items), now)
    return BuildResult(edition, arranged.everything, problems, timings, ledger)


def why_empty(config: Config, day: date, problems: list[Problem], items: list[DatedItem], in_window: list[DatedItem],
              stories: list[Story], available: list[Story], edition: Edition) -> list[Problem]:
    """A half-set-up config or an empty edition, named with the reason, so neither is built in silence."""
    found = []
    if not config.sources:
        found.append(Problem(str(config.file), "sources: lists no source; add one (README: Sources), or every edition is empty"))
    if edition.stories():
        return found
    failed = sum(problem.source_failed for problem in problems)
    if not config.sources:
        why = "the config has no sources"
    elif not items:
        why = "its sources gave no items"
    elif not in_window:
        start, cutoff = editions.window(config, day)
        shown = "%Y-%m-%d %H:%M %Z"
        why = f"none of the {len(items)} items read was published in its window, {start.strftime(shown)} to {cutoff.strftime(shown)}"
    elif not available:
        why = f"all {len(stories)} stories of its window were sent in earlier editions"
    elif any(story.desk and story.desk.drop for story in available):
        why = "the editor's ledger dropped every story"
    else:
        why = "edition.max_stories is 0"
    if failed:
        why += f" ({failed} of {len(config.sources)} sources failed)"
    found.append(Problem("edition", f"the edition of {day} has no stories: {why}"))
    return found


def cluster(items: list[DatedItem], config: Config, store: Store | None) -> list[Story]:
    """`dedupe.cluster`, remembered in the store under the items' fingerprint: a rebuild of the same
    items (a preview after a template change) regroups them without comparing a text again."""
    threshold = config.ranking.duplicate_similarity
    if store is None:
        return dedupe.cluster(items, threshold=threshold)
    key = dedupe.fingerprint(items, threshold)
    groups = store.clusters(key)
    if groups is not None:
        return dedupe.regroup(items, groups)
    stories = dedupe.cluster(items, threshold=threshold)
    store.put_clusters(key, [story.item_ids for story in stories])
    return stories


def summarize_stories(stories: list[Story], config: Config, store: Store | None) -> list[Problem]:
    """Fill each story's summary, from the store's cache where it can, within its kind's word
    budget, chosen from its text without its source's boilerplate (`summarize.boilerplate`); a body
    that looks degenerate (a run-on, one word repeated) is named as suspect."""
    settings = config.summary
    jobs: dict[str, list[Story]] = defaultdict(list)  # one summary may serve several stories
    budgets: dict[str, int] = {}
    problems = [
        Problem(f"source '{story.lead.source}', item '{story.lead.title[:80]}'", f"suspect text: {reason}; its summary is cut to the budget")
        for story in stories if (reason := story.lead.suspect)
    ]
    templates = boilerplate.shared_paragraphs((story.lead.source, story.text) for story in stories)
    texts: dict[str, str] = {}
    for story in stories:
        budget = settings.story_sentences if story.kind == "story" else settings.brief_sentences
        text = boilerplate.without(story.text, templates[story.lead.source])
        key = summarize.summary_key(text, story.lead.title, budget, story.lead.lang, settings.algorithm)
        jobs[key].append(story)
        budgets[key] = budget
        texts[key] = text
    summaries = store.summaries(jobs) if store is not None else {}
    batches: dict[tuple[str, int], list[str]] = defaultdict(list)
    for key in jobs.keys() - summaries.keys():
        batches[(jobs[key][0].lead.lang, budgets[key])].append(key)
    fresh: dict[str, list[str]] = {}
    for (lang, budget), keys in sorted(batches.items()):
        keys.sort()
        docs = [(texts[key], jobs[key][0].lead.title) for key in keys]
        fresh.update(zip(keys, summarize.summarize_many(docs, budget, lang=lang, algorithm=settings.algorithm), strict=False))
    if store is not None and fresh:
        store.put_summaries(fresh)
    summaries.update(fresh)
    for key, served in jobs.items():
        for story in served:
            words = settings.story_words if story.kind == "story" else settings.brief_words
            story.summary = summarize.fit_words(list(summaries[key]), words, story.lead.lang)
    return problems
