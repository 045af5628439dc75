"""The store held by another process, an output folder that cannot be written, a disk that fills up:
the command line waits or says clearly why it stopped, and never leaves half a file where the user
expects a whole one (everything is written to a temporary file, then renamed into place)."""
from __future__ import annotations

import multiprocessing
import os
import sqlite3
import stat
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from digest.store import Store, StoreError

from .conftest import (
    DAY,
    GOOD_TITLES,
    Outcome,
    Server,
    permissions_enforced,
    plain_feed,
    read_message,
    respond,
    run,
    without_file_permission_checks,
    write_project,
)


class Holder:
    """Another process holding the store (a transaction) or a digest lock (flock), until told to stop."""

    def __init__(self, code: str) -> None:
        self.process = subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True)
        assert self.process.stdout.readline().strip() == "held"

    def release(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.close()  # the holder waits on stdin: closing it lets go
            self.process.wait(timeout=10)


def hold_transaction(db: Path, begin: str, *, seconds: float | None = None) -> Holder:
    """`begin` ("BEGIN IMMEDIATE": the write lock; "BEGIN" and a read: a reader's snapshot) for `seconds`
    or until released."""
    wait = f"time.sleep({seconds})" if seconds is not None else "sys.stdin.read()"
    return Holder(f"""
        import sqlite3, sys, time
        db = sqlite3.connect({str(db)!r}, isolation_level=None)
        db.execute({begin!r})
        db.execute("SELECT count(*) FROM items").fetchone()
        print("held", flush=True)
        {wait}
        db.execute("COMMIT")
    """)


def hold_send_lock(db: Path, *, seconds: float) -> Holder:
    """What a running `digest send` holds: the flock on <store>.send.lock, with its pid in the file."""
    return Holder(f"""
        import fcntl, os, time
        fd = os.open({str(db) + ".send.lock"!r}, os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.ftruncate(fd, 0)
        os.write(fd, f"{{os.getpid()}}\\n".encode())
        print("held", flush=True)
        time.sleep({seconds})
    """)


def build(config: Path, *args: str, **kwargs) -> Outcome:
    return run("build", "-c", str(config), "--date", DAY, *args, cwd=config.parent, **kwargs)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project whose store exists (built once), with a one-second wait for a store held by another process."""
    config = write_project(tmp_path, store={"wait": 1})
    assert build(config, "--format", "text", "-o", "-").status == 0
    return config


def db_of(config: Path) -> Path:
    return config.parent / "state" / "digest.db"


def assert_one_clear_error(outcome: Outcome, *phrases: str) -> None:
    assert outcome.status == 1, outcome
    assert "Traceback" not in outcome.stderr
    errors = [line for line in outcome.stderr.splitlines() if line.startswith("digest: error:")]
    assert len(errors) == 1, outcome
    for phrase in phrases:
        assert phrase in errors[0], outcome


# --- a store held by another process ------------------------------------------------------------------------


def test_a_reader_of_the_store_does_not_hold_up_a_build(project: Path) -> None:
    reader = hold_transaction(db_of(project), "BEGIN")
    try:
        outcome = build(project, "--format", "text", "-o", "-")
    finally:
        reader.release()
    assert outcome.status == 0, outcome
    assert GOOD_TITLES[0] in outcome.stdout.decode()


def test_a_build_waits_for_a_writer_that_lets_go_in_time(tmp_path: Path) -> None:
    config = write_project(tmp_path, store={"wait": 10})
    assert build(config, "--format", "text", "-o", "-").status == 0
    writer = hold_transaction(db_of(config), "BEGIN IMMEDIATE", seconds=1.0)
    outcome = build(config, "--format", "text", "-o", "-")
    writer.release()
    assert outcome.status == 0, outcome
    assert outcome.seconds > 0.8  # it waited...
    assert GOOD_TITLES[0] in outcome.stdout.decode()  # ...and built the edition


def test_a_writer_holding_the_store_past_the_wait_stops_the_build_clearly(project: Path) -> None:
    writer = hold_transaction(db_of(project), "BEGIN IMMEDIATE")
    try:
        outcome = build(project, "--format", "text", "-o", "-")
    finally:
        writer.release()
    assert_one_clear_error(outcome, f"store {db_of(project)} is busy", "1 s")
    assert outcome.stdout == b""


def test_a_store_taken_in_the_middle_of_a_build_stops_it_clearly(project: Path, server: Server) -> None:
    """The other process takes the write lock while the build is fetching its feed: the build's first
    write after that waits the second, then stops with one line, not a traceback."""
    holders: list[Holder] = []

    def feed_then_hold(request) -> None:
        holders.append(hold_transaction(db_of(project), "BEGIN IMMEDIATE"))
        respond(plain_feed())(request)

    config = write_project(project.parent, {"kind": "feed", "url": server.route("/feed", feed_then_hold)}, store={"wait": 1})
    try:
        outcome = build(config, "--format", "text", "-o", "-")
    finally:
        for holder in holders:
            holder.release()
    assert len(holders) == 1
    assert_one_clear_error(outcome, "is busy")


def test_send_waits_for_another_send_then_delivers(tmp_path: Path) -> None:
    config = write_project(tmp_path, extra="delivery: {method: outbox, outbox: outbox}\n")
    assert build(config, "--format", "text", "-o", "-").status == 0
    other = hold_send_lock(db_of(config), seconds=1.0)
    outcome = run("send", "-c", str(config), "--date", DAY, cwd=tmp_path)
    other.release()
    assert outcome.status == 0, outcome
    assert outcome.seconds > 0.8
    (sent,) = (tmp_path / "outbox").iterdir()
    assert GOOD_TITLES[0] in read_message(sent.read_bytes()).text


def _open_store(path: str, barrier, answers) -> None:
    barrier.wait()
    try:
        with Store(path):
            answers.put("ok")
    except StoreError as exc:
        answers.put(str(exc))


def test_processes_opening_a_new_store_at_once_all_get_it(tmp_path: Path) -> None:
    """A build and a send started together on a new store: both switch it to WAL, which SQLite refuses
    one of them at once ("database is locked", without its busy timeout) unless the store waits."""
    context = multiprocessing.get_context("fork")
    answers = context.Queue()
    for attempt in range(30):  # the race is lost about one open in twenty
        barrier = context.Barrier(4)
        path = str(tmp_path / f"{attempt}.db")
        workers = [context.Process(target=_open_store, args=(path, barrier, answers)) for _ in range(4)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=30)
        assert [answers.get() for _ in workers] == ["ok"] * 4


# --- a store file that is damaged ------------------------------------------------------------------------


def corrupt_table(db: Path, table: str) -> None:
    """Overwrite the root page of `table` with garbage, as a bad disk sector would (the WAL checkpointed first)."""
    with sqlite3.connect(db) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page_size = connection.execute("PRAGMA page_size").fetchone()[0]
        (root,) = connection.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)).fetchone()
    connection.close()
    with open(db, "r+b") as file:
        file.seek((root - 1) * page_size)
        file.write(b"\xa5" * page_size)


def test_a_corrupted_editions_table_is_a_clear_error_naming_the_store(project: Path) -> None:
    assert run("send", "-c", str(project), "--date", DAY, cwd=project.parent).status == 0  # an edition in the table
    corrupt_table(db_of(project), "editions")
    # the next day's build reads the sent editions before it (their stories are not repeated)
    for args in (("send", "-c", str(project), "--date", DAY), ("build", "-c", str(project), "--date", "2024-05-02", "-o", "-")):
        outcome = run(*args, cwd=project.parent)
        assert_one_clear_error(outcome, f"store {db_of(project)}: database disk image is malformed")


# --- output that cannot be written -------------------------------------------------------------------------


def leftovers(folder: Path, expected: set[str]) -> set[str]:
    return {path.name for path in folder.iterdir()} - expected


def test_a_read_only_output_folder_is_exit_1_and_the_old_file_stays_whole(project: Path) -> None:
    permissions_enforced(project.parent)
    out = project.parent / "published"
    out.mkdir()
    (out / "edition.html").write_text("yesterday's whole edition\n")
    out.chmod(0o555)
    outcome = build(project, "--format", "html", "-o", str(out / "edition.html"), preexec=without_file_permission_checks())
    out.chmod(0o755)
    assert_one_clear_error(outcome, f"cannot write {out / 'edition.html'}: Permission denied")
    assert (out / "edition.html").read_text() == "yesterday's whole edition\n"
    assert leftovers(out, {"edition.html"}) == set()


def test_a_fifo_is_written_through_and_stays_a_fifo(project: Path) -> None:
    fifo = project.parent / "edition.fifo"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    outcome = build(project, "--format", "text", "-o", str(fifo))
    reader.join(10)
    assert outcome.status == 0, outcome
    assert got and GOOD_TITLES[0].encode() in got[0]
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert leftovers(project.parent, {"config.yaml", "good.jsonl", "secret.txt", "state", "edition.fifo"}) == set()


@pytest.mark.parametrize("device", ["/dev/null", "/dev/stdout"])
def test_a_device_or_dev_link_is_written_through_never_replaced(project: Path, device: str) -> None:
    before = os.lstat(device)
    outcome = build(project, "--format", "text", "-o", device)
    assert outcome.status == 0, outcome
    after = os.lstat(device)
    assert (after.st_mode, after.st_ino) == (before.st_mode, before.st_ino)
    assert not [name for name in os.listdir("/dev") if name.endswith(".tmp")]
    if device == "/dev/stdout":
        assert GOOD_TITLES[0] in outcome.stdout.decode()  # the edition, then the path `build` prints


def test_a_symlink_out_of_its_folder_is_refused_and_one_inside_is_followed(project: Path) -> None:
    out, elsewhere = project.parent / "published", project.parent / "elsewhere"
    out.mkdir()
    elsewhere.mkdir()
    (elsewhere / "precious.txt").write_text("not an edition\n")
    (out / "edition.txt").symlink_to("../elsewhere/precious.txt")
    outcome = build(project, "--format", "text", "-o", str(out / "edition.txt"))
    assert_one_clear_error(outcome, f"will not write {out / 'edition.txt'}: it is a symbolic link to {elsewhere / 'precious.txt'}, "
                                    "outside its folder")
    assert (elsewhere / "precious.txt").read_text() == "not an edition\n"
    assert (out / "edition.txt").is_symlink()

    (out / "latest.txt").symlink_to(f"{DAY}.txt")
    outcome = build(project, "--format", "text", "-o", str(out / "latest.txt"))
    assert outcome.status == 0, outcome
    assert (out / "latest.txt").is_symlink() and GOOD_TITLES[0] in (out / f"{DAY}.txt").read_text()
    assert leftovers(out, {"edition.txt", "latest.txt", f"{DAY}.txt"}) == set()


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 512 kB file system (tmpfs), so that a write really fails with "No space left on device"."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=512k,mode=0755", "tmpfs", str(disk)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tiny tmpfs here ({mounted.stderr.decode().strip() or 'not root'})")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=True)


def fill(disk: Path, leave: int) -> None:
    """Fill `disk` until about `leave` bytes are free."""
    stats = os.statvfs(disk)
    free = stats.f_bavail * stats.f_frsize
    (disk / "filler").write_bytes(b"\0" * max(0, free - leave))


def test_a_full_disk_leaves_no_half_output_and_the_old_file_whole(project: Path, tiny_disk: Path) -> None:
    (tiny_disk / "edition.html").write_text("yesterday's whole edition\n")
    fill(tiny_disk, 8192)  # the email is some 30 kB
    outcome = build(project, "--format", "html", "-o", str(tiny_disk / "edition.html"))
    assert_one_clear_error(outcome, f"cannot write {tiny_disk / 'edition.html'}: No space left on device")
    assert (tiny_disk / "edition.html").read_text() == "yesterday's whole edition\n"
    assert leftovers(tiny_disk, {"edition.html", "filler"}) == set()


def test_a_full_outbox_keeps_the_edition_pending_and_the_next_send_delivers_it(tmp_path: Path, tiny_disk: Path) -> None:
    config = write_project(tmp_path, extra=f"delivery: {{method: outbox, outbox: {tiny_disk}}}\n")
    fill(tiny_disk, 8192)
    failed = run("send", "-c", str(config), "--date", DAY, cwd=tmp_path)
    assert failed.status == 1, failed
    assert "Traceback" not in failed.stderr
    assert f"cannot write to the outbox {tiny_disk}: No space left on device" in failed.stderr
    assert leftovers(tiny_disk, {"filler"}) == set()  # no half message for a watcher of the folder to pick up
    (tiny_disk / "filler").unlink()
    delivered = run("send", "-c", str(config), "--date", DAY, cwd=tmp_path)
    assert delivered.status == 0, delivered
    (sent,) = (path for path in tiny_disk.iterdir())
    assert GOOD_TITLES[0] in read_message(sent.read_bytes()).text


def test_a_disk_that_fills_under_the_store_during_a_build_stops_it_clearly(tmp_path: Path, tiny_disk: Path, server: Server) -> None:
    """The disk fills while the build is fetching its feed, after it opened the store: its next write
    (the summaries it caches) fails, and the build stops with one line naming the store."""

    def fill_then_answer(request) -> None:
        fill(tiny_disk, 0)
        respond(plain_feed())(request)

    feed = {"kind": "feed", "url": server.route("/feed", fill_then_answer)}
    config = write_project(tmp_path, feed, store={"path": str(tiny_disk / "digest.db")})
    outcome = build(config, "--format", "text", "-o", "-")
    assert_one_clear_error(outcome, f"store {tiny_disk / 'digest.db'}: database or disk is full")
