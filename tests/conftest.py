"""Shared fixtures: the project root, ../shared (skipped cleanly when absent), a CLI runner, an item maker."""
from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

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


def run_digest(
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
