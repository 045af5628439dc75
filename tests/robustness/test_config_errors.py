"""Broken configs through the command line: each is exit 2 and one line on stderr naming the file, the
key and the fix, with nothing on stdout and no traceback.

The rows run the command line in this process (click's runner: the same `main`, the same exit status
and streams, without half a second of imports per row); those that need file permissions enforced run
it in a child process, as does one row, to show the same from a real process.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from digest.cli import main

from .conftest import Child, permissions_enforced, without_file_permission_checks

GOOD_SOURCE = "sources: [{name: Wire, kind: jsonl, path: items.jsonl}]\n"


def locked(name: str) -> Callable[[Path], None]:
    def setup(folder: Path) -> None:
        (folder / name).mkdir(exist_ok=True)
        (folder / name).chmod(0)

    return setup


def file(name: str) -> Callable[[Path], None]:
    return lambda where: (where / name).write_text("not a folder\n")


# (id, config text, the key as the message names it, text of the fix, setup of files beside the config)
BROKEN: list[tuple[str, str, str, str, Callable[[Path], None] | None]] = [
    ("unknown key", "newsletter: {titel: X}", "newsletter.titel", "did you mean 'title'", None),
    ("unknown section", "sourcse: []", "sourcse", "did you mean 'sources'", None),
    ("unknown source key", GOOD_SOURCE.replace("path:", "paht: x, path:"), "sources[0].paht", "did you mean 'path'", None),
    ("wrong type: text for a number", "edition: {window_hours: soon}", "edition.window_hours", "should be a number", None),
    ("wrong type: text for a list", "newsletter: {to: readers@example.com}", "newsletter.to", "write it as [a, b]", None),
    ("wrong type: list for a mapping", "newsletter: [1, 2]", "newsletter", "mapping", None),
    ("wrong type: not a mapping at all", "- just\n- a list\n", "(top level)", "mapping", None),
    ("wrong type: true for a number", "fetch: {timeout: yes}", "fetch.timeout", "should be a number", None),
    ("bad time zone", "newsletter: {timezone: Mars/Olympus}", "newsletter.timezone", "IANA", None),
    ("bad source time zone", GOOD_SOURCE.replace("path:", "timezone: Kyiv, path:"), "sources[0].timezone", "IANA", None),
    ("bad time of day", "edition: {cutoff: '7am'}", "edition.cutoff", "HH:MM", None),
    ("bad time of day: 24:30", "edition: {cutoff: '24:30'}", "edition.cutoff", "HH:MM", None),
    ("bad schedule time", "schedule: {at: ['25:00']}", "schedule.at", "HH:MM", None),
    ("missing source path: export", "sources: [{name: a, kind: jsonl, path: missing.jsonl}]", "sources[0].path", "does not exist", None),
    ("missing source path: feed file", "sources: [{name: a, kind: feed, path: feeds/missing.xml}]", "sources[0].path", "fix the path", None),
    ("source without url or path", "sources: [{name: a, kind: feed}]", "sources[0]", "add url: or path:", None),
    ("source without a name", "sources: [{kind: feed, url: 'https://example.com/rss'}]", "sources[0].name", "add name:", None),
    ("source url not http", "sources: [{name: a, kind: feed, url: 'ftp://example.com/rss'}]", "sources[0].url", "http", None),
    ("two sources, one name", "sources: [{name: a, kind: jsonl, path: items.jsonl}, {name: a, kind: jsonl, path: items.jsonl}]",
     "sources[1].name", "give each source its own name", None),
    ("bad edition date", "edition: {date: tomorrow}", "edition.date", "write it as YYYY-MM-DD", None),
    ("edition date out of range", "edition: {date: '9999-12-31'}", "edition.date", "use a date after 0001-01-01", None),
    ("negative window", "edition: {window_hours: -3}", "edition.window_hours", "more than 0", None),
    ("negative story limit", "edition: {max_stories: -1}", "edition.max_stories", "use 0 or more", None),
    ("negative section limit", "sections: [{key: port, title: Port, limit: -2}]", "sections[0].limit", "use 0 or more", None),
    ("negative size cap", "fetch: {max_bytes: -5}", "fetch.max_bytes", "more than 0", None),
    ("negative retries", "fetch: {retries: -1}", "fetch.retries", "use 0 or more", None),
    ("summary algorithm typo", "summary: {algorithm: lexrnk}", "summary.algorithm",
     "use one of news, lexrank, textrank, luhn, lsa, kl, sumbasic, edmundson", None),
    ("zero summary sentences", "summary: {story_sentences: 0}", "summary.story_sentences", "more than 0", None),
    ("unknown source kind", "sources: [{name: a, kind: rss, path: x.xml}]", "sources[0].kind", "use one of feed, html, jsonl, pagetext", None),
    ("pagetext without a path", "sources: [{name: Page, kind: pagetext, url: 'https://example.com/live'}]", "sources[0]", "add path:", None),
    ("return path with a name", "delivery: {return_path: 'Bounces <b@example.com>'}", "delivery.return_path", "write the address alone", None),
    ("return path not an address", "delivery: {return_path: bounces}", "delivery.return_path", "write the address alone", None),
    ("unknown delivery method", "delivery: {method: pigeon}", "delivery.method", "command, smtp, outbox", None),
    ("subject template typo", "email: {subject: '{titel}'}", "email.subject", "use the fields", None),
    ("missing template folder", "templates: my-templates", "templates", "fix the path", None),
    ("template folder is a file", "templates: my-templates", "templates", "name the folder", file("my-templates")),
    ("unreadable template folder", "templates: my-templates", "templates", "check the folder's permissions", locked("my-templates")),
    ("bad YAML: unclosed bracket", "newsletter:\n  title: [unclosed", "line 2, column 19", "fix the indentation or quoting", None),
    ("bad YAML: tab indentation", "newsletter:\n\ttitle: X\n", "line 2, column 1", "fix the indentation or quoting", None),
    ("bad YAML: a value then a key", "newsletter: title: X\n", "line 1, column 18", "fix the indentation or quoting", None),
    ("not UTF-8", "newsletter: {title: \udcff}", "", "save it as UTF-8", None),
]
NEEDS_PERMISSIONS = {"unreadable template folder"}


def write_config(where: Path, text: str, setup: Callable[[Path], None] | None) -> Path:
    (where / "items.jsonl").write_text('{"title": "t", "body": "b"}\n')
    if setup:
        setup(where)
    config = where / "config.yaml"
    config.write_bytes(text.encode("utf-8", "surrogateescape"))
    return config


def build(config: Path, *, in_child: bool) -> tuple[int, str, bytes]:
    """(exit status, stderr, stdout) of `digest build -c config -o -`."""
    args = ("build", "-c", str(config), "-o", "-")
    if in_child:
        outcome = Child(args, cwd=config.parent, preexec=without_file_permission_checks()).finish()
        return outcome.status, outcome.stderr, outcome.stdout
    result = CliRunner().invoke(main, args)
    assert isinstance(result.exception, SystemExit), result.exception  # anything else would be a traceback
    return result.exit_code, result.stderr, result.stdout_bytes


IN_CHILD = {"unreadable template folder", "unknown key"}  # the first needs permissions; the second shows a real process


@pytest.mark.parametrize(("name", "text", "key", "fix", "setup"), BROKEN, ids=[row[0] for row in BROKEN])
def test_broken_config_is_exit_2_with_one_line_naming_file_key_and_fix(tmp_path: Path, name, text, key, fix, setup) -> None:
    if name in NEEDS_PERMISSIONS:
        permissions_enforced(tmp_path)
    config = write_config(tmp_path, text, setup)
    status, stderr, stdout = build(config, in_child=name in IN_CHILD)
    assert status == 2, stderr
    assert stdout == b""
    assert "Traceback" not in stderr
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    where = f"{config}: {key}: " if key else f"{config}: "
    assert lines[0].startswith(f"digest: error: {where}"), lines[0]
    assert fix in lines[0]


def test_unreadable_config_file(tmp_path: Path) -> None:
    permissions_enforced(tmp_path)
    config = tmp_path / "config.yaml"
    config.write_text("newsletter: {title: X}\n")
    config.chmod(0)
    outcome = Child(("build", "-c", str(config)), cwd=tmp_path, preexec=without_file_permission_checks()).finish()
    assert outcome.status == 2
    assert outcome.stderr == f"digest: error: {config}: cannot be read (Permission denied); check the file's permissions\n"


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "2024-02-30"])
def test_an_edition_date_that_cannot_be_is_a_usage_error(tmp_path: Path, day: str) -> None:
    config = write_config(tmp_path, GOOD_SOURCE, None)
    result = CliRunner().invoke(main, ["build", "-c", str(config), "--date", day, "-o", "-"])
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit)
    assert "Invalid value for '--date'" in result.stderr and day in result.stderr
