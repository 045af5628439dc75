"""Files that are broken, unreadable or absent, through the command line: each case one row, held to
the contract in conftest.assert_contract. Permission errors are real: when the suite runs as root the
child's capability to ignore file permissions is dropped (conftest.without_file_permission_checks)."""
from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import (
    DAY,
    SUSPECT,
    SUSPECT_TITLES,
    Expect,
    Message,
    assert_contract,
    entry,
    permissions_enforced,
    plain_feed,
    rss,
    without_file_permission_checks,
    write_project,
)

EXPORT_TITLES = ("Pilot boat gets a new engine", "Harbour school opens its doors")
PAGE_TITLE = "Harbour cranes get new operators"

Setup = Callable[[Path], tuple[list[dict], Expect, Callable[[Message], None] | None]]
CASES: dict[str, Setup] = {}


def case(setup: Setup) -> Setup:
    CASES[setup.__name__] = setup
    return setup


def export_lines() -> list[str]:
    return [json.dumps({"title": title, "body": f"{title}, the harbour office said. Work starts in June.",
                        "published": f"{DAY}T1{n}:00:00Z"}) for n, title in enumerate(EXPORT_TITLES)]


def page_text() -> str:
    return (f"Skip to content\n{PAGE_TITLE}\nby Mia Lund May 1, 2024 10:15 AM\n"
            "The port trained six new crane operators this spring. They start work on the night shift next week.\n")


def files_of_each_kind(folder: Path, name: str) -> list[dict]:
    """A JSON Lines export, a page text and a feed file, each at `name` + its extension."""
    (folder / f"{name}.jsonl").write_text("\n".join(export_lines()) + "\n", encoding="utf-8")
    (folder / f"{name}.txt").write_text(page_text(), encoding="utf-8")
    (folder / f"{name}.xml").write_bytes(plain_feed())
    return [{"kind": "jsonl", "path": f"{name}.jsonl"}, {"kind": "pagetext", "path": f"{name}.txt"}, {"kind": "feed", "path": f"{name}.xml"}]


def each_suspect_says(pattern: str, count: int) -> Callable[[Message], None]:
    def check(message: Message) -> None:
        for number in range(1, count + 1):
            name = SUSPECT if number == 1 else f"{SUSPECT} {number}"
            lines = [line for line in message.stderr.splitlines() if f"'{name}'" in line]
            assert any(re.search(pattern, line) for line in lines), f"{name!r} never said {pattern!r}:\n{message.stderr}"

    return check


@case
def jsonl_with_a_broken_line(folder):
    good = export_lines()
    (folder / "export.jsonl").write_text("\n".join([good[0], '{"title": "Half a line", "body": ', good[1]]) + "\n", encoding="utf-8")
    return [{"kind": "jsonl", "path": "export.jsonl"}], Expect(
        failed=False, reason=r"\(export\.jsonl, line 2\): not valid JSON \(.* at column \d+\); line skipped", present=EXPORT_TITLES), None


@case
def unreadable_file(folder):
    sources = files_of_each_kind(folder, "locked")
    for source in sources:
        (folder / source["path"]).chmod(0)
    return sources, Expect(failed=True, reason=r"cannot read .*locked\.jsonl: Permission denied$",
                           absent=(*EXPORT_TITLES, PAGE_TITLE, *SUSPECT_TITLES)), each_suspect_says(r"cannot read .*Permission denied", 3)


@case
def unreadable_file_among_readable_ones(folder):
    """A glob that matches a readable and an unreadable file: the readable one is kept."""
    (folder / "in").mkdir()
    files_of_each_kind(folder / "in", "a-open")
    sources = files_of_each_kind(folder / "in", "b-locked")
    for source in sources:
        (folder / "in" / source["path"]).chmod(0)
        source["path"] = "in/*." + source["path"].rsplit(".", 1)[1]
    return sources, Expect(failed=False, reason=r"\(in/b-locked\.jsonl\): cannot read in/b-locked\.jsonl: Permission denied",
                           present=(*EXPORT_TITLES, PAGE_TITLE, *SUSPECT_TITLES)), each_suspect_says(r"b-locked.*Permission denied", 3)


@case
def a_folder_where_a_file_should_be(folder):
    sources = [{"kind": kind, "path": f"folder.{extension}"} for kind, extension in (("jsonl", "jsonl"), ("pagetext", "txt"), ("feed", "xml"))]
    for source in sources:
        (folder / source["path"]).mkdir()
    return sources, Expect(failed=True, reason=r"cannot read .*folder\.jsonl: Is a directory$"), each_suspect_says(r"Is a directory", 3)


@case
def glob_that_matches_nothing(folder):
    (folder / "exports").mkdir()
    sources = [{"kind": kind, "path": f"exports/*.{extension}"} for kind, extension in (("jsonl", "jsonl"), ("pagetext", "txt"), ("feed", "xml"))]
    return sources, Expect(failed=True, reason=r"no file matches exports/\*\.jsonl$"), each_suspect_says(r"no file matches exports/\*", 3)


@case
def glob_with_odd_and_broken_files(folder):
    """Whatever one file of a glob does, the others are kept: one declares an encoding Python does not
    know (read anyway, with a warning), one is an HTML page, one is binary junk."""
    (folder / "in").mkdir()
    sources = files_of_each_kind(folder / "in", "a-good")
    (folder / "in" / "b-mac.xml").write_bytes(rss(entry(
        "Lighthouse keeper retires", "After forty years the keeper hands over the lamp. A party is held on the pier.")).replace(
        b'encoding="utf-8"', b'encoding="x-mac-roman-latin1"'))
    for extension in ("jsonl", "txt", "xml"):
        (folder / "in" / f"c-html.{extension}").write_bytes(b"<!doctype html><html><body><p>Sign in</p></body></html>")
        (folder / "in" / f"d-junk.{extension}").write_bytes(bytes(range(256)))
    for source in sources:
        source["path"] = "in/*." + source["path"].rsplit(".", 1)[1]
    return sources, Expect(failed=False, reason=r"\(in/b-mac\.xml\): the XML declares the encoding 'x-mac-roman-latin1', which is not known",
                           present=(*EXPORT_TITLES, PAGE_TITLE, *SUSPECT_TITLES, "Lighthouse keeper retires"), suspect=f"{SUSPECT} 3"), None


@case
def literal_path_with_glob_characters(folder):
    """A file named "quay [may].xml" is that file, not a glob that matches nothing."""
    (folder / "quay [may].xml").write_bytes(plain_feed())
    (folder / "export [v2].jsonl").write_text("\n".join(export_lines()) + "\n", encoding="utf-8")
    return [{"kind": "feed", "path": "quay [may].xml"}, {"kind": "jsonl", "path": "export [v2].jsonl"}], Expect(
        failed=False, reason=None, present=(*SUSPECT_TITLES, *EXPORT_TITLES)), None


@pytest.mark.parametrize("name", sorted(CASES))
def test_file_case(name: str, tmp_path: Path, baseline_rss: float) -> None:
    if "unreadable" in name:
        permissions_enforced(tmp_path)
    sources, expect, check = CASES[name](tmp_path)
    message = assert_contract(write_project(tmp_path, *sources), expect, baseline_rss, preexec=without_file_permission_checks())
    if check:
        check(message)
