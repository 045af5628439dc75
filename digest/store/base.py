"""The store's connection: one SQLite file, its migrations, its transactions and its locks.

Every part of the store (editions, deliveries, readers, pages, cache, runs) is a mixin over `Base`,
so they share this one connection and this one migration list. WAL mode lets a reader (a preview
build) work while the daily send writes.
"""
from __future__ import annotations

import fcntl
import functools
import os
import re
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from digest.errors import DigestError
from digest.store.schema import MIGRATIONS, Rebuild

_CREATE = re.compile(r"CREATE\s+(?:UNIQUE\s+)?(TABLE|INDEX)\s+(\w+)", re.IGNORECASE)
_ADD_COLUMN = re.compile(r"ALTER\s+TABLE\s+(\w+)\s+ADD\s+COLUMN\s+(\w+)", re.IGNORECASE)
_CHUNK = 500  # ids per query, well under SQLite's limit on parameters


class StoreError(DigestError):
    """The store file cannot be opened or used; the message says which file and why."""


class StoreBusy(StoreError):
    """Another digest process holds the store's lock; the message names it and its pid."""


Read = TypeVar("Read", bound=Callable)


def reads(method: Read) -> Read:
    """A read outside a transaction: a damaged store (a corrupted page, an I/O error) is a StoreError
    naming the file, as a failed write is, never a traceback."""
    @functools.wraps(method)
    def read(self: Base, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except sqlite3.Error as exc:
            raise StoreError(f"store {self.path}: {exc}") from None

    return read  # type: ignore[return-value]


class Base:
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

    def _paged(self, table: str, columns: str, where: str = "", args: tuple = ()) -> Iterator[tuple]:
        """The rows of `table` (those `where` says) in the order they were written, read 1000 at a time so
        a long list is never all in memory; a damaged store is a StoreError, as with `reads`."""
        last = 0
        while True:
            try:
                rows = self.db.execute(f"SELECT rowid, {columns} FROM {table} WHERE rowid > ? {where} ORDER BY rowid LIMIT 1000",
                                       (last, *args)).fetchall()
            except sqlite3.Error as exc:
                raise StoreError(f"store {self.path}: {exc}") from None
            if not rows:
                return
            last = rows[-1][0]
            yield from (row[1:] for row in rows)

    def _rows_in(self, query: str, ids: Sequence[str], *args: object) -> Iterator[tuple]:
        """The rows `query` gives for every id of `ids`: its `IN ({marks})` is filled with _CHUNK ids at a
        time (`args` are the parameters before them), so a day's thousands of ids stay under SQLite's limit."""
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start:start + _CHUNK]
            yield from self.db.execute(query.format(marks=",".join("?" * len(chunk))), (*args, *chunk))

    def close(self) -> None:
        self.db.close()

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
    def read_only(self) -> Iterator[None]:
        """Every write inside is rolled back: a dry run may build through the store but records nothing."""
        before, self.discard_writes = self.discard_writes, True
        try:
            yield
        finally:
            self.discard_writes = before

    @contextmanager
    def lock(self, name: str, *, wait: float = 0.0, poll: float = 0.1) -> Iterator[None]:
        """Hold a lock file beside the store's real file, so only one `digest <name>` works on it at a time.

        The lock is named after the file the path leads to, not the path as written: a config that reaches
        the same store through a symlink takes the same lock. flock is released by the kernel when the
        holder dies, however it dies, so a killed send never leaves a stale lock behind. Waits up to
        `wait` seconds, then raises StoreBusy naming the holder.
        """
        real = self.path.resolve()
        lock_path = real.with_name(f"{real.name}.{name}.lock")
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
    @reads
    def schema_version(self) -> int:
        return self.db.execute("PRAGMA user_version").fetchone()[0]

    def _migrate(self) -> None:
        with self.transaction() as db:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > len(MIGRATIONS):
                raise StoreError(f"store {self.path} was written by a newer digest (schema {version}); upgrade digest")
            if version == len(MIGRATIONS):
                return
            # Every step, not only those after `version`: an earlier digest may have numbered them otherwise.
            for step in MIGRATIONS:
                if isinstance(step, Rebuild):
                    self._rebuild(db, step)
                    continue
                for statement in filter(str.strip, step.split(";")):
                    self._apply(db, statement.strip())
            db.execute(f"PRAGMA user_version = {len(MIGRATIONS)}")

    def _apply(self, db: sqlite3.Connection, statement: str) -> None:
        """Run one schema step unless the store already has what it adds."""
        created = _CREATE.match(statement)
        if created:
            kind, name = created.group(1).lower(), created.group(2)
            if db.execute("SELECT 1 FROM sqlite_master WHERE type = ? AND name = ?", (kind, name)).fetchone():
                if kind == "table":
                    self._add_missing_columns(db, name, statement)
                return
        added = _ADD_COLUMN.match(statement)
        if added and added.group(2) in _columns(db, added.group(1)):
            return
        db.execute(statement)

    def _rebuild(self, db: sqlite3.Connection, step: Rebuild) -> None:
        """Make `step.table` anew under its new CREATE statement, rows and rowids (their order) kept,
        unless the store's table already allows what the step adds."""
        row = db.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (step.table,)).fetchone()
        if row is None or step.marker in row[0]:
            return
        scratch = f"{step.table}_rebuilt"
        db.execute(re.sub(rf"CREATE\s+TABLE\s+{step.table}\b", f"CREATE TABLE {scratch}", step.create.strip(), count=1, flags=re.IGNORECASE))
        kept = ", ".join(sorted(_columns(db, step.table) & _columns(db, scratch)))
        db.execute(f"INSERT INTO {scratch} (rowid, {kept}) SELECT rowid, {kept} FROM {step.table} ORDER BY rowid")
        db.execute(f"DROP TABLE {step.table}")
        db.execute(f"ALTER TABLE {scratch} RENAME TO {step.table}")
        for statement in filter(str.strip, step.indexes.split(";")):
            self._apply(db, statement.strip())

    def _add_missing_columns(self, db: sqlite3.Connection, table: str, create: str) -> None:
        """Give an existing table the columns its CREATE statement has and it lacks."""
        scratch = sqlite3.connect(":memory:")
        try:
            scratch.execute(create)
            wanted = scratch.execute(f"PRAGMA table_info({table})").fetchall()
        finally:
            scratch.close()
        have = _columns(db, table)
        for _cid, column, kind, not_null, default, _pk in wanted:
            if column in have:
                continue
            if not_null and default is None:
                raise StoreError(f"store {self.path}: table {table} lacks column {column}, which cannot be added; "
                                 "move the file aside and let digest make a new one")
            db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}"
                       + (" NOT NULL" if not_null else "") + (f" DEFAULT {default}" if default is not None else ""))


def _columns(db: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
