"""`digest bounce`: real-format bounces and complaints (written for the project, tests/data/bounces/) read
into events, and through the real command line into the store: a 5.x.x suppresses, a 4.x.x counts as
soft, a complaint suppresses, a stranger or a delay records nothing, an unreadable message exits 0
and is kept. Editions go through a real aiosmtpd, so the quoted Message-ID is the reader's own."""
from __future__ import annotations

import mailbox
from pathlib import Path

import pytest
from click.testing import CliRunner
from mailserver import MailServer
from test_readers import SECRET, smtp_readers
from test_send import DAY1, DAY2, Project, parse

from digest.bounces import Kind, Unreadable, read
from digest.bounces.events import MAX_EVENTS, MAX_MESSAGE_BYTES
from digest.cli import main

SAMPLES = Path(__file__).parent / "data" / "bounces"


@pytest.fixture(autouse=True)
def unsubscribe_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIGEST_UNSUBSCRIBE_SECRET", SECRET)


def sample(name: str, message_id: str = "<ORIGINAL-MESSAGE-ID>") -> bytes:
    return (SAMPLES / name).read_bytes().replace(b"<ORIGINAL-MESSAGE-ID>", message_id.encode())


@pytest.mark.parametrize(("name", "fmt", "kind", "address", "status"), [
    ("postfix-dsn-5.1.1.eml", "dsn", Kind.HARD, "ann@example.org", "5.1.1"),
    ("postfix-dsn-4.2.2-expired.eml", "dsn", Kind.SOFT, "bob@example.net", "4.2.2"),
    ("exim-5.1.1.eml", "exim", Kind.HARD, "cy@example.com", "5.1.1"),
    ("gmail-5.1.1.eml", "gmail", Kind.HARD, "bob@example.net", "5.1.1"),
    ("outlook-5.1.10.eml", "microsoft", Kind.HARD, "dee@example.com", "5.1.10"),
    ("arf-abuse.eml", "arf", Kind.COMPLAINT, "bob@example.net", ""),
])
def test_each_kind_of_report_names_its_recipient_status_and_original(name: str, fmt: str, kind: Kind, address: str, status: str) -> None:
    report = read(sample(name, "<42.tag@example.com>"))
    assert report.format == fmt
    (event,) = report.events
    assert (event.kind, event.recipients[0], event.status) == (kind, address, status)
    if name != "postfix-dsn-4.2.2-expired.eml":  # the one that quotes nothing of the original
        assert event.message_id == "<42.tag@example.com>"
        assert address in event.original_to


def test_a_plain_postfix_notice_without_its_report_part_is_read_from_its_words() -> None:
    notice = read(sample("postfix-dsn-5.1.1.eml"))
    text = b"".join(sample("postfix-dsn-5.1.1.eml").split(b"Content-Type: text/plain; charset=us-ascii\n\n", 1)[1].split(b"\n--4Q2b", 1)[:1])
    plain = read(b"From: MAILER-DAEMON@mail.example.com (Mail Delivery System)\nSubject: Undelivered Mail Returned to Sender\n"
                 b"Content-Type: text/plain\n\n" + text)
    assert plain.format == "postfix" and notice.format == "dsn"
    assert [(e.kind, e.recipients, e.status) for e in plain.events] == [(Kind.HARD, ("ann@example.org",), "5.1.1")]


def test_a_delay_warning_asks_nothing_and_a_letter_from_a_person_is_no_report() -> None:
    delayed = read(sample("postfix-dsn-delayed.eml"))
    assert delayed.events == [] and delayed.ignored[0].recipients == ("cy@example.com",)
    with pytest.raises(Unreadable):
        read(sample("human-reply.eml"))
    with pytest.raises(Unreadable):
        read(b"")


def bounce(project: Project, *args: str, data: bytes = b"") -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["bounce", "-c", str(project.config), *args], input=data, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def sent_ids(server: MailServer) -> dict[str, str]:
    """Each reader's Message-ID, as their copy carried it."""
    return {got.rcpt_tos[0]: parse(got.data)["Message-ID"] for got in server.received}


def suppressions(project: Project) -> dict[str, str]:
    with project.store() as store:
        return {address: found.reason for address, found in store.suppressions().items()}


def test_bounces_and_a_complaint_take_their_readers_off_the_next_send(tmp_path: Path, mail_server: MailServer) -> None:
    project = smtp_readers(tmp_path, mail_server)
    project.config.write_text(project.config.read_text().replace('to: ["Ann@Example.org"]', 'to: ["Ann@Example.org", "dan@example.org"]'))
    assert project.digest("send", "--date", str(DAY1)).exit_code == 0
    ids = sent_ids(mail_server)
    assert sorted(ids) == ["ann@example.org", "bob@example.net", "cy@example.com", "dan@example.org"]

    status, out, err = bounce(project, "-", data=sample("postfix-dsn-5.1.1.eml", ids["ann@example.org"]))  # as the MTA alias pipes it
    assert status == 0 and out.startswith("ann@example.org: suppressed (hard bounce 5.1.1: 550 5.1.1"), err
    (tmp_path / "exim.eml").write_bytes(sample("exim-5.1.1.eml", ids["cy@example.com"]))
    status, out, _err = bounce(project, str(tmp_path / "exim.eml"))
    assert status == 0 and out.startswith("cy@example.com: suppressed (hard bounce 5.1.1")
    box = mailbox.mbox(tmp_path / "complaints.mbox")
    box.add(sample("arf-abuse.eml", ids["bob@example.net"]))
    box.close()
    status, out, _err = bounce(project, "--mbox", str(tmp_path / "complaints.mbox"))
    assert status == 0 and out.startswith("bob@example.net: suppressed (complaint")
    assert suppressions(project) == {"ann@example.org": "hard-bounce", "cy@example.com": "hard-bounce", "bob@example.net": "complaint"}

    before = len(mail_server.received)
    assert project.digest("send", "--date", str(DAY2)).exit_code == 0
    assert [got.rcpt_tos for got in mail_server.received[before:]] == [["dan@example.org"]]
    readers = project.digest("readers", "--format", "csv").stdout
    assert "digest bounce (dsn): hard bounce 5.1.1" in readers and "digest bounce (arf): complaint" in readers


def test_the_quoted_message_id_names_the_reader_a_forwarded_address_bounced_for(tmp_path: Path, mail_server: MailServer) -> None:
    project = smtp_readers(tmp_path, mail_server)
    assert project.digest("send", "--date", str(DAY1)).exit_code == 0
    ids = sent_ids(mail_server)
    forwarded = sample("postfix-dsn-5.1.1.eml", ids["cy@example.com"]).replace(b"ann@example.org", b"cy.old@elsewhere.example")
    status, out, err = bounce(project, data=forwarded)
    assert status == 0 and out.startswith("cy@example.com: suppressed"), err
    assert "cy.old@elsewhere.example" in err and suppressions(project) == {"cy@example.com": "hard-bounce"}


def test_soft_bounces_suppress_at_the_limit_and_a_maildir_is_read_once(tmp_path: Path, mail_server: MailServer) -> None:
    project = smtp_readers(tmp_path, mail_server)
    assert project.digest("send", "--date", str(DAY1)).exit_code == 0
    folder = mailbox.Maildir(tmp_path / "bounces")
    for _ in range(2):
        folder.add(sample("postfix-dsn-4.2.2-expired.eml"))
    status, out, _err = bounce(project, "--maildir", str(tmp_path / "bounces"))
    assert status == 0 and [line.split(" (")[0] for line in out.splitlines()] == [
        "bob@example.net: soft bounce 1 of 3 counted", "bob@example.net: soft bounce 2 of 3 counted"]
    assert suppressions(project) == {}
    status, out, _err = bounce(project, "--maildir", str(tmp_path / "bounces"))
    assert status == 0 and out == ""  # seen: not counted again
    folder.add(sample("postfix-dsn-4.2.2-expired.eml"))
    status, out, _err = bounce(project, "--maildir", str(tmp_path / "bounces"))
    assert out.startswith("bob@example.net: suppressed after soft bounces in a row (soft bounce 4.2.2")
    assert suppressions(project) == {"bob@example.net": "soft-bounces"}


def test_a_stranger_or_a_delay_records_nothing_and_says_so(tmp_path: Path, mail_server: MailServer) -> None:
    project = smtp_readers(tmp_path, mail_server)
    status, out, err = bounce(project, data=sample("outlook-5.1.10.eml"))
    assert status == 0 and out == "" and "about dee@example.com, not a reader; nothing recorded" in err
    status, out, err = bounce(project, data=sample("postfix-dsn-delayed.eml"))
    assert status == 0 and out == "" and "cy@example.com: the report says delayed (4.4.1), not a failure; nothing recorded" in err
    assert suppressions(project) == {}


@pytest.mark.parametrize("data", [sample("human-reply.eml"), b"\x00\xff" * 3, b"X" * (MAX_MESSAGE_BYTES + 5)],
                         ids=["a person's reply", "binary", "too large"])
def test_a_message_it_cannot_read_exits_0_and_is_kept_for_a_person(tmp_path: Path, data: bytes) -> None:
    project = Project(tmp_path, "  method: outbox")
    status, out, err = bounce(project, data=data)
    kept = list((tmp_path / "state" / "bounces.unread").iterdir())
    assert status == 0 and out == "" and len(kept) == 1 and f"kept for a person to read as {kept[0]}" in err
    assert kept[0].read_bytes() == data[:MAX_MESSAGE_BYTES]
    assert suppressions(project) == {}


def test_bounces_unread_is_taken_from_the_config_and_a_bad_config_is_usage(tmp_path: Path) -> None:
    project = Project(tmp_path, "  method: outbox", "bounces: {unread: held}")
    assert bounce(project, data=b"hello")[0] == 0
    assert len(list((tmp_path / "held").iterdir())) == 1
    project.config.write_text(project.config.read_text() + "\nnonsense: 1\n")
    status, _out, err = bounce(project, data=b"hello")
    assert status == 2 and "nonsense" in err


def test_a_complaint_with_the_recipient_redacted_is_placed_by_the_quoted_message_id(tmp_path: Path, mail_server: MailServer) -> None:
    project = smtp_readers(tmp_path, mail_server)
    assert project.digest("send", "--date", str(DAY1)).exit_code == 0
    ids = sent_ids(mail_server)
    redacted = sample("arf-abuse.eml", ids["cy@example.com"]).replace(b"Original-Rcpt-To: <bob@example.net>\n", b"")
    redacted = redacted.replace(b"To: Bob <bob@example.net>", b"To: redacted@redacted.invalid")
    assert read(redacted).events[0].recipients == ("redacted@redacted.invalid",)
    status, out, _err = bounce(project, data=redacted)
    assert status == 0 and out.startswith("cy@example.com: suppressed (complaint")
    assert suppressions(project) == {"cy@example.com": "complaint"}


def test_a_store_that_cannot_be_opened_keeps_the_message_and_still_exits_0(tmp_path: Path) -> None:
    project = Project(tmp_path, "  method: outbox", "bounces: {unread: held}")
    (tmp_path / "state").mkdir()
    (tmp_path / "state" / "digest.db").write_bytes(b"this is not an SQLite database, it is a damaged file" * 100)
    status, out, err = bounce(project, data=sample("postfix-dsn-5.1.1.eml"))
    (kept,) = list((tmp_path / "held").iterdir())
    assert status == 0 and out == "" and "cannot record it" in err and kept.read_bytes() == sample("postfix-dsn-5.1.1.eml")


@pytest.mark.parametrize("data", [
    b"Content-Type: multipart/report; report-type=delivery-status; boundary=B\n\n--B\nContent-Type: message/delivery-status\n\n"
    b"Reporting-MTA: dns; mx.example.com\n\n" + b"".join(b"Final-Recipient: rfc822; r%d@example.com\nAction: failed\nStatus: 5.1.1\n\n" % i
                                                         for i in range(5_000)) + b"--B--\n",
    b"Subject: Undeliverable: x\nContent-Type: text/plain\n\nDelivery has failed to these recipients or groups:\n\n"
    + b"".join(b"r%d@example.com 550 5.1.10 RESOLVER.ADR.RecipientNotFound\n" % i for i in range(5_000)),
], ids=["dsn", "microsoft"])
def test_a_report_naming_thousands_is_read_up_to_the_cap(data: bytes) -> None:
    events = read(data).events
    assert len(events) == MAX_EVENTS and events[0].recipients == ("r0@example.com",) and {e.kind for e in events} == {Kind.HARD}


def test_a_mailbox_of_reports_about_strangers_reads_the_subscribers_file_once(tmp_path: Path, mail_server: MailServer,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Each report about an address the store does not know asks whether the config lists it: the
    subscribers file is read for the first such question of a run, not for each."""
    from digest import readers as readers_module

    project = smtp_readers(tmp_path, mail_server)
    box = mailbox.mbox(tmp_path / "strangers.mbox")
    for number in range(5):
        box.add(sample("postfix-dsn-5.1.1.eml").replace(b"ann@example.org", f"stranger{number}@example.org".encode()))
    box.add(sample("postfix-dsn-5.1.1.eml"))  # ann: listed in the config, never mailed
    box.close()
    reads: list[str] = []
    real = readers_module.readers
    monkeypatch.setattr(readers_module, "readers", lambda config, on_bad: reads.append("read") or real(config, on_bad))
    status, out, err = bounce(project, "--mbox", str(tmp_path / "strangers.mbox"))
    assert status == 0 and len(out.splitlines()) == 1 and out.startswith("ann@example.org: suppressed (hard bounce 5.1.1"), out
    assert err.count("not a reader; nothing recorded") == 5 and reads == ["read"]
