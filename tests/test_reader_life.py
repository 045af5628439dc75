"""A reader's life on the list, through the real command line, a real SQLite store and aiosmtpd:
opt-outs kept by address through a new secret, tokens that match nobody refused, an older store's
opt-outs migrated, `digest readers`, double opt-in, soft bounces, and the guard rails of `send`."""
from __future__ import annotations

import csv
import io
import re
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from mailserver import MailServer
from test_readers import READERS, SECRET, reader_project, smtp_readers, their_token
from test_send import DAY1, DAY2, Project, command_project, parse

from digest import roster
from digest.config import load_config
from digest.readers import (
    ReaderError,
    Reason,
    State,
    confirm_subscription,
    find_reader,
    reader_states,
    recipients,
    request_subscription,
    restore,
    restore_by_hand,
    soft_bounce,
    suppress,
    suppress_by_hand,
    token,
    unsubscribe,
)
from digest.store import MIGRATIONS, DeliveryStatus

NOW = datetime(2026, 5, 16, 6, 0, tzinfo=UTC)
NEW_SECRET = "a brand new secret after a leak"


@pytest.fixture(autouse=True)
def unsubscribe_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIGEST_UNSUBSCRIBE_SECRET", SECRET)
    monkeypatch.delenv("DIGEST_UNSUBSCRIBE_SECRET_PREVIOUS", raising=False)


def received(server: MailServer, start: int = 0) -> list[str]:
    return [address for got in server.received[start:] for address in got.rcpt_tos]


def opened(project: Project) -> tuple:
    return load_config(project.config), project.store()


def test_an_opt_out_survives_a_new_secret_and_old_links_keep_working_while_listed(
        tmp_path: Path, mail_server: MailServer, monkeypatch: pytest.MonkeyPatch) -> None:
    project = smtp_readers(tmp_path, mail_server)
    assert project.digest("send", "--date", str(DAY1)).exit_code == 0
    ann_link, bob_link = (parse(got.data)["List-Unsubscribe"] for got in mail_server.received[:2])
    ann_token, bob_token = (re.search(r"/unsubscribe/([a-z2-7]+)>", link).group(1) for link in (ann_link, bob_link))
    assert project.digest("unsubscribe", ann_token).stdout.strip() == "ann@example.org: unsubscribed"

    monkeypatch.setenv("DIGEST_UNSUBSCRIBE_SECRET", NEW_SECRET)  # rotated: ann's opt-out is kept by her address
    monkeypatch.setenv("DIGEST_UNSUBSCRIBE_SECRET_PREVIOUS", f"{SECRET}, some older one")
    result = project.digest("unsubscribe", bob_token)  # bob's link, made with the previous secret, still works
    assert result.exit_code == 0 and result.stdout.strip() == "bob@example.net: unsubscribed"
    assert project.digest("send", "--date", str(DAY2)).exit_code == 0
    assert received(mail_server, 3) == ["cy@example.com"]
    assert token("cy@example.com", NEW_SECRET.encode()) in parse(mail_server.received[3].data)["List-Unsubscribe"]

    monkeypatch.delenv("DIGEST_UNSUBSCRIBE_SECRET_PREVIOUS")  # the old secret dropped: its links stop working
    cy_old = their_token("cy@example.com")
    refused = project.digest("unsubscribe", cy_old)
    assert refused.exit_code == 1 and "matches no reader" in refused.stderr
    assert project.digest("send", "--date", str(DAY1), "--force").exit_code == 0  # ann and bob are still left out
    assert received(mail_server, 4) == ["cy@example.com"]


def test_a_token_that_matches_nobody_exits_1_and_records_nothing(tmp_path: Path, mail_server: MailServer) -> None:
    project = smtp_readers(tmp_path, mail_server)
    result = project.digest("unsubscribe", "a" * 24)
    assert result.exit_code == 1
    assert "the token aaaaaaaaaaaaaaaaaaaaaaaa matches no reader" in result.stderr and "nothing recorded" in result.stderr
    assert "suppressed" not in project.digest("readers").stdout
    assert project.digest("unsubscribe", "not a token").exit_code == 2
    assert project.digest("send", "--date", str(DAY1)).exit_code == 0
    assert received(mail_server) == READERS


def old_store(project: Project, opt_outs: list[str]) -> None:
    """A store as digest wrote it before suppressions (schema 5), with opt-outs keyed by token or address."""
    path = project.root / "state/digest.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path)
    for number, script in enumerate(MIGRATIONS[:5], start=1):
        db.executescript(script)
        db.execute(f"PRAGMA user_version = {number}")
    db.executemany("INSERT INTO opt_outs (key, created) VALUES (?, '2026-05-01T08:00:00+00:00')", [(key,) for key in opt_outs])
    db.commit()
    db.close()


def test_an_older_stores_opt_outs_are_migrated_and_the_unmatched_kept_and_reported(tmp_path: Path, mail_server: MailServer) -> None:
    project = smtp_readers(tmp_path, mail_server)
    stranger = token("left-long-ago@example.org", SECRET.encode())  # in no list today
    old_store(project, [their_token("bob@example.net"), "ann@example.org", stranger])

    listed = project.digest("readers", "--format", "csv")
    rows = {row["email"]: row for row in csv.DictReader(io.StringIO(listed.stdout))}
    assert rows["bob@example.net"]["state"] == "suppressed" and rows["bob@example.net"]["reason"] == "unsubscribed"
    assert rows["ann@example.org"]["state"] == "suppressed" and rows["cy@example.com"]["state"] == "active"
    assert project.digest("send", "--date", str(DAY1)).exit_code == 0
    assert received(mail_server) == ["cy@example.com"]
    status = project.digest("status", "--date", str(DAY1))
    assert "readers: 1 active, 0 pending confirmation, 2 suppressed (2 unsubscribed)" in status.stdout
    assert "1 opt-out recorded by token match no reader (kept" in status.stdout
    with project.store() as store:
        assert set(store.token_opt_outs()) == {stranger}


def test_a_token_opt_out_with_no_secret_to_match_it_stops_the_send(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project, mailbox = command_project(tmp_path)
    project.config.write_text(project.config.read_text().replace('to: ["readers@example.com"]', 'to: ["ann@example.org"]'))
    old_store(project, [their_token("ann@example.org")])
    monkeypatch.delenv("DIGEST_UNSUBSCRIBE_SECRET")  # the link has no {{subscriber}}: nothing else asks for a secret
    result = project.digest("send", "--date", str(DAY1))
    assert result.exit_code == 2 and "1 opt-outs" in result.stderr and "DIGEST_UNSUBSCRIBE_SECRET" in result.stderr
    assert not list((mailbox / "new").iterdir())


def test_readers_lists_every_state_and_suppress_and_restore_change_who_gets_the_next_edition(
        tmp_path: Path, mail_server: MailServer) -> None:
    project = smtp_readers(tmp_path, mail_server)
    config, store = opened(project)
    with store:
        assert request_subscription(config, store, "Dee@Example.org", "Dee\u202e Doe", NOW) is not None
    assert project.digest("readers", "suppress", "BOB@example.net", "--reason", "complaint").stdout.strip() == \
        "bob@example.net: suppressed"
    assert project.digest("readers", "suppress", "gone@example.org").exit_code == 0
    table = project.digest("readers")
    assert table.exit_code == 0, table.stderr
    lines = table.stdout.splitlines()
    assert re.match(r"active\s+ann@example.org\s+\[newsletter.to\]$", lines[0])
    assert re.match(r"suppressed\s+bob@example.net\s+\"Bob, the builder\"\s+complaint\s+\d{4}-\d\d-\d\d \d\d:\d\d\s+"
                    r"\(digest readers suppress\)\s+\[readers.csv\]$", lines[1])
    assert lines[2].startswith("active      cy@example.com")
    assert lines[3].startswith("pending     dee@example.org  \"Dee Doe\"")  # the bidi override was taken out when kept
    assert re.match(r"suppressed\s+gone@example.org\s+by-hand", lines[4]) and len(lines) == 5
    assert "line 3: 'not-an-address' is not an email address" in table.stderr

    rows = list(csv.DictReader(io.StringIO(project.digest("readers", "--format", "csv").stdout)))
    assert [row["email"] for row in rows] == ["ann@example.org", "bob@example.net", "cy@example.com", "dee@example.org", "gone@example.org"]
    assert [row["state"] for row in rows] == ["active", "suppressed", "active", "pending", "suppressed"]
    assert rows[1]["reason"] == "complaint" and rows[1]["source"] == "digest readers suppress" and rows[1]["name"] == "Bob, the builder"

    assert project.digest("send", "--date", str(DAY1)).exit_code == 0
    assert received(mail_server) == ["ann@example.org", "cy@example.com"]
    assert project.digest("readers", "restore", "bob@EXAMPLE.net").stdout.strip() == "bob@example.net: restored"
    assert project.digest("readers", "restore", "bob@example.net").stdout.strip() == "bob@example.net: was not suppressed"
    assert project.digest("send", "--date", str(DAY2)).exit_code == 0
    assert received(mail_server, 2) == READERS
    assert project.digest("readers", "suppress", "not an address").exit_code == 2


def test_what_readers_and_its_subcommands_print_comes_from_the_library(tmp_path: Path) -> None:
    """`digest readers` is one call to roster.listing, `suppress` and `restore` one each to readers."""
    project = reader_project(tmp_path, "  method: outbox\n  outbox: outbox/")
    config, store = opened(project)
    bad_lines: list[str] = []
    with store:
        assert suppress_by_hand(store, "BOB@example.net", Reason.COMPLAINT, NOW) == "bob@example.net: suppressed"
        assert suppress_by_hand(store, "bob@example.net", Reason.COMPLAINT, NOW) == "bob@example.net: was already suppressed"
        with pytest.raises(ReaderError):
            suppress_by_hand(store, "not an address", Reason.BY_HAND, NOW)
        table = list(roster.listing(config, store, "table", NOW, bad_lines.append))
        listed = list(roster.listing(config, store, "csv", NOW, bad_lines.append))
        assert restore_by_hand(store, "bob@EXAMPLE.net", NOW) == "bob@example.net: restored"
        assert restore_by_hand(store, "bob@example.net", NOW) == "bob@example.net: was not suppressed"
        after = list(roster.listing(config, store, "table", NOW, bad_lines.append))
    assert all(line.endswith("\n") for line in table) and "".join(listed).endswith("\n")
    assert [line.split()[:2] for line in table] == [["active", "ann@example.org"], ["suppressed", "bob@example.net"], ["active", "cy@example.com"]]
    assert "complaint" in table[1] and "(digest readers suppress)" in table[1]
    rows = list(csv.DictReader(io.StringIO("".join(listed))))
    assert [(row["email"], row["state"], row["reason"]) for row in rows] == [
        ("ann@example.org", "active", ""), ("bob@example.net", "suppressed", "complaint"), ("cy@example.com", "active", "")]
    assert [line.split()[0] for line in after] == ["active", "active", "active"]
    assert len(bad_lines) == 3 and all("line 3: 'not-an-address' is not an email address" in line for line in bad_lines)  # once a listing


def test_a_dry_run_counts_only_who_would_get_the_edition(tmp_path: Path, mail_server: MailServer) -> None:
    project = smtp_readers(tmp_path, mail_server)
    assert project.digest("unsubscribe", "cy@example.com").exit_code == 0
    dry = project.digest("send", "--date", str(DAY1), "--dry-run")
    assert dry.exit_code == 0 and "to 2 readers as" in dry.stderr
    lines = project.digest("build", "--date", str(DAY1), "--format", "jsonl", "-o", "-")
    assert len(lines.stdout.splitlines()) == 2 and "cy@example.com" not in lines.stdout
    assert mail_server.received == []


def test_double_opt_in_adds_a_reader_and_confirming_lifts_only_their_own_opt_out(tmp_path: Path, mail_server: MailServer) -> None:
    project = smtp_readers(tmp_path, mail_server)
    config, store = opened(project)
    with store:
        link = request_subscription(config, store, "New@Example.org", "New Reader", NOW)
        assert link and request_subscription(config, store, "ann@example.org", "", NOW) is None  # already a reader: no email
        assert confirm_subscription(config, store, "not-the-link", NOW) is None
        assert confirm_subscription(config, store, link, NOW + timedelta(days=8)) is None  # expired (7 days)
        again = request_subscription(config, store, "new@example.org", "New Reader", NOW)
        assert again and again != link and confirm_subscription(config, store, link, NOW) is None  # a new link replaces the old
        reader = confirm_subscription(config, store, again, NOW + timedelta(days=6))
        assert (reader.address, reader.name) == ("new@example.org", "New Reader")
        assert confirm_subscription(config, store, again, NOW + timedelta(days=6)) is None  # a link works once
        assert request_subscription(config, store, "new@example.org", "", NOW) is None  # now a reader

        # a reader who left may come back by confirming; a hard bounce or a complaint is not lifted
        assert unsubscribe(config, store, "cy@example.com", "test", NOW) == "cy@example.com"
        back = request_subscription(config, store, "cy@example.com", "Cy", NOW)
        assert back and confirm_subscription(config, store, back, NOW) is not None
        assert suppress(store, "bob@example.net", Reason.HARD_BOUNCE, "a 5.1.1 DSN", NOW)
        assert request_subscription(config, store, "bob@example.net", "", NOW) is None
        pending = request_subscription(config, store, "later@example.org", "", NOW)
        suppress(store, "later@example.org", Reason.COMPLAINT, "a complaint webhook", NOW)
        assert confirm_subscription(config, store, pending, NOW) is None
        assert [r.address for r in recipients(config, store, lambda _problem: None)] == \
            ["ann@example.org", "cy@example.com", "new@example.org"]
    assert project.digest("send", "--date", str(DAY1)).exit_code == 0
    assert received(mail_server) == ["ann@example.org", "cy@example.com", "new@example.org"]
    assert parse(mail_server.received[2].data)["To"] == "New Reader <new@example.org>"


def test_soft_bounces_suppress_after_the_limit_in_a_row_and_a_delivery_between_breaks_the_row(tmp_path: Path) -> None:
    project, _ = command_project(tmp_path, "bounces: {soft_limit: 2}")
    config, store = opened(project)
    with store:
        assert not soft_bounce(config, store, "ann@example.org", "mailbox full", NOW)
        # two editions accepted for ann since that bounce: one of them arrived, so the row starts again
        for day in (DAY1, DAY2):
            store.record_pending(day, message_id=f"<{day}@x>", subject="s", letter=b"{}", story_ids=[], item_ids=[], now=NOW,
                                 readers=[("ann@example.org", "", f"<{day}.a@x>")])
            store.record_outcomes(day, [("ann@example.org", DeliveryStatus.SENT, "250 ok")], NOW + timedelta(hours=1))
        assert not soft_bounce(config, store, "Ann@example.org", "mailbox full", NOW + timedelta(hours=2))
        assert store.soft_bounces("ann@example.org") == 1
        assert soft_bounce(config, store, "ann@example.org", "mailbox full again", NOW + timedelta(hours=3))
        assert store.suppression("ann@example.org").reason == Reason.SOFT_BOUNCES
        assert restore(store, "ann@example.org", NOW) and store.soft_bounces("ann@example.org") == 0
        states = {s.reader.address: s.state for s in reader_states(config, store, lambda _problem: None)}
        assert states == {"readers@example.com": State.ACTIVE}


def guarded_project(tmp_path: Path, newsletter: str) -> Project:
    project, _ = command_project(tmp_path)
    text = project.config.read_text()
    start, end = text.index("newsletter:"), text.index("sources:")
    project.config.write_text(text[:start] + "newsletter:\n  title: Larkspur Daily\n  timezone: Europe/Kyiv\n" + newsletter + text[end:])
    return project


@pytest.mark.parametrize(("newsletter", "key", "words"), [
    ('  from: "Larkspur <daily@example.com>"\n  to: ["ann@example.org"]\n', "newsletter.unsubscribe_url", "no way to unsubscribe"),
    ('  from: "Larkspur <daily@example.com>"\n  to: ["ann@example.org"]\n  unsubscribe_url: "http://example.com/u/{{subscriber}}"\n',
     "newsletter.unsubscribe_url", "is not https"),
    ('  to: ["ann@example.org"]\n  unsubscribe_mailto: "leave@example.com"\n', "newsletter.from", "placeholder Daily Digest <digest@example.com>"),
    ('  from: "Larkspur <daily@example.com>"\n  unsubscribe_url: "https://example.com/u"\n', "newsletter.to",
     "placeholder readers@example.com"),
])
def test_send_refuses_and_check_reports_what_breaks_the_promise_to_readers_while_build_warns(
        tmp_path: Path, newsletter: str, key: str, words: str) -> None:
    project = guarded_project(tmp_path, newsletter)
    sent = project.digest("send", "--date", str(DAY1))
    assert sent.exit_code == 2 and key in sent.stderr and words in sent.stderr
    assert project.edition(DAY1) is None
    scheduled = project.digest("schedule")  # said once, at start, rather than at every morning's run
    assert scheduled.exit_code == 2 and key in scheduled.stderr
    checked = project.digest("check")  # it still lists the sources, and says what stops `send`
    assert checked.exit_code == 0 and key in checked.stderr and words in checked.stderr and "OK" in checked.stdout
    built = project.digest("build", "--date", str(DAY1), "-o", str(tmp_path / "out.html"))
    assert built.exit_code == 0 and key in built.stderr and "`digest send` refuses" in built.stderr


@pytest.mark.parametrize(("delivery", "warning"), [
    ("", "delivery.return_path: is not set"),
    ("  return_path: bounces@elsewhere.example\n", "delivery.return_path: is at elsewhere.example, From at example.com"),
    ("  return_path: bounces@mail.example.com\n", None),
])
def test_check_warns_about_a_return_path_that_is_missing_or_not_aligned_with_from(tmp_path: Path, delivery: str, warning: str | None) -> None:
    project = guarded_project(tmp_path, '  from: "Larkspur <daily@example.com>"\n  to: ["ann@example.org"]\n'
                                        '  unsubscribe_url: "https://example.com/u/{{subscriber}}"\n')
    project.config.write_text(project.config.read_text().replace("delivery:\n", "delivery:\n" + delivery))
    checked = project.digest("check")
    assert checked.exit_code == 0, checked.stderr
    assert (warning in checked.stderr) if warning else "return_path" not in checked.stderr


def test_serve_base_url_makes_the_unsubscribe_link(tmp_path: Path) -> None:
    project = guarded_project(tmp_path, '  from: "Larkspur <daily@example.com>"\n  to: ["ann@example.org"]\n')
    project.config.write_text(project.config.read_text() + "serve: {base_url: \"https://example.com/news/\"}\n")
    eml = project.digest("build", "--date", str(DAY1), "--format", "eml", "--to", "ann@example.org", "-o", "-")
    assert eml.exit_code == 0, eml.stderr
    assert parse(eml.stdout_bytes)["List-Unsubscribe"] == f"<https://example.com/news/unsubscribe/{their_token('ann@example.org')}>"
    assert parse(eml.stdout_bytes)["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_a_mailto_only_list_needs_no_secret_and_an_address_opt_out_holds(tmp_path: Path, mail_server: MailServer,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    project = smtp_readers(tmp_path, mail_server)
    text = project.config.read_text().replace('unsubscribe_url: "https://example.com/unsubscribe/{{subscriber}}"',
                                              'unsubscribe_mailto: "leave@example.com"')
    project.config.write_text(text)
    monkeypatch.delenv("DIGEST_UNSUBSCRIBE_SECRET")
    assert project.digest("status").stdout.startswith("readers: 3 active, 0 pending confirmation, 0 suppressed")
    assert project.digest("unsubscribe", "Bob@Example.NET").stdout.strip() == "bob@example.net: unsubscribed"
    assert project.digest("unsubscribe", "bob@example.net").stdout.strip() == "bob@example.net: was already suppressed (unsubscribed)"
    refused = project.digest("unsubscribe", their_token("cy@example.com"))
    assert refused.exit_code == 1 and "DIGEST_UNSUBSCRIBE_SECRET is not set, so no token can be matched" in refused.stderr
    sent = project.digest("send", "--date", str(DAY1))
    assert sent.exit_code == 0, sent.stderr
    assert received(mail_server) == ["ann@example.org", "cy@example.com"]
    assert parse(mail_server.received[0].data)["List-Unsubscribe"] == "<mailto:leave@example.com>"
    status = project.digest("status").stdout
    assert "bob@example.net" not in status and "readers: 2 active, 0 pending confirmation, 1 suppressed (1 unsubscribed)" in status


def test_the_token_index_follows_the_list_and_the_secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project, _ = command_project(tmp_path)
    reader_csv = tmp_path / "readers.csv"
    reader_csv.write_text("email\nann@example.org\n")
    project.config.write_text(project.config.read_text() + "subscribers: {path: readers.csv}\n")
    config, store = opened(project)
    with store:
        assert find_reader(config, store, their_token("ann@example.org")) == "ann@example.org"  # the index is made
        assert find_reader(config, store, their_token("zed@example.org")) is None
        reader_csv.write_text("email\nann@example.org\nzed@example.org\n")  # a reader added since
        assert find_reader(config, store, their_token("zed@example.org")) == "zed@example.org"
        monkeypatch.setenv("DIGEST_UNSUBSCRIBE_SECRET", NEW_SECRET)  # the old secret dropped: its tokens are forgotten
        assert find_reader(config, store, their_token("ann@example.org")) is None
        assert find_reader(config, store, token("ann@example.org", NEW_SECRET.encode())) == "ann@example.org"
        monkeypatch.setenv("DIGEST_UNSUBSCRIBE_SECRET_PREVIOUS", SECRET)
        assert find_reader(config, store, their_token("zed@example.org")) == "zed@example.org"
