"""The message's headers as a mail system and an onlooker meet them: folded lines that a long reader name
cannot push past RFC 5322's limits, a Message-ID that confirms no guessed address, and a Date that is
the moment a message is written for sending. Real aiosmtpd, the outbox, the real command line."""
from __future__ import annotations

import email.policy
import email.utils
import json
from datetime import UTC, datetime
from email.header import decode_header, make_header
from pathlib import Path

import pytest
from mailserver import MailServer
from test_readers import SECRET, reader_project, unsubscribe_secret  # noqa: F401 (autouse: the secret is set)
from test_send import DAY1, Project, parse

from digest.model import stable_id

LONG_NAMES = {
    "dan@example.org": "Dan " * 250,  # spaces: folds
    "eve@example.net": "Олена" * 200,  # not ASCII: encoded words
    "fay@example.com": "x" * 1000,  # one word: cannot fold, must still be short enough
}


def header_lines(data: bytes) -> list[bytes]:
    return data.partition(b"\r\n\r\n")[0].split(b"\r\n")


def test_a_thousand_character_name_is_capped_and_folded_and_the_reader_gets_the_message(tmp_path: Path, mail_server: MailServer) -> None:
    project = reader_project(tmp_path, f"  method: smtp\n  smtp: {{host: 127.0.0.1, port: {mail_server.port}, timeout: 5}}")
    rows = "".join(f'{address},"{name}"\n' for address, name in LONG_NAMES.items())
    (tmp_path / "readers.csv").write_text("email,name\n" + rows)
    result = project.digest("send", "--date", str(DAY1))
    assert result.exit_code == 0, result.stderr
    with project.store() as store:
        assert {d.address: d.status for d in store.deliveries(DAY1)} == dict.fromkeys(["ann@example.org", *LONG_NAMES], "sent")
    assert len(mail_server.received) == 1 + len(LONG_NAMES)  # ann, from newsletter.to, has no name
    for got in mail_server.received[1:]:
        lines = header_lines(got.data)
        assert max(len(line) for line in got.data.split(b"\r\n")) <= 998
        for line in lines:  # 78 at most, unless the line is one word that no space lets fold
            assert len(line) <= 78 or b" " not in line.strip().partition(b" ")[2], line
        # RFC 2047 decoding (email.header): the newer parser puts a space between folded encoded words
        raw_to = email.message_from_bytes(got.data, policy=email.policy.compat32)["To"]
        name, address = email.utils.parseaddr(str(make_header(decode_header(raw_to))))
        assert address == got.rcpt_tos[0]
        assert 0 < len(name) <= 200 and LONG_NAMES[address].startswith(name)
    dan = next(got for got in mail_server.received if got.rcpt_tos == ["dan@example.org"])
    assert max(len(line) for line in header_lines(dan.data)) <= 78


def message_ids(project: Project) -> dict[str, str]:
    """Each reader's Message-ID in the outbox after a send."""
    result = project.digest("send", "--date", str(DAY1))
    assert result.exit_code == 0, result.stderr
    found = {}
    for path in (project.root / "outbox").glob("*.eml"):
        message = parse(path.read_bytes())
        found[email.utils.parseaddr(message["To"])[1]] = message["Message-ID"]
    return found


def test_a_readers_message_id_is_keyed_so_it_confirms_no_guessed_address(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runs = {}
    for name, secret in (("one", SECRET), ("again", SECRET), ("other", "another secret"), ("none", None), ("none-again", None)):
        if secret is None:
            monkeypatch.delenv("DIGEST_UNSUBSCRIBE_SECRET", raising=False)
            text_url = "https://example.com/unsubscribe"
        else:
            monkeypatch.setenv("DIGEST_UNSUBSCRIBE_SECRET", secret)
            text_url = None
        (tmp_path / name).mkdir()
        project = reader_project(tmp_path / name, "  method: outbox\n  outbox: outbox")
        if text_url:  # no placeholder to fill, so no secret needed
            project.config.write_text(project.config.read_text().replace("https://example.com/unsubscribe/{{subscriber}}", text_url))
        runs[name] = message_ids(project)
    for found in runs.values():
        assert len(set(found.values())) == 3
        for address, message_id in found.items():
            assert stable_id(address)[:12] not in message_id  # the unkeyed hash of the address that was there
    assert runs["one"] == runs["again"]  # the same secret: the same Message-ID every time (stable per edition and reader)
    for address in runs["one"]:
        assert runs["one"][address] != runs["other"][address]  # another key, another tag
        assert runs["none"][address] != runs["none-again"][address]  # no secret: a random key each store


def test_a_message_written_for_sending_is_dated_when_written_and_html_stays_the_same_bytes(tmp_path: Path) -> None:
    project = reader_project(tmp_path, "  method: outbox\n  outbox: outbox")

    def build(fmt: str, *more: str) -> bytes:
        result = project.digest("build", "--date", str(DAY1), "--format", fmt, *more, "-o", "-")
        assert result.exit_code == 0, result.stderr
        return result.stdout_bytes

    before = datetime.now(UTC).replace(microsecond=0)
    eml, own, lines, document = build("eml"), build("eml", "--to", "ann@example.org"), build("jsonl"), build("json")
    after = datetime.now(UTC)
    dates = [parse(eml)["Date"], parse(own)["Date"], json.loads(document)["headers"]["Date"]]
    dates += [json.loads(line)["headers"]["Date"] for line in lines.splitlines()]
    for value in dates:
        assert before <= email.utils.parsedate_to_datetime(value) <= after, value  # not the edition's cut-off, long past
    assert build("html") == build("html") and build("text") == build("text")
    assert without_date(build("eml")) == without_date(eml)


def without_date(data: bytes) -> bytes:
    return b"\r\n".join(line for line in data.split(b"\r\n") if not line.startswith(b"Date: "))
