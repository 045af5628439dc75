"""Source files read once: a file's items as parsed, kept in the store under a key of what decides them.

A rebuild of the same day (a preview after a template change, `explain` after `build`) would
otherwise read and clean every JSON line again: most of a warm build at 10,000 items. The key is a
hash of the file's bytes, its source's settings (with the time zone and language it falls back
to), where the config sits (warnings name files relative to it) and the code that parses it
(`code_version`: digest's version and its modules' source, and Python's), so a changed file, a
changed source key or another digest parses afresh. The warnings a file gave come back with its items.

The items are kept in Python's `marshal` format, not JSON: at 10,000 items it writes in a third of
the time and reads in half (a twentieth of a cold build). It holds only plain values (text, numbers,
lists, dicts) and runs no code; its format is Python's own, so Python's version is part of the key.

Looked up and written by the thread that owns the store (as digest.sources.context.FetchStates
does); the loaders' threads only read what was looked up and leave what they parsed here.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import marshal
import operator
import sys
import threading
from collections.abc import Callable
from datetime import datetime, timezone
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import digest
from digest.model import Image, Item, Problem

if TYPE_CHECKING:
    from digest.sources.context import SourceContext
    from digest.store import Store

FIELDS = tuple(f.name for f in dataclasses.fields(Item))


class Uncacheable(ValueError):
    """An item holds a value the cache cannot give back exactly (an odd time zone, say): parse it every time."""


@cache
def code_version() -> str:
    """digest's version, Python's (whose `marshal` format keeps the items) and a hash of every module
    of the package: any change to the code that parses (or to what an Item is) gives new keys."""
    package = Path(digest.__file__).parent
    hashed = hashlib.sha256(f"{digest.__version__} {sys.version_info[:2]} {marshal.version}".encode())
    for module in sorted(package.rglob("*.py")):
        hashed.update(module.relative_to(package).as_posix().encode() + b"\0" + module.read_bytes() + b"\0")
    return hashed.hexdigest()


def file_key(ctx: SourceContext, path: Path, data: bytes) -> str:
    """What decides the items of `path` (whose bytes are `data`) as `ctx`'s source reads them."""
    settings = json.dumps(
        [code_version(), dataclasses.asdict(ctx.source), str(ctx.tz), ctx.lang, str(ctx.config.base_dir.resolve()), str(path)],
        sort_keys=True, default=str,
    )
    return hashlib.sha256(settings.encode() + b"\0" + data).hexdigest()


class ParsedFiles:
    """This run's view of the kept files of its sources: what was kept, and what was parsed afresh."""

    def __init__(self, store: Store | None, sources: list[str]) -> None:
        self.known = store.parsed_files(sources) if store else {}
        self.fresh: dict[tuple[str, str], tuple[str, bytes]] = {}
        self.read: dict[str, set[str]] = {}
        self.lock = threading.Lock()

    def items(self, ctx: SourceContext, path: Path, data: bytes, parse: Callable[[], list[Item]]) -> list[Item]:
        """The items of `path` as `parse` makes them from `data`, and the warnings it gives, from the
        store when the file, its source's settings and the code are the same as when they were kept."""
        slot = (ctx.source.name, str(path))
        key = file_key(ctx, path, data)
        with self.lock:
            self.read.setdefault(ctx.source.name, set()).add(str(path))
        kept = self.known.get(slot)
        if kept and kept[0] == key:
            try:
                items, problems = decode(kept[1])
            except (ValueError, TypeError, KeyError, AttributeError, EOFError):
                pass  # a damaged row: the file is read again, and the row written anew
            else:
                ctx.problems.extend(problems)
                return items
        before = len(ctx.problems)
        items = parse()
        try:
            payload = encode(items, ctx.problems[before:])
        except Uncacheable:
            return items
        with self.lock:
            self.fresh[slot] = (key, payload)
        return items

    def save(self, store: Store) -> None:
        if self.fresh or any(slot[1] not in self.read.get(slot[0], ()) for slot in self.known):
            store.put_parsed_files(self.fresh, self.read)


# Items as (FIELDS, rows, problems), each row a list of an item's fields in FIELDS order; a date
# keeps its own kind of time zone.


def encode(items: list[Item], problems: list[Problem]) -> bytes:
    rows = []
    for item in items:
        row = list(_values(item))
        row[_PUBLISHED] = _encode_date(row[_PUBLISHED])
        if row[_IMAGE] is not None:
            row[_IMAGE] = dataclasses.astuple(row[_IMAGE])
        rows.append(row)
    try:
        return marshal.dumps((FIELDS, rows, [dataclasses.astuple(problem) for problem in problems]))
    except ValueError as exc:  # a value marshal cannot hold (a date in `extra`, say)
        raise Uncacheable(str(exc)) from None


def decode(payload: bytes) -> tuple[list[Item], list[Problem]]:
    """What `encode` wrote; ValueError (or TypeError, EOFError) when it is not that: a damaged row, or
    one an older digest wrote, is read again from the file."""
    fields, rows, problems = marshal.loads(payload)
    if fields != FIELDS:
        raise ValueError("kept with other fields")
    items = []
    for values in rows:
        item = object.__new__(Item)  # as DatedItem.of: the fields as they were, not through __init__
        item.__dict__.update(zip(FIELDS, values, strict=True))
        item.published = _date(values[_PUBLISHED])
        item.tags = tuple(values[_TAGS])
        image = values[_IMAGE]
        item.image = Image(*image) if image is not None else None
        items.append(item)
    return items, [Problem(*problem) for problem in problems]


_PUBLISHED, _TAGS, _IMAGE = (FIELDS.index(name) for name in ("published", "tags", "image"))
_values = operator.attrgetter(*FIELDS)


def _encode_date(value: datetime | None) -> Any:
    """A date as [ISO 8601 without offset, zone name, fold] when its zone is a named one (the source's
    time zone), as ISO 8601 with its offset when it is a fixed offset; None stays None."""
    if value is None:
        return None
    zone = value.tzinfo
    if isinstance(zone, ZoneInfo) and zone.key and ZoneInfo(zone.key) is zone:
        return [value.replace(tzinfo=None).isoformat(), zone.key, value.fold]
    if isinstance(zone, timezone) and _offset_comes_back(zone, str(zone)):
        return value.isoformat()
    raise Uncacheable(f"a date in a time zone kept only as it is: {zone!r}")


@cache
def _offset_comes_back(zone: timezone, name: str) -> bool:
    """Whether a date in this fixed offset, written as ISO 8601, reads back with the offset and its
    `name` (str(zone)) as they were: asked once per zone, not once per item. The name is part of the
    question because zones of one offset are equal whatever their names ("MSK" is "+03:00")."""
    again = datetime.fromisoformat(datetime(2000, 1, 1, tzinfo=zone).isoformat()).tzinfo
    return again == zone and str(again) == name


def _date(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        return datetime.fromisoformat(value)
    naive, zone, fold = value
    return datetime.fromisoformat(naive).replace(tzinfo=ZoneInfo(zone), fold=fold)
