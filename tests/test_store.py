"""The SQLite store: migrations from an older file, WAL, transactions, edition records, locks."""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from digest.store import MIGRATIONS, DeliveryStatus, EditionStatus, Store, StoreBusy, StoreError, open_store

NOW = datetime(2026, 3, 28, 5, 0, tzinfo=UTC)


READERS = [("a@example.com", "Ann", "<id.a@x>"), ("b@example.com", "", "<id.b@x>")]


def pending(store: Store, day: date, message_id: str, stories: list[str], items: list[str] | None = None):
    return store.record_pending(
        day, message_id=message_id, subject=f"Edition of {day}", letter=b"{}", readers=READERS,
        story_ids=stories, item_ids=items or stories, now=NOW,
    )


def sent_to_all(store: Store, day: date, receipt: str = "250 queued") -> None:
    store.record_outcomes(day, [(address, DeliveryStatus.SENT, receipt) for address, _, _ in READERS], NOW)


def test_a_version_1_store_is_migrated_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    old = sqlite3.connect(path)
    old.executescript(MIGRATIONS[0])
    old.execute("PRAGMA user_version = 1")
    old.execute("INSERT INTO summaries VALUES ('k', '[\"One sentence.\"]')")
    old.execute(
        "INSERT INTO editions (date, number, message_id, status, story_ids, item_ids, created, sent)"
        " VALUES ('2026-03-01', 7, '<old@example.com>', 'sent', '[\"s1\"]', '[\"i1\"]', '2026-03-01T05:00:00+00:00', '2026-03-01T05:00:01+00:00')"
    )
    old.execute("INSERT INTO runs (command, started) VALUES ('send', '2026-03-01T05:00:00+00:00')")
    old.commit()
    old.close()

    with Store(path) as store:
        assert store.schema_version == len(MIGRATIONS) > 1
        assert store.summaries(["k"]) == {"k": ["One sentence."]}
        record = store.edition(date(2026, 3, 1))
        assert (record.number, record.status, record.message_id, record.copies, record.message) == (7, "sent", "<old@example.com>", 0, None)
        assert store.sent_ids() == {"s1", "i1"}
        assert store.edition_number(date(2026, 3, 2)) == 8
        assert [run.command for run in store.runs()] == ["send"]


def test_the_configs_store_is_opened_beside_the_config_with_its_wait(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """open_store: what every command, `digest serve` and bounce intake open."""
    from digest.config import load_config

    (tmp_path / "project").mkdir()
    (tmp_path / "project" / "config.yaml").write_text("newsletter: {title: T}\nstore: {path: state/news.db, wait: 2.5}\n")
    monkeypatch.chdir(tmp_path)  # elsewhere: the path is the config's, not the working folder's
    with open_store(load_config(tmp_path / "project" / "config.yaml")) as store:
        assert store.path == tmp_path / "project" / "state" / "news.db" and store.timeout == 2.5
        assert store.schema_version == len(MIGRATIONS)


def test_reopening_a_current_store_changes_nothing(tmp_path: Path) -> None:
    with Store(tmp_path / "d.db") as store:
        pending(store, date(2026, 3, 1), "<a@x>", ["s"])
    with Store(tmp_path / "d.db") as store:
        assert store.schema_version == len(MIGRATIONS)
        assert store.edition(date(2026, 3, 1)).message_id == "<a@x>"


def test_a_store_from_a_newer_digest_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    with pytest.raises(StoreError, match="newer digest"):
        Store(path)


def test_wal_lets_a_reader_read_while_a_writer_holds_a_transaction(tmp_path: Path) -> None:
    with Store(tmp_path / "d.db") as writer, Store(tmp_path / "d.db") as reader:
        assert writer.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        pending(writer, date(2026, 3, 1), "<a@x>", ["s1"])
        with writer.transaction() as db:
            db.execute("UPDATE editions SET subject = 'changing'")
            assert reader.edition(date(2026, 3, 1)).subject == "Edition of 2026-03-01"


def test_a_failed_transaction_leaves_nothing_behind(tmp_path: Path) -> None:
    with Store(tmp_path / "d.db") as store:
        with pytest.raises(RuntimeError), store.transaction() as db:
            db.execute("INSERT INTO summaries VALUES ('k', '[]')")
            raise RuntimeError("crash mid-write")
        assert store.summaries(["k"]) == {}


def test_a_second_writer_waits_then_says_the_store_is_busy(tmp_path: Path) -> None:
    with Store(tmp_path / "d.db") as holder, Store(tmp_path / "d.db", timeout=0.2) as other:
        with holder.transaction():
            started = time.monotonic()
            with pytest.raises(StoreBusy, match="busy: another digest process"):
                other.put_summaries({"k": ["s"]})
            assert time.monotonic() - started >= 0.2
        other.put_summaries({"k": ["s"]})
        assert other.summaries(["k"]) == {"k": ["s"]}


def test_read_only_rolls_back_every_write(tmp_path: Path) -> None:
    with Store(tmp_path / "d.db") as store:
        with store.read_only():
            store.put_summaries({"k": ["s"]})
            store.record_items([("i1", "feed")], NOW)
        assert store.summaries(["k"]) == {}
        assert store.db.execute("SELECT COUNT(*) FROM items").fetchone()[0] == 0
        store.put_summaries({"k": ["s"]})
        assert store.summaries(["k"]) == {"k": ["s"]}


def test_an_edition_goes_pending_then_sent_reader_by_reader_and_keeps_its_number(tmp_path: Path) -> None:
    day = date(2026, 3, 28)
    with Store(tmp_path / "d.db") as store:
        assert store.edition_number(day) == 1
        record = pending(store, day, "<e1@x>", ["s1", "s2"], ["i1", "i2", "i3"])
        assert (record.status, record.number, record.attempts, record.sent, record.letter) == ("pending", 1, 0, None, b"{}")
        assert [(d.address, d.name, d.message_id, d.status) for d in store.deliveries(day)] == [
            ("a@example.com", "Ann", "<id.a@x>", "pending"), ("b@example.com", "", "<id.b@x>", "pending")]

        store.record_outcomes(
            day, [("a@example.com", DeliveryStatus.SENT, "250 queued"), ("b@example.com", DeliveryStatus.PENDING, "451 try later")], NOW)
        assert not store.finish_edition(day, NOW, "1 reader pending")
        record = store.edition(day)
        assert (record.status, record.reason, record.attempts) == ("pending", "1 reader pending", 1)
        assert store.delivery_counts(day) == {"sent": 1, "pending": 1}
        assert [d.address for d in store.deliveries(day, status=DeliveryStatus.PENDING)] == ["b@example.com"]

        store.record_outcomes(day, [("b@example.com", DeliveryStatus.SENT, "250 again")], NOW)  # the last one settles the edition
        record = store.edition(day)
        assert (record.status, record.reason, record.sent, record.copies) == ("sent", None, NOW, 1)
        assert [(d.status, d.attempts, d.receipt) for d in store.deliveries(day)] == [("sent", 1, "250 queued"), ("sent", 2, "250 again")]
        assert store.edition_number(date(2026, 3, 29)) == 2

        # a forced copy replaces the record but keeps the number and counts the copies
        pending(store, day, "<e1.r1@x>", ["s1"])
        sent_to_all(store, day)
        record = store.edition(day)
        assert (record.number, record.message_id, record.copies) == (1, "<e1.r1@x>", 2)


def test_the_latest_edition_is_the_latest_date_whatever_order_they_were_recorded_in(tmp_path: Path) -> None:
    """What `digest status` shows without --date, and where `send` looks for missed days from."""
    with Store(tmp_path / "d.db") as store:
        assert store.latest_edition() is None
        for day in (date(2026, 3, 28), date(2026, 3, 30), date(2026, 3, 29)):  # a missed day caught up on last
            pending(store, day, f"<{day}@x>", ["s1"])
        latest = store.latest_edition()
        assert latest is not None and latest.date == date(2026, 3, 30) == store.editions()[-1].date


def test_a_suppression_is_kept_once_and_only_a_stronger_reason_replaces_it(tmp_path: Path) -> None:
    with Store(tmp_path / "d.db") as store:
        assert store.suppress("a@example.com", "unsubscribed", "a link", NOW)
        assert not store.suppress("a@example.com", "unsubscribed", "a link again", NOW)
        assert not store.suppress("a@example.com", "complaint", "a webhook", NOW, stronger=["complaint"])
        assert not store.suppress("a@example.com", "unsubscribed", "a link", NOW, stronger=["complaint"])
        found = store.suppression("a@example.com")
        assert (found.reason, found.source, found.since) == ("complaint", "a webhook", NOW)
        assert store.unsuppress("a@example.com", reasons=["unsubscribed"]) is None
        assert store.unsuppress("a@example.com") == "complaint" and store.suppressions() == {}


def test_sent_ids_hold_earlier_editions_stories_and_items(tmp_path: Path) -> None:
    with Store(tmp_path / "d.db") as store:
        pending(store, date(2026, 3, 27), "<a@x>", ["s1"], ["i1", "i2"])
        sent_to_all(store, date(2026, 3, 27))
        pending(store, date(2026, 3, 28), "<b@x>", ["s3"], ["i3"])  # pending: will still be delivered
        assert store.sent_ids() == {"s1", "i1", "i2", "s3", "i3"}
        assert store.sent_ids(before=date(2026, 3, 28)) == {"s1", "i1", "i2"}
        assert store.sent_ids(before=date(2026, 3, 27)) == frozenset()
        assert [e.date for e in store.editions(status=EditionStatus.PENDING)] == [date(2026, 3, 28)]


def test_runs_are_logged_and_those_of_dead_processes_closed(tmp_path: Path) -> None:
    with Store(tmp_path / "d.db") as store:
        done = store.start_run("send", NOW, edition=date(2026, 3, 28))
        store.end_run(done, "sent", NOW, warnings=["feed X: timed out"], detail="sent No. 1")
        store.start_run("send", NOW)  # its process died: never ended
        assert store.close_interrupted_runs("send", NOW) == 1
        latest, first = store.runs()
        assert (first.outcome, first.warnings, first.detail, first.edition, first.pid) == (
            "sent", ["feed X: timed out"], "sent No. 1", "2026-03-28", os.getpid())
        assert (latest.outcome, latest.ended) == ("interrupted", NOW)


HOLD_LOCK = """
import sys, time
from digest.store import Store
with Store(sys.argv[1]).lock(sys.argv[2]):
    print("locked", flush=True)
    time.sleep(60)
"""


@pytest.fixture
def lock_holder(tmp_path: Path):
    """Another process holding the store's send lock, as a running `digest send` would."""
    db = tmp_path / "d.db"
    Store(db).close()
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(db), "send"], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline() == "locked\n"
    yield db, holder
    holder.kill()
    holder.wait()


def test_a_held_lock_refuses_at_once_naming_the_holder(lock_holder) -> None:
    db, holder = lock_holder
    with Store(db) as store, pytest.raises(StoreBusy, match=rf"another digest send is running on .*d\.db \(pid {holder.pid}\)$"):
        with store.lock("send"):
            pass


def test_a_waiting_lock_gives_up_after_its_bound(lock_holder) -> None:
    db, holder = lock_holder
    took = {}
    for wait in (0.3, 0.9):
        started = time.monotonic()
        with Store(db) as store, pytest.raises(StoreBusy, match=rf"\(pid \d+\); waited {wait} s"):
            with store.lock("send", wait=wait):
                pass
        took[wait] = time.monotonic() - started
        assert took[wait] >= wait
    assert took[0.3] < took[0.9]  # the bound is what ends the wait, not something else


def test_a_killed_holder_leaves_no_stale_lock(lock_holder) -> None:
    db, holder = lock_holder
    with Store(db) as store:
        with pytest.raises(StoreBusy), store.lock("send"):
            pass
        holder.send_signal(signal.SIGKILL)
        holder.wait()
        with store.lock("send", wait=1):
            assert (db.parent / "d.db.send.lock").read_text() == f"{os.getpid()}\n"
        with store.lock("schedule"):  # another name is another lock
            pass
