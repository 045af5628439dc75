"""Editions: what was (or is to be) sent each day, and whether it was.

Editions are the heart of exactly-once delivery: an edition is recorded `pending` with its letter and
one pending delivery per reader before anything is handed to the mail system, and `sent` the moment
its last reader is settled, so a retry re-sends the same bytes under the same Message-ID.
"""
from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from digest.store.base import Base, reads

_EDITION_COLUMNS = "date, number, message_id, status, reason, story_ids, item_ids, created, sent, subject, message, attempts, receipt, copies, letter"


class EditionStatus(StrEnum):
    """Where an edition stands; stored as its text value."""

    PENDING = "pending"  # recorded, not yet delivered to every reader
    SENT = "sent"


@dataclass
class EditionRecord:
    """One edition as the store remembers it: what was (or is to be) sent, and whether it was."""

    date: date
    number: int
    message_id: str
    status: EditionStatus
    reason: str | None  # why the last delivery attempt failed
    story_ids: list[str]
    item_ids: list[str]
    created: datetime
    sent: datetime | None
    subject: str | None
    message: bytes | None  # the exact bytes handed to the mail system, so a retry is identical
    attempts: int
    receipt: str | None  # what the server or command said when it accepted the message
    copies: int  # complete sends of the edition; more than 1 only after --force
    letter: bytes | None  # the edition's message before it has a reader (render.mime.Letter as JSON)


def _edition(row: tuple) -> EditionRecord:
    day, number, message_id, status, reason, story_ids, item_ids, created, sent, subject, message, attempts, receipt, copies, letter = row
    return EditionRecord(
        date.fromisoformat(day), number, message_id, EditionStatus(status), reason, json.loads(story_ids), json.loads(item_ids),
        datetime.fromisoformat(created), datetime.fromisoformat(sent) if sent else None, subject, message, attempts,
        receipt, copies, letter,
    )


def close_if_done(db: sqlite3.Connection, day: date, now: datetime) -> bool:
    """The edition is sent the moment its last pending reader is settled (in that same transaction,
    so a stop right after cannot leave a finished edition looking pending), unless every reader it
    did not refuse is uncertain: none is known to have got it. True when sent."""
    db.execute("UPDATE editions SET status = 'sent', sent = :now, reason = NULL, copies = copies + 1 WHERE date = :day AND status = 'pending'"
               " AND NOT EXISTS (SELECT 1 FROM deliveries WHERE edition = :day AND status = 'pending')"
               " AND (EXISTS (SELECT 1 FROM deliveries WHERE edition = :day AND status = 'sent')"
               "      OR NOT EXISTS (SELECT 1 FROM deliveries WHERE edition = :day AND status = 'uncertain'))",
               {"now": now.isoformat(), "day": day.isoformat()})
    return db.execute("SELECT status FROM editions WHERE date = ?", (day.isoformat(),)).fetchone() == ("sent",)


class Editions(Base):
    @reads
    def edition(self, day: date) -> EditionRecord | None:
        row = self.db.execute(f"SELECT {_EDITION_COLUMNS} FROM editions WHERE date = ?", (day.isoformat(),)).fetchone()
        return _edition(row) if row else None

    @reads
    def editions(self, *, status: EditionStatus | None = None) -> list[EditionRecord]:
        """Every edition (or those with `status`), oldest date first."""
        where, args = ("WHERE status = ?", (status,)) if status else ("", ())
        return [_edition(row) for row in self.db.execute(f"SELECT {_EDITION_COLUMNS} FROM editions {where} ORDER BY date", args)]

    @reads
    def latest_edition(self) -> EditionRecord | None:
        """The edition of the latest date recorded, or None before the first."""
        row = self.db.execute(f"SELECT {_EDITION_COLUMNS} FROM editions ORDER BY date DESC LIMIT 1").fetchone()
        return _edition(row) if row else None

    @reads
    def edition_number(self, day: date) -> int:
        """The number `day`'s edition has, or the one it will get: one more than the highest so far."""
        row = self.db.execute("SELECT number FROM editions WHERE date = ?", (day.isoformat(),)).fetchone()
        if row:
            return row[0]
        return self.db.execute("SELECT COALESCE(MAX(number), 0) + 1 FROM editions").fetchone()[0]

    @reads
    def sent_ids(self, before: date | None = None) -> frozenset[str]:
        """The story and item ids of every edition sent or waiting to be sent (before `before`).

        Pending editions count: their bytes are fixed and will be delivered, so their stories must not
        come again in a later edition. A rebuild of day D passes before=D so D's own stories stay in it.
        """
        query = "SELECT story_ids, item_ids FROM editions"
        rows = self.db.execute(query + " WHERE date < ?", (before.isoformat(),)) if before else self.db.execute(query)
        return frozenset(i for story_ids, item_ids in rows for i in (*json.loads(story_ids), *json.loads(item_ids)))

    def record_pending(
        self, day: date, *, message_id: str, subject: str, letter: bytes, story_ids: Iterable[str],
        item_ids: Iterable[str], readers: Iterable[tuple[str, str, str]], now: datetime,
    ) -> EditionRecord:
        """Commit the edition as pending with its letter and one pending delivery per reader
        (address, name, Message-ID), before anything is handed to the mail system. Replaces any earlier
        record of the day (a --force copy) but keeps its number and its count of copies."""
        with self.transaction() as db:
            number = self.edition_number(day)
            db.execute(
                "INSERT INTO editions (date, number, message_id, status, reason, story_ids, item_ids, created, sent, subject, letter)"
                " VALUES (?, ?, ?, 'pending', NULL, ?, ?, ?, NULL, ?, ?)"
                " ON CONFLICT (date) DO UPDATE SET message_id = excluded.message_id, status = 'pending', reason = NULL,"
                " story_ids = excluded.story_ids, item_ids = excluded.item_ids, created = excluded.created, sent = NULL,"
                " subject = excluded.subject, message = NULL, letter = excluded.letter, attempts = 0, receipt = NULL",
                (day.isoformat(), number, message_id, json.dumps(list(story_ids)), json.dumps(list(item_ids)),
                 now.isoformat(), subject, letter),
            )
            db.execute("DELETE FROM deliveries WHERE edition = ?", (day.isoformat(),))
            db.executemany(
                "INSERT INTO deliveries (edition, address, name, message_id, status) VALUES (?, ?, ?, ?, 'pending')",
                ((day.isoformat(), address, name, reader_id) for address, name, reader_id in readers),
            )
        record = self.edition(day)
        assert record is not None
        return record

    def finish_edition(self, day: date, now: datetime, reason: str | None = None) -> bool:
        """Mark the edition sent once no reader is pending; else keep it pending with `reason`. True when sent."""
        with self.transaction() as db:
            db.execute("UPDATE editions SET reason = ?, attempts = attempts + 1 WHERE date = ? AND status = 'pending'", (reason, day.isoformat()))
            return close_if_done(db, day, now)
