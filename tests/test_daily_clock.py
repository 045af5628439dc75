"""The daily clock through the real command line: `digest send` run each morning under a faked clock
(Debian's faketime on a child process), items published every few hours, and every item in exactly
one edition, with the default cut-off (the first send time) and with an end-of-day one ("24:00")."""
from __future__ import annotations

import email
import email.policy
import json
import os
import random
import re
import shutil
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("faketime") is None,
                       reason="faketime is not installed (CI installs Debian's package in .ci/run; here: apt-get install faketime)"),
]

ROOT = Path(__file__).resolve().parents[1]
KYIV = ZoneInfo("Europe/Kyiv")
FIRST_ITEM = datetime(2026, 5, 12, 22, 0, tzinfo=KYIV)
EVERY = timedelta(hours=2, minutes=30)  # every few hours, at a different time of day each day
WORDS = ("harbour ferry council tram bridge market school river station library budget clinic museum park "
         "stadium airport factory theatre bakery festival orchard vineyard lighthouse quarry tunnel canal "
         "reservoir observatory archive pharmacy brewery hostel garage monastery pier warehouse mill").split()


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 5, day, hour, minute, tzinfo=KYIV)


def item(number: int, published: datetime) -> dict:
    """A story unlike every other (seeded words), so none is folded into another as a duplicate."""
    rng = random.Random(number)
    sentences = [" ".join(rng.sample(WORDS, 9)).capitalize() + "." for _ in range(4)]
    return {"id": f"item-{number}", "title": f"Harbour report number {number}", "body": " ".join(sentences),
            "url": f"https://news.example.com/{number}", "published": published.isoformat(), "kind": "story"}


class Newsroom:
    """A project whose CMS export holds what was published by the faked moment of each run."""

    def __init__(self, root: Path, edition: str = "") -> None:
        self.root = root
        self.config = root / "config.yaml"
        moments = [FIRST_ITEM + n * EVERY for n in range(40)]
        moments += [at(14, 7), at(15, 0), at(15, 7), at(15, 6, 59), at(15, 23, 59)]  # on and beside the cut-offs
        self.items = [item(n, moment) for n, moment in enumerate(moments)]
        self.scheduled: list[dict] = []  # in the export before their time, as a CMS's scheduled posts can be
        self.config.write_text(f"""
newsletter: {{title: Harbour Daily, timezone: Europe/Kyiv, from: "Harbour Daily <daily@example.com>", to: [readers@example.com],
             unsubscribe_mailto: leave@example.com}}
sources: [{{name: newsroom, kind: jsonl, path: items.jsonl}}]
edition: {{max_stories: 100{edition}}}
store: {{path: state/digest.db}}
delivery: {{method: outbox, outbox: outbox}}
schedule: {{at: ["07:00"]}}
""")

    def digest(self, moment: datetime, *args: str) -> subprocess.CompletedProcess:
        """`digest ARGS -c config` as a new process whose clock reads `moment` (and ticks on from it)."""
        published = [line for line in self.items if datetime.fromisoformat(line["published"]) <= moment] + self.scheduled
        (self.root / "items.jsonl").write_text("".join(json.dumps(line) + "\n" for line in published))
        utc = moment.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%d %H:%M:%S")
        env = {**os.environ, "PYTHONPATH": str(ROOT), "TZ": "UTC", "FAKETIME_DONT_FAKE_MONOTONIC": "1"}
        return subprocess.run(["faketime", "-f", f"@{utc}", sys.executable, "-m", "digest", *args[:1], "-c", str(self.config), *args[1:]],
                              cwd=self.root, env=env, capture_output=True, text=True, timeout=120, check=False)

    def send(self, moment: datetime) -> str:
        done = self.digest(moment, "send")
        assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
        return done.stderr

    def editions(self) -> dict[str, list[int]]:
        """Each delivered edition's date (from its Message-ID) and the item numbers it carries."""
        found = {}
        for path in sorted((self.root / "outbox").glob("*.eml")):
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            text = message.get_body(("plain",)).get_content()
            day = re.match(r"<(\d{8})\.", message["Message-ID"]).group(1)
            found[day] = sorted(int(number) for number in re.findall(r"Harbour report number (\d+)\b", text))
        return found

    def numbers(self, start: datetime, end: datetime) -> list[int]:
        return [n for n, line in enumerate(self.items) if start <= datetime.fromisoformat(line["published"]) < end]


def assert_each_once(newsroom: Newsroom, start: datetime, end: datetime) -> dict[str, list[int]]:
    editions = newsroom.editions()
    sent = [number for numbers in editions.values() for number in numbers]
    assert sorted(sent) == newsroom.numbers(start, end), editions  # every item of the span once, none twice
    return editions


MORNINGS = [at(14, 7, 0), at(15, 7, 0), at(16, 7, 0)]


def test_three_morning_sends_put_every_item_in_exactly_one_edition(tmp_path: Path) -> None:
    newsroom = Newsroom(tmp_path)
    for morning in MORNINGS:
        newsroom.send(morning + timedelta(seconds=20))
    editions = assert_each_once(newsroom, at(13, 7), at(16, 7))
    # the edition dated D covers the 24 hours before its 07:00 send on D
    assert editions == {f"202605{day}": newsroom.numbers(at(day - 1, 7), at(day, 7)) for day in (14, 15, 16)}
    assert all(editions.values())


def test_end_of_day_editions_go_out_the_next_morning_and_lose_nothing(tmp_path: Path) -> None:
    newsroom = Newsroom(tmp_path, edition=", cutoff: '24:00'")
    for morning in MORNINGS:
        newsroom.send(morning + timedelta(seconds=20))
    editions = assert_each_once(newsroom, at(13, 0), at(16, 0))
    assert editions == {f"202605{day}": newsroom.numbers(at(day, 0), at(day + 1, 0)) for day in (13, 14, 15)}


def test_a_morning_the_machine_was_off_is_caught_up_the_next_morning(tmp_path: Path) -> None:
    newsroom = Newsroom(tmp_path)
    newsroom.send(MORNINGS[0] + timedelta(seconds=20))
    said = newsroom.send(MORNINGS[2] + timedelta(minutes=5))  # nothing ran on the 15th
    assert "the edition of 2026-05-15 was never sent; building it first" in said
    editions = assert_each_once(newsroom, at(13, 7), at(16, 7))
    assert list(editions) == ["20260514", "20260515", "20260516"]


def test_a_send_before_the_cutoff_sends_the_previous_edition_once(tmp_path: Path) -> None:
    newsroom = Newsroom(tmp_path)
    newsroom.send(at(14, 6, 59))  # a minute early: the edition due is the 13th's
    newsroom.send(at(14, 6, 59) + timedelta(seconds=30))
    assert list(newsroom.editions()) == ["20260513"]
    assert "already sent" in newsroom.send(at(14, 6, 59) + timedelta(seconds=40))


def test_build_and_explain_preview_the_next_edition_and_explain_names_its_window(tmp_path: Path) -> None:
    newsroom = Newsroom(tmp_path)
    noon = at(14, 12, 0)
    done = newsroom.digest(noon, "explain", "--json")
    assert done.returncode == 0, done.stderr
    assert "the edition of 2026-05-15 holds the items published from 2026-05-14 07:00 EEST to 2026-05-15 07:00 EEST" in done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]  # stdout stays one JSON object a line
    shown = sorted(int(re.search(r"\d+", row["title"]).group()) for row in rows)
    assert shown == newsroom.numbers(at(14, 7), noon)
    built = newsroom.digest(noon, "build")
    assert built.returncode == 0, built.stderr
    assert built.stdout.strip().endswith("2026-05-15.html")


def test_explain_with_a_date_names_that_editions_window(tmp_path: Path) -> None:
    newsroom = Newsroom(tmp_path, edition=", cutoff: '24:00'")
    done = newsroom.digest(at(20, 9), "explain", "--date", "2026-05-14")
    assert done.returncode == 0, done.stderr
    assert "from 2026-05-14 00:00 EEST to 2026-05-15 00:00 EEST (Europe/Kyiv)" in done.stderr
    assert len(done.stdout.splitlines()) == len(newsroom.numbers(at(14, 0), at(15, 0)))


@pytest.mark.parametrize("moment, expected", [(at(14, 6, 59), "2026-05-13"), (at(14, 7, 0), "2026-05-14")])
def test_send_dry_run_names_the_latest_edition_whose_cutoff_has_passed(tmp_path: Path, moment: datetime, expected: str) -> None:
    done = Newsroom(tmp_path).digest(moment, "send", "--dry-run")
    assert done.returncode == 0, done.stderr
    assert f"would send the edition of {expected}" in done.stderr


def test_an_item_dated_hours_ahead_is_dated_when_it_was_read_and_said_so(tmp_path: Path) -> None:
    newsroom = Newsroom(tmp_path)
    newsroom.scheduled = [{"title": "Evening ferry timetable changes", "body": "The last ferry leaves at nine.", "kind": "brief",
                           "published": at(14, 20, 0).isoformat()}]  # eight hours ahead of the run below
    done = newsroom.digest(at(14, 12, 0), "build", "--format", "text", "-o", "-")
    assert done.returncode == 0, done.stderr
    assert ("digest: warning: source 'newsroom': 1 item dated in the future ('Evening ferry timetable changes');"
            " dated by the time it was read") in done.stderr
    assert "12:00 PM — Evening ferry timetable changes" in done.stdout  # not 8:00 PM, the freshest of the edition


def test_catch_up_is_bounded_to_a_week_and_names_the_older_days(tmp_path: Path) -> None:
    newsroom = Newsroom(tmp_path)
    newsroom.send(at(14, 7, 1))
    done = newsroom.digest(at(25, 7, 1), "send", "--dry-run")  # ten mornings missed
    assert "Traceback" not in done.stderr
    would = re.findall(r"would first build and deliver the missed edition of (\S+)", done.stderr)
    assert would == [f"2026-05-{day}" for day in range(18, 25)]
    assert "the editions of 2026-05-15 to 2026-05-17 were never sent and are too old to catch up on" in done.stderr
