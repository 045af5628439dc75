"""What a spam filter makes of a sent edition: Debian's SpamAssassin, offline (`-L`), on the message
`digest send` delivered to the outbox, for the sample day and the seeds' day.

A relay adds a Received header before a filter reads the message; the tests add one, dated now, as a
relay would, so the rules that compare Date with the time of receipt (DATE_IN_PAST_*) get to run.
No rule that adds points may fire, so a list manager's bonus (MAILING_LIST_MULTI, -1) cannot hide
one that does.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

import pytest
from conftest import ROOT, run_digest

pytestmark = pytest.mark.slow  # SpamAssassin takes seconds a message

SPAMASSASSIN = shutil.which("spamassassin")
SECRET = {"DIGEST_UNSUBSCRIBE_SECRET": "a-test-secret-of-some-length-0123456789"}
MOST = 0.1  # points a sent edition may score


@pytest.fixture
def spamassassin() -> str:
    if SPAMASSASSIN is None:
        pytest.skip("spamassassin is not installed (CI installs Debian's package in .ci/run; here: apt-get install spamassassin)")
    return SPAMASSASSIN


def relayed(message: bytes) -> bytes:
    """The message as the receiving server hands it on: a Received header on top, dated now."""
    now = format_datetime(datetime.now(UTC))
    return f"Received: from relay.example.com\r\n\tby mx.example.org with ESMTPS id 4F2kQ; {now}\r\n".encode("ascii") + message


def hits(spamassassin: str, message: bytes, home: Path) -> dict[str, float]:
    """The rules SpamAssassin's report lists for `message`, with their points (offline: no DNS, no network)."""
    result = subprocess.run([spamassassin, "-L", "-t"], input=message, capture_output=True, timeout=120,
                            env={**os.environ, "HOME": str(home)})
    report = result.stdout.decode("utf-8", "replace").split("Content analysis details:")[-1]
    return {name: float(points) for points, name in re.findall(r"^\s*(-?\d+\.\d+) ([A-Z0-9_]+)\s", report, flags=re.M)}


def sent(config: Path, day: str) -> bytes:
    """The message `digest send --date day` put in the outbox (the config delivers to `outbox/`)."""
    result = run_digest("send", "-c", str(config), "--date", day, cwd=config.parent, env=SECRET)
    assert result.returncode == 0, result.stderr.decode()
    (message,) = (config.parent / "outbox").glob("*.eml")
    return message.read_bytes()


def assert_clean(found: dict[str, float]) -> None:
    assert found, "SpamAssassin gave no report"
    assert sum(found.values()) <= MOST, found
    assert not {name: points for name, points in found.items() if points > MOST}, found


def test_the_sample_day_as_sent_scores_nothing(tmp_path: Path, spamassassin: str) -> None:
    shutil.copy(ROOT / "config.yaml", tmp_path / "config.yaml")
    shutil.copytree(ROOT / "sample", tmp_path / "sample")
    assert_clean(hits(spamassassin, relayed(sent(tmp_path / "config.yaml", "2026-05-14")), tmp_path))


def test_the_seeds_day_as_sent_scores_nothing(tmp_path: Path, seeds: list[Path], spamassassin: str) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(f"""
newsletter:
  title: Ukraine Daily
  tagline: News from Ukraine in your inbox
  timezone: Europe/Kyiv
  from: "Ukraine Daily <daily@example.com>"
  to: ["reader@example.org"]
  unsubscribe_url: "https://example.com/unsubscribe/{{{{subscriber}}}}"
sources:
  - {{name: Ukraine Daily pages, kind: pagetext, path: "{seeds[0].parent}/*.txt"}}
edition: {{window_hours: 48}}
store: {{path: state/digest.db}}
delivery: {{method: outbox, outbox: outbox/}}
""")
    message = sent(config, "2024-06-26")
    assert_clean(hits(spamassassin, relayed(message), tmp_path))
    # the documented preview pipe (`build --format eml -o - | sendmail -t`) is dated when it is written
    preview = run_digest("build", "-c", str(config), "--date", "2024-06-26", "--format", "eml", "-o", "-", cwd=tmp_path)
    assert preview.returncode == 0, preview.stderr.decode()
    assert_clean(hits(spamassassin, relayed(preview.stdout), tmp_path))
    # dated at its cut-off instead, two years before the relay got it, it scores DATE_IN_PAST: the
    # Received header above is what lets the filter see that, so the checks above are real ones
    dated_then = re.sub(rb"(?m)^Date: [^\r]*", b"Date: Fri, 26 Jun 2024 07:00:00 +0300", preview.stdout, count=1)
    assert any(name.startswith("DATE_IN_PAST") for name in hits(spamassassin, relayed(dated_then), tmp_path))
