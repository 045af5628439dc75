"""Every reader gets their own message: one To, one envelope recipient, their own unsubscribe token,
no other reader's address; a refused or interrupted reader is delivered later, and only they are.
Real aiosmtpd on 127.0.0.1, a real mail command killed mid-list, the real command line."""
from __future__ import annotations

import email.utils
import json
import re
from pathlib import Path

import pytest
from mailserver import MailServer
from sample_edition import config, edition
from test_send import (
    DAY1,
    DAY2,
    Project,
    command_project,
    delivered,
    kill,
    parse,
    plain_text,
    wait_for_stage,
)

from digest import render
from digest.readers import PLACEHOLDER, Reader, normalise, readers, token
from digest.render.mime import Letter

SECRET = "correct horse battery staple"
READERS = ["ann@example.org", "bob@example.net", "cy@example.com"]
SUBSCRIBERS = 'email,name\nbob@example.net,"Bob, the builder"\nnot-an-address,Nobody\n\nCy@Example.com,Cy\n'


@pytest.fixture(autouse=True)
def unsubscribe_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIGEST_UNSUBSCRIBE_SECRET", SECRET)


def reader_project(tmp_path: Path, delivery: str) -> Project:
    """Three readers: one in newsletter.to, two (and a bad row) in the subscribers file."""
    (tmp_path / "readers.csv").write_text(SUBSCRIBERS)
    project = Project(tmp_path, delivery, "subscribers: {path: readers.csv}")
    text = project.config.read_text()
    text = text.replace('to: ["readers@example.com"]', 'to: ["Ann@Example.org"]')
    text = text.replace('unsubscribe_url: "https://example.com/unsubscribe"', 'unsubscribe_url: "https://example.com/unsubscribe/{{subscriber}}"')
    project.config.write_text(text)
    return project


def smtp_readers(tmp_path: Path, server: MailServer) -> Project:
    return reader_project(tmp_path, f"  method: smtp\n  smtp: {{host: 127.0.0.1, port: {server.port}, timeout: 5}}")


def their_token(address: str) -> str:
    return token(address, SECRET.encode())


def assert_addressed_to_them_alone(data: bytes, address: str) -> None:
    """To holds the reader alone, their token is in every link, and nothing of any other reader is there."""
    message = parse(data)
    assert email.utils.getaddresses([message["To"]])[0][1].lower() == address
    assert their_token(address) in message["List-Unsubscribe"]
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["List-Id"] == "Larkspur Daily <larkspur-daily.example.com>"
    html = message.get_body(("html",)).get_content()
    assert f"https://example.com/unsubscribe/{their_token(address)}" in html
    assert f"https://example.com/unsubscribe/{their_token(address)}" in plain_text(data)
    decoded = data + html.encode() + plain_text(data).encode()
    assert b"{{" not in decoded
    for other in READERS:
        if other != address:
            assert other.encode() not in decoded.lower() and their_token(other).encode() not in decoded


def test_a_temporary_refusal_leaves_that_reader_pending_and_the_next_run_sends_them_alone(tmp_path: Path, mail_server: MailServer) -> None:
    project = smtp_readers(tmp_path, mail_server)
    mail_server.handler.defer_recipients = {"cy@example.com"}

    first = project.digest("send", "--date", str(DAY1))
    assert first.exit_code == 1
    assert "451 4.3.0 mailbox busy" in first.stderr and "pending for 1 of 3 readers" in first.stderr
    assert "readers.csv: line 3: 'not-an-address' is not an email address" in first.stderr
    assert [got.rcpt_tos for got in mail_server.received] == [["ann@example.org"], ["bob@example.net"]]
    assert mail_server.handler.sessions == 1  # one connection for the whole list
    for got in mail_server.received:
        assert_addressed_to_them_alone(got.data, got.rcpt_tos[0])
    assert parse(mail_server.received[1].data)["To"] == '"Bob, the builder" <bob@example.net>'
    status = project.digest("status", "--date", str(DAY1))
    assert status.exit_code == 1
    assert re.search(r"^pending\s+cy@example.com .*451 4.3.0", status.stdout, re.MULTILINE)
    assert re.search(r"^sent\s+ann@example.org .*250 2.0.0 Ok: queued as Q1", status.stdout, re.MULTILINE)

    mail_server.handler.defer_recipients = set()
    second = project.digest("send", "--date", str(DAY1))
    assert second.exit_code == 0, second.stderr
    assert [got.rcpt_tos for got in mail_server.received][2:] == [["cy@example.com"]]
    assert_addressed_to_them_alone(mail_server.received[2].data, "cy@example.com")
    assert project.digest("status", "--date", str(DAY1)).exit_code == 0
    assert project.digest("send", "--date", str(DAY1)).exit_code == 0 and len(mail_server.received) == 3

    # every copy is the one letter; the Message-IDs are the reader's own and stable
    ids = {got.rcpt_tos[0]: parse(got.data)["Message-ID"] for got in mail_server.received}
    assert len(set(ids.values())) == 3
    letter = Letter.from_json(project.edition(DAY1).letter)
    for got in mail_server.received:
        address = got.rcpt_tos[0]
        name = "Bob, the builder" if address == "bob@example.net" else ("Cy" if address == "cy@example.com" else "")
        expected = letter.eml(Reader(address, name), their_token(address), email.utils.parsedate_to_datetime(parse(got.data)["Date"]))
        assert got.data == expected


def test_an_opted_out_reader_gets_nothing_whatever_the_list_says(tmp_path: Path, mail_server: MailServer) -> None:
    project = smtp_readers(tmp_path, mail_server)
    assert project.digest("send", "--date", str(DAY1)).exit_code == 0
    link = parse(mail_server.received[1].data)["List-Unsubscribe"]
    bob_token = re.search(r"/unsubscribe/([a-z2-7]+)>", link).group(1)
    result = project.digest("unsubscribe", bob_token)
    assert result.exit_code == 0 and "unsubscribed" in result.stdout
    assert project.digest("unsubscribe", "ANN@example.org").exit_code == 0

    assert project.digest("send", "--date", str(DAY2)).exit_code == 0
    assert [got.rcpt_tos for got in mail_server.received[3:]] == [["cy@example.com"]]
    assert project.digest("send", "--date", str(DAY1), "--force").exit_code == 0  # even a deliberate new copy
    assert [got.rcpt_tos for got in mail_server.received[4:]] == [["cy@example.com"]]


def test_a_permanent_refusal_is_recorded_and_reported_not_retried(tmp_path: Path, mail_server: MailServer) -> None:
    project = smtp_readers(tmp_path, mail_server)
    mail_server.handler.refuse_recipients = {"bob@example.net"}
    result = project.digest("send", "--date", str(DAY1))
    assert result.exit_code == 0, result.stderr
    assert "bob@example.net: smtp 127.0.0.1" in result.stderr and "550 5.1.1" in result.stderr and "not tried again" in result.stderr
    assert "to 2 readers (1 refused)" in result.stderr
    mail_server.handler.refuse_recipients = set()
    project.digest("send", "--date", str(DAY1))
    assert sorted(r for got in mail_server.received for r in got.rcpt_tos) == ["ann@example.org", "cy@example.com"]
    assert re.search(r"^refused\s+bob@example.net", project.digest("status", "--date", str(DAY1)).stdout, re.MULTILINE)


@pytest.mark.slow
def test_killed_mid_list_then_rerun_sends_each_reader_exactly_once(tmp_path: Path) -> None:
    project, mailbox = command_project(tmp_path)
    reader_project(tmp_path, project.config.read_text().split("delivery:\n")[1].split("\n\n")[0])  # same command delivery
    (mailbox / "hold-accepted").touch()
    running = project.start("send", "--date", str(DAY1))
    wait_for_stage(mailbox, "accepted", running)  # the first reader's message is accepted...
    (mailbox / "hold-started").touch()
    (mailbox / "hold-accepted").unlink()
    command_pid = wait_for_stage(mailbox, "started", running)  # ...and recorded: the second reader's command has started
    kill(running.pid, command_pid)
    running.wait()
    (mailbox / "hold-started").unlink()
    assert len(delivered(mailbox)) == 1
    assert [d.status for d in project.store().deliveries(DAY1)] == ["sent", "uncertain", "pending"]  # the second was handed over

    rerun = project.digest("send", "--date", str(DAY1))
    assert rerun.exit_code == 0, rerun.stderr
    assert len(delivered(mailbox)) == 2  # the third reader; the second is not sent again unasked
    resend = project.digest("send", "--date", str(DAY1), "--resend-uncertain")
    assert resend.exit_code == 0, resend.stderr
    got = [parse(data) for data in delivered(mailbox)]
    recipients = sorted(email.utils.getaddresses([message["To"]])[0][1].lower() for message in got)
    assert recipients == sorted(READERS)
    assert len({message["Message-ID"] for message in got}) == 3


def test_the_placeholder_without_the_secret_is_a_config_error_but_a_preview_keeps_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project, mailbox = command_project(tmp_path)
    reader_project(tmp_path, project.config.read_text().split("delivery:\n")[1].split("\n\n")[0])
    monkeypatch.delenv("DIGEST_UNSUBSCRIBE_SECRET")
    result = project.digest("send", "--date", str(DAY1))
    assert result.exit_code == 2
    assert "newsletter.unsubscribe_secret_env" in result.stderr and "DIGEST_UNSUBSCRIBE_SECRET is not set" in result.stderr
    assert delivered(mailbox) == []

    preview = project.digest("build", "--date", str(DAY1), "--format", "eml", "-o", "-")
    assert preview.exit_code == 0
    assert b"unsubscribe/{{subscriber}}" in preview.stdout_bytes
    assert project.digest("build", "--date", str(DAY1), "--format", "eml", "--to", "ann@example.org", "-o", "-").exit_code == 2


def test_build_writes_one_readers_message_or_a_line_per_reader(tmp_path: Path) -> None:
    project, _ = command_project(tmp_path)
    reader_project(tmp_path, project.config.read_text().split("delivery:\n")[1].split("\n\n")[0])
    own = project.digest("build", "--date", str(DAY1), "--format", "eml", "--to", "Bob@Example.net", "-o", "-")
    assert own.exit_code == 0, own.stderr
    assert_addressed_to_them_alone(own.stdout_bytes, "bob@example.net")

    lines = project.digest("build", "--date", str(DAY1), "--format", "jsonl", "-o", "-")
    assert lines.exit_code == 0 and "line 3" in lines.stderr
    messages = [json.loads(line) for line in lines.stdout.splitlines()]
    assert [normalise(email.utils.parseaddr(m["to"])[1]) for m in messages] == READERS
    for message in messages:
        address = normalise(email.utils.parseaddr(message["to"])[1])
        assert set(message) == {"to", "from", "subject", "html", "text", "headers"}
        assert their_token(address) in message["html"] and their_token(address) in message["headers"]["List-Unsubscribe"]
        assert "{{" not in json.dumps(message)

    assert project.digest("unsubscribe", "cy@example.com").exit_code == 0
    lines = project.digest("build", "--date", str(DAY1), "--format", "jsonl", "-o", "-")
    assert len(lines.stdout.splitlines()) == 2


def test_bad_unsubscribe_arguments_are_usage_errors(tmp_path: Path) -> None:
    project, _ = command_project(tmp_path)
    assert project.digest("unsubscribe", "nope").exit_code == 2
    assert project.digest("unsubscribe", "a@b@c").exit_code == 2


@pytest.mark.parametrize("language", ["english", "ukrainian"])
def test_a_filled_message_reads_back_as_the_letter_with_the_token_whatever_the_encoding(language: str) -> None:
    """Quoted-printable bodies take the token between soft breaks; base64 bodies re-encode only the
    lines that hold it. Either way a mail client reads exactly the HTML and text, token in place."""
    ed, settings = edition(), config()
    settings.newsletter.unsubscribe_url = "https://news.example.org/u/{{subscriber}}?from=digest"
    settings.email.postal_address = "Reply {{subscriber}} to write to us. " + "Київ " * (40 if language == "ukrainian" else 0)
    if language == "ukrainian":
        for story in ed.stories():
            story.lead.title = "Нічний пором курсує до ранку після скарг медсестер"
            story.summary = ["Портова адміністрація додала рейс о 23:40, бо про це попросили медсестри та пекарі."] * 3
    letter = render.letter(ed, settings)
    reader = Reader("olena@example.org", "Олена Петренко")
    fill = their_token(reader.address)
    message = parse(letter.eml(reader, fill))
    encodings = {part["Content-Transfer-Encoding"] for part in message.iter_parts()}
    assert encodings == ({"base64"} if language == "ukrainian" else {"quoted-printable"})
    assert message.get_body(("html",)).get_content().replace("\r\n", "\n") == letter.html.replace(PLACEHOLDER, fill)
    assert message.get_body(("plain",)).get_content().replace("\r\n", "\n") == letter.text.replace(PLACEHOLDER, fill)
    assert email.utils.parseaddr(message["To"]) == ("Олена Петренко", "olena@example.org")
    assert letter.html.count(PLACEHOLDER) == 2 and letter.text.count(PLACEHOLDER) == 2
    raw = letter.eml(reader, fill)
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998 and raw.isascii()
    body_lines = raw.partition(b"\r\n\r\n")[2].split(b"\r\n")
    assert max(len(line) for line in body_lines) <= 76


def test_named_addresses_in_newsletter_to_and_non_ascii_names() -> None:
    settings = config()
    settings.newsletter.to = ["Редакція <desk@example.org>", "plain@example.org"]
    problems: list[str] = []
    assert list(readers(settings, problems.append)) == [Reader("desk@example.org", "Редакція"), Reader("plain@example.org")]
    assert not problems
    settings.newsletter.to = ["Редакція <desk@example.org>"]  # one reader: the preview is theirs
    preview = parse(render.render(edition(), settings, "eml"))
    assert email.utils.getaddresses([preview["To"]]) == [("Редакція", "desk@example.org")]


def test_a_message_without_a_reader_names_no_reader_when_there_are_several(tmp_path: Path) -> None:
    project, _ = command_project(tmp_path)
    text = project.config.read_text().replace('to: ["readers@example.com"]', f"to: {json.dumps(READERS)}")
    project.config.write_text(text)
    for fmt in ("eml", "json"):
        preview = project.digest("build", "--date", str(DAY1), "--format", fmt, "-o", "-")
        assert preview.exit_code == 0, preview.stderr
        assert f"newsletter.to lists {len(READERS)} readers: this message is addressed to none of them" in preview.stderr
        assert not any(address.encode() in preview.stdout_bytes.lower() for address in READERS)
    assert parse(project.digest("build", "--date", str(DAY1), "--format", "eml", "-o", "-").stdout_bytes)["To"] == "undisclosed-recipients:;"
    assert json.loads(preview.stdout)["to"] == []
