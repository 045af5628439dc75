"""Exactly once under every failure, through the real command line against a real SMTP server (aiosmtpd):
an answer after the deadline, a relay that refuses the sender, a refused mailbox, a store kept locked
while the server takes the message. Each sequence counts the copies each reader was handed at the
server: never two unless the operator asked (--resend-uncertain), and an edition is only marked sent
when its stories reached someone."""
from __future__ import annotations

import email.utils
import sqlite3
import sys
from pathlib import Path

import pytest
from mailserver import MailServer, Received
from test_readers import READERS, reader_project, unsubscribe_secret  # noqa: F401 (autouse: the secret is set)
from test_send import DAY1, DAY2, Project, parse, readers_message_id

ANN, BOB, CY = READERS


def smtp_project(tmp_path: Path, server: MailServer, *, deadline: float = 30, store_wait: float | None = None) -> Project:
    project = reader_project(tmp_path, f"  method: smtp\n  smtp: {{host: 127.0.0.1, port: {server.port}, timeout: 5, deadline: {deadline}}}")
    if store_wait is not None:
        project.config.write_text(project.config.read_text().replace("  path: state/digest.db", f"  path: state/digest.db\n  wait: {store_wait}"))
    return project


def statuses(project: Project, day=DAY1) -> dict[str, str]:
    with project.store() as store:
        return {d.address: str(d.status) for d in store.deliveries(day)}


@pytest.mark.parametrize("misbehaviour", ["late", "dropped"])
def test_an_answer_after_the_deadline_is_uncertain_and_never_sent_again_unasked(tmp_path: Path, mail_server: MailServer, misbehaviour: str) -> None:
    """The server queues ann's copy but answers after delivery.smtp.deadline, or drops the connection
    instead of answering: on main, every run sent her another."""
    if misbehaviour == "late":
        mail_server.handler.late = {ANN: 3.0}
    else:
        mail_server.handler.drop = {ANN}
    project = smtp_project(tmp_path, mail_server, deadline=1)
    first = project.digest("send", "--date", str(DAY1))
    assert first.exit_code == 1
    assert f"the edition of {DAY1} may have reached {ANN}" in first.stderr and "--resend-uncertain" in first.stderr
    assert statuses(project) == {ANN: "uncertain", BOB: "pending", CY: "pending"}  # the list stopped at a server that stalls

    for _ in range(3):
        project.digest("send", "--date", str(DAY1))
    assert mail_server.handler.copies() == {ANN: 1, BOB: 1, CY: 1}
    assert statuses(project) == {ANN: "uncertain", BOB: "sent", CY: "sent"}
    assert project.edition(DAY1).status == "sent"  # bob and cy have its stories

    status = project.digest("status", "--date", str(DAY1))
    assert status.exit_code == 1
    assert f"uncertain  {ANN}" in status.stdout and "was handed the whole message but no answer came" in status.stdout
    assert f"digest send --date {DAY1} --resend-uncertain" in status.stdout

    mail_server.handler.late, mail_server.handler.drop = {}, set()
    resent = project.digest("send", "--date", str(DAY1), "--resend-uncertain")
    assert resent.exit_code == 0, resent.stderr
    assert mail_server.handler.copies() == {ANN: 2, BOB: 1, CY: 1}  # the second copy, asked for
    ann = [parse(got.data) for got in mail_server.received if got.rcpt_tos == [ANN]]
    assert ann[0]["Message-ID"] == ann[1]["Message-ID"] == readers_message_id(project.edition(DAY1), ANN)
    assert statuses(project) == {ANN: "sent", BOB: "sent", CY: "sent"}
    assert project.digest("send", "--date", str(DAY1), "--resend-uncertain").exit_code == 0
    assert mail_server.handler.copies() == {ANN: 2, BOB: 1, CY: 1}


@pytest.mark.slow  # two sends, each waiting out the server's late answer
def test_when_every_reader_is_uncertain_the_edition_is_not_marked_sent(tmp_path: Path, mail_server: MailServer) -> None:
    mail_server.handler.late = {address: 3.0 for address in READERS}
    project = smtp_project(tmp_path, mail_server, deadline=1)
    for _ in range(4):
        project.digest("send", "--date", str(DAY1))
    assert mail_server.handler.copies() == {ANN: 1, BOB: 1, CY: 1}
    assert statuses(project) == {ANN: "uncertain", BOB: "uncertain", CY: "uncertain"}
    assert project.edition(DAY1).status == "pending"  # none is known to have its stories


@pytest.mark.parametrize(("hook", "answer"), [
    ("every_recipient", "554 5.7.1 <{rcpt}>: Relay access denied"),
    ("every_recipient", "530 5.7.0 Authentication required"),
    ("mail_from", "553 5.7.1 <daily@example.com>: Sender address rejected: not owned by user"),
], ids=["relay-denied", "login-needed", "sender-refused"])
def test_a_refusal_of_the_sender_or_the_relay_keeps_the_edition_pending_and_exits_1_in_the_servers_words(
        tmp_path: Path, mail_server: MailServer, hook: str, answer: str) -> None:
    """On main: `sent … to 0 readers (3 refused)`, exit 0, and the edition's stories never came again."""
    setattr(mail_server.handler, hook, answer.replace("{rcpt}", ANN))
    project = smtp_project(tmp_path, mail_server)
    failed = project.digest("send", "--date", str(DAY1))
    assert failed.exit_code == 1
    said = answer.replace("{rcpt}", ANN).split(" ", 1)[1]
    assert said in failed.stderr and "pending" in failed.stderr and "refused" in failed.stderr
    assert statuses(project) == {ANN: "pending", BOB: "pending", CY: "pending"}
    assert project.edition(DAY1).status == "pending"
    assert mail_server.received == []

    setattr(mail_server.handler, hook, None)  # the relay fixed
    ok = project.digest("send", "--date", str(DAY1))
    assert ok.exit_code == 0, ok.stderr
    assert mail_server.handler.copies() == {ANN: 1, BOB: 1, CY: 1}
    assert project.edition(DAY1).status == "sent"


def test_a_refused_mailbox_refuses_that_reader_alone(tmp_path: Path, mail_server: MailServer) -> None:
    mail_server.handler.refuse_recipients = {BOB}  # 550 5.1.1 no such mailbox
    project = smtp_project(tmp_path, mail_server)
    result = project.digest("send", "--date", str(DAY1))
    assert result.exit_code == 0, result.stderr
    assert f"{BOB}: smtp 127.0.0.1:{mail_server.port} refused every recipient: {BOB} (550 5.1.1 no such mailbox); not tried again" in result.stderr
    assert statuses(project) == {ANN: "sent", BOB: "refused", CY: "sent"}
    assert project.digest("send", "--date", str(DAY1)).exit_code == 0
    assert mail_server.handler.copies() == {ANN: 1, CY: 1}


def test_an_acceptance_the_store_could_not_record_is_never_sent_again(tmp_path: Path, mail_server: MailServer) -> None:
    """Another process holds the store's write lock past store.wait just as the server queues ann's copy:
    on main she stayed pending and the next run sent her a second copy."""
    project = smtp_project(tmp_path, mail_server, store_wait=0.5)
    holder: list[sqlite3.Connection] = []

    def lock_the_store(message: Received) -> None:
        if not holder:
            db = sqlite3.connect(tmp_path / "state/digest.db", isolation_level=None, check_same_thread=False)
            db.execute("BEGIN IMMEDIATE")
            holder.append(db)

    mail_server.handler.on_queue = lock_the_store
    busy = project.digest("send", "--date", str(DAY1))
    assert busy.exit_code == 1 and "is busy" in busy.stderr
    holder[0].execute("ROLLBACK")
    holder[0].close()
    mail_server.handler.on_queue = None

    assert statuses(project)[ANN] == "uncertain"  # recorded as handed over before the server saw it
    for day in (DAY1, DAY1, DAY2):
        project.digest("send", "--date", str(day))
    assert sum(1 for got in mail_server.received if DAY1.strftime("%Y%m%d") in parse(got.data)["Message-ID"]) == 3
    day1 = [got for got in mail_server.received if DAY1.strftime("%Y%m%d") in parse(got.data)["Message-ID"]]
    assert sorted(rcpt for got in day1 for rcpt in got.rcpt_tos) == sorted(READERS)  # one copy each


QUEUE = """import pathlib, sys, time
data = sys.stdin.buffer.read()
box = pathlib.Path(sys.argv[1])
box.mkdir(exist_ok=True)
(box / f"{time.time_ns()}.eml").write_bytes(data)
if (box.parent / "stall").exists():
    time.sleep(30)
"""


def test_a_command_stopped_at_its_timeout_after_it_had_the_message_is_uncertain(tmp_path: Path) -> None:
    """A sendmail that queued the message and then hung past delivery.command_timeout: on main, pending and sent again next run."""
    (tmp_path / "queue.py").write_text(QUEUE)
    (tmp_path / "stall").touch()
    project = reader_project(tmp_path, f"  method: command\n  command: '{sys.executable} queue.py {tmp_path / 'queued'}'\n  command_timeout: 1")

    def copies() -> dict[str, int]:
        counts: dict[str, int] = {}
        for path in (tmp_path / "queued").glob("*.eml"):
            address = email.utils.parseaddr(parse(path.read_bytes())["To"])[1].lower()
            counts[address] = counts.get(address, 0) + 1
        return counts

    first = project.digest("send", "--date", str(DAY1))
    assert first.exit_code == 1 and "it had the whole message, so it may have queued it" in first.stderr
    (tmp_path / "stall").unlink()
    project.digest("send", "--date", str(DAY1))
    assert copies() == {ANN: 1, BOB: 1, CY: 1}
    assert statuses(project) == {ANN: "uncertain", BOB: "sent", CY: "sent"}
    assert project.digest("send", "--date", str(DAY1), "--resend-uncertain").exit_code == 0
    assert copies() == {ANN: 2, BOB: 1, CY: 1}
