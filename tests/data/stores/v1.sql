-- The schema a store had when written by digest at commit a7c3db8 (schema 1).
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
PRAGMA user_version = 1;
