"""Sources: one module per input kind, each turning a configured source into Items.

A loader is `load(ctx) -> list[Item]`. It raises `SourceFailed` when the whole source gives
nothing (a dead server, a missing file) and calls `ctx.warn` for a bad part (one broken line):
either way the rest of the digest is still built and stderr names the source and the reason.
"""
from __future__ import annotations

import glob
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from digest.config import Config, SourceConfig
from digest.model import Item, Problem, stable_id
from digest.store import Store
from digest.text.html import canonical_url


class SourceFailed(Exception):
    """The whole source gave nothing; the message is the reason, for the user."""


@dataclass
class SourceContext:
    """What a loader may use: its settings, the whole config, the store, and the run's clock."""

    source: SourceConfig
    config: Config
    now: datetime
    store: Store | None = None
    problems: list[Problem] = field(default_factory=list)

    @property
    def tz(self):
        return self.config.source_tz(self.source)

    @property
    def lang(self) -> str:
        return self.config.source_lang(self.source)

    def warn(self, reason: str, where: str | None = None) -> None:
        """Report a bad part of the source (the rest of it is kept)."""
        self.problems.append(Problem(where or f"source '{self.source.name}'", reason))

    def paths(self) -> list[Path]:
        """The files `path:` names (globs expanded, sorted so every run reads them in one order)."""
        pattern = str(self.config.resolve(self.source.path or ""))
        matches = sorted(Path(p) for p in glob.glob(pattern, recursive=True)) if glob.has_magic(pattern) else [Path(pattern)]
        if not matches:
            raise SourceFailed(f"no file matches {self.source.path}")
        return matches

    def read_text(self, path: Path) -> str:
        try:
            return path.read_bytes().decode("utf-8", errors="replace")
        except OSError as exc:
            raise SourceFailed(f"cannot read {path}: {exc.strerror}") from None


def item_id(source: str, *, url: str | None, title: str, published: datetime | None, guid: str | None = None) -> str:
    """An item's id: from its canonical URL (so one article reached through two sources is one item),
    else from the source's own id for it, else from what it says and when."""
    if url:
        return stable_id("url", canonical_url(url))
    if guid:
        return stable_id(source, "guid", guid)
    return stable_id(source, title, published.isoformat() if published else "")


def parse_iso_date(value: str, tz) -> datetime | None:
    """An ISO 8601 date or date-time; one without an offset is taken in `tz`. None when it is not one."""
    text = value.strip()
    if text[-1:] in ("Z", "z"):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)


Loader = Callable[[SourceContext], list[Item]]


def _loaders() -> dict[str, Loader]:
    from digest.sources import jsonl, pagetext

    return {"pagetext": pagetext.load, "jsonl": jsonl.load}


def load_source(ctx: SourceContext) -> list[Item]:
    """Run one source's loader; a failure of the whole source becomes one Problem, never an exception."""
    loader = _loaders().get(ctx.source.kind)
    where = f"source '{ctx.source.name}'"
    if loader is None:
        ctx.problems.append(Problem(where, f"kind '{ctx.source.kind}' is not supported yet", source_failed=True))
        return []
    try:
        return loader(ctx)
    except SourceFailed as exc:
        ctx.problems.append(Problem(where, str(exc), source_failed=True))
        return []


def load_all(config: Config, now: datetime, store: Store | None = None) -> tuple[list[Item], list[Problem]]:
    """Every configured source's items (same id twice: the fuller copy wins) and every problem met."""
    items: dict[str, Item] = {}
    problems: list[Problem] = []
    for source in config.sources:
        ctx = SourceContext(source=source, config=config, now=now, store=store)
        for item in load_source(ctx):
            kept = items.get(item.id)
            if kept is None or len(item.body) > len(kept.body):
                items[item.id] = item
        problems.extend(ctx.problems)
    return list(items.values()), problems
