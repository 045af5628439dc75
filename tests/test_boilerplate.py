"""A source's boilerplate (a paragraph three or more of its items share) never becomes a blurb:
through `digest build` on a day of release notes written for this test, and the library's rule."""
from __future__ import annotations

from pathlib import Path

from conftest import build_rows

from digest.summarize.boilerplate import shared_paragraphs, without

ADVICE = ("If the automatic update of the harbour timetable app fails on your phone or does not start after the "
          "update, please remove the app and install the new version again by hand.")
LEADS = {
    "4.1": "Version 4.1 of the harbour timetable app shows the ferry delays of the north pier as they happen.",
    "4.2": "Version 4.2 of the harbour timetable app adds the new night ferry to the islands from next Monday.",
    "4.3": "Version 4.3 of the harbour timetable app fixes the alarm that rang an hour late after the clocks changed.",
}
DETAILS = {  # each release's own story, so that the three are three stories, not one told three times
    "4.1": "Skippers on the northern route asked for live delays after a stormy week left passengers waiting.",
    "4.2": "The island council paid for the night crossing, which runs on Fridays and Saturdays until March.",
    "4.3": "Commuters missed the early boat on the Sunday after summer time ended and wrote to the port office.",
}


def _release(version: str, lead: str) -> dict:
    return {"id": f"app-{version}", "title": f"Timetable app {version} is out", "kind": "story",
            "body": f"{lead}\n\n{DETAILS[version]}\n\n{ADVICE}",
            "published": "2026-12-06T10:00:00+02:00"}


def _build(tmp_path: Path, rows: list[dict]) -> str:
    text, _ = build_rows(tmp_path, rows, "2026-12-07", source="releases", settings="summary: {story_sentences: 3, story_words: 0}\n")
    return " ".join(text.split())


def test_a_paragraph_every_release_repeats_never_becomes_a_blurb(tmp_path: Path) -> None:
    shown = _build(tmp_path, [_release(version, lead) for version, lead in LEADS.items()])
    assert ADVICE not in shown  # three sentences a story: without the rule, each blurb would end on it
    for version, lead in LEADS.items():
        assert f"{lead} {DETAILS[version]}" in shown


def test_two_items_sharing_a_paragraph_keep_it(tmp_path: Path) -> None:
    """Two items may be one story told twice: their shared paragraph is still theirs to show."""
    assert shared_paragraphs([("a", f"x\n{ADVICE}"), ("a", f"y\n{ADVICE}")]) == {"a": frozenset()}


def test_the_rule_is_per_source_and_never_empties_a_text() -> None:
    texts = [("wire", f"Lead {n}.\n\n{ADVICE}") for n in range(3)] + [("other", ADVICE), ("other", "Own words.")]
    shared = shared_paragraphs(texts)
    assert shared["wire"] == {ADVICE} and shared["other"] == frozenset()
    assert without(f"Lead 0.\n\n  {ADVICE}  ", shared["wire"]).strip() == "Lead 0."
    assert without(ADVICE, shared["wire"]) == ADVICE  # all it has: kept whole
