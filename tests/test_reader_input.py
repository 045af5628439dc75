"""Who the readers are, from input an operator may get wrong: a `newsletter.to` entry holding two
addresses, and a subscribers CSV with a stray quote, a byte that is not UTF-8 or a huge field.
Through the real command line; the deliveries go to a real aiosmtpd on 127.0.0.1."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from mailserver import MailServer
from test_readers import SECRET, smtp_readers, their_token
from test_send import DAY1, Project, parse


@pytest.fixture(autouse=True)
def unsubscribe_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIGEST_UNSUBSCRIBE_SECRET", SECRET)


@pytest.mark.parametrize(("entry", "fix"), [
    ("a@x.org, b@y.org", 'to: ["a@x.org", "b@y.org"]'),
    ("Ann <a@x.org>, Bob <b@y.org>", 'to: ["Ann <a@x.org>", "Bob <b@y.org>"]'),
])
def test_two_addresses_in_one_to_entry_are_a_config_error_for_build_check_and_send(tmp_path: Path, entry: str, fix: str) -> None:
    """One entry is one reader: a `| sendmail -t` pipe would send one message showing both addresses,
    and `send` would drop one of them without a word."""
    project = Project(tmp_path, "  method: outbox\n  outbox: outbox")
    project.config.write_text(project.config.read_text().replace('to: ["readers@example.com"]', f'to: ["cy@example.com", {json.dumps(entry)}]'))
    for args in (("build", "--format", "eml", "-o", "-"), ("check",), ("send", "--date", str(DAY1))):
        result = project.digest(*args)
        assert result.exit_code == 2, (args, result.stderr)
        assert result.stdout == ""
        assert f"{project.config}: newsletter.to[1]: '{entry}' holds 2 addresses; each entry is one reader" in result.stderr
        assert fix in result.stderr
    assert not (tmp_path / "outbox").exists() or not any((tmp_path / "outbox").iterdir())


def test_a_name_with_a_comma_outside_quotes_is_a_config_error_and_a_quoted_one_is_fine(tmp_path: Path) -> None:
    project = Project(tmp_path, "  method: outbox\n  outbox: outbox")
    text = project.config.read_text()
    project.config.write_text(text.replace('to: ["readers@example.com"]', "to: ['Bob, the builder <bob@example.net>']"))
    result = project.digest("build", "--format", "eml", "-o", "-")
    assert result.exit_code == 2 and "newsletter.to[0]" in result.stderr and "put a name with a comma in quotes" in result.stderr
    project.config.write_text(text.replace('to: ["readers@example.com"]', """to: ['"Bob, the builder" <bob@example.net>']"""))
    result = project.digest("send", "--date", str(DAY1))
    assert result.exit_code == 0, result.stderr
    (sent,) = (tmp_path / "outbox").rglob("*.eml")
    assert parse(sent.read_bytes())["To"] == '"Bob, the builder" <bob@example.net>'


KEPT = ["ann@example.org", "cy@example.com", "dan@example.org", "fay@example.org", "hal@example.org", "ivy@example.org"]
SKIPPED = ["bob@example.net", "eve@example.org", "gus@example.org"]


def subscribers_csv() -> bytes:
    """A list with a stray opening quote, a byte that is not UTF-8, a 140 KB field and a name that is an address."""
    return b"".join([
        b"email,name\r\n",
        b'bob@example.net,"Bob the builder\r\n',  # line 2: the quote never closes
        b"cy@example.com,Cy\r\n",
        b"dan@example.org,Dan\n",
        b"eve@example.org,\xff Eve\n",  # line 5: Latin-1, not UTF-8
        b"fay@example.org,Fay\n",
        b"gus@example.org," + b"x" * 140_000 + b"\n",  # line 7
        b'hal@example.org,"Hal, the ""hacker"""\n',
        b"ivy@example.org,cy@example.com\n",  # line 9: another reader's address as a name
    ])


def test_bad_subscriber_rows_are_named_and_skipped_and_no_reader_sees_another_readers_address(tmp_path: Path, mail_server: MailServer) -> None:
    project = smtp_readers(tmp_path, mail_server)
    (tmp_path / "readers.csv").write_bytes(subscribers_csv())
    result = project.digest("send", "--date", str(DAY1))
    assert result.exit_code == 0, result.stderr
    csv_path = tmp_path / "readers.csv"
    for says in (f"{csv_path}: line 2: a quote opens a field and does not close it on this line; skipped",
                 f"{csv_path}: line 5: byte 17 is not UTF-8",
                 f"{csv_path}: line 7: the row is longer than 16,384 bytes; skipped",
                 f"{csv_path}: line 9: the name holds an @"):
        assert says in result.stderr
    assert "Traceback" not in result.stderr
    assert [got.rcpt_tos for got in mail_server.received] == [[address] for address in KEPT]
    for got in mail_server.received:
        message = parse(got.data)
        (reader,) = got.rcpt_tos
        html, text = message.get_body(("html",)).get_content(), message.get_body(("plain",)).get_content()
        seen = (got.data.decode("ascii", "replace") + html + text).lower()
        assert their_token(reader) in seen
        for other in KEPT + SKIPPED:
            if other != reader:
                assert other not in seen and their_token(other) not in seen, (reader, other)
    to = {got.rcpt_tos[0]: parse(got.data)["To"] for got in mail_server.received}
    assert to["hal@example.org"] == '"Hal, the \\"hacker\\"" <hal@example.org>'
    assert to["cy@example.com"] == "Cy <cy@example.com>" and to["ivy@example.org"] == "ivy@example.org"


def test_a_subscribers_file_whose_header_cannot_be_read_is_a_config_error(tmp_path: Path) -> None:
    project = Project(tmp_path, "  method: outbox\n  outbox: outbox", "subscribers: {path: readers.csv}")
    (tmp_path / "readers.csv").write_bytes(b"\xffemail,name\nann@example.org,Ann\n")
    result = project.digest("send", "--date", str(DAY1))
    assert result.exit_code == 2
    assert "subscribers.path: " in result.stderr and "line 1 (the header): byte 1 is not UTF-8" in result.stderr
