"""Sources through the real command line: a dead feed costs nothing but itself; `check`; `--strict`."""
from __future__ import annotations

import socket
from pathlib import Path

import pytest
from conftest import run_digest

FEEDS = Path(__file__).parent / "data" / "feeds"


def refused_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}/rss"


@pytest.fixture
def two_good_one_dead(httpserver, tmp_path: Path) -> Path:
    for name, kind in (("rss10.rdf", "application/rdf+xml"), ("atom.xml", "application/atom+xml")):
        httpserver.expect_request(f"/{name}").respond_with_data((FEEDS / name).read_bytes(), content_type=kind)
    config = tmp_path / "config.yaml"
    config.write_text(f"""
newsletter:
  title: Valley Daily
  timezone: UTC
  from: "Valley Daily <daily@example.com>"
  to: ["readers@example.com"]
  unsubscribe_url: "https://example.com/unsubscribe"
sources:
  - name: Valley Observer
    kind: feed
    allow_private: true
    url: {httpserver.url_for("/rss10.rdf")}
  - name: Dead wire
    kind: feed
    allow_private: true
    url: {refused_url()}
  - name: Field Notes
    kind: feed
    allow_private: true
    url: {httpserver.url_for("/atom.xml")}
edition:
  date: "2024-05-01"
  cutoff: "24:00"  # the entries of 1 May
store:
  path: state/digest.db
fetch:
  timeout: 2
  retries: 0
""")
    return config


def test_build_with_a_dead_feed_holds_the_good_feeds_newest_entries(two_good_one_dead):
    done = run_digest("build", "-c", str(two_good_one_dead), "--format", "text", "-o", "-")
    stderr = done.stderr.decode()
    assert done.returncode == 0, stderr
    text = done.stdout.decode()
    for title in ("Old stone bridge reopens to cyclists", "Farmers' market moves to the square", "Notes & numbers from the spring survey"):
        assert title in text
    for older in ("School choir wins regional prize", "Only updated, never published"):  # before the edition's day
        assert older not in text
    assert "source 'Dead wire': connection refused by 127.0.0.1:" in stderr
    assert "Valley Observer" not in stderr and "Field Notes" not in stderr


def test_strict_turns_a_failed_source_into_exit_1(two_good_one_dead):
    done = run_digest("build", "-c", str(two_good_one_dead), "--format", "text", "-o", "-", "--strict")
    assert done.returncode == 1
    assert "Old stone bridge reopens to cyclists" in done.stdout.decode()  # still written
    assert "source 'Dead wire'" in done.stderr.decode()


def test_check_lists_every_source(two_good_one_dead):
    done = run_digest("check", "-c", str(two_good_one_dead))
    lines = done.stdout.decode().splitlines()
    assert done.returncode == 1
    assert lines[0] == "OK      feed     Valley Observer: 3 items"
    assert lines[1].startswith("FAILED  feed     Dead wire: connection refused by 127.0.0.1:")
    assert lines[2] == "OK      feed     Field Notes: 2 items"
    assert done.stderr.decode() == ""  # piped: no progress bar, and no warnings to give


def test_check_exit_0_when_all_sources_work(httpserver, tmp_path):
    httpserver.expect_request("/atom.xml").respond_with_data((FEEDS / "atom.xml").read_bytes(), content_type="application/atom+xml")
    (tmp_path / "items.jsonl").write_text('{"title": "t", "body": "b", "published": "2024-05-01T08:00:00"}\n{broken\n')
    (tmp_path / "config.yaml").write_text(f"""
sources:
  - name: Notes
    kind: feed
    allow_private: true
    url: {httpserver.url_for("/atom.xml")}
  - name: Export
    kind: jsonl
    path: items.jsonl
""")
    done = run_digest("check", "-c", str(tmp_path / "config.yaml"))
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout.decode().splitlines() == ["OK      feed     Notes: 2 items", "OK      jsonl    Export: 1 item, 1 warning"]
    assert "source 'Export' (items.jsonl, line 2): not valid JSON" in done.stderr.decode()


def test_check_warns_when_mail_to_real_readers_has_no_postal_address(tmp_path):
    (tmp_path / "items.jsonl").write_text('{"title": "t", "body": "b", "published": "2024-05-01T08:00:00"}\n')
    base = "sources: [{name: Export, kind: jsonl, path: items.jsonl}]\n"
    for delivery, address, warned in (("outbox", "", False), ("smtp", "", True), ("command", "email: {postal_address: '1 Main St'}\n", False)):
        (tmp_path / "config.yaml").write_text(base + f"delivery: {{method: {delivery}}}\n" + address)
        done = run_digest("check", "-c", str(tmp_path / "config.yaml"))
        assert done.returncode == 0, done.stderr.decode()  # a warning, not a failure
        assert ("email.postal_address: is not set" in done.stderr.decode()) is warned, (delivery, done.stderr.decode())
