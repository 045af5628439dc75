"""`digest bounce`: take bounce and complaint messages (one from a pipe or a file, or a folder's) to the list.

An MTA alias pipes each message in, and a non-zero exit would make it bounce the bounce; so whatever
the message is, the command exits 0. A message it cannot read, or cannot record (the store is busy or
broken), is kept whole in `bounces.unread` for a person to look at, and a warning says where.
"""
from __future__ import annotations

import functools
import hashlib
import mailbox
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO, Protocol

from digest.bounces.events import MAX_MESSAGE_BYTES, Event, Kind, Report, Unreadable
from digest.bounces.parse import read
from digest.config import Config
from digest.files import write_atomically
from digest.logs import log
from digest.readers import Configured, ReaderError, Reason, address_problem, is_reader, normalise, soft_bounce, suppress
from digest.store import Store, StoreError, open_store

_CHUNK = 1 << 16


@dataclass(frozen=True)
class Incoming:
    """One message as read: its bytes (at most MAX_MESSAGE_BYTES), where it came from, whether it was longer."""

    data: bytes
    where: str
    cut: bool = False


@dataclass
class Tally:
    """What a run did, for the summary line."""

    recorded: int = 0
    not_readers: int = 0
    ignored: int = 0
    kept: list[Path] = field(default_factory=list)


def unread_folder(config: Config) -> Path:
    """`bounces.unread` (relative to the config), else `bounces.unread` beside the store file."""
    if config.bounces.unread:
        return config.resolve(config.bounces.unread)
    return config.resolve(config.store.path).parent / "bounces.unread"


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


def from_stream(stream: Readable, where: str) -> Incoming:
    """One message from a pipe or a file, capped; the rest of a longer one is read and dropped, so the
    MTA writing it never sees a broken pipe."""
    data = stream.read(MAX_MESSAGE_BYTES + 1)
    cut = len(data) > MAX_MESSAGE_BYTES
    if cut:
        while stream.read(_CHUNK):
            pass
    return Incoming(data[:MAX_MESSAGE_BYTES], where, cut)


def from_mbox(path: Path) -> Iterator[Incoming]:
    """Each message of an mbox file, which is left as it is (a second run reads them again)."""
    box = mailbox.mbox(path, create=False)
    try:
        for number, key in enumerate(box.iterkeys(), start=1):
            yield from_stream(box.get_file(key), f"{path}: message {number}")  # a file view: a huge message is never held whole
    finally:
        box.close()


def from_maildir(path: Path) -> Iterator[tuple[Incoming, Callable[[], None]]]:
    """Each message of a Maildir not yet seen (in new/, or in cur/ without the S flag), with a function
    that marks it seen once it is handled, so the next run skips it."""
    for sub in ("new", "cur"):
        folder = path / sub
        if not folder.is_dir():
            continue
        for name in sorted(os.listdir(folder)):
            base, _, info = name.partition(":2,")
            if name.startswith(".") or (sub == "cur" and "S" in info):
                continue
            file = folder / name
            with open(file, "rb") as handle:
                incoming = from_stream(handle, str(file))
            yield incoming, functools.partial(os.replace, file, path / "cur" / f"{base}:2,{''.join(sorted(set(info + 'S')))}")


def keep(config: Config, incoming: Incoming, now: datetime) -> Path:
    """Keep the message for a person: `<time>-<hash>.eml` in the unread folder, written whole or not at all."""
    name = f"{now.astimezone(UTC):%Y%m%dT%H%M%SZ}-{hashlib.sha256(incoming.data).hexdigest()[:12]}.eml"
    target = unread_folder(config) / name
    write_atomically(target, incoming.data, durable=True)
    return target


def whose(config: Config, store: Store, event: Event, configured: Configured) -> str | None:
    """The reader an event is about. The Message-ID of the quoted original, when it is one of ours, names
    the reader it went to (a forwarded address bounces under another name); else the first address
    the report names (Original-Recipient, Final-Recipient, the quoted To) that is on the list (`configured`:
    the config's list, read once for a whole run)."""
    if event.message_id:
        owner = store.address_of_message(event.message_id)
        if owner is not None:
            if event.recipients and owner not in event.recipients:
                log.info(f"bounce: the report names {', '.join(event.recipients)}; the quoted {event.message_id} went to {owner}")
            return owner
    for candidate in (*event.recipients, *event.original_to):
        if address_problem(candidate) is None and is_reader(config, store, normalise(candidate), configured):
            return normalise(candidate)
    return None


def record(config: Config, store: Store, report: Report, event: Event, where: str, now: datetime,
           configured: Configured) -> str | None:
    """Record one event; the line for stdout, or None when it names no reader (said on stderr)."""
    address = whose(config, store, event, configured)
    if address is None:
        named = ", ".join(event.recipients or event.original_to) or "nobody"
        log.warning(f"bounce: {where}: the {event.kind} report is about {named}, not a reader; nothing recorded")
        return None
    what = f"{event.kind} bounce {event.status}".strip() if event.kind is not Kind.COMPLAINT else "complaint"
    source = f"digest bounce ({report.format}): {what}: {event.said}"
    try:
        if event.kind is Kind.SOFT:
            limit = soft_bounce(config, store, address, source, now)
            counted = f"soft bounce {store.soft_bounces(address)} of {config.bounces.soft_limit} counted"
            outcome = "suppressed after soft bounces in a row" if limit else counted
        else:
            new = suppress(store, address, Reason.COMPLAINT if event.kind is Kind.COMPLAINT else Reason.HARD_BOUNCE, source, now)
            outcome = "suppressed" if new else "was already suppressed"
    except ReaderError as exc:
        log.warning(f"bounce: {where}: {exc}; nothing recorded")
        return None
    return f"{address}: {outcome} ({what}{': ' + event.said if event.said else ''})"


def take(config: Config, store_of: Callable[[], Store], incoming: Incoming, tally: Tally, out: Callable[[str], None],
         now: datetime, configured: Configured) -> None:
    """Read and record one message; keep it for a person when it cannot be read or recorded."""
    try:
        if incoming.cut:
            raise Unreadable(f"the message is larger than {MAX_MESSAGE_BYTES:,} bytes (its first part is kept)")
        report = read(incoming.data)
    except Unreadable as exc:
        _keep(config, incoming, f"cannot read it: {exc}", tally, now)
        return
    for ignored in report.ignored:
        tally.ignored += 1
        log.info(f"bounce: {incoming.where}: {', '.join(ignored.recipients) or 'no recipient'}: {ignored.why}; nothing recorded")
    try:
        store = store_of()
        for event in report.events:
            line = record(config, store, report, event, incoming.where, now, configured)
            if line is None:
                tally.not_readers += 1
            else:
                tally.recorded += 1
                out(line)
    except StoreError as exc:
        _keep(config, incoming, f"cannot record it: {exc.message()}", tally, now)


def _keep(config: Config, incoming: Incoming, why: str, tally: Tally, now: datetime) -> None:
    try:
        kept = keep(config, incoming, now)
    except OSError as exc:
        log.warning(f"bounce: {incoming.where}: {why}; and it could not be kept in {unread_folder(config)} ({exc.strerror or exc})")
        return
    tally.kept.append(kept)
    log.warning(f"bounce: {incoming.where}: {why}; kept for a person to read as {kept}")


def run(config: Config, *, file: str | None, mbox: Path | None, maildir: Path | None, stdin: BinaryIO,
        out: Callable[[str], None], now: datetime) -> Tally:
    """Take one message (FILE, or stdin for `-` or none) or every message of an mbox or a Maildir.
    The store is opened at the first event, so a message read while the store is broken is still kept."""
    tally = Tally()
    configured = Configured(config)  # the subscribers file, read at the first report about an address the store does not know
    with _LazyStore(config) as store_of:
        if maildir is not None:
            for incoming, seen in from_maildir(maildir):
                take(config, store_of, incoming, tally, out, now, configured)
                seen()
        elif mbox is not None:
            for incoming in from_mbox(mbox):
                take(config, store_of, incoming, tally, out, now, configured)
        elif file in (None, "-"):
            take(config, store_of, from_stream(stdin, "stdin"), tally, out, now, configured)
        else:
            with open(file, "rb") as handle:
                take(config, store_of, from_stream(handle, file), tally, out, now, configured)
    return tally


class _LazyStore:
    """The store, opened when first asked for and closed at the end."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.store: Store | None = None

    def __enter__(self) -> Callable[[], Store]:
        return self._open

    def _open(self) -> Store:
        if self.store is None:
            self.store = open_store(self.config)
        return self.store

    def __exit__(self, *exc: object) -> None:
        if self.store is not None:
            self.store.close()
