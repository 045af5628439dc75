"""The editor's desk: the ledger of each edition (`edition.desk`), applied after ranking, and the
sign-off (`edition.approval: required`) that holds a send until an editor approves it.

    ledger = ledger_for(config, store, day, problems)   # the file, or the one kept with a sent edition
    arranged = arrange(available, everything, ledger, ...)  # digest.desk.apply
"""
from __future__ import annotations

from datetime import date

from digest.config import Config
from digest.desk.ledger import Ledger, LedgerError, ledger_path, parse_ledger, read_ledger, shown_path
from digest.model import Problem
from digest.store import Store

__all__ = ["Ledger", "LedgerError", "ledger_for", "ledger_path", "read_ledger", "shown_path"]


def ledger_for(config: Config, store: Store | None, day: date, problems: list[Problem]) -> Ledger | None:
    """The ledger the edition of `day` is built with: the one kept with it once it is recorded (so a
    rebuild of a sent edition gives the same bytes, and editing the file afterwards changes nothing
    sent), else its file. A file changed since is named in `problems`. None: no ledger.
    (A ledger is kept only once its edition is recorded, and editions are never deleted, so a kept
    ledger says the edition is recorded: no need to read the edition, its message and all, to know.)"""
    if config.edition.desk is None:
        return None
    kept = store.kept_ledger(day) if store is not None else None
    if kept is None:
        return read_ledger(config, day)
    name, text = kept
    path = ledger_path(config, day)
    current = path.read_text(encoding="utf-8", errors="replace") if path is not None and path.is_file() else ""
    if current != text:
        problems.append(Problem(shown_path(config, day), f"changed after the edition of {day} was recorded; the ledger it was sent"
                                " with is used (editing the file changes nothing that was sent)"))
    return parse_ledger(text, name, config) if text else None
