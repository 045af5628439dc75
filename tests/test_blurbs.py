"""Blurbs in the edition: each kind's sentence and word budget, in English and Ukrainian, and
degenerate bodies named on stderr, cut to the budget and given no importance for their length.
The real command line builds from a real jsonl file."""
from __future__ import annotations

import json
from pathlib import Path

from conftest import build_rows, run_digest

LONG_EN = (
    "Ukraine's parliament on Tuesday passed a law that lets the government borrow from the central bank, "
    "raise pensions in the front-line regions, extend the tax holiday for small firms in the east, and pay "
    "the teachers, doctors and rescuers who stayed in the shelled towns a bonus every month until the end of the war. "
    "The law now goes to the president. Lawmakers said it would cost about 2 percent of the budget."
)
LONG_UK = (
    "Верховна Рада у вівторок ухвалила закон, який дозволяє уряду позичати в Національного банку, підвищує "
    "пенсії у прифронтових областях, подовжує податкові канікули для малого бізнесу на сході та щомісяця "
    "доплачує вчителям, лікарям і рятувальникам, які залишилися в громадах під обстрілами, до кінця війни. "
    "Закон передали на підпис президентові. Депутати кажуть, що він коштуватиме близько двох відсотків бюджету."
)
LONG_BRIEF = (
    "Energy workers restored power on Wednesday to most of the homes in the Kharkiv, Sumy and Poltava regions "
    "that lost it after the overnight strikes, the grid operator said, adding that repairs to the two damaged "
    "substations would take at least another week. Outage schedules stay in force."
)
NORMAL = (
    "The city council approved a new tram line to the left bank on Monday. "
    "Construction starts in spring and should take two years, the mayor said. "
    "The line will carry twenty thousand passengers a day."
)


def _build(tmp_path: Path, rows: list[dict]) -> tuple[str, str]:
    return build_rows(tmp_path, rows, "2024-06-26")


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_each_kind_keeps_its_sentence_and_word_budget_in_english_and_ukrainian(tmp_path: Path) -> None:
    rows = [
        {"id": "story", "title": "Parliament passes wartime budget law", "body": LONG_EN, "kind": "story",
         "published": "2024-06-25T12:00:00+03:00"},
        {"id": "en", "title": "Power restored in the east", "body": LONG_BRIEF, "kind": "brief",
         "published": "2024-06-25T13:00:00+03:00"},
        {"id": "uk", "title": "Рада ухвалила закон про бюджет", "body": LONG_UK, "kind": "brief", "lang": "uk",
         "published": "2024-06-25T14:00:00+03:00"},
    ]
    text, _ = _build(tmp_path, rows)
    flat = _flat(text)
    # a story: 2 sentences at most, 60 words; its first sentence (55 words) leaves no room for the second
    assert LONG_EN.split(". ")[0] + ". The law" not in flat
    assert flat.count(LONG_EN.split(". ")[0] + ".") == 1
    # a brief: 1 sentence, 40 words, cut before a clause ("adding that", "які") with a full stop, never mid-word
    assert "after the overnight strikes, the grid operator said. " in flat
    assert "доплачує вчителям, лікарям і рятувальникам. " in flat
    assert "які залишилися" not in flat and "…" not in flat


def test_a_run_on_body_is_named_as_suspect_cut_and_earns_nothing_for_its_length(tmp_path: Path) -> None:
    run_on = " ".join(["the shelling went on"] * 10_000)  # 40,000 words, not one sentence end
    rows = [
        {"id": "run-on", "title": "Endless text", "body": run_on, "kind": "story", "published": "2024-06-25T12:00:00+03:00"},
        {"id": "tram", "title": "Tram line approved", "body": NORMAL, "kind": "story", "published": "2024-06-25T12:00:00+03:00"},
    ]
    text, stderr = _build(tmp_path, rows)
    assert "suspect" in stderr and "cms" in stderr and "Endless text" in stderr
    flat = _flat(text)
    assert flat.index("Tram line approved") < flat.index("Endless text")  # the run-on is not the top story
    blurb = flat[flat.index("Endless text"):].split("the shelling went on", 1)[1].split("…")[0]
    assert len(("the shelling went on" + blurb).split()) <= 60
    explain = run_digest("explain", "-c", str(tmp_path / "config.yaml"), "--date", "2024-06-26", "--json")
    rows_out = {row["title"]: row for row in map(json.loads, explain.stdout.decode().splitlines())}
    assert rows_out["Endless text"]["components"]["substance"] == 0
