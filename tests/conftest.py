"""Shared fixtures: the project root, ../shared (skipped cleanly when absent), and a CLI runner."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


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


def run_digest(*args: str, cwd: Path | None = None, input: bytes | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run the real command line in a subprocess, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "digest", *args], cwd=cwd or ROOT, input=input,
        capture_output=True, timeout=timeout,
    )
