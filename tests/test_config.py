"""The shipped config loads; a missing config file is exit 2. Broken configs: tests/robustness/test_config_errors.py."""
from __future__ import annotations

from pathlib import Path

from conftest import ROOT, run_digest

from digest.config import load_config


def test_shipped_config_loads() -> None:
    config = load_config(ROOT / "config.yaml")
    assert config.newsletter.timezone == "Europe/Kyiv"
    assert [source.kind for source in config.sources] == ["pagetext", "jsonl"]
    assert config.base_dir == ROOT


def test_missing_config_file_is_exit_2(tmp_path: Path) -> None:
    result = run_digest("build", "-c", str(tmp_path / "nope.yaml"))
    assert result.returncode == 2
    assert "no such file" in result.stderr.decode()
