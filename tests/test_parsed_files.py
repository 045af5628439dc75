"""A source file's items kept in the store (digest.sources.parsed): a rebuild reads no line again,
and a changed file, a changed source key or other code parses afresh. Through the real CLI.

Each test first proves the kept items are what a rebuild uses (a title changed in the store shows
in the edition), then that the change under test makes it read the file again (the title is back).
"""
from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import run_digest

import digest
from digest.model import Image, Item, Problem
from digest.sources import parsed
from digest.store import Store

CONFIG = """newsletter: {{title: Kept Daily, timezone: Europe/Kyiv}}
sources:
  - {{name: CMS, kind: jsonl, path: {path}{extra}}}
edition: {{date: '2024-05-02'}}
store: {{path: state/digest.db}}
"""


def write_day(folder: Path, title: str = "Grid holds through the night", name: str = "day.jsonl") -> None:
    lines = [
        {"id": "a", "title": title, "body": "Engineers kept the grid up. Repairs go on.", "published": "2024-05-01T21:00:00+03:00"},
        {"id": "b", "title": "Schools open again", "body": "<p>Classes resume on Monday.</p>", "published": "2024-05-01T20:00:00",
         "url": "https://example.com/schools?utm_source=x", "tags": ["education"], "image": {"url": "https://example.com/s.jpg", "alt": "A class"}},
        "not json",
    ]
    (folder / name).write_text("\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines) + "\n", encoding="utf-8")


def project(tmp_path: Path, path: str = "day.jsonl", extra: str = "") -> Path:
    write_day(tmp_path)
    (tmp_path / "config.yaml").write_text(CONFIG.format(path=path, extra=extra), encoding="utf-8")
    return tmp_path


def build(folder: Path) -> tuple[str, str]:
    result = run_digest("build", "-c", "config.yaml", "--format", "text", "-o", "-", cwd=folder)
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout.decode(), result.stderr.decode()


def kept_rows(folder: Path) -> list[tuple[str, str, bytes]]:
    with sqlite3.connect(folder / "state" / "digest.db") as db:
        return db.execute("SELECT source, path, items FROM parsed_files ORDER BY path").fetchall()


def tamper(folder: Path, old: str, new: str) -> None:
    """Change a title in what the store keeps, leaving its key: only a rebuild that uses it shows `new`."""
    with sqlite3.connect(folder / "state" / "digest.db") as db:
        for rowid, payload in db.execute("SELECT rowid, items FROM parsed_files").fetchall():
            items, problems = parsed.decode(payload)
            for item in items:
                item.title = item.title.replace(old, new)
            db.execute("UPDATE parsed_files SET items = ? WHERE rowid = ?", (parsed.encode(items, problems), rowid))


@pytest.fixture
def kept(tmp_path: Path) -> Path:
    """A project built once, its file's items then changed in the store (a rebuild that uses them shows it)."""
    folder = project(tmp_path)
    first, warnings = build(folder)
    assert "Grid holds through the night" in first and "line 3" in warnings
    tamper(folder, "Grid holds through the night", "Title from the store")
    return folder


def test_a_rebuild_takes_the_kept_items_and_warnings(kept):
    again, warnings = build(kept)
    assert "Title from the store" in again
    assert "line 3" in warnings and "not valid JSON" in warnings  # the file's warnings come back with its items
    assert [(source, Path(path).name) for source, path, _ in kept_rows(kept)] == [("CMS", "day.jsonl")]


def test_the_same_bytes_from_the_store_as_from_the_file(tmp_path):
    folder = project(tmp_path)
    outputs = [run_digest("build", "-c", "config.yaml", "--format", fmt, "-o", "-", cwd=folder).stdout for fmt in ("html", "text") for _ in (1, 2)]
    assert outputs[0] == outputs[1] and outputs[2] == outputs[3]  # the first of each pair parsed the file, the second took the store's
    assert b"Schools open again" in outputs[0]


def test_a_changed_file_is_read_again(kept):
    write_day(kept, title="Grid holds for a second night")
    again, _ = build(kept)
    assert "Grid holds for a second night" in again and "Title from the store" not in again


def test_a_changed_source_key_is_read_again(kept):
    (kept / "config.yaml").write_text(CONFIG.format(path="day.jsonl", extra=", section: Energy"), encoding="utf-8")
    again, _ = build(kept)
    assert "Grid holds through the night" in again and "Title from the store" not in again


def test_another_digest_version_reads_again(kept, monkeypatch):
    monkeypatch.setattr(digest, "__version__", "999.0")
    parsed.code_version.cache_clear()
    try:
        again, _ = build(kept)
    finally:
        parsed.code_version.cache_clear()
    assert "Grid holds through the night" in again and "Title from the store" not in again


def test_a_file_no_longer_read_is_forgotten(kept):
    write_day(kept, name="other.jsonl")
    (kept / "config.yaml").write_text(CONFIG.format(path="other.jsonl", extra=""), encoding="utf-8")
    build(kept)
    assert [Path(path).name for _, path, _ in kept_rows(kept)] == ["other.jsonl"]


def test_the_kept_files_are_bounded_in_bytes(tmp_path, monkeypatch):
    monkeypatch.setattr("digest.store.cache.PARSED_BYTES_KEPT", 2500)
    with Store(tmp_path / "digest.db") as store:
        for number in range(5):
            store.put_parsed_files({("CMS", f"day-{number}.jsonl"): ("key", b"x" * 1000)}, {})
        assert sorted(store.parsed_files(["CMS"])) == [("CMS", "day-3.jsonl"), ("CMS", "day-4.jsonl")]  # the latest written


def test_items_come_back_as_they_were():
    kyiv = ZoneInfo("Europe/Kyiv")
    items = [
        Item(id="a", source="CMS", kind="story", title="A", body="Text.", url="https://example.com/a",
             published=datetime(2024, 10, 27, 3, 30, tzinfo=kyiv, fold=1), tags=("x", "y"), breaking=True, priority=2,
             image=Image("https://example.com/a.jpg", "alt", 640, 480), extra={"desk": ["night", 1.5, None]}),
        Item(id="b", source="Wire", kind="brief", title="B", published=datetime(2024, 5, 1, 8, 30, tzinfo=UTC), via="CMS"),
        Item(id="c", source="Wire", kind="brief", title="C", published=datetime(2024, 5, 1, 8, 30, tzinfo=timezone(timedelta(hours=3)))),
        Item(id="d", source="Wire", kind="brief", title="D", undated=True),
    ]
    problems = [Problem("source 'CMS' (day.jsonl, line 3)", "not valid JSON; line skipped")]
    again, warned = parsed.decode(parsed.encode(items, problems))
    assert again == items and warned == problems
    assert [item.published.tzinfo for item in again if item.published] == [kyiv, UTC, timezone(timedelta(hours=3))]
    assert again[0].published.fold == 1 and isinstance(again[0].tags, tuple)


def test_a_value_that_would_not_come_back_is_not_kept():
    named = Item(id="a", source="CMS", kind="story", title="A", published=datetime(2024, 5, 1, tzinfo=timezone(timedelta(hours=3), "MSK")))
    unnamed = Item(id="u", source="CMS", kind="story", title="U", published=datetime(2024, 5, 1, tzinfo=timezone(timedelta(hours=3))))
    parsed.encode([unnamed], [])  # the same offset without a name does come back: that must not vouch for the named one
    with pytest.raises(parsed.Uncacheable):
        parsed.encode([named], [])
    odd = Item(id="b", source="CMS", kind="story", title="B", extra={"when": datetime(2024, 5, 1)})
    with pytest.raises(parsed.Uncacheable):
        parsed.encode([odd], [])


@pytest.mark.parametrize("damaged", [
    b"\xe9\x03\x00\x00",  # cut short
    b"not marshal at all",
    '{"fields": ["id"], "items": [[1]]}',  # what an older digest kept: JSON text
], ids=["cut-short", "garbage", "older-json"])
def test_a_damaged_row_is_read_again_from_the_file(kept, damaged):
    with sqlite3.connect(kept / "state" / "digest.db") as db:
        db.execute("UPDATE parsed_files SET items = ?", (damaged,))
    again, _ = build(kept)
    assert "Grid holds through the night" in again
    assert b"Grid holds through the night" in kept_rows(kept)[0][2]  # written anew
