"""config.yaml: the shipped one loads, each section's settings load, and a wrong value is a ConfigError naming its key.
Broken configs through the real CLI: tests/robustness/test_config_errors.py."""
from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ROOT, run_digest

from digest.config import Config, ConfigError, load_config


def test_shipped_config_loads() -> None:
    config = load_config(ROOT / "config.yaml")
    assert config.newsletter.timezone == "Europe/Kyiv"
    assert [source.kind for source in config.sources] == ["pagetext", "jsonl"]
    assert config.base_dir == ROOT


def test_missing_config_file_is_exit_2(tmp_path: Path) -> None:
    result = run_digest("build", "-c", str(tmp_path / "nope.yaml"))
    assert result.returncode == 2
    assert "no such file" in result.stderr.decode()


def load(tmp_path: Path, text: str) -> Config:
    """The config that `text`, as a config.yaml, gives."""
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return load_config(path)


def test_ranking_settings_load(tmp_path: Path) -> None:
    ranking = load(tmp_path, "ranking:\n  half_life_hours: 6\n  weights: {breaking: 3}\n  keywords: {air defense: 0.5, opinion: -1}\n").ranking
    assert (ranking.half_life_hours, ranking.weights.breaking, ranking.weights.coverage) == (6.0, 3.0, 0.5)
    assert ranking.keywords == {"air defense": 0.5, "opinion": -1.0}


def test_section_rules_load(tmp_path: Path) -> None:
    sections = load(tmp_path, "sections:\n  - {key: war, title: War, keywords: [front line], limit: 5}\n"
                              "  - {key: economy, title: Economy, tags: [economy], layout: feed}\n").sections
    assert [(s.key, s.limit, s.layout) for s in sections] == [("war", 5, "stories"), ("economy", None, "feed")]


@pytest.mark.parametrize(("yaml_text", "says"), [
    pytest.param("ranking:\n  half_life_hours: 0\n", "ranking.half_life_hours", id="a half-life of zero names the key"),
    pytest.param("ranking:\n  weights: {breakin: 3}\n", "did you mean 'breaking'", id="a misspelt weight gets the likely name"),
    pytest.param("sections:\n  - {key: feed, title: Feed}\n", "built-in section", id="a section may not take a built-in key"),
    pytest.param("sections:\n  - {key: war, title: War}\n  - {key: war, title: War again}\n", "names two sections",
                 id="one key may not name two sections"),
])
def test_a_bad_ranking_or_section_setting_is_an_error_saying_what_is_wrong(tmp_path: Path, yaml_text: str, says: str) -> None:
    with pytest.raises(ConfigError, match=says):
        load(tmp_path, yaml_text)


def test_an_unknown_language_is_an_error_naming_the_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, "newsletter:\n  lang: klingon-x\nsources: []\n")
    assert "lang" in str(caught.value) and "klingon-x" in str(caught.value)
