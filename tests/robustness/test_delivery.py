"""Mail servers that misbehave after, around or instead of taking the message, through `digest send`:
a message the server took is sent once, whatever comes after; a stalled server is cut off at the
delivery deadline; a password never crosses plain TCP unless the config says so."""
from __future__ import annotations

import json
import os
import shlex
import signal
import sys
import time
from pathlib import Path

import pytest

from .conftest import DAY, GOOD_TITLES, Child, Outcome, run, write_project
from .rawsmtp import RawSmtp


def smtp_project(folder: Path, server: RawSmtp, **smtp) -> Path:
    delivery = {"method": "smtp", "smtp": {"host": "127.0.0.1", "port": server.port, "timeout": 5, **smtp}}
    return write_project(folder, extra=f"delivery: {json.dumps(delivery)}\n")


def send(config: Path, **kwargs) -> Outcome:
    return run("send", "-c", str(config), "--date", DAY, cwd=config.parent, **kwargs)


def receipts(config: Path) -> str:
    """What `digest status` shows of each reader's delivery: the mail system's receipt among it."""
    return run("status", "-c", str(config), "--date", DAY, cwd=config.parent).stdout.decode()


@pytest.fixture
def servers():
    started: list[RawSmtp] = []

    def start(**behaviour) -> RawSmtp:
        started.append(RawSmtp(**behaviour))
        return started[-1]

    yield start
    for server in started:
        server.close()


@pytest.mark.parametrize("quit_reply", [b"500 5.5.1 what?\r\n", b"421 4.3.0 going down\r\n", None], ids=["500", "421", "hang-up"])
def test_a_message_the_server_took_is_sent_once_whatever_quit_gets(tmp_path: Path, servers, quit_reply: bytes | None) -> None:
    server = servers(quit_reply=quit_reply)
    config = smtp_project(tmp_path, server)
    first = send(config)
    assert first.status == 0 and "Traceback" not in first.stderr, first
    said = receipts(config)
    assert "accepted <" in said and "250 2.0.0 queued as R1" in said, said
    for _ in range(2):
        again = send(config)
        assert again.status == 0 and "already sent" in again.stderr, again
    assert len(server.messages) == 1
    assert GOOD_TITLES[0].encode() in server.messages[0]


def ordinary_send(folder: Path, servers) -> Outcome:
    """The baseline: a send of the same project to a server that behaves, on this machine, now."""
    folder.mkdir()
    outcome = send(smtp_project(folder, servers()))
    assert outcome.status == 0, outcome
    return outcome


def test_a_server_trickling_its_greeting_is_cut_off_at_the_deadline(tmp_path: Path, servers) -> None:
    baseline = ordinary_send(tmp_path / "baseline", servers)
    server = servers(trickle=0.2)  # every read gets a byte well within the 5 s timeout: only the deadline ends it
    outcome = send(smtp_project(tmp_path, server, deadline=2))
    assert outcome.status == 1 and "Traceback" not in outcome.stderr, outcome
    assert "did not take the message within 2 s (delivery.smtp.deadline)" in outcome.stderr, outcome
    # the deadline, plus what a send costs here anyway (with room for this machine's hiccups)
    assert 2 <= outcome.seconds < 2 + 2 * baseline.seconds, (baseline.seconds, outcome)


def test_sigterm_during_a_stalled_delivery_stops_within_the_deadline(tmp_path: Path, servers) -> None:
    baseline = ordinary_send(tmp_path / "baseline", servers)
    server = servers(trickle=0.2)
    child = Child(("send", "-c", str(smtp_project(tmp_path, server, deadline=3)), "--date", DAY), cwd=tmp_path)
    assert server.connected.wait(15), "digest never connected"
    signalled = time.monotonic()
    os.kill(child.pid, signal.SIGTERM)
    outcome = child.finish()
    stopped = time.monotonic() - signalled
    assert outcome.status == -signal.SIGTERM, outcome  # the held SIGTERM, acted on once the delivery gave up
    assert stopped < 3 + baseline.seconds, f"stopped {stopped:.1f} s after SIGTERM (a send takes {baseline.seconds:.1f} s)\n{outcome}"
    assert "SIGTERM received" in outcome.stderr, outcome


def test_a_login_over_plain_tcp_needs_allow_plaintext_auth(tmp_path: Path, servers, monkeypatch) -> None:
    monkeypatch.setenv("DIGEST_SMTP_USER", "digest-bot")
    monkeypatch.setenv("DIGEST_SMTP_PASSWORD", "pl41n-s3cret")
    server = servers()
    login = {"username_env": "DIGEST_SMTP_USER", "password_env": "DIGEST_SMTP_PASSWORD"}
    refused = send(smtp_project(tmp_path, server, **login), fresh=True)
    assert refused.status == 2, refused
    assert "config.yaml: delivery.smtp: a login without TLS would send the password in the clear" in refused.stderr
    assert "allow_plaintext_auth: true" in refused.stderr
    assert server.commands == [] and not server.connected.is_set()  # never even connected

    allowed = send(smtp_project(tmp_path, server, allow_plaintext_auth=True, **login), fresh=True)
    assert allowed.status == 0, allowed
    assert len(server.messages) == 1 and any(command.startswith(b"AUTH") for command in server.commands)
    assert "pl41n-s3cret" not in allowed.stderr


# --- delivery by command ---------------------------------------------------------------------------------

LEAVES_A_CHILD = """
import subprocess, sys
data = sys.stdin.buffer.read()
with open(sys.argv[1], "ab") as mailbox:
    mailbox.write(data + b"\\n--end of message--\\n")
# a queue runner left behind: it holds stdout and stderr open for 30 s after this command exits 0
runner = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
with open(sys.argv[2], "w") as pid:
    pid.write(str(runner.pid))
print("queued as C1", flush=True)
"""

PRINTS_300_MB = """
import sys
sys.stdin.buffer.read()
line = b"x" * 1023 + b"\\n"
for _ in range(300 * 1024):
    sys.stdout.buffer.write(line)
print("queued as C2", flush=True)
"""

REFUSES_AND_ECHOES = """
import sys
sys.stdin.buffer.read()
print("relay refused the login for", " ".join(sys.argv[1:]), file=sys.stderr)
sys.exit(75)
"""

SECRETS = ("hunter2-7d0f", "pw-51c9", "pa55-e2b4", "tok-93aa")


def command_project(folder: Path, script: str, *args: str, timeout: float = 10) -> Path:
    (folder / "sendmail.py").write_text(script)
    delivery = {"method": "command", "command": shlex.join([sys.executable, str(folder / "sendmail.py"), *args]),
                "command_timeout": timeout}
    return write_project(folder, extra=f"delivery: {json.dumps(delivery)}\n")


ORDINARY_COMMAND = """
import sys
data = sys.stdin.buffer.read()
with open(sys.argv[1], "ab") as mailbox:
    mailbox.write(data + b"\\n--end of message--\\n")
print("queued as C0", flush=True)
"""


def test_a_command_leaving_a_background_child_is_done_when_it_exits(tmp_path: Path) -> None:
    (tmp_path / "baseline").mkdir()
    baseline = send(command_project(tmp_path / "baseline", ORDINARY_COMMAND, str(tmp_path / "baseline" / "mailbox")))
    assert baseline.status == 0, baseline
    mailbox, runner = tmp_path / "mailbox", tmp_path / "runner.pid"
    config = command_project(tmp_path, LEAVES_A_CHILD, str(mailbox), str(runner), timeout=60)
    try:
        first = send(config)
        assert first.status == 0 and "queued as C1" in receipts(config), first
        # not the runner's 30 s, nor the command's 60 s timeout: what a send takes here anyway, with room for hiccups
        assert first.seconds < 4 * baseline.seconds, (baseline.seconds, first)
        again = send(config)
        assert again.status == 0 and "already sent" in again.stderr, again
    finally:
        if runner.exists():
            os.kill(int(runner.read_text()), signal.SIGKILL)
    assert mailbox.read_bytes().count(b"--end of message--") == 1


def test_a_command_printing_hundreds_of_mb_costs_only_the_kept_tail(tmp_path: Path, baseline_rss: float) -> None:
    config = command_project(tmp_path, PRINTS_300_MB)
    outcome = send(config)
    assert outcome.status == 0 and "queued as C2" in receipts(config), outcome
    assert outcome.max_rss_mb < baseline_rss + 80, f"peak {outcome.max_rss_mb:.0f} MB, baseline {baseline_rss:.0f} MB\n{outcome}"


def test_secrets_in_the_command_are_masked_on_stderr_and_in_the_store(tmp_path: Path) -> None:
    args = (f"--password={SECRETS[0]}", "-p", SECRETS[1], f"smtp://bot:{SECRETS[2]}@relay.example/", f"SMTP_TOKEN={SECRETS[3]}")
    config = command_project(tmp_path, REFUSES_AND_ECHOES, *args)
    outcome = send(config)
    assert outcome.status == 1, outcome
    assert "exited with status 75: relay refused the login for --password=*** -p *** smtp://***@relay.example/ SMTP_TOKEN=***" \
        in outcome.stderr, outcome
    stored = b"".join(path.read_bytes() for path in (tmp_path / "state").glob("digest.db*"))
    assert b"relay refused the login for --password=***" in stored  # the failure reason is recorded...
    for secret in SECRETS:  # ...without a secret, as stderr has none
        assert secret not in outcome.stderr and secret.encode() not in stored, secret
