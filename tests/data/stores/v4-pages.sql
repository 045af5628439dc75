-- The schema a store had when written by digest at commit 816b3bb (schema 4).
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
    , subject TEXT, message BLOB, attempts INTEGER NOT NULL DEFAULT 0, receipt TEXT, copies INTEGER NOT NULL DEFAULT 0);
CREATE TABLE runs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        command TEXT NOT NULL,
        started TEXT NOT NULL,
        ended TEXT,
        outcome TEXT,
        warnings TEXT NOT NULL DEFAULT '[]'
    , pid INTEGER, edition TEXT, detail TEXT);
CREATE UNIQUE INDEX editions_number ON editions (number);
CREATE INDEX runs_started ON runs (started);
CREATE TABLE clusters (
        key TEXT PRIMARY KEY,
        groups TEXT NOT NULL
    );
CREATE TABLE pages (
        date TEXT PRIMARY KEY,
        subject TEXT NOT NULL,
        description TEXT NOT NULL,
        headline TEXT NOT NULL,
        issue INTEGER,
        html TEXT NOT NULL
    );
PRAGMA user_version = 4;
