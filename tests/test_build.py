"""`digest build` and `digest explain` end to end through the real command line."""
from __future__ import annotations

import json
import re
import shutil
import sqlite3
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from conftest import ROOT, run_digest, run_digest_process

from digest import pipeline
from digest.config import load_config

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)

SEED_BRIEFS = ["90 POWs", "military contractors", "become EU member", "security agreement", "arrest warrants"]
CHROME = [
    "Skip to content", "Edit post", "indicates required", "Please, enter correct email address",
    "This audio is created with AI assistance", "Successfuly subscribed", "Getty Images", "date 2024-06-25",
]


@pytest.fixture
def seed_config(tmp_path: Path, shared: Path) -> Path:
    config = tmp_path / "config.yaml"
    config.write_text(
        f"""
newsletter:
  title: Ukraine Daily
  tagline: News from Ukraine in your inbox
  timezone: Europe/Kyiv
sources:
  - name: seed pages
    kind: pagetext
    path: {shared / 'seeds' / '*.txt'}
edition:
  window_hours: 48
store:
  path: state/digest.db
"""
    )
    return config


@pytest.fixture
def sample_project(tmp_path: Path) -> Path:
    """The shipped config and sample day, copied so the run writes nothing into the checkout."""
    shutil.copy(ROOT / "config.yaml", tmp_path / "config.yaml")
    shutil.copytree(ROOT / "sample", tmp_path / "sample")
    return tmp_path


def visible(html: str) -> str:
    """The HTML a reader sees: without the <title> and aria-label (the subject) and the hidden preheader."""
    html = re.sub(r"<title>.*?</title>|aria-label=\"[^\"]*\"", "", html, flags=re.S)
    return re.sub(r'<div style="display:none[^"]*">.*?</div>', "", html, flags=re.S)


def build(config: Path, fmt: str, *extra: str) -> str:
    result = run_digest("build", "-c", str(config), "--date", "2024-06-26", "--format", fmt, "-o", "-", *extra)
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout.decode()


@pytest.mark.parametrize("fmt", ["text", "html"])
def test_seed_day_holds_the_story_once_and_all_five_briefs(seed_config: Path, fmt: str) -> None:
    output = build(seed_config, fmt)
    if fmt == "html":
        output = visible(output)
    assert output.count("Pentagon chief, new Russian defense minister talk for the first time") == 1
    for brief in SEED_BRIEFS:
        assert brief in output, brief
    assert "11:02 PM" in output and "2:05 PM" in output  # English: the 12-hour clock
    assert "23:02" not in output and "14:05" not in output
    for chrome in CHROME:
        assert chrome not in output, chrome


def test_seed_day_summaries_are_extractive(seed_config: Path, seeds: list[Path]) -> None:
    config = load_config(seed_config)
    result = pipeline.build(config, date(2024, 6, 26), now=NOW)
    page = " ".join(" ".join(seed.read_text().split()) for seed in seeds)
    shown = result.edition.stories()
    story = next(story for story in shown if story.kind == "story")
    assert 1 <= len(story.summary) <= 2
    assert sum(s.kind == "brief" for s in shown) == 5
    for item in shown:
        assert 1 <= len(item.summary) <= (2 if item.kind == "story" else 1)
        assert sum(len(s.split()) for s in item.summary) <= (60 if item.kind == "story" else 40)
        for sentence in item.summary:
            # whole, or shortened (asides and appositives out) and cut at a clause: its words are the
            # page's words in the page's order, from where one of the page's sentences starts
            assert sentence in page or _shortened_from(sentence, page), sentence


def _shortened_from(sentence: str, page: str) -> bool:
    words, source = re.findall(r"\w+", sentence), re.findall(r"\w+", page)
    for start in (i for i, word in enumerate(source) if source[i:i + 4] == words[:4]):
        rest = iter(source[start:start + 4 * len(words)])
        if all(word in rest for word in words):  # each found after the one before: a subsequence
            return True
    return False


def test_explain_lists_the_story_once_and_breaking_above_fresher_routine_briefs(seed_config: Path) -> None:
    result = run_digest("explain", "-c", str(seed_config), "--date", "2024-06-26", "--json")
    assert result.returncode == 0, result.stderr.decode()
    rows = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert [row["rank"] for row in rows] == list(range(1, len(rows) + 1))
    pentagon = [row for row in rows if row["title"].startswith("Pentagon chief")]
    assert len(pentagon) == 1
    icc = next(row for row in rows if "arrest warrants" in row["title"])
    routine = [row for row in rows if row["kind"] == "brief" and row is not icc]
    assert len(routine) == 4
    assert all(icc["rank"] < row["rank"] for row in routine)
    for row in rows:
        assert {"rank", "score", "components", "title", "kind", "section", "item_ids"} <= row.keys()

    text = run_digest("explain", "-c", str(seed_config), "--date", "2024-06-26").stdout.decode().splitlines()
    assert len(text) == len(rows)
    assert sum("Pentagon chief" in line for line in text) == 1
    assert all(line.rstrip().endswith(row["title"]) for line, row in zip(text, rows, strict=False))
    with sqlite3.connect(seed_config.parent / "state" / "digest.db") as store:  # explain shows no summary, so it made none
        assert store.execute("SELECT COUNT(*) FROM summaries").fetchone() == (0,)


def test_shipped_config_builds_the_sample_day_offline(sample_project: Path) -> None:
    result = run_digest("build", cwd=sample_project)
    assert result.returncode == 0, result.stderr.decode()
    written = Path(result.stdout.decode().strip())
    path = written if written.is_absolute() else sample_project / written
    html = path.read_text()
    assert path.name == "2026-05-14.html"
    assert html.lstrip().lower().startswith("<!doctype html")
    assert "Meridian Daily" in html
    assert "Flood warning issued for the lower Meridian river" in html
    for chrome in ("Enter your email", "Successfully subscribed", "Thank you for subscribing", "Skip to content"):
        assert chrome not in html
    # the scraped page's briefs have no link of their own: their headlines link to the page (its url:)
    assert re.search(r'href="https://example.com/ledger/"[^>]*>Flood warning issued for the lower Meridian river<', html)


def test_same_inputs_give_the_same_email_byte_for_byte(sample_project: Path) -> None:
    first = run_digest_process("build", "-o", "-", cwd=sample_project).stdout  # a process of its own: its own hash seed
    shutil.rmtree(sample_project / ".digest")  # cold again: no summary cache
    second = run_digest("build", "-o", "-", cwd=sample_project).stdout
    third = run_digest("build", "-o", "-", cwd=sample_project).stdout  # warm
    assert first == second == third
    assert len(first) > 1000


def test_help_lists_the_commands_and_the_build_options() -> None:
    result = run_digest("--help")
    assert result.returncode == 0
    for command in ("build", "explain"):
        assert command in result.stdout.decode()
    build_help = run_digest("build", "--help").stdout.decode()
    assert "--format" in build_help and "--date" in build_help and "-o" in build_help


def test_every_source_failed_is_exit_1_with_each_reason_and_no_file(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    (tmp_path / "exports").mkdir()
    config.write_text(
        """
sources:
  - {name: old export, kind: jsonl, path: "exports/*.jsonl"}
  - {name: wire, kind: feed, url: "http://127.0.0.1:9/rss"}
fetch: {retries: 0, connect_timeout: 1}
store: {path: state/digest.db}
"""
    )
    result = run_digest("build", "-c", str(config), "--date", "2026-05-14")
    stderr = result.stderr.decode()
    assert result.returncode == 1, stderr
    assert "source 'old export'" in stderr and "source 'wire'" in stderr
    assert "every source failed" in stderr and "Traceback" not in stderr
    assert result.stdout == b"" and not (tmp_path / "out").exists()


def test_written_file_is_whole_and_readable_by_others(sample_project: Path) -> None:
    result = run_digest("build", "--format", "text", "-o", "edition.txt", cwd=sample_project)
    assert result.returncode == 0, result.stderr.decode()
    written = sample_project / "edition.txt"
    assert written.stat().st_mode & 0o044 == 0o044  # umask 022: not a temp file's private 0600
    assert "MERIDIAN DAILY" in written.read_text()
    assert [path.name for path in sample_project.iterdir() if path.name.startswith(".edition")] == []
