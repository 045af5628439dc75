"""Config validation: each user mistake is exit 2 with one message naming the file, the key and the fix."""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import ROOT, run_digest
from digest.config import ConfigError, load_config


def test_shipped_config_loads() -> None:
    config = load_config(ROOT / "config.yaml")
    assert config.newsletter.timezone == "Europe/Kyiv"
    assert [source.kind for source in config.sources] == ["pagetext", "jsonl"]
    assert config.base_dir == ROOT


BROKEN = [
    ("newsletter: {timezone: Mars/Olympus}", "newsletter.timezone", "IANA"),
    ("newsletter: {titel: X}", "newsletter.titel", "did you mean 'title'"),
    ("edition: {window_hours: -3}", "edition.window_hours", "more than 0"),
    ("edition: {window_hours: soon}", "edition.window_hours", "should be a number"),
    ("edition: {cutoff: '7am'}", "edition.cutoff", "HH:MM"),
    ("schedule: {at: ['25:00']}", "schedule.at", "HH:MM"),
    ("sources: [{name: a, kind: rss, path: x.xml}]", "sources[0].kind", "feed, html, jsonl, pagetext"),
    ("sources: [{name: a, kind: jsonl, path: missing.jsonl}]", "sources[0].path", "does not exist"),
    ("sources: [{name: a, kind: feed}]", "sources[0]", "add url: or path:"),
    ("sources: [{kind: feed, url: 'https://example.com/rss'}]", "sources[0].name", "add name:"),
    ("sources: [{name: a, kind: feed, url: 'ftp://example.com/rss'}]", "sources[0].url", "http"),
    ("delivery: {method: pigeon}", "delivery.method", "command, smtp, outbox"),
    ("newsletter: [1, 2]", "newsletter", "mapping"),
    ("newsletter:\n  title: [unclosed", "line", "YAML"),
]


@pytest.mark.parametrize(("text", "key", "fix"), BROKEN)
def test_broken_config_names_file_key_and_fix(tmp_path: Path, text: str, key: str, fix: str) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: {key}")
    assert fix in message


def test_cli_reports_config_error_with_exit_2_and_no_traceback(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("edition: {window_hours: -3}\n")
    result = run_digest("build", "-c", str(path))
    stderr = result.stderr.decode()
    assert result.returncode == 2
    assert "edition.window_hours" in stderr and str(path) in stderr
    assert "Traceback" not in stderr
    assert result.stdout == b""


def test_missing_config_file_is_exit_2(tmp_path: Path) -> None:
    result = run_digest("build", "-c", str(tmp_path / "nope.yaml"))
    assert result.returncode == 2
    assert "no such file" in result.stderr.decode()
