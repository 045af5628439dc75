"""Secrets in `delivery.command` never reach the store, stderr or `digest status`: masked by the values
of the secrets the config names (`${NAME}` in the command, the *_env keys), whatever option carries
them, and for secrets written into the command itself, by the options that carry passwords. The real
command line runs a real command that prints every argument it got."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
from test_readers import reader_project, unsubscribe_secret  # noqa: F401 (autouse: the secret is set)
from test_send import DAY1

PASSWORD = "Tr0ub4dor-and-3"
ECHO = """import sys
sys.stdin.buffer.read()
print("sending with", " ".join(sys.argv[2:]), file=sys.stderr)
sys.exit(int(sys.argv[1]))
"""


def everything_kept(project) -> bytes:
    """Every byte of the store: its file and its write-ahead log."""
    return b"".join(path.read_bytes() for path in (project.root / "state").iterdir() if path.is_file())


@pytest.mark.parametrize("arguments", [
    "-u mailer:${SMTP_PASSWORD} smtps://127.0.0.1",
    "--user mailer:${SMTP_PASSWORD}",
    "--ap ${SMTP_PASSWORD} --au mailer",
    "smtps://mailer:${SMTP_PASSWORD}@mail.example.com:465",
    "--mail-rcpt x --pass=${SMTP_PASSWORD}",
], ids=["curl-u", "curl-user", "swaks-ap", "url", "equals"])
@pytest.mark.parametrize("status", [0, 75], ids=["accepted", "refused"])
def test_a_secret_named_in_the_command_is_masked_by_its_value(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, arguments: str, status: int) -> None:
    monkeypatch.setenv("SMTP_PASSWORD", PASSWORD)
    (tmp_path / "echo.py").write_text(ECHO)
    project = reader_project(tmp_path, f"  method: command\n  command: '{sys.executable} echo.py {status} {arguments}'")
    result = project.digest("send", "--date", str(DAY1))
    assert result.exit_code == (0 if status == 0 else 1), result.stderr
    assert "sending with" in result.stderr or status == 0
    status_out = project.digest("status", "--date", str(DAY1)).stdout
    assert "sending with" in status_out and "***" in status_out  # what the command printed is kept, masked
    for shown in (result.stderr, result.stdout, status_out):
        assert PASSWORD not in shown
    assert PASSWORD.encode() not in everything_kept(project)


@pytest.mark.parametrize("arguments", [
    "-u mailer:hunter2hunter2",
    "--user mailer:hunter2hunter2",
    "--ap hunter2hunter2",
    "smtps://mailer:hunter2hunter2@mail.example.com",
    "-phunter2hunter2",
], ids=["curl-u", "curl-user", "swaks-ap", "url", "p-joined"])
def test_a_secret_written_into_the_command_is_masked_too(tmp_path: Path, arguments: str) -> None:
    """On main: `curl -u u:p`, `--user`, `swaks --ap`, `smtps://u:p@host` put the password in the store and `digest status`."""
    (tmp_path / "echo.py").write_text(ECHO)
    project = reader_project(tmp_path, f"  method: command\n  command: '{sys.executable} echo.py 75 {arguments}'")
    result = project.digest("send", "--date", str(DAY1))
    assert result.exit_code == 1 and "sending with" in result.stderr
    status_out = project.digest("status", "--date", str(DAY1)).stdout
    for shown in (result.stderr, status_out):
        assert "hunter2hunter2" not in shown and "***" in shown
    assert b"hunter2hunter2" not in everything_kept(project)


def test_an_unset_variable_in_the_command_is_named_and_nothing_is_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SMTP_PASSWORD", raising=False)
    (tmp_path / "echo.py").write_text(ECHO)
    project = reader_project(tmp_path, f"  method: command\n  command: '{sys.executable} echo.py 0 --ap ${{SMTP_PASSWORD}}'")
    result = project.digest("send", "--date", str(DAY1))
    assert result.exit_code == 1
    assert "environment variable SMTP_PASSWORD, which it names, is not set or empty" in result.stderr
    assert "sending with" not in result.stderr
