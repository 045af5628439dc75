"""What a loader is handed: its source's settings, the config, the store and the run's clock, with the
ways to read files, fetch URLs and make Items. Apart from digest.sources so the loaders import it without
a circle.
"""
from __future__ import annotations

import glob
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from digest.config import Config, SourceConfig
from digest.identity import item_id
from digest.model import DatedItem, Item, Problem
from digest.sources.failure import SourceFailed
from digest.sources.parsed import ParsedFiles
from digest.store import FetchState, Store

T = TypeVar("T")


@dataclass
class SourceContext:
    """What a loader may use: its settings, the whole config, the store, and the run's clock."""

    source: SourceConfig
    config: Config
    now: datetime
    store: Store | FetchStates | None = None  # where ETags and Last-Modified are kept between runs
    problems: list[Problem] = field(default_factory=list)
    items: list[DatedItem] = field(default_factory=list)  # what the source gave, once loaded and normalised
    parsed: ParsedFiles | None = None  # files parsed on an earlier run, kept in the store

    @property
    def tz(self):
        return self.config.source_tz(self.source)

    @property
    def lang(self) -> str:
        return self.config.source_lang(self.source)

    @property
    def failed(self) -> bool:
        """Whether the whole source gave nothing (as opposed to a bad part of it)."""
        return any(problem.source_failed for problem in self.problems)

    def status(self) -> str:
        """One line for `digest check`: OK and what the source gave, or FAILED and why."""
        head = f"{self.source.kind:<8} {self.source.name}"
        failure = next((problem.reason for problem in self.problems if problem.source_failed), None)
        if failure:
            return f"FAILED  {head}: {failure}"
        warnings = f", {len(self.problems)} warning{'s' * (len(self.problems) != 1)}" if self.problems else ""
        return f"OK      {head}: {len(self.items)} item{'s' * (len(self.items) != 1)}{warnings}"

    @property
    def breaking_categories(self) -> frozenset[str]:
        """The categories that mark an item as breaking news, case-folded."""
        return frozenset(category.casefold() for category in self.source.breaking_categories)

    def warn(self, reason: str, where: str | None = None) -> None:
        """Report a bad part of the source (the rest of it is kept); `where` defaults to the source."""
        self.problems.append(Problem(where or self.where(), reason))

    def where(self, path: Path | None = None, line: int | None = None) -> str:
        """How stderr names the source, and the file and line a warning is about when there is one."""
        parts = [self.shown(path)] if path else []
        parts += [f"line {line}"] if line is not None else []
        return f"source '{self.source.name}'" + (f" ({', '.join(parts)})" if parts else "")

    def shown(self, path: Path) -> str:
        """A file as the user would name it: relative to the config's folder when inside it."""
        try:
            return str(path.resolve().relative_to(self.config.base_dir.resolve()))
        except ValueError:
            return str(path)

    def item(self, title: str, *, url: str | None = None, published: datetime | None = None, guid: str | None = None,
             **fields: Any) -> Item:
        """An Item of this source: its id made by `identity.item_id`, and its kind, section and language from
        the source's settings, unless `fields` gives them."""
        values: dict[str, Any] = {
            "source": self.source.name,
            "kind": self.source.item_kind,
            "section": self.source.section,
            "lang": self.lang,
            **fields,
        }
        if "id" not in values:  # an id of the export's own needs none made
            values["id"] = item_id(self.source.name, url=url, title=title, published=published, guid=guid)
        return Item(title=title, url=url, published=published, **values)

    def paths(self) -> list[Path]:
        """The files `path:` names (globs expanded, sorted so every run reads them in one order).

        A file that exists under the very name given is that file, even when its name has glob
        characters in it ("notes [draft].xml")."""
        pattern = str(self.config.resolve(self.source.path or ""))
        literal = not glob.has_magic(pattern) or Path(pattern).exists()
        matches = [Path(pattern)] if literal else sorted(Path(p) for p in glob.glob(pattern, recursive=True))
        if not matches:
            raise SourceFailed(f"no file matches {self.source.path}")
        return matches

    def load_files(
        self, parse: Callable[[Path, T], list[Item]], read: Callable[[Path], T] | None = None, *, reuse: bool = False,
    ) -> list[Item]:
        """The items of each file `path:` names, each read (default: `read_text`) and parsed on its own.

        Whatever one file does (cannot be read, is not the right format, crashes a parser), the
        other files of a glob are kept and stderr names the file and the reason; when no file
        gives anything, the source fails: with the file's own reason when there is one file.
        `reuse`: what `parse` makes of a file's text depends on nothing but that text and the
        source's settings, so a file read on an earlier run may be taken from the store (digest.sources.parsed).
        """
        reader: Callable[[Path], Any] = read or self.read_text
        kept = self.parsed if reuse and read is None else None

        def one_file(path: Path) -> list[Item]:
            if kept is None:
                return parse(path, reader(path))
            data = self.read_bytes(path)
            return kept.items(self, path, data, lambda: parse(path, data.decode("utf-8", errors="replace")))  # type: ignore[arg-type]

        paths = self.paths()
        items: list[Item] = []
        failures: list[tuple[Path, str]] = []
        for path in paths:
            try:
                items.extend(one_file(path))
            except SourceFailed as exc:
                failures.append((path, str(exc)))
            except Exception as exc:  # a library's crash on one odd file costs that file only
                failures.append((path, f"unexpected {type(exc).__name__}: {exc}"))
        if len(paths) == 1 and failures:
            raise SourceFailed(failures[0][1])
        for path, reason in failures:
            self.warn(reason, self.where(path))
        if failures and len(failures) == len(paths):
            raise SourceFailed(f"none of its {len(paths)} files could be read")
        return items

    def nothing_in(self, what: str) -> SourceFailed:
        """The failure of a source whose files all were read but gave no `what` ("items")."""
        return SourceFailed(f"no {what} in " + ", ".join(self.shown(path) for path in self.paths()))

    def fetch(self, url: str, *, accept: str = "*/*", conditional: bool = True):
        """GET `url` within the config's fetch limits (see digest.sources.http); `conditional` keeps
        its ETag/Last-Modified and body in the store so an unchanged resource costs a 304 next run.

        The one rule for where a source may lead digest: every hop of every fetch (the source's
        own URL, its redirects, the pages `full_text` reads) must connect to a public address,
        unless the source says `allow_private: true` (an intranet feed). So neither a redirect nor
        a link in a feed can make digest read an intranet page into an email.
        """
        from digest.sources import http

        store = self.store if conditional else None
        return http.fetch(url, self.config.fetch, store, accept=accept, now=self.now, public_only=not self.source.allow_private)

    def read_bytes(self, path: Path) -> bytes:
        """A file's bytes; one that cannot be read fails with the reason (for `load_files`)."""
        try:
            return path.read_bytes()
        except OSError as exc:
            raise SourceFailed(f"cannot read {self.shown(path)}: {exc.strerror}") from None

    def read_text(self, path: Path) -> str:
        """A UTF-8 file's text; bytes that are not UTF-8 become U+FFFD rather than failing the file."""
        return self.read_bytes(path).decode("utf-8", errors="replace")


def parse_iso_date(value: str, tz) -> datetime | None:
    """An ISO 8601 date or date-time; one without an offset is taken in `tz`. None when it is not one."""
    text = value.strip()
    if text[-1:] in ("Z", "z"):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)


class FetchStates:
    """The store's conditional-GET state for this run's source URLs, read before the sources are
    loaded concurrently and written back after, so that only the calling thread touches the store
    (an SQLite connection belongs to one thread, and a dry run's store must discard the writes)."""

    def __init__(self, store: Store | None, urls: list[str]) -> None:
        self.known = {url: store.fetch_state(url) for url in urls} if store else {}
        self.fresh: dict[str, tuple[FetchState, datetime]] = {}
        self.lock = threading.Lock()

    def fetch_state(self, url: str) -> FetchState | None:
        return self.known.get(url)

    def put_fetch_state(self, url: str, state: FetchState, fetched: datetime) -> None:
        with self.lock:
            self.fresh[url] = (state, fetched)

    def save(self, store: Store) -> None:
        for url in sorted(self.fresh):
            store.put_fetch_state(url, *self.fresh[url])
