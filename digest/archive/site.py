"""The archive folder, written from the pages the store keeps: one page per sent edition, the index, the feed.

Every file is a function of the store's pages and the config alone (no clock, no folder listing), so
`digest archive --rebuild` after the folder is lost writes it again byte for byte. The folder's
manifest says which files the archive made, so those it makes no more are removed (archive.folder). Each file is
written whole or not at all (temp file + rename), edition pages first and the index and feed last,
so a reader never follows a link to a page not yet there.
"""
from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from html import escape
from pathlib import Path

from markupsafe import Markup

from digest.archive.folder import fingerprint, made_before, record, remove_stale, target
from digest.archive.urls import FEED, INDEX, edition_folder, edition_url, index_folder, relative
from digest.config import Config
from digest.errors import DigestError, UsageError
from digest.files import write_atomically
from digest.i18n import Language, language
from digest.logs import log
from digest.render.links import outgoing
from digest.render.templates import TemplateError, render_template
from digest.render.view import HEADLINE_CHARS, PARAGRAPH_CHARS, clean_line
from digest.store import CorrectionRecord, PageRecord, Store, StoreError

PAGE_TEMPLATE = "archive_page.html.j2"
INDEX_TEMPLATE = "archive_index.html.j2"
FEED_TEMPLATE = "archive_feed.xml.j2"
NOTES_TEMPLATE = "_correction_notes.html.j2"
LOCK_WAIT = 60.0  # seconds `digest archive` and a send's publishing wait for each other

# The stored page is a whole document (MJML's); the archive page keeps its head and body and adds its own.
_DOCUMENT = re.compile(r"<html(?P<html>[^>]*)>\s*<head>(?P<head>.*)</head>\s*<body(?P<body_attrs>[^>]*)>(?P<body>.*)</body>\s*</html>",
                       re.DOTALL | re.IGNORECASE)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)


@dataclass(frozen=True)
class Entry:
    """One edition as the index, the feed and its neighbours' links see it."""

    page: PageRecord
    folder: str  # 2026/05/14/
    url: str  # its public address
    date: str  # "Thursday, 14 May 2026"
    short: str  # "14 May 2026"
    notes: tuple[Note, ...] = ()  # corrections later editions carried to its stories


@dataclass(frozen=True)
class Note:
    """A correction a later edition carried, as the corrected edition's page and feed entry show it."""

    when: str  # the day the correcting edition went out: "16 May"
    headline: str
    url: str | None
    text: str
    carried_by: str  # that edition's date, "16 May 2026"
    carried_href: str  # a link to its page, from the corrected edition's page
    carried_url: str  # its public address, for the feed
    sent: datetime | None


@dataclass
class Published:
    folder: Path
    editions: int
    written: int  # files whose bytes changed (all of them with rebuild)
    removed: int = 0  # files the archive made before and makes no more (index pages after per_page grew)

    def __str__(self) -> str:
        """For the operator's log: "1 edition in public (3 files written)", ", 2 removed" when some were."""
        editions = "1 edition" if self.editions == 1 else f"{self.editions} editions"
        files = "1 file" if self.written == 1 else f"{self.written} files"
        removed = f", {self.removed} removed" if self.removed else ""
        return f"{editions} in {self.folder} ({files} written{removed})"


def write_archive(config: Config, store: Store, *, rebuild: bool = False) -> Published:
    """`digest archive`: publish, as a command's errors (no `archive:` in the config is exit 2, a
    file that cannot be written exit 1)."""
    if config.archive is None:
        raise UsageError(f"{config.file}: archive: is not set; add archive: {{dir: public, base_url: \"https://example.com/newsletter/\"}}")
    try:
        return publish(config, store, rebuild=rebuild)
    except OSError as exc:
        raise DigestError(f"cannot write the archive: {exc}") from exc


def publish(config: Config, store: Store, *, rebuild: bool = False) -> Published:
    """Bring the archive folder up to date with the editions sent; `rebuild` rewrites every file.

    Then the files the archive made before and makes no more go (see archive.folder); files it did
    not make are left alone. Raises OSError when a file cannot be written, OutsideFolder (an OSError)
    when a link in the folder would take a write out of it.
    """
    assert config.archive is not None
    folder = config.resolve(config.archive.dir)
    with store.lock("archive", wait=LOCK_WAIT):
        pages = store.published_pages()
        corrections = store.published_corrections()
        before = made_before(folder)
        made: dict[str, str] = {}
        written = 0
        for name, data in site_files(config, pages, corrections):
            path = target(folder, name)
            if rebuild or not _holds(path, data):
                write_atomically(path, data)
                written += 1
            made[name] = fingerprint(data)
        removed = remove_stale(folder, before, made)
        record(folder, made)
    return Published(folder, len(pages), written, len(removed))


def _holds(path: Path, data: bytes) -> bool:
    try:
        return path.read_bytes() == data
    except OSError:
        return False


def site_files(config: Config, pages: list[PageRecord], corrections: list[CorrectionRecord] | None = None) -> Iterator[tuple[str, bytes]]:
    """(path in the folder, bytes) of every file: each edition's page, then the index's pages, then the feed.
    `corrections`: those later editions carried, noted on the pages (and feed entries) of the editions they correct."""
    archive = config.archive
    assert archive is not None
    words = language(config.newsletter.lang)
    entries = [_entry(config, page, words, corrections or []) for page in pages]
    for position, entry in enumerate(entries):
        older = entries[position - 1] if position else None
        newer = entries[position + 1] if position + 1 < len(entries) else None
        yield entry.folder + INDEX, edition_page(config, entry, older, newer).encode("utf-8")
    newest_first = entries[::-1]
    chunks = [newest_first[start : start + archive.per_page] for start in range(0, len(newest_first), archive.per_page)] or [[]]
    for number, chunk in enumerate(chunks, start=1):
        yield index_folder(number) + INDEX, index_page(config, chunk, number, len(chunks), len(entries)).encode("utf-8")
    yield FEED, feed(config, newest_first[: archive.feed_entries]).encode("utf-8")


def _entry(config: Config, page: PageRecord, words: Language, corrections: list[CorrectionRecord]) -> Entry:
    url = edition_url(config, page.date)  # the address the email links to, so the page, feed and email agree
    assert url is not None  # site_files runs only with an archive configured
    folder = edition_folder(page.date)
    notes = tuple(_note(config, record, folder, words) for record in corrections if record.correction.corrects == page.date)
    return Entry(page, folder, url, words.long_date(page.date), words.short_date(page.date), notes)


def _note(config: Config, record: CorrectionRecord, folder: str, words: Language) -> Note:
    correction = record.correction
    return Note(when=words.day_month(record.carried_by), headline=clean_line(correction.title, HEADLINE_CHARS),
                url=outgoing(correction.url, {}), text=clean_line(correction.text, PARAGRAPH_CHARS),
                carried_by=words.short_date(record.carried_by), carried_href=relative(folder, edition_folder(record.carried_by)),
                carried_url=edition_url(config, record.carried_by) or "", sent=record.sent)


def edition_page(config: Config, entry: Entry, older: Entry | None, newer: Entry | None) -> str:
    """The stored page inside the archive's frame: sharing tags, canonical URL, links to its neighbours."""
    here = entry.folder
    found = _DOCUMENT.search(entry.page.html)
    parts = found.groupdict() if found else {
        "html": f' lang="{escape(config.newsletter.lang)}"', "head": "", "body_attrs": "", "body": entry.page.html}
    return render_template(
        config, PAGE_TEMPLATE, entry=entry, site=_site(config), document={key: Markup(value) for key, value in parts.items()},
        index=relative(here, index_folder(1)),
        older=older and {"entry": older, "href": relative(here, older.folder)},
        newer=newer and {"entry": newer, "href": relative(here, newer.folder)},
        published=_timestamp(entry.page.sent),
        notes=_notes_html(config, entry),
    )


def index_page(config: Config, entries: list[Entry], number: int, pages: int, total: int) -> str:
    """Page `number` of the index: its editions newest first, how many there are in all, and links to
    the newer and older pages."""
    here, site = index_folder(number), _site(config)
    return render_template(
        config, INDEX_TEMPLATE, site=site, number=number, pages=pages, total=total,
        entries=[{"entry": entry, "href": relative(here, entry.folder)} for entry in entries],
        newer=relative(here, index_folder(number - 1)) if number > 1 else None,
        older=relative(here, index_folder(number + 1)) if number < pages else None,
        canonical=site["url"] + here,
        feed=relative(here, "", FEED),
    )


def feed(config: Config, entries: list[Entry]) -> str:
    """The Atom feed of the latest editions, each with its whole HTML (escaped as Atom's type="html" wants)."""
    items = [{"entry": entry, "published": _timestamp(entry.page.sent), "updated": _updated(entry),
              "content": _feed_html(entry.page.html) + _notes_html(config, entry, absolute=True)} for entry in entries]
    updated = max((_updated(entry) for entry in entries), default=_timestamp(None))
    site = _site(config)
    return render_template(config, FEED_TEMPLATE, site=site, entries=items, updated=updated, self_url=site["url"] + FEED)


def _notes_html(config: Config, entry: Entry, absolute: bool = False) -> Markup:
    """The corrections' note below the edition ("" without any); `absolute`: links a feed reader can follow."""
    if not entry.notes:
        return Markup("")
    notes = [dataclasses.replace(note, carried_href=note.carried_url) for note in entry.notes] if absolute else entry.notes
    return Markup(render_template(config, NOTES_TEMPLATE, notes=notes))


def _updated(entry: Entry) -> str:
    """A feed entry is updated when a correction is noted on it: when the edition that carried it was sent."""
    return max([_timestamp(entry.page.sent), *(_timestamp(note.sent) for note in entry.notes if note.sent)])


def _feed_html(document: str) -> str:
    """A feed reader shows the body alone and runs no conditional comments: the page's body without them."""
    found = _DOCUMENT.search(document)
    return _COMMENT.sub("", found.group("body") if found else document).strip()


def _site(config: Config) -> dict[str, str]:
    settings = config.newsletter
    assert config.archive is not None
    return {"title": settings.title, "tagline": settings.tagline, "lang": settings.lang, "url": config.archive.root_url}


def _timestamp(moment: datetime | None) -> str:
    """RFC 3339 in UTC, as Atom wants; an edition sent before the store kept the time shows the epoch."""
    moment = moment or datetime(1970, 1, 1, tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def publish_sent(config: Config, store: Store, delivered: list[tuple[date, str]]) -> list[str]:
    """After a send: publish the archive when an edition went out and an archive is configured.

    Never raises: the email is already out, so a folder that cannot be written is a warning (returned,
    and logged) that says how to catch up, not a failed send.
    """
    if config.archive is None or not delivered:
        return []
    try:
        done = publish(config, store)
    except (OSError, StoreError, TemplateError) as exc:
        problem = f"archive: could not publish to {config.archive.dir}: {exc}; run `digest archive` once it is fixed"
        log.warning(problem)
        return [problem]
    log.info(f"archive: {done}")
    return []
