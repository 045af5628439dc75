"""Per-stage timings: filled on every build, printed by `digest build --timings` or DIGEST_TIMINGS=1."""
from __future__ import annotations

import re
import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from conftest import ROOT, run_digest

from digest import pipeline
from digest.config import load_config
from digest.timing import Timings

STAGES = ["sources", "window", "dedupe", "rank", "edition", "summaries"]  # pipeline.build's; fitting is the email's


@pytest.fixture
def sample_project(tmp_path: Path) -> Path:
    shutil.copy(ROOT / "config.yaml", tmp_path / "config.yaml")
    shutil.copytree(ROOT / "sample", tmp_path / "sample")
    return tmp_path


def test_a_stage_entered_twice_adds_up_and_the_line_lists_stages_in_order() -> None:
    timings = Timings()
    for name in ("parse", "render", "parse"):
        with timings.stage(name):
            pass
    assert list(timings) == ["parse", "render"]
    assert timings.total == pytest.approx(timings["parse"] + timings["render"])
    assert re.fullmatch(r"timings \(s\): parse \d+\.\d{3}, render \d+\.\d{3}, total \d+\.\d{3}", timings.format())


def test_every_build_is_timed_stage_by_stage(sample_project: Path) -> None:
    config = load_config(sample_project / "config.yaml")
    result = pipeline.build(config, date(2026, 5, 14), now=datetime(2026, 5, 15, tzinfo=UTC))
    assert list(result.timings) == STAGES  # no store: nothing recorded
    assert all(seconds >= 0 for seconds in result.timings.values())


@pytest.mark.parametrize("how", ["flag", "env"])
def test_build_prints_timings_on_stderr_only_when_asked(sample_project: Path, how: str) -> None:
    plain = run_digest("build", "-c", str(sample_project / "config.yaml"), "-o", "-")
    assert plain.returncode == 0 and b"timings" not in plain.stderr

    flag = ["--timings"] if how == "flag" else []
    result = run_digest("build", "-c", str(sample_project / "config.yaml"), "-o", "-", *flag,
                        env={"DIGEST_TIMINGS": "1"} if how == "env" else None)
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout == plain.stdout  # the document is unchanged
    line = re.search(r"digest: timings \(s\): (.*)", result.stderr.decode()).group(1)
    names = [part.rsplit(" ", 1)[0] for part in line.split(", ")]
    assert names == [*STAGES, "store", "fit", "render", "write", "total"]
