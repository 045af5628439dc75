"""The run log: each command's start, end, outcome and warnings."""
from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from digest.store.base import Base, reads

_RUN_COLUMNS = "id, command, started, ended, outcome, warnings, pid, edition, detail"


@dataclass
class RunRecord:
    id: int
    command: str
    started: datetime
    ended: datetime | None
    outcome: str | None  # None while running; "interrupted" when the process died
    warnings: list[str]
    pid: int | None
    edition: str | None
    detail: str | None


def _run(row: tuple) -> RunRecord:
    run_id, command, started, ended, outcome, warnings, pid, edition, detail = row
    return RunRecord(
        run_id, command, datetime.fromisoformat(started), datetime.fromisoformat(ended) if ended else None, outcome,
        json.loads(warnings), pid, edition, detail,
    )


class Runs(Base):
    def start_run(self, command: str, now: datetime, *, edition: date | None = None) -> int:
        with self.transaction() as db:
            cursor = db.execute(
                "INSERT INTO runs (command, started, pid, edition) VALUES (?, ?, ?, ?)",
                (command, now.isoformat(), os.getpid(), edition.isoformat() if edition else None),
            )
        assert cursor.lastrowid is not None  # an INSERT always sets it
        return cursor.lastrowid

    def end_run(self, run_id: int, outcome: str, now: datetime, *, warnings: Iterable[str] = (), detail: str | None = None) -> None:
        with self.transaction() as db:
            db.execute(
                "UPDATE runs SET ended = ?, outcome = ?, warnings = ?, detail = ? WHERE id = ?",
                (now.isoformat(), outcome, json.dumps(list(warnings), ensure_ascii=False), detail, run_id),
            )

    def close_interrupted_runs(self, command: str, now: datetime) -> int:
        """Runs of `command` left open by a process that died. Only call while holding `command`'s lock:
        then no live process can own an open run."""
        with self.transaction() as db:
            return db.execute(
                "UPDATE runs SET ended = ?, outcome = 'interrupted' WHERE command = ? AND ended IS NULL",
                (now.isoformat(), command),
            ).rowcount

    @reads
    def runs(self, limit: int = 50) -> list[RunRecord]:
        """The latest runs, newest first."""
        return [_run(row) for row in self.db.execute(f"SELECT {_RUN_COLUMNS} FROM runs ORDER BY id DESC LIMIT ?", (limit,))]
