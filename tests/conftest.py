"""Shared fixtures: the project root, ../shared (skipped cleanly when absent), a CLI runner, an item maker."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import traceback
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from digest import i18n
from digest.config import Config, FetchConfig, NewsletterConfig, SourceConfig
from digest.model import DatedItem, Item, stable_id

pytest_plugins = ["mailserver"]  # the SMTP server and TLS certificate fixtures

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
KYIV = ZoneInfo("Europe/Kyiv")


def kyiv_config(newsletter: NewsletterConfig | None = None, **sections: Any) -> Config:
    """A Config in code, newsletter in Europe/Kyiv unless given, with the sections a test sets
    (ranking=RankingConfig(...), sources=[...], base_dir=...): the one place tests start a config."""
    return Config(newsletter=newsletter or NewsletterConfig(timezone="Europe/Kyiv"), **sections)


# Fetching from the loopback test server: a dead one is known at once, and nothing is tried twice.
QUICK_FETCH = FetchConfig(connect_timeout=0.5, timeout=0.5, retries=0, backoff=0.0)


def sources_config(*sources: SourceConfig, base: Path = Path("."), **sections: Any) -> Config:
    """A Kyiv config of these sources, their `path:`s taken from `base`, fetching with QUICK_FETCH."""
    return kyiv_config(sources=list(sources), base_dir=base, **{"fetch": QUICK_FETCH, **sections})


@pytest.fixture(autouse=True)
def _fresh_languages(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test meets the languages as a new run does: i18n.language() keeps one Language a tag, and
    each says its missing-catalogue warnings once a process, so without this a test of a warning
    would pass or fail by which test ran before it."""
    i18n.language.cache_clear()
    monkeypatch.setattr(i18n, "_reported", set())
    yield
    i18n.language.cache_clear()


@pytest.fixture
def shared() -> Path:
    """../shared beside the project; a user's checkout has none, so tests that need it skip."""
    if not SHARED.is_dir():
        pytest.skip(f"../shared is absent ({SHARED}): these tests need the project's shared data")
    return SHARED


@pytest.fixture
def seeds(shared: Path) -> list[Path]:
    pages = sorted((shared / "seeds").glob("*.txt"))
    if not pages:
        pytest.skip("../shared/seeds holds no pages")
    return pages


def build_rows(tmp_path: Path, rows: list[dict], day: str, *, source: str = "cms", settings: str = "") -> tuple[str, str]:
    """`digest build --format text` of a day whose one source is these JSON Lines rows (a config of
    its own in tmp_path, with a store; `settings` adds YAML lines): its stdout and stderr. The
    build must succeed."""
    (tmp_path / "items.jsonl").write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    (tmp_path / "config.yaml").write_text(
        "newsletter: {title: Test Daily, timezone: Europe/Kyiv}\n"
        f"sources:\n  - {{name: {source}, kind: jsonl, path: items.jsonl}}\n"
        f"edition: {{window_hours: 48}}\nstore: {{path: state/digest.db}}\noutput: {{dir: out}}\n{settings}",
        encoding="utf-8",
    )
    result = run_digest("build", "-c", str(tmp_path / "config.yaml"), "--date", day, "--format", "text", "-o", "-")
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout.decode(), result.stderr.decode()


def newsroom_config(root: Path, *, edition: str, settings: str = "") -> Path:
    """A Kyiv newsletter that is sent: root/config.yaml of "Portside Morning" with a from, a reader and an
    unsubscribe link, its one source root/items.jsonl, the day cut at midnight, a store and an outbox.
    `edition` is one more line of the edition section, `settings` adds YAML lines. Returns root."""
    (root / "config.yaml").write_text(f"""
newsletter:
  title: Portside Morning
  timezone: Europe/Kyiv
  from: "Portside Morning <morning@example.com>"
  to: ["reader@example.com"]
  unsubscribe_url: "https://example.com/unsubscribe"
sources:
  - {{name: newsroom, kind: jsonl, path: items.jsonl}}
edition:
  cutoff: "24:00"
  {edition}
store: {{path: state/digest.db}}
delivery: {{method: outbox, outbox: outbox}}
{settings}""")
    return root


def run_digest(
    *args: str, cwd: Path | None = None, input: bytes | None = None, timeout: float = 120, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    """Run the real command line in this process (click's CliRunner), in the folder `cwd`, with `env`
    added to the environment: the same commands, exit status, stdout and stderr as a user's run,
    without paying a new interpreter's start-up each time. An exception that escapes becomes a
    traceback on stderr and exit 1, as Python would make it. `timeout` is not enforced in-process;
    use run_digest_process where the process itself is what is tested (signals, a killed run,
    faketime, the real stdout pipe, a browser launched by the command)."""
    from click.testing import CliRunner

    from digest.cli import main
    from digest.logs import log

    handlers, level, folder = log.handlers[:], log.level, os.getcwd()
    os.chdir(cwd or ROOT)
    try:
        result = CliRunner().invoke(main, list(args), input=input, env=env, prog_name="digest")
    finally:
        os.chdir(folder)
        log.handlers[:], log.level = handlers, level  # the command sends the logger to its own stderr
    stderr = result.stderr_bytes
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        stderr += "".join(traceback.format_exception(result.exception)).encode()
    return subprocess.CompletedProcess(["digest", *args], result.exit_code, result.stdout_bytes, stderr)


def run_digest_process(
    *args: str, cwd: Path | None = None, input: bytes | None = None, timeout: float = 120, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    """Run the real command line in a subprocess, as a user would (`env`: added to this environment)."""
    return subprocess.run(
        [sys.executable, "-m", "digest", *args], cwd=cwd or ROOT, input=input,
        capture_output=True, timeout=timeout, env={**os.environ, **env} if env else None,
    )


@pytest.fixture
def make_item():
    """Build a DatedItem (what the stages after loading take) from the few fields a test cares about;
    `at` is Kyiv wall-clock time. at=None: an undated Item, as a loader gives one."""

    def make(title: str, body: str = "", *, source: str = "Wire", kind: str = "brief", at: str | None = "2024-06-25 12:00", **fields) -> Item:
        item_id = fields.pop("id", None) or stable_id(source, kind, title, at or "")
        if at is None:
            return Item(id=item_id, source=source, kind=kind, title=title, body=body, **fields)
        published = datetime.fromisoformat(at).replace(tzinfo=KYIV)
        return DatedItem(id=item_id, source=source, kind=kind, title=title, body=body, published=published, **fields)

    return make
