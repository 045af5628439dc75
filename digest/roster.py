"""`digest readers` and the readers line of `digest status`: reader states as a table, CSV or counts.

Names and sources come from outside (a subscribe form, a bounce), so the table makes them safe for a
terminal and the CSV keeps a spreadsheet from reading a cell as a formula.
"""
from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

from digest.config import Config
from digest.readers import ReaderState, State, reader_states, settle_token_opt_outs
from digest.store import Store
from digest.text.terminal import for_terminal

COLUMNS = ["email", "name", "state", "reason", "since", "source", "listed"]
FORMATS = ("table", "csv")  # `digest readers --format`


def _row(state: ReaderState, tz: ZoneInfo) -> list[str]:
    found = state.suppression
    since = found.since.astimezone(tz).strftime("%Y-%m-%d %H:%M") if found else ""
    return [state.reader.address, state.reader.name, state.state, found.reason if found else "", since,
            found.source if found else "", state.listed]


def table(states: Iterable[ReaderState], tz: ZoneInfo) -> Iterator[str]:
    """One line per reader: state, address, then the name, and why and since when they are suppressed."""
    for state in states:
        email, name, status, reason, since, source, listed = _row(state, tz)
        detail = "  ".join(part for part in (f'"{name}"' if name else "", reason, since, source and f"({source})",
                                              listed and f"[{listed}]") if part)
        yield for_terminal(f"{status:<10}  {email}  {detail}".rstrip())


def _cell(text: str) -> str:
    """A cell a spreadsheet shows as text, never runs as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def as_csv(states: Iterable[ReaderState], tz: ZoneInfo) -> Iterator[str]:
    """The header, then one CSV line per reader."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for state in states:
        writer.writerow([_cell(cell) for cell in _row(state, tz)])
        yield out.getvalue()
        out.seek(0)
        out.truncate()
    yield out.getvalue()


def counts(states: Iterable[ReaderState], unmatched: int = 0) -> str:
    """"readers: 3 active, 1 pending confirmation, 2 suppressed (1 hard-bounce, 1 unsubscribed)"."""
    by_state: Counter[str] = Counter()
    by_reason: Counter[str] = Counter()
    for state in states:
        by_state[state.state] += 1
        if state.suppression:
            by_reason[state.suppression.reason] += 1
    reasons = ", ".join(f"{count} {reason}" for reason, count in sorted(by_reason.items()))
    line = (f"readers: {by_state[State.ACTIVE]} active, {by_state[State.PENDING]} pending confirmation,"
            f" {by_state[State.SUPPRESSED]} suppressed" + (f" ({reasons})" if reasons else ""))
    if unmatched:
        line += (f"; {unmatched} {'opt-out' if unmatched == 1 else 'opt-outs'} recorded by token match no reader"
                 " (kept: whoever they belong to is still left out)")
    return line


def summary(config: Config, store: Store, now: datetime) -> str:
    """The readers line of `digest status`, after matching any opt-outs an older digest kept by token."""
    unmatched = settle_token_opt_outs(config, store, now)
    return counts(reader_states(config, store, lambda _problem: None), unmatched)


def listing(config: Config, store: Store, fmt: str, now: datetime, on_bad: Callable[[str], None]) -> Iterator[str]:
    """`digest readers`: every reader and where they stand, as the lines of a table or of CSV (`fmt`,
    one of FORMATS), each ending in a newline, after matching any opt-outs an older digest kept by
    token. `on_bad` hears of a subscribers file's bad lines. Read while the store is open."""
    settle_token_opt_outs(config, store, now)
    states = reader_states(config, store, on_bad)
    tz = config.newsletter.tz
    return as_csv(states, tz) if fmt == "csv" else (line + "\n" for line in table(states, tz))
