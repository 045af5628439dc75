"""Sources: one module per input kind, each turning a configured source into Items.

A loader is `load(ctx) -> list[Item]`. It raises `SourceFailed` when the whole source gives
nothing (a dead server, a missing file) and calls `ctx.warn` for a bad part (one broken line):
either way the rest of the digest is still built and stderr names the source and the reason.
What a loader gives then goes through digest.sources.normalise, which makes each Item a DatedItem:
the only kind the stages after loading take.
"""
from __future__ import annotations

import importlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from digest.config import Config, SourceConfig
from digest.identity import one_per_id
from digest.model import DatedItem, Item, Problem
from digest.progress import Progress
from digest.sources.context import FetchStates, SourceContext, parse_iso_date
from digest.sources.failure import SourceFailed
from digest.sources.parsed import ParsedFiles
from digest.store import Store

__all__ = ["SourceContext", "SourceFailed", "load_all", "load_each", "load_source", "parse_iso_date"]

Loader = Callable[[SourceContext], list[Item]]


LOADERS = ("feed", "html", "jsonl", "pagetext")  # each kind's module in digest.sources


def _loader(kind: str) -> Loader | None:
    """The kind's `load`, its module imported only when a source of that kind is loaded: feedparser
    and trafilatura cost a second of imports that a day of JSON lines has no use for."""
    return importlib.import_module(f"digest.sources.{kind}").load if kind in LOADERS else None


def load_source(ctx: SourceContext) -> list[DatedItem]:
    """Run one source's loader; a failure of the whole source becomes one Problem, never an exception."""
    from digest.sources.normalise import normalise

    loader = _loader(ctx.source.kind)
    where = f"source '{ctx.source.name}'"
    if loader is None:
        ctx.problems.append(Problem(where, f"kind '{ctx.source.kind}' is not supported yet", source_failed=True))
        return []
    try:
        return normalise(loader(ctx), ctx)
    except SourceFailed as exc:
        ctx.problems.append(Problem(where, str(exc), source_failed=True))
    except Exception as exc:  # a loader's bug or a library's crash on odd input costs this source only
        ctx.problems.append(Problem(where, f"unexpected {type(exc).__name__}: {exc}", source_failed=True))
    return []


def load_each(config: Config, now: datetime, store: Store | None = None, *, progress: bool | None = None) -> list[SourceContext]:
    """Run every configured source; one finished context (its items and problems) per source, in config order.

    Sources are loaded concurrently (`fetch.concurrency` at once) and returned in config order, so
    nothing depends on which server answered first. `progress` draws a bar on stderr; None: only
    when stderr is a terminal.
    """
    states = FetchStates(store, [source.url for source in config.sources if source.url])
    parsed = ParsedFiles(store, [source.name for source in config.sources if source.path])
    bar = Progress(len(config.sources), "sources", enabled=progress)

    def run(source: SourceConfig) -> SourceContext:
        ctx = SourceContext(source=source, config=config, now=now, store=states, parsed=parsed)
        ctx.items = load_source(ctx)
        bar.advance(source.name)
        return ctx

    with ThreadPoolExecutor(max_workers=config.fetch.concurrency) as pool:
        loaded = list(pool.map(run, config.sources))
    bar.close()
    if store:
        states.save(store)
        parsed.save(store)
    return loaded


def load_all(
    config: Config, now: datetime, store: Store | None = None, *, progress: bool | None = None
) -> tuple[list[DatedItem], list[Problem]]:
    """Every configured source's items (one per id: see digest.identity) and every problem met."""
    loaded = load_each(config, now, store, progress=progress)
    items = one_per_id(item for ctx in loaded for item in ctx.items)
    return items, [problem for ctx in loaded for problem in ctx.problems]
