"""The SQLite store: items seen, the summary cache, fetch state, editions and runs, in one file.

Schema changes are numbered migrations applied in order inside a transaction, so an old store file
opens with any newer version of digest. WAL mode lets a reader (a preview build) work while the
daily send writes.
"""
from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

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
]


class StoreError(Exception):
    """The store file cannot be opened or used; the message says which file and why."""


@dataclass
class FetchState:
    etag: str | None
    last_modified: str | None
    body: bytes | None


class Store:
    """One SQLite file; every write is one transaction."""

    def __init__(self, path: str | Path, *, timeout: float = 30.0) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(self.path, timeout=timeout, isolation_level=None)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(f"store {self.path}: {exc}") from None

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE takes the write lock up front, so two writers never interleave."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    @property
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

    # fetch state (conditional GET)

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
