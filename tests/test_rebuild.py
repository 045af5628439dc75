"""A rebuild of the same day reuses the first build's dedupe grouping, as it reuses its summaries.

The grouping is remembered in the store under the fingerprint of the items grouped, so a changed
item is grouped afresh and an unchanged day is regrouped without comparing a text again.
"""
from __future__ import annotations

import json
import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from conftest import ROOT

from digest import pipeline, render
from digest.config import load_config
from digest.store import CLUSTERS_KEPT, Store

DAY = date(2026, 5, 14)
NOW = datetime(2026, 5, 15, 6, 0, tzinfo=UTC)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copy(ROOT / "config.yaml", tmp_path / "config.yaml")
    shutil.copytree(ROOT / "sample", tmp_path / "sample")
    return tmp_path


def build(project: Path) -> tuple[pipeline.BuildResult, bytes]:
    config = load_config(project / "config.yaml")
    with Store(project / "store.db") as store:
        result = pipeline.build(config, DAY, now=NOW, store=store)
    return result, render.render(result.edition, config, "html")


def groupings(project: Path) -> dict[str, list[list[str]]]:
    with Store(project / "store.db") as store:
        return {key: json.loads(groups) for key, groups in store.db.execute("SELECT key, groups FROM clusters")}


def test_a_rebuild_gives_the_same_email_from_the_remembered_grouping(project: Path) -> None:
    first, first_html = build(project)
    remembered = groupings(project)
    assert list(remembered.values()) == [[story.item_ids for story in sorted(first.stories, key=dedupe_order)]]
    second, second_html = build(project)
    assert second_html == first_html
    assert [s.item_ids for s in second.stories] == [s.item_ids for s in first.stories]
    assert groupings(project) == remembered


def dedupe_order(story) -> tuple:
    """cluster's own order of stories (oldest first), to compare with what it stored."""
    dates = [m.published.timestamp() for m in story.members if m.published]
    return (min(dates) if dates else float("inf"), story.lead.id)


def test_the_remembered_grouping_is_what_the_rebuild_uses(project: Path) -> None:
    first, _ = build(project)
    [key] = groupings(project)
    every_item_alone = [[item_id] for story in first.stories for item_id in story.item_ids]
    assert len(every_item_alone) > len(first.stories)  # the sample day has a story told twice
    with Store(project / "store.db") as store:
        store.put_clusters(key, every_item_alone)
    second, _ = build(project)
    assert sorted(s.item_ids for s in second.stories) == sorted(every_item_alone)


def test_a_changed_item_is_grouped_afresh_and_old_groupings_are_pruned(project: Path) -> None:
    _, _ = build(project)
    export = project / "sample" / "newsroom.jsonl"
    record = json.loads(export.read_text().splitlines()[0])
    record["body"] += " A late correction was added."
    export.write_text(export.read_text() + json.dumps({**record, "id": "late"}) + "\n")
    _, _ = build(project)
    assert len(groupings(project)) == 2
    with Store(project / "store.db") as store:
        for number in range(CLUSTERS_KEPT + 3):
            store.put_clusters(f"key-{number}", [["x"]])
    kept = groupings(project)
    assert len(kept) == CLUSTERS_KEPT and f"key-{CLUSTERS_KEPT + 2}" in kept
