"""A store written by any earlier digest opens, and one store has one send lock however its path is spelled."""
from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT
from test_send import DAY1, command_project

from digest.store import MIGRATIONS, Store

HISTORY = sorted((Path(__file__).parent / "data" / "stores").glob("*.sql"))


def schema(path: Path) -> dict[str, list[str]]:
    """Each table's columns, as the file holds them."""
    with sqlite3.connect(path) as db:
        tables = [name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        return {table: sorted(row[1] for row in db.execute(f"PRAGMA table_info({table})")) for table in sorted(tables)}


def holds_open(pid: int, suffix: str) -> bool:
    """Whether process `pid` has a file ending in `suffix` open (its descriptors may change as we look)."""
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            if os.readlink(fd).endswith(suffix):
                return True
        except OSError:
            continue
    return False


def test_every_historical_schema_is_kept() -> None:
    assert {path.stem for path in HISTORY} >= {"v1", "v2", "v3", "v4-pages", "v4-readers"}


@pytest.mark.parametrize("old", HISTORY, ids=lambda path: path.stem)
def test_a_store_from_an_earlier_digest_opens_through_the_cli(tmp_path: Path, old: Path) -> None:
    """Commits where migration 4 made `pages` wrote stores that later failed with "table pages already exists"."""
    project, _ = command_project(tmp_path)
    db_path = tmp_path / "state" / "digest.db"
    db_path.parent.mkdir()
    with sqlite3.connect(db_path) as db:
        db.executescript(old.read_text())
        db.execute("INSERT INTO editions (date, number, message_id, status, story_ids, item_ids, created, sent)"
                   " VALUES ('2026-03-01', 4, '<old@example.com>', 'sent', '[\"s1\"]', '[\"i1\"]', '2026-03-01T05:00:00+00:00',"
                   " '2026-03-01T05:00:01+00:00')")

    result = project.digest("status")
    assert result.exit_code == 0, result.output

    Store(tmp_path / "fresh.db").close()
    assert schema(db_path) == schema(tmp_path / "fresh.db")
    with Store(db_path) as store:
        assert store.schema_version == len(MIGRATIONS)
        assert store.edition_number(store.editions()[0].date) == 4
        assert store.sent_ids() == {"s1", "i1"}


@pytest.mark.slow  # two real sends, one held at the mail system while the other waits for the lock
def test_a_send_through_a_symlinked_store_path_waits_for_the_other_send(tmp_path: Path) -> None:
    """Two configs reaching one store file, one through a symlink to it: two concurrent sends, one copy per reader."""
    project, mailbox = command_project(tmp_path)
    other = tmp_path / "other.yaml"
    other.write_text(project.config.read_text().replace("path: state/digest.db", "path: alias.db"))

    (mailbox / "hold-received").touch()
    first = project.start("send", "--date", str(DAY1))
    deadline = time.monotonic() + 60
    while not (mailbox / "stage").exists() or not (mailbox / "stage").read_text().startswith("received"):
        assert time.monotonic() < deadline and first.poll() is None, "the first send never reached the mail system"
        time.sleep(0.05)
    (tmp_path / "alias.db").symlink_to(tmp_path / "state" / "digest.db")
    second = subprocess.Popen([sys.executable, "-m", "digest", "send", "-c", str(other), "--date", str(DAY1)],
                              cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    while not holds_open(second.pid, ".send.lock"):
        assert time.monotonic() < deadline and second.poll() is None, "the second send never reached the send lock"
        time.sleep(0.05)
    time.sleep(1.5)  # past the lock, a second send would now be handing the same edition to the mail system
    (mailbox / "hold-received").unlink()
    first.communicate(timeout=60)
    _, err = second.communicate(timeout=60)

    assert first.returncode == 0
    assert second.returncode == 0, err.decode()
    assert len(list((mailbox / "new").iterdir())) == 1


@pytest.mark.parametrize("old", [path for path in HISTORY if "CREATE TABLE deliveries" in path.read_text()], ids=lambda path: path.stem)
def test_an_earlier_deliveries_table_is_rebuilt_to_allow_uncertain_keeping_its_rows_in_order(tmp_path: Path, old: Path) -> None:
    """Its CHECK listed four statuses; SQLite cannot widen a CHECK in place, so migration 8 makes the table anew."""
    db_path = tmp_path / "old.db"
    with sqlite3.connect(db_path) as db:
        db.executescript(old.read_text())
        db.execute("INSERT INTO editions (date, number, message_id, status, story_ids, item_ids, created)"
                   " VALUES ('2026-03-01', 1, '<e@x>', 'pending', '[]', '[]', '2026-03-01T05:00:00+00:00')")
        db.executemany("INSERT INTO deliveries (edition, address, message_id, status) VALUES ('2026-03-01', ?, ?, ?)",
                       [("zed@example.org", "<z@x>", "sent"), ("ann@example.org", "<a@x>", "pending"), ("bob@example.org", "<b@x>", "pending")])
        with pytest.raises(sqlite3.IntegrityError):
            db.execute("UPDATE deliveries SET status = 'uncertain' WHERE address = 'ann@example.org'")
    with Store(db_path) as store:
        day = store.editions()[0].date
        assert [(d.address, d.status) for d in store.deliveries(day)] == [
            ("zed@example.org", "sent"), ("ann@example.org", "pending"), ("bob@example.org", "pending")]
        store.hand_over(day, ["ann@example.org"], store.editions()[0].created)
        assert [d.status for d in store.deliveries(day)] == ["sent", "uncertain", "pending"]
        indexes = {name for (name,) in store.db.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'deliveries'")}
        assert {"deliveries_pending", "deliveries_address"} <= indexes
    with Store(db_path) as store:  # opened again: nothing rebuilt twice, nothing lost
        assert [d.status for d in store.deliveries(day)] == ["sent", "uncertain", "pending"]
