"""`digest send` and `digest schedule` end to end: a real SMTP server, a real mail command killed at
chosen points, the real command line in subprocesses. Each edition must arrive exactly once."""
from __future__ import annotations

import email
import email.policy
import json
import logging
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import ROOT
from mailserver import MailServer

from digest.cli import main
from digest.config import load_config
from digest.readers import Reader
from digest.render.mime import Letter
from digest.send import next_copy_id, send
from digest.store import EditionStatus, Store

DAY1, DAY2 = date(2026, 5, 14), date(2026, 5, 15)
FAKE_SENDMAIL = Path(__file__).with_name("fake_sendmail.py")

# Two days of a made-up city's news, written for these tests.
STORIES = {
    DAY1: [
        ("Harbour bridge reopens after two years of repairs",
         "The Old Harbour bridge reopened to traffic on Thursday. Engineers replaced every cable and the deck. "
         "The city says tolls will stay at last year's level. Cyclists get a lane of their own for the first time."),
        ("Council votes to extend night trams to the airport",
         "The city council voted 31 to 9 to run night trams to the airport from June. The line will run every twenty minutes after midnight. "
         "Opponents questioned the cost. The transport office expects ten thousand riders a week."),
        ("Flooded metro station closes for a week",
         "Riverside metro station will stay closed for a week after a water main burst under the platform. "
         "Trains pass through without stopping. Buses replace the missing stop. Repair crews work around the clock."),
    ],
    DAY2: [
        ("Wheat harvest forecast raised after a wet spring",
         "Farm ministry forecasters raised the wheat harvest estimate by six percent. Rain in April helped the winter crop. "
         "Exporters expect more shipments through the southern ports. Prices at the grain exchange fell slightly."),
        ("City library opens its archive of old maps online",
         "The central library put four thousand historic maps online on Friday. The oldest shows the river crossing in 1620. "
         "Scans are free to download. Volunteers spent three years on the project."),
        ("Marathon moves to September to avoid the summer heat",
         "Organisers moved the city marathon from July to September. Last year two hundred runners needed treatment for heat. "
         "Registration opens next week. The route stays the same."),
    ],
}


class Project:
    """A config, its items and its store in a temp folder; runs the real `digest` command in it."""

    def __init__(self, root: Path, delivery: str, extra: str = "") -> None:
        self.root = root
        lines = []
        for day, stories in STORIES.items():
            for hour, (title, body) in enumerate(stories, start=9):
                lines.append(json.dumps({"id": f"{day}-{hour}", "title": title, "body": body, "kind": "story",
                                         "url": f"https://news.example.com/{day}/{hour}", "published": f"{day}T{hour:02d}:00:00"}))
        (root / "items.jsonl").write_text("\n".join(lines) + "\n")
        self.config = root / "config.yaml"
        self.config.write_text(f"""
newsletter:
  title: Larkspur Daily
  timezone: Europe/Kyiv
  from: "Larkspur Daily <daily@example.com>"
  to: ["readers@example.com"]
  unsubscribe_url: "https://example.com/unsubscribe"
sources:
  - name: newsroom
    kind: jsonl
    path: items.jsonl
edition:
  window_hours: 48
  cutoff: "24:00"  # the edition dated D ends with D
store:
  path: state/digest.db
delivery:
{delivery}
{extra}
""")

    def digest(self, *args: str) -> Result:
        """The real command line, in this process (a new process costs seconds of imports)."""
        return CliRunner().invoke(main, [*args[:1], "-c", str(self.config), *args[1:]], catch_exceptions=False)

    def start(self, *args: str) -> subprocess.Popen:
        """The real command line in its own process, for the tests that kill it or signal it."""
        return subprocess.Popen([sys.executable, "-m", "digest", *args[:1], "-c", str(self.config), *args[1:]],
                                cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def store(self) -> Store:
        return Store(self.root / "state/digest.db")

    def edition(self, day: date):
        with self.store() as store:
            return store.edition(day)


def smtp_project(tmp_path: Path, port: int) -> Project:
    return Project(tmp_path, f"  method: smtp\n  smtp: {{host: 127.0.0.1, port: {port}, timeout: 5}}")


def command_project(tmp_path: Path, extra: str = "") -> tuple[Project, Path]:
    mailbox = tmp_path / "mailbox"
    (mailbox / "new").mkdir(parents=True)
    command = f"{sys.executable} {FAKE_SENDMAIL} {mailbox}"
    return Project(tmp_path, f"  method: command\n  command: \"{command}\"", extra), mailbox


def parse(data: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(data, policy=email.policy.default)


def plain_text(data: bytes) -> str:
    return parse(data).get_body(("plain",)).get_content()


READER = "readers@example.com"


def without_date(data: bytes) -> bytes:
    """The message less its Date header: the one thing a retry may change (Date is the moment of sending)."""
    head, sep, body = data.partition(b"\r\n\r\n")
    return b"\r\n".join(line for line in head.split(b"\r\n") if not line.startswith(b"Date: ")) + sep + body


def readers_message_id(record, address: str = READER) -> str:
    """The Message-ID of the reader's copy of a recorded edition (its tag keyed as the letter says)."""
    return Letter.from_json(record.letter).reader_message_id(address)


def readers_message(record, address: str = READER) -> bytes:
    """What the reader gets of a recorded edition, less its Date."""
    return without_date(Letter.from_json(record.letter).eml(Reader(address), None))


def delivered(mailbox: Path) -> list[bytes]:
    return [path.read_bytes() for path in sorted((mailbox / "new").glob("*.eml"))]


def ok(result: Result) -> str:
    assert result.exit_code == 0, result.stderr
    return result.stderr


def test_smtp_delivers_the_recorded_letter_filled_for_the_reader(tmp_path: Path, mail_server: MailServer) -> None:
    project = smtp_project(tmp_path, mail_server.port)
    ok(project.digest("send", "--date", str(DAY1)))
    first = project.edition(DAY1)
    (got,) = mail_server.received
    message = parse(got.data)
    assert without_date(got.data) == readers_message(first)  # exactly the recorded letter, filled for the reader
    assert message["Message-ID"] == readers_message_id(first)
    assert message["Subject"] == first.subject
    assert "daily@example.com" in message["From"] and message["To"] == "readers@example.com"
    assert message["Date"] and message["List-Unsubscribe"]
    assert message.get_content_type() == "multipart/alternative"
    assert got.rcpt_tos == ["readers@example.com"]
    assert (first.status, first.number, first.copies, len(first.story_ids)) == (EditionStatus.SENT, 1, 1, 3)


def test_a_sent_edition_is_never_sent_again_unless_forced(tmp_path: Path, mail_server: MailServer) -> None:
    project = smtp_project(tmp_path, mail_server.port)
    ok(project.digest("send", "--date", str(DAY1)))
    first = project.edition(DAY1)

    stderr = ok(project.digest("send", "--date", str(DAY1)))
    assert "was already sent" in stderr and "--force" in stderr
    assert len(mail_server.received) == 1

    ok(project.digest("send", "--date", str(DAY1), "--force"))
    assert len(mail_server.received) == 2
    copy = project.edition(DAY1)
    assert copy.message_id == next_copy_id(first.message_id, first.message_id)
    assert parse(mail_server.received[1].data)["Message-ID"] == readers_message_id(copy)
    assert (copy.number, copy.copies) == (1, 2)
    with project.store() as store:
        assert [run.outcome for run in reversed(store.runs())] == ["sent", "already-sent", "sent"]


def test_a_failed_edition_stays_pending_and_goes_as_it_was_when_the_server_is_back(tmp_path: Path, mail_server: MailServer) -> None:
    project = smtp_project(tmp_path, mail_server.port)
    mail_server.stop()
    failed = project.digest("send", "--date", str(DAY2))
    assert failed.exit_code == 1
    assert "Connection refused" in failed.stderr and "pending" in failed.stderr
    pending = project.edition(DAY2)
    assert pending.status == EditionStatus.PENDING and "Connection refused" in pending.reason

    mail_server.start()
    ok(project.digest("send", "--date", str(DAY2)))
    (got,) = mail_server.received
    assert without_date(got.data) == readers_message(pending)  # the retry is the same message, Date apart
    sent = project.edition(DAY2)
    assert (sent.status, sent.message_id) == (EditionStatus.SENT, pending.message_id)

    ok(project.digest("send", "--date", str(DAY2)))
    assert len(mail_server.received) == 1
    with project.store() as store:
        assert [run.outcome for run in reversed(store.runs())] == ["failed", "sent", "already-sent"]


def test_the_next_edition_holds_none_of_the_stories_sent_before(tmp_path: Path, mail_server: MailServer) -> None:
    project = smtp_project(tmp_path, mail_server.port)
    ok(project.digest("send", "--date", str(DAY1)))
    ok(project.digest("send", "--date", str(DAY2)))
    first, second = project.edition(DAY1), project.edition(DAY2)
    assert second.number == 2
    assert not set(second.story_ids + second.item_ids) & set(first.story_ids + first.item_ids)
    text = Letter.from_json(second.letter).text
    assert all(title not in text for title, _ in STORIES[DAY1])
    assert all(title in text for title, _ in STORIES[DAY2])


def table_rows(db: Path) -> dict[str, list]:
    with sqlite3.connect(db) as conn:
        tables = [name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {table: conn.execute(f"SELECT * FROM {table}").fetchall() for table in tables}


def test_send_and_status_say_the_issue_number_the_email_shows(tmp_path: Path) -> None:
    project = Project(tmp_path, "  method: outbox\n  outbox: outbox", "email: {first_issue: '2026-05-01'}")
    ok(project.digest("send", "--date", str(DAY2)))  # the store's first edition: its own count would say No. 1
    stderr = ok(project.digest("send", "--date", str(DAY1)))
    assert "sent the edition of 2026-05-14 (No. 14, 3 stories)" in stderr
    shown = sorted(parse(path.read_bytes()).get_body(("html",)).get_content() for path in (tmp_path / "outbox").iterdir())
    assert sorted(("Issue 14" in html, "Issue 15" in html) for html in shown) == [(False, True), (True, False)]  # each its own
    assert project.digest("status", "--date", str(DAY1)).stdout.startswith("edition 2026-05-14 (No. 14): sent")
    assert project.digest("status", "--date", str(DAY2)).stdout.startswith("edition 2026-05-15 (No. 15): sent")


def test_dry_run_shows_the_message_and_records_nothing(tmp_path: Path) -> None:
    project = Project(tmp_path, "  method: outbox\n  outbox: outbox")
    ok(project.digest("send", "--date", str(DAY2)))  # day 2 sent first, so the store is not empty
    before = table_rows(tmp_path / "state/digest.db")

    result = project.digest("send", "--date", str(DAY1), "--dry-run")
    stderr = ok(result)
    assert "dry run: would send the edition of 2026-05-14 (No. 2, 3 stories)" in stderr and "nothing recorded" in stderr
    assert all(title in plain_text(result.stdout_bytes) for title, _ in STORIES[DAY1])
    assert table_rows(tmp_path / "state/digest.db") == before
    built = project.digest("build", "--date", str(DAY1), "--format", "eml", "-o", "-")
    assert without_date(result.stdout_bytes) == without_date(built.stdout_bytes)  # send delivers exactly what build writes, each dated when written
    assert len(list((tmp_path / "outbox").iterdir())) == 1

    stderr = ok(project.digest("send", "--date", str(DAY2), "--dry-run"))
    assert "was already sent" in stderr and "nothing would be sent" in stderr


def kill(*pids: int) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def wait_for_stage(mailbox: Path, stage: str, process: subprocess.Popen, timeout: float = 60) -> int:
    """Wait until the fake sendmail reports `stage`; return its pid."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        seen = (mailbox / "stage").read_text().split() if (mailbox / "stage").exists() else []
        if seen and seen[0] == stage:
            return int(seen[1])
        assert process.poll() is None, process.stderr.read().decode()
        time.sleep(0.01)
    raise AssertionError(f"the mail command never reached {stage}")


def assert_store_opens_cleanly(project: Project) -> None:
    with project.store() as store:
        assert store.db.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def copies_by_message_id(mailbox: Path) -> dict[str, int]:
    counts: dict[str, int] = {}
    for data in delivered(mailbox):
        counts[parse(data)["Message-ID"]] = counts.get(parse(data)["Message-ID"], 0) + 1
    return counts


@pytest.mark.slow
@pytest.mark.parametrize("stage", ["started", "received"], ids=["before-delivery", "during-delivery"])
def test_killed_during_the_hand_over_the_reader_is_uncertain_and_gets_one_copy_when_the_operator_asks(tmp_path: Path, stage: str) -> None:
    """Killed once the copy is handed over: nobody knows whether the mail system took it, so no run
    sends it again unasked; --resend-uncertain sends it once."""
    project, mailbox = command_project(tmp_path)
    (mailbox / f"hold-{stage}").touch()
    running = project.start("send", "--date", str(DAY1))
    command_pid = wait_for_stage(mailbox, stage, running)
    kill(running.pid, command_pid)  # digest and its mail command die together, as in a power cut
    running.wait()
    assert project.edition(DAY1).status == "pending"
    assert delivered(mailbox) == []
    assert_store_opens_cleanly(project)

    (mailbox / f"hold-{stage}").unlink()
    again = ok(project.digest("send", "--date", str(DAY1)))  # nothing failed in this run: said, not exit 1
    assert "uncertain for 1 reader and known sent to none" in again and "--resend-uncertain" in again
    assert delivered(mailbox) == [] and project.edition(DAY1).status == "pending"
    status = project.digest("status", "--date", str(DAY1))
    assert status.exit_code == 1 and "uncertain  readers@example.com" in status.stdout and "--resend-uncertain" in status.stdout

    ok(project.digest("send", "--date", str(DAY1), "--resend-uncertain"))
    record = project.edition(DAY1)
    assert copies_by_message_id(mailbox) == {readers_message_id(record): 1}
    assert record.status == "sent" and record.copies == 1
    ok(project.digest("send", "--date", str(DAY1)))
    assert len(delivered(mailbox)) == 1
    with project.store() as store:
        assert [run.outcome for run in reversed(store.runs())] == ["interrupted", "failed", "sent", "already-sent"]


@pytest.mark.slow
def test_killed_after_the_record_nothing_is_sent_twice(tmp_path: Path) -> None:
    project, mailbox = command_project(tmp_path)
    (mailbox / "refuse").touch()
    assert project.digest("send", "--date", str(DAY1)).exit_code == 1  # day 1 stays pending
    (mailbox / "refuse").unlink()

    # the day-2 run delivers day 1 first and records it; it is killed while delivering day 2
    (mailbox / "hold-accepted").touch()
    running = project.start("send", "--date", str(DAY2))
    wait_for_stage(mailbox, "accepted", running)  # day 1 accepted...
    (mailbox / "hold-started").touch()
    (mailbox / "hold-accepted").unlink()
    command_pid = wait_for_stage(mailbox, "started", running)  # ...and recorded: day 2's command has started
    assert project.edition(DAY1).status == "sent"
    kill(running.pid, command_pid)
    running.wait()
    assert_store_opens_cleanly(project)

    (mailbox / "hold-started").unlink()
    ok(project.digest("send", "--date", str(DAY2)))
    ok(project.digest("send", "--date", str(DAY1)))
    assert len(delivered(mailbox)) == 1  # day 2 was handed over when digest died: uncertain, not sent again unasked
    ok(project.digest("send", "--date", str(DAY2), "--resend-uncertain"))
    assert copies_by_message_id(mailbox) == {readers_message_id(project.edition(day)): 1 for day in (DAY1, DAY2)}


@pytest.mark.slow
def test_killed_between_acceptance_and_record_no_second_copy_unless_asked_and_then_the_same_message_id(tmp_path: Path) -> None:
    """The window the README used to admit: accepted, then killed before the record. The reader is
    uncertain, so no run sends a second copy; asked to, digest sends the same message, same Message-ID."""
    project, mailbox = command_project(tmp_path)
    (mailbox / "hold-accepted").touch()
    running = project.start("send", "--date", str(DAY1))
    command_pid = wait_for_stage(mailbox, "accepted", running)
    kill(running.pid, command_pid)
    running.wait()
    assert project.edition(DAY1).status == "pending"
    assert_store_opens_cleanly(project)

    (mailbox / "hold-accepted").unlink()
    for _ in range(2):
        assert "--resend-uncertain" in ok(project.digest("send", "--date", str(DAY1)))
        ok(project.digest("send", "--date", str(DAY2)))  # the next day is not held up
    assert copies_by_message_id(mailbox) == {readers_message_id(project.edition(day)): 1 for day in (DAY1, DAY2)}

    ok(project.digest("send", "--date", str(DAY1), "--resend-uncertain"))
    first, second = (data for data in delivered(mailbox) if parse(data)["Message-ID"] == readers_message_id(project.edition(DAY1)))
    assert without_date(first) == without_date(second)
    assert copies_by_message_id(mailbox) == {readers_message_id(project.edition(DAY1)): 2, readers_message_id(project.edition(DAY2)): 1}


@pytest.mark.slow
def test_sigterm_during_delivery_waits_for_the_record(tmp_path: Path) -> None:
    project, mailbox = command_project(tmp_path)
    (mailbox / "sigterm-parent").touch()
    running = project.start("send", "--date", str(DAY1))
    assert running.wait(timeout=60) == -signal.SIGTERM
    assert "SIGTERM received: stopping once this delivery is recorded" in running.stderr.read().decode()
    assert project.edition(DAY1).status == "sent"
    assert len(delivered(mailbox)) == 1


def test_the_next_days_send_delivers_an_earlier_pending_edition_first(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    project, mailbox = command_project(tmp_path)
    config = load_config(project.config)
    now = datetime(2026, 5, 15, 4, 0, tzinfo=UTC)
    caplog.set_level(logging.INFO, logger="digest")
    with project.store() as store:
        (mailbox / "refuse").touch()
        failed = send(config, store, DAY1, now=now)
        assert (failed.outcome, failed.exit_status) == ("failed", 1)
        assert "exited with status 75: fake-sendmail: queue full, try again later" in failed.failures[0]
        pending = store.edition(DAY1)
        (mailbox / "refuse").unlink()

        result = send(config, store, DAY2, now=now)
        assert (result.outcome, result.exit_status) == ("sent", 0)
        assert result.delivered == [(DAY1, READER), (DAY2, READER)]
    assert without_date(delivered(mailbox)[0]) == readers_message(pending)
    assert "the edition of 2026-05-14 is still pending" in caplog.text


def test_an_edition_with_no_stories_is_not_sent(tmp_path: Path) -> None:
    project, mailbox = command_project(tmp_path)
    result = project.digest("send", "--date", "2026-01-01")
    assert result.exit_code == 1
    assert "has no stories" in result.stderr and "empty email is not sent" in result.stderr
    assert project.edition(date(2026, 1, 1)) is None
    assert delivered(mailbox) == []
    with project.store() as store:
        assert [run.outcome for run in store.runs()] == ["failed"]


def test_a_broken_template_is_exit_2_naming_file_and_line_and_sends_nothing(tmp_path: Path) -> None:
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "email.mjml.j2").write_text("<mjml>\n<mj-body>\n{% if %}\n</mj-body></mjml>\n")
    project, mailbox = command_project(tmp_path, "templates: mine")
    result = project.digest("send", "--date", str(DAY1))
    assert result.exit_code == 2
    assert "email.mjml.j2, line 3" in result.stderr and "Traceback" not in result.stderr
    assert delivered(mailbox) == [] and project.edition(DAY1) is None


@pytest.mark.slow
def test_schedule_catches_up_refuses_a_second_instance_and_stops_on_sigterm(tmp_path: Path) -> None:
    project, mailbox = command_project(tmp_path, 'schedule: {at: ["00:00"]}')
    project.config.write_text(project.config.read_text().replace("  window_hours: 48", f'  window_hours: 48\n  date: "{DAY1}"'))
    scheduler = project.start("schedule")
    try:
        wait_for_stage(mailbox, "accepted", scheduler)  # started after 00:00 with today's edition unsent
        deadline = time.monotonic() + 30
        while (record := project.edition(DAY1)) is None or record.status != "sent":
            assert time.monotonic() < deadline
            time.sleep(0.05)

        second = project.digest("schedule")
        assert second.exit_code == 1
        assert f"another digest schedule is running on {tmp_path / 'state/digest.db'} (pid {scheduler.pid})" in second.stderr

        scheduler.send_signal(signal.SIGTERM)
        assert scheduler.wait(timeout=10) == 0
    finally:
        kill(scheduler.pid)
    log = scheduler.stderr.read().decode()
    assert "catch-up" in log and "SIGTERM received" in log and log.rstrip().endswith("stopped")
    assert len(delivered(mailbox)) == 1
    with project.store() as store:
        runs = {run.command: run for run in store.runs()}
    assert runs["schedule"].outcome == "stopped"
    assert runs["send"].outcome == "sent" and runs["send"].detail.startswith("catch-up: sent the edition of 2026-05-14")


@pytest.mark.slow
def test_schedule_finishes_the_running_send_before_it_stops(tmp_path: Path) -> None:
    project, mailbox = command_project(tmp_path, 'schedule: {at: ["00:00"]}')
    project.config.write_text(project.config.read_text().replace("  window_hours: 48", f'  window_hours: 48\n  date: "{DAY1}"'))
    (mailbox / "sigterm-parent").touch()  # the mail command sends SIGTERM to digest mid-delivery
    scheduler = project.start("schedule")
    try:
        assert scheduler.wait(timeout=60) == 0
    finally:
        kill(scheduler.pid)
    assert project.edition(DAY1).status == "sent"
    assert len(delivered(mailbox)) == 1


def test_copy_ids_count_up() -> None:
    assert next_copy_id("<2026-05-14.daily@example.com>", "<2026-05-14.daily@example.com>") == "<2026-05-14.daily.r1@example.com>"
    assert next_copy_id("<2026-05-14.daily@example.com>", "<2026-05-14.daily.r1@example.com>") == "<2026-05-14.daily.r2@example.com>"
