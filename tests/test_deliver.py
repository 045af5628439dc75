"""Delivery against real receivers: aiosmtpd on 127.0.0.1 (plain, STARTTLS, SSL, login), real commands, a real outbox."""
from __future__ import annotations

import json
import logging
import shlex
import sys
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

import pytest
from mailserver import MailServer, server_context

from digest.config import Config, DeliveryConfig, SmtpConfig
from digest.delivery import DeliveryError, deliver
from digest.delivery.outbox import outbox_name

MESSAGE_ID = "<2026-03-28.ukraine-daily@example.com>"
USER, PASSWORD = "digest-bot", "s3cret-Pa55word"


def message(*, to: str = "Readers <readers@example.com>, second@example.com", extra_body: str = "") -> bytes:
    msg = EmailMessage(policy=SMTP)
    msg["From"] = "Ukraine Daily <daily@example.com>"
    msg["To"] = to
    msg["Subject"] = "Ukraine Daily: the 28 March edition"
    msg["Message-ID"] = MESSAGE_ID
    msg.set_content("The day's stories.\n" + extra_body)
    return msg.as_bytes()


def smtp_config(tmp_path: Path, port: int, **smtp) -> Config:
    return Config(delivery=DeliveryConfig(method="smtp", smtp=SmtpConfig(host="127.0.0.1", port=port, timeout=5, **smtp)), base_dir=tmp_path)


def command_config(tmp_path: Path, command: str, **delivery) -> Config:
    return Config(delivery=DeliveryConfig(method="command", command=command, **delivery), base_dir=tmp_path)


def python_command(tmp_path: Path, name: str, source: str, *args: str) -> str:
    script = tmp_path / name
    script.write_text(source)
    return shlex.join([sys.executable, str(script), *args])


# SMTP


def test_smtp_delivers_the_exact_bytes_to_the_headers_recipients(tmp_path: Path, mail_server: MailServer) -> None:
    data = message()
    receipt = deliver(data, MESSAGE_ID, smtp_config(tmp_path, mail_server.port))
    (got,) = mail_server.received
    assert got.data == data
    assert got.mail_from == "daily@example.com"
    assert got.rcpt_tos == ["readers@example.com", "second@example.com"]
    assert receipt == f"smtp 127.0.0.1:{mail_server.port} accepted {MESSAGE_ID}: 250 2.0.0 Ok: queued as Q1"


def test_smtp_envelope_sender_is_the_return_path_when_set(tmp_path: Path, mail_server: MailServer) -> None:
    config = smtp_config(tmp_path, mail_server.port)
    config.delivery.return_path = "bounces@example.com"
    deliver(message(), MESSAGE_ID, config)
    (got,) = mail_server.received
    assert got.mail_from == "bounces@example.com" and got.data == message()  # the envelope only: From stays


def test_smtp_with_one_recipient_refused_delivers_to_the_others_and_says_so(tmp_path: Path, mail_server: MailServer) -> None:
    mail_server.handler.refuse_recipients = {"second@example.com"}
    receipt = deliver(message(), MESSAGE_ID, smtp_config(tmp_path, mail_server.port))
    assert [got.rcpt_tos for got in mail_server.received] == [["readers@example.com"]]
    assert "refused second@example.com (550 5.1.1 no such mailbox)" in receipt


def test_smtp_with_every_recipient_refused_is_a_failure(tmp_path: Path, mail_server: MailServer) -> None:
    mail_server.handler.refuse_recipients = {"readers@example.com", "second@example.com"}
    with pytest.raises(DeliveryError, match="refused every recipient: readers@example.com \\(550"):
        deliver(message(), MESSAGE_ID, smtp_config(tmp_path, mail_server.port))
    assert mail_server.received == []


def test_smtp_server_down_is_a_clear_failure(tmp_path: Path) -> None:
    down = MailServer()  # never started: nothing listens on its port
    with pytest.raises(DeliveryError, match=rf"cannot reach smtp 127.0.0.1:{down.port}: Connection refused; is the server up"):
        deliver(message(), MESSAGE_ID, smtp_config(tmp_path, down.port))


def test_smtp_starttls_and_login_from_the_environment(tmp_path: Path, certificate, monkeypatch, caplog, capfd) -> None:
    caplog.set_level(logging.DEBUG)
    server = MailServer(tls=server_context(certificate), login=(USER, PASSWORD)).start()
    try:
        monkeypatch.setenv("DIGEST_SMTP_USER", USER)
        monkeypatch.setenv("DIGEST_SMTP_PASSWORD", PASSWORD)
        config = smtp_config(tmp_path, server.port, starttls=True, ca_file=str(certificate[0]),
                             username_env="DIGEST_SMTP_USER", password_env="DIGEST_SMTP_PASSWORD")
        receipt = deliver(message(), MESSAGE_ID, config)
        assert len(server.received) == 1

        monkeypatch.setenv("DIGEST_SMTP_PASSWORD", "wrong-" + PASSWORD)
        with pytest.raises(DeliveryError, match=r"refused the login: 535 5\.7\.8 Authentication credentials invalid; check the credentials in "
                                                 r"\$DIGEST_SMTP_USER and \$DIGEST_SMTP_PASSWORD") as refused:
            deliver(message(), MESSAGE_ID, config)
    finally:
        server.stop()
    out, err = capfd.readouterr()
    for text in (receipt, str(refused.value), caplog.text, out, err):
        assert PASSWORD not in text and USER not in text


def test_smtp_over_ssl(tmp_path: Path, certificate) -> None:
    server = MailServer(tls=server_context(certificate), implicit_tls=True).start()
    try:
        deliver(message(), MESSAGE_ID, smtp_config(tmp_path, server.port, ssl=True, ca_file=str(certificate[0])))
    finally:
        server.stop()
    assert len(server.received) == 1


def test_smtp_tls_with_an_untrusted_certificate_is_refused(tmp_path: Path, certificate) -> None:
    server = MailServer(tls=server_context(certificate)).start()
    try:
        with pytest.raises(DeliveryError, match="TLS failed .*CERTIFICATE_VERIFY_FAILED.*check delivery.smtp.ssl"):
            deliver(message(), MESSAGE_ID, smtp_config(tmp_path, server.port, starttls=True))
    finally:
        server.stop()
    assert server.received == []


def test_smtp_missing_credentials_name_the_variable(tmp_path: Path, mail_server: MailServer, monkeypatch) -> None:
    monkeypatch.delenv("DIGEST_SMTP_PASSWORD", raising=False)
    monkeypatch.setenv("DIGEST_SMTP_USER", USER)
    config = smtp_config(tmp_path, mail_server.port, username_env="DIGEST_SMTP_USER", password_env="DIGEST_SMTP_PASSWORD")
    with pytest.raises(DeliveryError, match=r"environment variable DIGEST_SMTP_PASSWORD \(delivery.smtp.password_env\) is not set"):
        deliver(message(), MESSAGE_ID, config)


def test_smtp_starttls_asked_of_a_server_without_it(tmp_path: Path, mail_server: MailServer) -> None:
    with pytest.raises(DeliveryError, match="STARTTLS extension not supported.*check delivery.smtp.starttls"):
        deliver(message(), MESSAGE_ID, smtp_config(tmp_path, mail_server.port, starttls=True))


def test_a_message_without_recipients_is_refused_before_connecting(tmp_path: Path) -> None:
    with pytest.raises(DeliveryError, match="no recipients"):
        deliver(message(to=""), MESSAGE_ID, smtp_config(tmp_path, 1))


# command

WRITE_STDIN = """
import sys
with open(sys.argv[1], "wb") as out:
    out.write(sys.stdin.buffer.read())
print("queued", flush=True)
"""

REFUSE = """
import sys
sys.stdin.buffer.read()
print("sendmail: fatal: no such user: readers", file=sys.stderr)
sys.exit(1)
"""


def test_command_gets_the_message_on_stdin(tmp_path: Path) -> None:
    data = message()
    command = python_command(tmp_path, "sendmail.py", WRITE_STDIN, str(tmp_path / "got.eml"))
    receipt = deliver(data, MESSAGE_ID, command_config(tmp_path, command))
    assert (tmp_path / "got.eml").read_bytes() == data
    assert receipt == f"`{command}` accepted {MESSAGE_ID}: queued"


ARGV = """
import json, sys
sys.stdin.buffer.read()
open(sys.argv[1], "w").write(json.dumps(sys.argv[2:]))
"""


def test_command_gets_the_return_path_as_sendmail_minus_f(tmp_path: Path) -> None:
    command = python_command(tmp_path, "sendmail.py", ARGV, str(tmp_path / "argv.json"), "-t")
    deliver(message(), MESSAGE_ID, command_config(tmp_path, command, return_path="bounces@example.com"))
    assert json.loads((tmp_path / "argv.json").read_text()) == ["-t", "-f", "bounces@example.com"]
    deliver(message(), MESSAGE_ID, command_config(tmp_path, command))
    assert json.loads((tmp_path / "argv.json").read_text()) == ["-t"]  # unset: the command as written


def test_command_exit_status_and_stderr_make_the_error(tmp_path: Path) -> None:
    command = python_command(tmp_path, "refuse.py", REFUSE)
    with pytest.raises(DeliveryError, match=r"exited with status 1: sendmail: fatal: no such user: readers$"):
        deliver(message(), MESSAGE_ID, command_config(tmp_path, command))


def test_command_not_found(tmp_path: Path) -> None:
    with pytest.raises(DeliveryError, match=r"`no-such-sendmail` \(delivery.command\) was not found"):
        deliver(message(), MESSAGE_ID, command_config(tmp_path, "no-such-sendmail -t"))


def test_command_that_hangs_is_stopped_after_its_timeout(tmp_path: Path) -> None:
    command = python_command(tmp_path, "hang.py", "import time; time.sleep(30)")
    with pytest.raises(DeliveryError, match=r"did not finish within 0.5 s"):
        deliver(message(), MESSAGE_ID, command_config(tmp_path, command, command_timeout=0.5))


# outbox


def outbox_config(tmp_path: Path) -> Config:
    return Config(delivery=DeliveryConfig(method="outbox", outbox="mail/outbox"), base_dir=tmp_path)


def test_outbox_writes_one_file_per_edition_and_a_retry_replaces_it(tmp_path: Path) -> None:
    config = outbox_config(tmp_path)
    receipt = deliver(message(), MESSAGE_ID, config)
    target = tmp_path / "mail/outbox/2026-03-28.ukraine-daily@example.com.eml"
    assert receipt == f"wrote {target}"
    deliver(message(extra_body="retry"), MESSAGE_ID, config)
    assert [p.name for p in (tmp_path / "mail/outbox").iterdir()] == [target.name]  # no temp file left either
    assert target.read_bytes() == message(extra_body="retry")


def test_outbox_never_leaves_a_partial_file(tmp_path: Path) -> None:
    config = outbox_config(tmp_path)
    blocked = tmp_path / "mail/outbox" / outbox_name(MESSAGE_ID)
    (blocked / "in-the-way").mkdir(parents=True)  # the final name is taken by a folder: the rename fails
    with pytest.raises(DeliveryError, match="cannot write to the outbox .*mail/outbox: Is a directory"):
        deliver(message(), MESSAGE_ID, config)
    assert sorted(p.name for p in blocked.parent.iterdir()) == [blocked.name]


def test_outbox_names_are_safe_file_names() -> None:
    assert outbox_name("<a/b\\c d@example.com>") == "a_b_c_d@example.com.eml"
