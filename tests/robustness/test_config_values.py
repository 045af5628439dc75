"""Config values that once passed validation and then crashed a command (a traceback instead of exit 2):
line breaks in mail headers, a From domain in another script, a window past the calendar, a retry
every instant, and time zones that load but are no place's clock. Each is exit 2 naming the file,
the key and the fix, or, for a domain in another script, an email that carries it as IDNA."""
from __future__ import annotations

import email
import email.policy
from pathlib import Path

import pytest

from .conftest import DAY, run, write_project
from .test_config_errors import build, write_config

# (id, config text, the key as the message names it, text of the fix)
REJECTED = [
    ("line break in from", r'newsletter: {from: "Daily <d@example.com>\r\nBcc: all@example.net"}', "newsletter.from", "remove it"),
    ("line break in to", r'newsletter: {to: ["a@example.com\nBcc: b@example.net"]}', "newsletter.to[0]", "remove it"),
    ("line break in unsubscribe_url", r'newsletter: {unsubscribe_url: "https://example.com/u\r\nX-Evil: 1"}',
     "newsletter.unsubscribe_url", "remove it"),
    ("line break in unsubscribe_mailto", r'newsletter: {unsubscribe_mailto: "u@example.com\nX-Evil: 1"}',
     "newsletter.unsubscribe_mailto", "remove it"),
    ("non-ASCII mailbox name in from", 'newsletter: {from: "Daily <щоденник@example.com>"}', "newsletter.from", "use an ASCII address"),
    ("window past the calendar", "edition: {window_hours: 100000000}", "edition.window_hours", "up to 8784"),
    ("window of nothing", "edition: {window_hours: .nan}", "edition.window_hours", "more than 0"),
    ("retry every instant", "schedule: {retry_minutes: 0.001}", "schedule.retry_minutes", "use 0"),
    ("no send time", "schedule: {at: []}", "schedule.at", "give at least one"),
    ("zone: localtime", "newsletter: {timezone: localtime}", "newsletter.timezone", "such as Europe/Kyiv"),
    ("zone: Factory", "newsletter: {timezone: Factory}", "newsletter.timezone", "such as Europe/Kyiv"),
    ("zone: right/", "newsletter: {timezone: right/Europe/Kyiv}", "newsletter.timezone", "use 'Europe/Kyiv'"),
    ("zone: posix/", "newsletter: {timezone: posix/Europe/Kyiv}", "newsletter.timezone", "use 'Europe/Kyiv'"),
    ("source zone: posix/", "sources: [{name: Wire, kind: jsonl, path: items.jsonl, timezone: posix/UTC}]", "sources[0].timezone", "use 'UTC'"),
]


@pytest.mark.parametrize(("name", "text", "key", "fix"), REJECTED, ids=[row[0] for row in REJECTED])
def test_a_value_that_would_crash_later_is_exit_2_naming_file_key_and_fix(tmp_path: Path, name, text, key, fix) -> None:
    config = write_config(tmp_path, text, None)
    status, stderr, stdout = build(config, in_child=False)
    assert (status, stdout) == (2, b""), stderr
    assert "Traceback" not in stderr
    (line,) = stderr.splitlines()
    assert line.startswith(f"digest: error: {config}: {key}: "), line
    assert fix in line


@pytest.mark.parametrize("zone", ["localtime", "Factory", "right/UTC", "posix/Europe/Kyiv"])
def test_schedule_with_a_zone_that_is_no_place_is_exit_2(tmp_path: Path, zone: str) -> None:
    config = write_config(tmp_path, f"newsletter: {{timezone: {zone}}}\n", None)
    outcome = run("schedule", "-c", str(config), cwd=tmp_path, timeout=10)
    assert outcome.status == 2, outcome
    assert "Traceback" not in outcome.stderr and "newsletter.timezone" in outcome.stderr


def test_a_from_domain_in_another_script_goes_out_as_idna(tmp_path: Path) -> None:
    config = write_project(tmp_path)
    text = config.read_text().replace("'Harbour Daily <daily@example.com>'", "'Гавань <daily@гавань.укр>'")
    text = text.replace("to: [readers@example.com]", "to: ['Читачі <readers@пошта.укр>']")
    config.write_text(text, encoding="utf-8")
    outcome = run("build", "-c", str(config), "--date", DAY, "--format", "eml", "-o", "-", cwd=tmp_path)
    assert outcome.status == 0, outcome
    message = email.message_from_bytes(outcome.stdout, policy=email.policy.default)
    assert message["From"].addresses[0].domain == "xn--80aafc7c0e.xn--j1amh"
    assert message["From"].addresses[0].display_name == "Гавань"
    assert message["To"].addresses[0].addr_spec == "readers@xn--80a1acn3a.xn--j1amh"
    assert message["Message-ID"].endswith("@xn--80aafc7c0e.xn--j1amh>")
    assert outcome.stdout.isascii()
