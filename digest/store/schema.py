"""The store's schema: one numbered list of migrations, applied by `digest.store.base`.

A migration only ever adds: tables, columns and indexes, or (a `Rebuild`) values a CHECK allows.
Each step is applied only when the store lacks what it adds, so a store written by any earlier
digest opens, even one whose numbering differed (commits where migration 4 made `pages`;
tests/data/stores has each historical schema).
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rebuild:
    """A table made anew from `create` with its rows (and their order) copied over, because SQLite
    cannot change a CHECK constraint in place. Applied only when the table's stored CREATE statement
    lacks `marker` (what the new one allows), so it runs once on any store, whatever its history.
    `indexes`: the table's indexes, made again after it."""

    table: str
    create: str
    marker: str
    indexes: str

MIGRATIONS: list[str | Rebuild] = [
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
    # 8: the editor's desk: each edition's ledger as it was sent, sign-offs, and the edition each undated item went to
    """
    CREATE TABLE ledgers (
        date TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        text TEXT NOT NULL,
        stored TEXT NOT NULL
    );
    CREATE TABLE approvals (
        date TEXT PRIMARY KEY,
        approver TEXT NOT NULL,
        approved TEXT NOT NULL,
        fingerprint TEXT NOT NULL
    );
    CREATE TABLE undated_items (
        item TEXT PRIMARY KEY,
        edition TEXT NOT NULL,
        seen TEXT NOT NULL
    );
    """,
    # 9: editions held for an editor's sign-off, and those skipped at their approval deadline
    """
    CREATE TABLE holds (
        date TEXT PRIMARY KEY,
        since TEXT NOT NULL,
        skipped TEXT
    );
    """,
    # 10: a reader's copy may be `uncertain`: handed to the mail system with no answer recorded (never re-sent unasked)
    Rebuild(
        "deliveries",
        """
        CREATE TABLE deliveries (
            edition TEXT NOT NULL REFERENCES editions (date) ON DELETE CASCADE,
            address TEXT NOT NULL,
            name TEXT NOT NULL DEFAULT '',
            message_id TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'refused', 'opted-out', 'uncertain')),
            reason TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,
            sent TEXT,
            receipt TEXT,
            PRIMARY KEY (edition, address)
        )
        """,
        marker="'uncertain'",
        indexes="""
        CREATE INDEX deliveries_pending ON deliveries (edition, status);
        CREATE INDEX deliveries_address ON deliveries (address, status);
        """,
    ),
    # 11: what was sent of each item (its headline and sentences), so a story that moves on comes back with
    # what is new; and each correction, the edition it corrects and the edition that carried it
    """
    CREATE TABLE sent_texts (
        item TEXT NOT NULL,
        edition TEXT NOT NULL,
        title TEXT NOT NULL,
        sentences TEXT NOT NULL,
        PRIMARY KEY (item, edition)
    );
    CREATE TABLE corrections (
        item TEXT NOT NULL,
        key TEXT NOT NULL,
        corrects TEXT NOT NULL,
        carried_by TEXT NOT NULL,
        title TEXT NOT NULL,
        url TEXT,
        text TEXT NOT NULL,
        PRIMARY KEY (item, key)
    );
    CREATE INDEX corrections_corrects ON corrections (corrects);
    """,
    # 12: each source file's items as parsed, under the hash of its bytes, its source's settings and the code (a rebuild reads no JSON line again)
    """
    CREATE TABLE parsed_files (
        source TEXT NOT NULL,
        path TEXT NOT NULL,
        key TEXT NOT NULL,
        items TEXT NOT NULL,
        PRIMARY KEY (source, path)
    );
    """,
]
