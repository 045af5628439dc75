"""The editor's desk in the store: each edition's ledger as it was sent, sign-offs, and the edition
each undated item went to (an item without a date lands in the first edition built after it was seen)."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from digest.store.base import Base, reads


@dataclass(frozen=True)
class Approval:
    """Who signed an edition off, when, and the ledger they saw (its fingerprint)."""

    day: date
    approver: str
    approved: datetime
    fingerprint: str


class Desk(Base):
    def keep_ledger(self, day: date, name: str, text: str, now: datetime) -> None:
        """Keep the ledger an edition was built with ("" when it had none), so a rebuild uses it, not the file."""
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO ledgers (date, name, text, stored) VALUES (?, ?, ?, ?)",
                       (day.isoformat(), name, text, now.isoformat()))

    @reads
    def kept_ledger(self, day: date) -> tuple[str, str] | None:
        """(name, text) of the ledger kept with the edition of `day`, or None."""
        row = self.db.execute("SELECT name, text FROM ledgers WHERE date = ?", (day.isoformat(),)).fetchone()
        return (row[0], row[1]) if row else None

    def approve(self, day: date, approver: str, fingerprint: str, now: datetime) -> None:
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO approvals (date, approver, approved, fingerprint) VALUES (?, ?, ?, ?)",
                       (day.isoformat(), approver, now.isoformat(), fingerprint))

    @reads
    def approval(self, day: date) -> Approval | None:
        row = self.db.execute("SELECT approver, approved, fingerprint FROM approvals WHERE date = ?", (day.isoformat(),)).fetchone()
        return Approval(day, row[0], datetime.fromisoformat(row[1]), row[2]) if row else None

    @reads
    def undated_editions(self, item_ids: Iterable[str]) -> dict[str, date]:
        """The edition each of these undated items was given, for those given one."""
        rows = self._rows_in("SELECT item, edition FROM undated_items WHERE item IN ({marks})", list(item_ids))
        return {item: date.fromisoformat(day) for item, day in rows}

    def give_undated(self, item_ids: Iterable[str], day: date, now: datetime) -> None:
        """Put these undated items in the edition of `day`, once: an item given an edition keeps it."""
        with self.transaction() as db:
            db.executemany("INSERT OR IGNORE INTO undated_items (item, edition, seen) VALUES (?, ?, ?)",
                           ((item, day.isoformat(), now.isoformat()) for item in item_ids))

    def hold(self, day: date, now: datetime) -> None:
        """Note that a send of `day` is waiting for the editor (what `digest approve` approves by default)."""
        with self.transaction() as db:
            db.execute("INSERT OR IGNORE INTO holds (date, since) VALUES (?, ?)", (day.isoformat(), now.isoformat()))

    def skip(self, day: date, now: datetime) -> None:
        """Note that the edition of `day` was skipped at its approval deadline: no later send catches it up."""
        with self.transaction() as db:
            db.execute("INSERT INTO holds (date, since, skipped) VALUES (?, ?, ?) ON CONFLICT (date) DO UPDATE SET skipped = excluded.skipped",
                       (day.isoformat(), now.isoformat(), now.isoformat()))

    @reads
    def skipped(self, day: date) -> bool:
        row = self.db.execute("SELECT skipped FROM holds WHERE date = ?", (day.isoformat(),)).fetchone()
        return bool(row and row[0])

    @reads
    def held(self) -> list[date]:
        """The editions a send is waiting on (held, not skipped, not yet recorded), oldest first."""
        rows = self.db.execute("SELECT h.date FROM holds h WHERE h.skipped IS NULL"
                               " AND NOT EXISTS (SELECT 1 FROM editions e WHERE e.date = h.date) ORDER BY h.date")
        return [date.fromisoformat(day) for (day,) in rows]
