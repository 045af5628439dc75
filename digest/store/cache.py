"""What saves work from one run to the next: summaries, groupings, parsed source files, fetch state, items seen."""
from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from digest.store.base import Base, reads

CLUSTERS_KEPT = 8  # the latest groupings: today's, a preview or two, yesterday's
PARSED_BYTES_KEPT = 64 << 20  # parsed source files kept, the latest written first, up to this many bytes in all


@dataclass
class FetchState:
    etag: str | None
    last_modified: str | None
    body: bytes | None


class Cache(Base):
    # summary cache

    @reads
    def summaries(self, keys: Iterable[str]) -> dict[str, list[str]]:
        """The cached summaries among `keys`."""
        rows = self._rows_in("SELECT key, sentences FROM summaries WHERE key IN ({marks})", list(keys))
        return {key: json.loads(sentences) for key, sentences in rows}

    def put_summaries(self, summaries: dict[str, list[str]]) -> None:
        with self.transaction() as db:
            db.executemany(
                "INSERT OR REPLACE INTO summaries (key, sentences) VALUES (?, ?)",
                ((key, json.dumps(sentences, ensure_ascii=False)) for key, sentences in summaries.items()),
            )

    # clusters: dedupe's groupings by fingerprint

    @reads
    def clusters(self, key: str) -> list[list[str]] | None:
        """The stories' item ids remembered under `key`, or None."""
        row = self.db.execute("SELECT groups FROM clusters WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else None

    def put_clusters(self, key: str, groups: list[list[str]]) -> None:
        """Remember a grouping; only the CLUSTERS_KEPT latest are kept, since each new day's differs."""
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO clusters (key, groups) VALUES (?, ?)", (key, json.dumps(groups, ensure_ascii=False)))
            db.execute("DELETE FROM clusters WHERE rowid NOT IN (SELECT rowid FROM clusters ORDER BY rowid DESC LIMIT ?)", (CLUSTERS_KEPT,))

    # parsed source files: (source, path) -> (key, items as JSON), see digest.sources.parsed

    @reads
    def parsed_files(self, sources: Iterable[str]) -> dict[tuple[str, str], tuple[str, bytes]]:
        """What is kept for the files of `sources` (by name): (source, path) -> (key, parsed items)."""
        names = sorted(set(sources))
        marks = ",".join("?" * len(names))
        rows = self.db.execute(f"SELECT source, path, key, items FROM parsed_files WHERE source IN ({marks})", names)
        return {(source, path): (key, items) for source, path, key, items in rows}

    def put_parsed_files(self, fresh: dict[tuple[str, str], tuple[str, bytes]], read: dict[str, set[str]]) -> None:
        """Keep `fresh` parsed files; forget the files of each source in `read` (name -> paths read
        this run) that it no longer reads, and the oldest files beyond PARSED_BYTES_KEPT in all."""
        with self.transaction() as db:
            for source, paths in read.items():
                gone = [path for (path,) in db.execute("SELECT path FROM parsed_files WHERE source = ?", (source,)) if path not in paths]
                db.executemany("DELETE FROM parsed_files WHERE source = ? AND path = ?", ((source, path) for path in gone))
            db.executemany(
                "INSERT OR REPLACE INTO parsed_files (source, path, key, items) VALUES (?, ?, ?, ?)",
                ((source, path, key, items) for (source, path), (key, items) in sorted(fresh.items())),
            )
            db.execute(
                "DELETE FROM parsed_files WHERE rowid IN (SELECT rowid FROM (SELECT rowid, SUM(LENGTH(CAST(items AS BLOB))) "
                "OVER (ORDER BY rowid DESC) AS total FROM parsed_files) WHERE total > ?)",
                (PARSED_BYTES_KEPT,),
            )

    # fetch state (conditional GET)

    @reads
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
        seen = now.isoformat()
        with self.transaction() as db:
            db.executemany(
                "INSERT OR IGNORE INTO items (id, source, first_seen) VALUES (?, ?, ?)",
                ((item_id, source, seen) for item_id, source in items),
            )
