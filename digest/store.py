"""The SQLite store: items seen, the summary cache, fetch state, editions and runs, in one file.

Schema changes are numbered migrations applied in order inside a transaction, so an old store file
opens with any newer version of digest. WAL mode lets a reader (a preview build) work while the
daily send writes.

Editions are the heart of exactly-once delivery: an edition is recorded `pending` (with the exact
message bytes) before it is handed to the mail system and `sent` right after, so a retry re-sends the
same bytes under the same Message-ID. Lock files beside the database keep two sends (or two
schedulers) from working on one store at the same time.
"""
from __future__ import annotations

import fcntl
import functools
import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from typing import TypeVar

from digest.errors import DigestError

MIGRATIONS: list[str] = [
    # 1: the first schema
    """
    CREATE TABLE items (
        id TEXT PRIMARY KEY,
        source TEXT NOT NULL,
        first_seen TEXT NOT NULL
    );
    CREATE TABLE summaries (
        key TEXT PRIMARY KEY,
        sentences TEXT NOT NULL
    );
    CREATE TABLE fetch_state (
        url TEXT PRIMARY KEY,
        etag TEXT,
        last_modified TEXT,
        body BLOB,
        fetched TEXT NOT NULL
    );
    CREATE TABLE editions (
        date TEXT PRIMARY KEY,
        number INTEGER NOT NULL,
        message_id TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'sent')),
        reason TEXT,
        story_ids TEXT NOT NULL DEFAULT '[]',
        item_ids TEXT NOT NULL DEFAULT '[]',
        created TEXT NOT NULL,
        sent TEXT
    );
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        command TEXT NOT NULL,
        started TEXT NOT NULL,
        ended TEXT,
        outcome TEXT,
        warnings TEXT NOT NULL DEFAULT '[]'
    );
    """,
    # 2: what exactly-once delivery and the run log need
    """
    ALTER TABLE editions ADD COLUMN subject TEXT;
    ALTER TABLE editions ADD COLUMN message BLOB;
    ALTER TABLE editions ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE editions ADD COLUMN receipt TEXT;
    ALTER TABLE editions ADD COLUMN copies INTEGER NOT NULL DEFAULT 0;
    CREATE UNIQUE INDEX editions_number ON editions (number);
    ALTER TABLE runs ADD COLUMN pid INTEGER;
    ALTER TABLE runs ADD COLUMN edition TEXT;
    ALTER TABLE runs ADD COLUMN detail TEXT;
    CREATE INDEX runs_started ON runs (started);
    """,
    # 3: groupings remembered by the fingerprint of the items grouped (a rebuild skips clustering)
    """
    CREATE TABLE clusters (
        key TEXT PRIMARY KEY,
        groups TEXT NOT NULL
    );
    """,
    # 4: one message per reader: the edition's letter (filled per reader), each reader's outcome, opt-outs
    """
    ALTER TABLE editions ADD COLUMN letter BLOB;
    CREATE TABLE deliveries (
        edition TEXT NOT NULL REFERENCES editions (date) ON DELETE CASCADE,
        address TEXT NOT NULL,
        name TEXT NOT NULL DEFAULT '',
        message_id TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'refused', 'opted-out')),
        reason TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        sent TEXT,
        receipt TEXT,
        PRIMARY KEY (edition, address)
    );
    CREATE INDEX deliveries_pending ON deliveries (edition, status);
    CREATE TABLE opt_outs (
        key TEXT PRIMARY KEY,
        created TEXT NOT NULL
    );
    """,
    # 5: each edition's public page, for the web archive (rebuilt from here, byte for byte)
    """
    CREATE TABLE pages (
        date TEXT PRIMARY KEY,
        subject TEXT NOT NULL,
        description TEXT NOT NULL,
        headline TEXT NOT NULL,
        issue INTEGER,
        html TEXT NOT NULL
    );
    """,
    # 6: suppressions belong to addresses (reason, time, source); soft bounces counted; double opt-in.
    # Opt-outs recorded by address move over; those recorded by token stay in opt_outs until
    # digest.readers matches them to a reader (their secret is in the environment, not here).
    """
    CREATE TABLE suppressions (
        address TEXT PRIMARY KEY,
        reason TEXT NOT NULL,
        source TEXT NOT NULL DEFAULT '',
        created TEXT NOT NULL
    );
    INSERT OR IGNORE INTO suppressions (address, reason, source, created)
        SELECT key, 'unsubscribed', 'an opt-out recorded before suppressions', created FROM opt_outs WHERE key LIKE '%@%';
    DELETE FROM opt_outs WHERE key LIKE '%@%';
    CREATE TABLE soft_bounces (
        address TEXT PRIMARY KEY,
        count INTEGER NOT NULL,
        last TEXT NOT NULL,
        source TEXT NOT NULL DEFAULT ''
    );
    CREATE TABLE subscriptions (
        address TEXT PRIMARY KEY,
        name TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL CHECK (status IN ('pending', 'confirmed')),
        token TEXT UNIQUE,
        requested TEXT NOT NULL,
        expires TEXT,
        confirmed TEXT
    );
    CREATE INDEX deliveries_address ON deliveries (address, status);
    """,
    # 7: the unsubscribe tokens readers may hold, by the secret they were made with (a one-click POST is one look-up)
    """
    CREATE TABLE reader_tokens (
        token TEXT PRIMARY KEY,
        address TEXT NOT NULL,
        secret TEXT NOT NULL
    );
    CREATE TABLE token_index (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        signature TEXT NOT NULL
    );
    """,
]
CLUSTERS_KEPT = 8  # the latest groupings: today's, a preview or two, yesterday's


class StoreError(DigestError):
    """The store file cannot be opened or used; the message says which file and why."""


class StoreBusy(StoreError):
    """Another digest process holds the store's lock; the message names it and its pid."""


@dataclass
class FetchState:
    etag: str | None
    last_modified: str | None
    body: bytes | None


class EditionStatus(StrEnum):
    """Where an edition stands; stored as its text value."""

    PENDING = "pending"  # recorded, not yet delivered to every reader
    SENT = "sent"


class DeliveryStatus(StrEnum):
    """Where one reader's copy stands; stored as its text value."""

    PENDING = "pending"  # not delivered yet, or a temporary failure: the next send tries again
    SENT = "sent"
    REFUSED = "refused"  # permanently, by the mail system
    OPTED_OUT = "opted-out"


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


@dataclass
class Delivery:
    """One reader's copy of one edition."""

    edition: date
    address: str
    name: str
    message_id: str
    status: DeliveryStatus
    reason: str | None
    attempts: int
    sent: datetime | None
    receipt: str | None


@dataclass
class PageRecord:
    """An edition's public page: its HTML without anything about one reader, and what the index shows."""

    date: date
    subject: str
    description: str  # the preheader: the top stories' headlines
    headline: str  # the top story's
    issue: int | None  # the number the email shows, if it shows one
    html: str
    sent: datetime | None = None  # when it was sent, filled by `Store.published_pages`


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


@dataclass(frozen=True)
class Suppression:
    """Why an address gets nothing more: the reason (digest.readers.Reason), when, and where it came from."""

    address: str
    reason: str
    source: str
    since: datetime


@dataclass(frozen=True)
class Subscription:
    """A reader who asked through `digest serve`: pending until they confirm, then a reader."""

    address: str
    name: str
    status: str  # pending | confirmed
    requested: datetime
    expires: datetime | None
    confirmed: datetime | None


def _stamp(moment: datetime) -> str:
    """One spelling of a moment (UTC, ISO 8601), so stored moments compare as text."""
    return moment.astimezone(UTC).isoformat()


def _suppression(row: tuple) -> Suppression:
    return Suppression(row[0], row[1], row[2], datetime.fromisoformat(row[3]))


def _subscription(row: tuple) -> Subscription:
    address, name, status, requested, expires, confirmed = row
    return Subscription(address, name, status, datetime.fromisoformat(requested), datetime.fromisoformat(expires) if expires else None,
                        datetime.fromisoformat(confirmed) if confirmed else None)


_SUBSCRIPTION_COLUMNS = "address, name, status, requested, expires, confirmed"
_EDITION_COLUMNS = "date, number, message_id, status, reason, story_ids, item_ids, created, sent, subject, message, attempts, receipt, copies, letter"
_DELIVERY_COLUMNS = "edition, address, name, message_id, status, reason, attempts, sent, receipt"
_RUN_COLUMNS = "id, command, started, ended, outcome, warnings, pid, edition, detail"


def _edition(row: tuple) -> EditionRecord:
    day, number, message_id, status, reason, story_ids, item_ids, created, sent, subject, message, attempts, receipt, copies, letter = row
    return EditionRecord(
        date.fromisoformat(day), number, message_id, EditionStatus(status), reason, json.loads(story_ids), json.loads(item_ids),
        datetime.fromisoformat(created), datetime.fromisoformat(sent) if sent else None, subject, message, attempts,
        receipt, copies, letter,
    )


def _delivery(row: tuple) -> Delivery:
    day, address, name, message_id, status, reason, attempts, sent, receipt = row
    return Delivery(date.fromisoformat(day), address, name, message_id, DeliveryStatus(status), reason, attempts,
                    datetime.fromisoformat(sent) if sent else None, receipt)


def _run(row: tuple) -> RunRecord:
    run_id, command, started, ended, outcome, warnings, pid, edition, detail = row
    return RunRecord(
        run_id, command, datetime.fromisoformat(started), datetime.fromisoformat(ended) if ended else None, outcome,
        json.loads(warnings), pid, edition, detail,
    )


Read = TypeVar("Read", bound=Callable)


def _reads(method: Read) -> Read:
    """A read outside a transaction: a damaged store (a corrupted page, an I/O error) is a StoreError
    naming the file, as a failed write is, never a traceback."""
    @functools.wraps(method)
    def read(self: Store, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except sqlite3.Error as exc:
            raise StoreError(f"store {self.path}: {exc}") from None

    return read  # type: ignore[return-value]


class Store:
    """One SQLite file; every write is one transaction."""

    def __init__(self, path: str | Path, *, timeout: float = 30.0) -> None:
        self.path = Path(path)
        self.timeout = timeout
        self.discard_writes = False
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(self.path, timeout=timeout, isolation_level=None)
            self._use_wal()
            self.db.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(f"store {self.path}: {exc}") from None

    def _use_wal(self, poll: float = 0.02) -> None:
        """Switch a new store file to WAL, waiting up to `timeout` for another process doing the same.

        The switch needs the file to itself, and SQLite answers "database is locked" at once, without
        its busy timeout, when two processes (a build and a send started together) both try it.
        """
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                self.db.execute("PRAGMA journal_mode=WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() >= deadline:
                    raise
                time.sleep(poll)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE takes the write lock up front, so two writers never interleave."""
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            raise StoreBusy(f"store {self.path} is busy: another digest process kept it locked for {self.timeout:g} s") from None
        try:
            yield self.db
            self.db.execute("ROLLBACK" if self.discard_writes else "COMMIT")
        except BaseException as exc:
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):  # a full disk, a read-only file: said with the store's name
                raise StoreError(f"store {self.path}: {exc}") from None
            raise

    @contextmanager
    def read_only(self) -> Iterator[Store]:
        """Every write inside is rolled back: a dry run may build through the store but records nothing."""
        before, self.discard_writes = self.discard_writes, True
        try:
            yield self
        finally:
            self.discard_writes = before

    @contextmanager
    def lock(self, name: str, *, wait: float = 0.0, poll: float = 0.1) -> Iterator[None]:
        """Hold `<store>.<name>.lock` so only one `digest <name>` works on this store at a time.

        flock is released by the kernel when the holder dies, however it dies, so a killed send never
        leaves a stale lock behind. Waits up to `wait` seconds, then raises StoreBusy naming the holder.
        """
        lock_path = self.path.with_name(f"{self.path.name}.{name}.lock")
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            deadline = time.monotonic() + wait
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        holder = os.pread(fd, 64, 0).decode("ascii", "replace").strip() or "unknown"
                        waited = f"; waited {wait:g} s" if wait else ""
                        raise StoreBusy(f"another digest {name} is running on {self.path} (pid {holder}){waited}") from None
                    time.sleep(poll)
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
            yield
        finally:
            os.close(fd)  # closing the descriptor releases the flock

    @property
    @_reads
    def schema_version(self) -> int:
        return self.db.execute("PRAGMA user_version").fetchone()[0]

    def _migrate(self) -> None:
        with self.transaction() as db:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > len(MIGRATIONS):
                raise StoreError(f"store {self.path} was written by a newer digest (schema {version}); upgrade digest")
            for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                for statement in filter(str.strip, script.split(";")):
                    db.execute(statement)
                db.execute(f"PRAGMA user_version = {number}")

    # summary cache

    @_reads
    def summaries(self, keys: Iterable[str]) -> dict[str, list[str]]:
        """The cached summaries among `keys`."""
        keys = list(keys)
        found: dict[str, list[str]] = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for key, sentences in self.db.execute(f"SELECT key, sentences FROM summaries WHERE key IN ({marks})", chunk):
                found[key] = json.loads(sentences)
        return found

    def put_summaries(self, summaries: dict[str, list[str]]) -> None:
        with self.transaction() as db:
            db.executemany(
                "INSERT OR REPLACE INTO summaries (key, sentences) VALUES (?, ?)",
                ((key, json.dumps(sentences, ensure_ascii=False)) for key, sentences in summaries.items()),
            )

    # clusters: dedupe's groupings by fingerprint

    @_reads
    def clusters(self, key: str) -> list[list[str]] | None:
        """The stories' item ids remembered under `key`, or None."""
        row = self.db.execute("SELECT groups FROM clusters WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else None

    def put_clusters(self, key: str, groups: list[list[str]]) -> None:
        """Remember a grouping; only the CLUSTERS_KEPT latest are kept, since each new day's differs."""
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO clusters (key, groups) VALUES (?, ?)", (key, json.dumps(groups, ensure_ascii=False)))
            db.execute("DELETE FROM clusters WHERE rowid NOT IN (SELECT rowid FROM clusters ORDER BY rowid DESC LIMIT ?)", (CLUSTERS_KEPT,))

    # fetch state (conditional GET)

    @_reads
    def fetch_state(self, url: str) -> FetchState | None:
        row = self.db.execute("SELECT etag, last_modified, body FROM fetch_state WHERE url = ?", (url,)).fetchone()
        return FetchState(*row) if row else None

    def put_fetch_state(self, url: str, state: FetchState, fetched: datetime) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO fetch_state (url, etag, last_modified, body, fetched) VALUES (?, ?, ?, ?, ?)",
                (url, state.etag, state.last_modified, state.body, fetched.isoformat()),
            )

    # items seen

    def record_items(self, items: Iterable[tuple[str, str]], now: datetime) -> None:
        """Remember (id, source) pairs the first time they are seen."""
        with self.transaction() as db:
            db.executemany(
                "INSERT OR IGNORE INTO items (id, source, first_seen) VALUES (?, ?, ?)",
                ((item_id, source, now.isoformat()) for item_id, source in items),
            )

    # editions

    @_reads
    def edition(self, day: date) -> EditionRecord | None:
        row = self.db.execute(f"SELECT {_EDITION_COLUMNS} FROM editions WHERE date = ?", (day.isoformat(),)).fetchone()
        return _edition(row) if row else None

    @_reads
    def editions(self, *, status: EditionStatus | None = None) -> list[EditionRecord]:
        """Every edition (or those with `status`), oldest date first."""
        where, args = ("WHERE status = ?", (status,)) if status else ("", ())
        return [_edition(row) for row in self.db.execute(f"SELECT {_EDITION_COLUMNS} FROM editions {where} ORDER BY date", args)]

    @_reads
    def edition_number(self, day: date) -> int:
        """The number `day`'s edition has, or the one it will get: one more than the highest so far."""
        row = self.db.execute("SELECT number FROM editions WHERE date = ?", (day.isoformat(),)).fetchone()
        if row:
            return row[0]
        return self.db.execute("SELECT COALESCE(MAX(number), 0) + 1 FROM editions").fetchone()[0]

    @_reads
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

    def deliveries(self, day: date, *, status: DeliveryStatus | None = None) -> Iterator[Delivery]:
        """The edition's deliveries (or those with `status`) in the order the readers were listed, read in chunks."""
        where, args = ("AND status = ?", (status,)) if status else ("", ())
        last = 0
        while True:
            rows = self.db.execute(f"SELECT rowid, {_DELIVERY_COLUMNS} FROM deliveries WHERE edition = ? {where} AND rowid > ?"
                                   " ORDER BY rowid LIMIT 1000", (day.isoformat(), *args, last)).fetchall()
            if not rows:
                return
            last = rows[-1][0]
            yield from (_delivery(row[1:]) for row in rows)

    @_reads
    def delivery_counts(self, day: date) -> dict[DeliveryStatus, int]:
        """How many of the edition's readers are at each status."""
        rows = self.db.execute("SELECT status, COUNT(*) FROM deliveries WHERE edition = ? GROUP BY status", (day.isoformat(),))
        return {DeliveryStatus(status): count for status, count in rows}

    def record_outcomes(self, day: date, outcomes: Iterable[tuple[str, DeliveryStatus, str]], now: datetime) -> None:
        """Readers' outcomes, (address, status, receipt or reason), in one transaction: `sent`, `refused`
        (permanent), `opted-out`, or `pending` (a temporary failure, tried again by the next send)."""
        with self.transaction() as db:
            for address, status, said in outcomes:
                if status is DeliveryStatus.SENT:
                    db.execute("UPDATE deliveries SET status = 'sent', sent = ?, receipt = ?, reason = NULL, attempts = attempts + 1"
                               " WHERE edition = ? AND address = ?", (now.isoformat(), said, day.isoformat(), address))
                else:
                    db.execute("UPDATE deliveries SET status = ?, reason = ?, attempts = attempts + ? WHERE edition = ? AND address = ?",
                               (status, said, status is not DeliveryStatus.OPTED_OUT, day.isoformat(), address))
            self._close_if_done(db, day, now)

    def finish_edition(self, day: date, now: datetime, reason: str | None = None) -> bool:
        """Mark the edition sent once no reader is pending; else keep it pending with `reason`. True when sent."""
        with self.transaction() as db:
            db.execute("UPDATE editions SET reason = ?, attempts = attempts + 1 WHERE date = ? AND status = 'pending'", (reason, day.isoformat()))
            return self._close_if_done(db, day, now)

    @staticmethod
    def _close_if_done(db: sqlite3.Connection, day: date, now: datetime) -> bool:
        """The edition is sent the moment its last pending reader is settled (in that same transaction,
        so a stop right after cannot leave a finished edition looking pending)."""
        db.execute("UPDATE editions SET status = 'sent', sent = ?, reason = NULL, copies = copies + 1 WHERE date = ? AND status = 'pending'"
                   " AND NOT EXISTS (SELECT 1 FROM deliveries WHERE edition = ? AND status = 'pending')",
                   (now.isoformat(), day.isoformat(), day.isoformat()))
        return db.execute("SELECT status FROM editions WHERE date = ?", (day.isoformat(),)).fetchone() == ("sent",)

    # readers: suppressions by address, opt-outs still known only by token, soft bounces, subscriptions

    def suppress(self, address: str, reason: str, source: str, now: datetime, *, stronger: Iterable[str] = ()) -> bool:
        """Record that `address` (normalised) gets nothing more; True when it was not suppressed before.
        An existing suppression keeps its reason unless it is replaced by one of `stronger`."""
        with self.transaction() as db:
            row = db.execute("SELECT reason FROM suppressions WHERE address = ?", (address,)).fetchone()
            if row is None or (row[0] != reason and reason in set(stronger)):
                db.execute("INSERT OR REPLACE INTO suppressions (address, reason, source, created) VALUES (?, ?, ?, ?)",
                           (address, reason, source, _stamp(now)))
            return row is None

    def unsuppress(self, address: str, *, reasons: Iterable[str] | None = None) -> str | None:
        """Lift the address's suppression (only if its reason is among `reasons`, when given) and forget its
        soft bounces; the reason lifted, or None."""
        with self.transaction() as db:
            row = db.execute("SELECT reason FROM suppressions WHERE address = ?", (address,)).fetchone()
            if row is None or (reasons is not None and row[0] not in set(reasons)):
                return None
            db.execute("DELETE FROM suppressions WHERE address = ?", (address,))
            db.execute("DELETE FROM soft_bounces WHERE address = ?", (address,))
            return row[0]

    @_reads
    def suppression(self, address: str) -> Suppression | None:
        row = self.db.execute("SELECT address, reason, source, created FROM suppressions WHERE address = ?", (address,)).fetchone()
        return _suppression(row) if row else None

    @_reads
    def suppressions(self) -> dict[str, Suppression]:
        """Every suppression by address, in the order they were recorded."""
        rows = self.db.execute("SELECT address, reason, source, created FROM suppressions ORDER BY created, address")
        return {row[0]: _suppression(row) for row in rows}

    @_reads
    def token_opt_outs(self) -> dict[str, datetime]:
        """Opt-outs an older digest recorded by token, not yet matched to a reader's address: {token: when}."""
        return {key: datetime.fromisoformat(created) for key, created in self.db.execute("SELECT key, created FROM opt_outs")}

    def settle_token_opt_outs(self, matched: dict[str, str], source: str, now: datetime) -> None:
        """Turn token opt-outs into suppressions of the addresses they were found to belong to ({token: address})."""
        with self.transaction() as db:
            for key, address in matched.items():
                created = db.execute("SELECT created FROM opt_outs WHERE key = ?", (key,)).fetchone()
                db.execute("INSERT OR IGNORE INTO suppressions (address, reason, source, created) VALUES (?, 'unsubscribed', ?, ?)",
                           (address, source, created[0] if created else _stamp(now)))
                db.execute("DELETE FROM opt_outs WHERE key = ?", (key,))

    def record_soft_bounce(self, address: str, source: str, now: datetime) -> int:
        """Count a soft bounce and return the count in a row. An edition delivered between two bounces
        breaks the row: bounces come after the edition they are about, so two or more editions accepted
        for the address since its last bounce mean one of them arrived, and the count starts again."""
        with self.transaction() as db:
            row = db.execute("SELECT count, last FROM soft_bounces WHERE address = ?", (address,)).fetchone()
            count = 1
            if row is not None:
                delivered = db.execute("SELECT COUNT(*) FROM deliveries WHERE address = ? AND status = 'sent' AND sent > ?",
                                       (address, row[1])).fetchone()[0]
                count = 1 if delivered >= 2 else row[0] + 1
            db.execute("INSERT OR REPLACE INTO soft_bounces (address, count, last, source) VALUES (?, ?, ?, ?)",
                       (address, count, _stamp(now), source))
            return count

    @_reads
    def soft_bounces(self, address: str) -> int:
        row = self.db.execute("SELECT count FROM soft_bounces WHERE address = ?", (address,)).fetchone()
        return row[0] if row else 0

    def request_subscription(self, address: str, name: str, token_hash: str, now: datetime, expires: datetime) -> None:
        """Keep a pending subscription; a new request replaces an earlier pending one (and its link)."""
        with self.transaction() as db:
            db.execute("INSERT INTO subscriptions (address, name, status, token, requested, expires) VALUES (?, ?, 'pending', ?, ?, ?)"
                       " ON CONFLICT (address) DO UPDATE SET name = excluded.name, status = 'pending', token = excluded.token,"
                       " requested = excluded.requested, expires = excluded.expires, confirmed = NULL",
                       (address, name, token_hash, _stamp(now), _stamp(expires)))

    def confirm_subscription(self, token_hash: str, now: datetime, *, lift: Iterable[str]) -> tuple[str, str] | None:
        """Confirm the pending subscription whose link carries `token_hash`, unless it expired; lift a suppression
        whose reason is in `lift` (confirming is consent again). (address, name), or None. A link works once."""
        with self.transaction() as db:
            row = db.execute("SELECT address, name FROM subscriptions WHERE token = ? AND status = 'pending' AND expires > ?",
                             (token_hash, _stamp(now))).fetchone()
            if row is None:
                return None
            address = row[0]
            suppressed = db.execute("SELECT reason FROM suppressions WHERE address = ?", (address,)).fetchone()
            if suppressed and suppressed[0] not in set(lift):
                return None
            db.execute("UPDATE subscriptions SET status = 'confirmed', token = NULL, expires = NULL, confirmed = ? WHERE address = ?",
                       (_stamp(now), address))
            db.execute("DELETE FROM suppressions WHERE address = ?", (address,))
            return row[0], row[1]

    @_reads
    def subscription(self, address: str) -> Subscription | None:
        row = self.db.execute(f"SELECT {_SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE address = ?", (address,)).fetchone()
        return _subscription(row) if row else None

    def subscriptions(self, status: str | None = None) -> Iterator[Subscription]:
        """Subscriptions (or those with `status`) in the order they were asked for, read in chunks."""
        where, args = ("AND status = ?", (status,)) if status else ("", ())
        last = 0
        while True:
            try:
                rows = self.db.execute(f"SELECT rowid, {_SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE rowid > ? {where}"
                                       " ORDER BY rowid LIMIT 1000", (last, *args)).fetchall()
            except sqlite3.Error as exc:
                raise StoreError(f"store {self.path}: {exc}") from None
            if not rows:
                return
            last = rows[-1][0]
            yield from (_subscription(row[1:]) for row in rows)

    @_reads
    def token_address(self, token: str, secrets: list[str]) -> str | None:
        """The address whose token, made with one of `secrets` (their ids), is `token`."""
        marks = ",".join("?" * len(secrets))
        row = self.db.execute(f"SELECT address FROM reader_tokens WHERE token = ? AND secret IN ({marks})", (token, *secrets)).fetchone()
        return row[0] if row else None

    @_reads
    def token_index_signature(self) -> str | None:
        row = self.db.execute("SELECT signature FROM token_index WHERE id = 1").fetchone()
        return row[0] if row else None

    def index_tokens(self, tokens: Iterable[tuple[str, str, str]], secrets: list[str], signature: str) -> None:
        """Keep (token, address, secret id) for every reader, forget tokens of secrets no longer in use, and
        remember what the index was made from."""
        with self.transaction() as db:
            marks = ",".join("?" * len(secrets))
            db.execute(f"DELETE FROM reader_tokens WHERE secret NOT IN ({marks})", secrets)
            db.executemany("INSERT OR IGNORE INTO reader_tokens (token, address, secret) VALUES (?, ?, ?)", tokens)
            db.execute("INSERT OR REPLACE INTO token_index (id, signature) VALUES (1, ?)", (signature,))

    @_reads
    def readers_mark(self) -> str:
        """Changes whenever the store learns of a reader (a subscription, a delivery, a suppression)."""
        return ":".join(str(value) for value in self.db.execute(
            "SELECT (SELECT COUNT(*) FROM subscriptions), (SELECT IFNULL(MAX(rowid), 0) FROM subscriptions),"
            " (SELECT IFNULL(MAX(rowid), 0) FROM deliveries), (SELECT COUNT(*) FROM suppressions)").fetchone())

    @_reads
    def delivered_addresses(self) -> list[str]:
        """Every address an edition was ever addressed to: who may hold an unsubscribe link."""
        return [address for (address,) in self.db.execute("SELECT DISTINCT address FROM deliveries")]

    # public pages (the web archive)

    def put_page(self, page: PageRecord) -> None:
        """Keep the page of an edition about to be recorded; a --force copy replaces the earlier one."""
        with self.transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO pages (date, subject, description, headline, issue, html) VALUES (?, ?, ?, ?, ?, ?)",
                (page.date.isoformat(), page.subject, page.description, page.headline, page.issue, page.html),
            )

    @_reads
    def published_pages(self) -> list[PageRecord]:
        """The pages of the editions sent, oldest first: what the archive shows. A pending edition's
        page waits until its delivery is accepted."""
        rows = self.db.execute(
            "SELECT p.date, p.subject, p.description, p.headline, p.issue, p.html, e.sent FROM pages p"
            " JOIN editions e ON e.date = p.date WHERE e.status = 'sent' ORDER BY p.date"
        )
        return [PageRecord(date.fromisoformat(day), subject, description, headline, issue, html,
                           datetime.fromisoformat(sent) if sent else None)
                for day, subject, description, headline, issue, html, sent in rows]

    # the run log

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

    @_reads
    def runs(self, limit: int = 50) -> list[RunRecord]:
        """The latest runs, newest first."""
        return [_run(row) for row in self.db.execute(f"SELECT {_RUN_COLUMNS} FROM runs ORDER BY id DESC LIMIT ?", (limit,))]
