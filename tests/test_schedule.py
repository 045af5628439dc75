"""The daily loop on a controlled clock (time-machine): 07:00 Kyiv time on both sides of each DST change,
catch-up after a late start, retries after a failure, one scheduler per store."""
from __future__ import annotations

import subprocess
import sys
import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from conftest import kyiv_config

from digest.config import Config, NewsletterConfig, ScheduleConfig, StoreConfig
from digest.daily import next_send, run_schedule
from digest.store import DeliveryStatus, Store, StoreBusy

KYIV = ZoneInfo("Europe/Kyiv")
HOST_ZONES = ["Europe/Kyiv", "UTC", "America/New_York"]  # the machine's own zone must not matter


def config(tmp_path: Path, at: tuple[str, ...] = ("07:00",), retry_minutes: float = 15) -> Config:
    return kyiv_config(store=StoreConfig(path="digest.db"), schedule=ScheduleConfig(at=list(at), retry_minutes=retry_minutes), base_dir=tmp_path)


def drive(config: Config, start: datetime, until: datetime, host_zone: str = "UTC", outcomes=None) -> list[tuple[str, str]]:
    """Run the scheduler from `start` to `until` with time jumping over every nap; return the sends it
    made as ("YYYY-MM-DD HH:MM TZ" in Kyiv, trigger). `outcomes` says which sends fail (default: none)."""
    runs: list[tuple[str, str]] = []
    outcomes = iter(outcomes or [])
    stop = threading.Event()
    with time_machine.travel(start.astimezone(ZoneInfo(host_zone)), tick=False) as clock:
        def send_fn(trigger: str) -> bool:
            runs.append((datetime.now(KYIV).strftime("%Y-%m-%d %H:%M %Z"), trigger))
            return next(outcomes, True)

        def nap(seconds: float) -> None:
            clock.shift(seconds)
            if datetime.now(UTC) >= until:
                stop.set()

        with Store(config.resolve(config.store.path)) as store:
            assert run_schedule(config, store, send_fn=send_fn, nap=nap, stop=stop) == 0
    return runs


@pytest.mark.parametrize("host_zone", HOST_ZONES)
def test_spring_forward_keeps_seven_o_clock_kyiv_time(tmp_path: Path, host_zone: str) -> None:
    # Kyiv moves from EET (UTC+2) to EEST (UTC+3) at 03:00 on Sunday 29 March 2026
    runs = drive(config(tmp_path), datetime(2026, 3, 27, 6, 0, tzinfo=KYIV), datetime(2026, 3, 31, 8, 0, tzinfo=KYIV), host_zone)
    assert runs == [
        ("2026-03-27 07:00 EET", "scheduled 07:00"),
        ("2026-03-28 07:00 EET", "scheduled 07:00"),
        ("2026-03-29 07:00 EEST", "scheduled 07:00"),
        ("2026-03-30 07:00 EEST", "scheduled 07:00"),
        ("2026-03-31 07:00 EEST", "scheduled 07:00"),
    ]


@pytest.mark.parametrize("host_zone", HOST_ZONES)
def test_fall_back_keeps_seven_o_clock_kyiv_time(tmp_path: Path, host_zone: str) -> None:
    # Kyiv moves from EEST back to EET at 04:00 on Sunday 25 October 2026
    runs = drive(config(tmp_path), datetime(2026, 10, 23, 12, 0, tzinfo=KYIV), datetime(2026, 10, 27, 8, 0, tzinfo=KYIV), host_zone)
    assert [when for when, _ in runs] == [
        "2026-10-23 12:00 EEST",  # started late on a day nothing was sent: catch-up
        "2026-10-24 07:00 EEST",
        "2026-10-25 07:00 EET",
        "2026-10-26 07:00 EET",
        "2026-10-27 07:00 EET",
    ]
    assert runs[0][1] == "catch-up"


def test_a_late_start_catches_up_once_and_only_if_today_is_unsent(tmp_path: Path) -> None:
    settings = config(tmp_path, at=["07:00", "19:00"])
    runs = drive(settings, datetime(2026, 5, 14, 9, 30, tzinfo=KYIV), datetime(2026, 5, 15, 8, 0, tzinfo=KYIV))
    assert runs == [
        ("2026-05-14 09:30 EEST", "catch-up"),
        ("2026-05-14 19:00 EEST", "scheduled 19:00"),
        ("2026-05-15 07:00 EEST", "scheduled 07:00"),
    ]
    with Store(tmp_path / "digest.db") as store:
        record = store.record_pending(date(2026, 5, 16), message_id="<m@x>", subject="", letter=b"{}", story_ids=[], item_ids=[],
                                      readers=[("a@x.org", "", "<m.a@x>")], now=datetime(2026, 5, 16, 4, 0, tzinfo=UTC))
        store.record_outcomes(record.date, [("a@x.org", DeliveryStatus.SENT, "250")], datetime(2026, 5, 16, 4, 0, tzinfo=UTC))
    runs = drive(settings, datetime(2026, 5, 16, 9, 30, tzinfo=KYIV), datetime(2026, 5, 16, 18, 0, tzinfo=KYIV))
    assert runs == []  # today's edition was already sent: no catch-up, and 19:00 is still ahead


def test_a_failed_send_is_retried_until_it_goes_then_retries_stop(tmp_path: Path) -> None:
    runs = drive(config(tmp_path, retry_minutes=15), datetime(2026, 5, 14, 6, 0, tzinfo=KYIV),
                 datetime(2026, 5, 15, 8, 0, tzinfo=KYIV), outcomes=[False, False, True])
    assert runs == [
        ("2026-05-14 07:00 EEST", "scheduled 07:00"),
        ("2026-05-14 07:15 EEST", "retry"),
        ("2026-05-14 07:30 EEST", "retry"),
        ("2026-05-15 07:00 EEST", "scheduled 07:00"),
    ]


def test_an_error_in_a_send_does_not_end_the_loop(tmp_path: Path) -> None:
    def explode() -> bool:
        raise RuntimeError("template missing")

    outcomes = iter([explode, lambda: True])

    class Outcomes:
        def __iter__(self):
            return self

        def __next__(self):
            return next(outcomes)()

    runs = drive(config(tmp_path, retry_minutes=30), datetime(2026, 5, 14, 6, 0, tzinfo=KYIV),
                 datetime(2026, 5, 14, 9, 0, tzinfo=KYIV), outcomes=Outcomes())
    assert runs == [("2026-05-14 07:00 EEST", "scheduled 07:00"), ("2026-05-14 07:30 EEST", "retry")]


def test_the_scheduler_logs_its_life_in_the_store(tmp_path: Path) -> None:
    drive(config(tmp_path), datetime(2026, 5, 14, 6, 0, tzinfo=KYIV), datetime(2026, 5, 14, 8, 0, tzinfo=KYIV))
    with Store(tmp_path / "digest.db") as store:
        (run,) = store.runs()
    assert (run.command, run.outcome) == ("schedule", "stopped")
    assert run.ended - run.started == timedelta(hours=2)


HOLD_SCHEDULE_LOCK = """
import sys, time
from digest.store import Store
with Store(sys.argv[1]).lock("schedule"):
    print("locked", flush=True)
    time.sleep(60)
"""


def test_a_second_scheduler_on_the_same_store_is_refused(tmp_path: Path) -> None:
    settings = config(tmp_path)
    holder = subprocess.Popen([sys.executable, "-c", HOLD_SCHEDULE_LOCK, str(tmp_path / "digest.db")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "locked\n"
        with Store(tmp_path / "digest.db") as store, pytest.raises(
                StoreBusy, match=rf"another digest schedule is running on .* \(pid {holder.pid}\)"):
            run_schedule(settings, store, send_fn=lambda trigger: True)
    finally:
        holder.kill()
        holder.wait()


@pytest.mark.parametrize("host_zone", HOST_ZONES)
def test_a_send_time_the_clock_skips_or_repeats_fires_once_that_day(tmp_path: Path, host_zone: str) -> None:
    # 03:30 does not exist in Kyiv on 29 March 2026 (03:00 EET -> 04:00 EEST) and happens twice on 25 October
    spring = drive(config(tmp_path / "spring", at=["03:30"]), datetime(2026, 3, 28, 1, 0, tzinfo=KYIV),
                   datetime(2026, 3, 31, 5, 0, tzinfo=KYIV), host_zone)
    assert [when for when, _ in spring] == ["2026-03-28 03:30 EET", "2026-03-29 04:00 EEST", "2026-03-30 03:30 EEST",
                                            "2026-03-31 03:30 EEST"]
    autumn = drive(config(tmp_path / "autumn", at=["03:30"]), datetime(2026, 10, 24, 1, 0, tzinfo=KYIV),
                   datetime(2026, 10, 26, 5, 0, tzinfo=KYIV), host_zone)
    assert [when for when, _ in autumn] == ["2026-10-24 03:30 EEST", "2026-10-25 03:30 EEST", "2026-10-26 03:30 EET"]


@pytest.mark.parametrize("zone, at, after, expected", [
    ("Europe/Kyiv", "03:30", "2026-03-29T00:00+02:00", "2026-03-29T04:00:00+03:00"),  # in the spring gap: its end
    ("Europe/Kyiv", "03:30", "2026-03-29T04:00+03:00", "2026-03-30T03:30:00+03:00"),  # and not again that day
    ("Europe/Kyiv", "03:30", "2026-10-25T03:30+03:00", "2026-10-26T03:30:00+02:00"),  # the repeated hour: once
    ("America/New_York", "02:15", "2026-03-08T00:00-05:00", "2026-03-08T03:00:00-04:00"),
    ("Pacific/Apia", "09:00", "2011-12-29T10:00-10:00", "2011-12-31T00:00:00+14:00"),  # Samoa skipped 30 December: its 09:00 is at the gap's end
    ("UTC", "00:00", "2026-05-14T00:00+00:00", "2026-05-15T00:00:00+00:00"),
])
def test_next_send_time_with_real_zone_data(zone: str, at: str, after: str, expected: str) -> None:
    settings = Config(newsletter=NewsletterConfig(timezone=zone), schedule=ScheduleConfig(at=[at]))
    moment, which = next_send(settings, datetime.fromisoformat(after))
    assert (moment.isoformat(), which) == (expected, at)
