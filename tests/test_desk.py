"""The editor's desk, end to end: a ledger file written as an editor writes one, the real command line,
a real store, the email as delivered to the outbox, and what `digest explain` says of each edit."""
from __future__ import annotations

import email
import email.policy
import json
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from conftest import newsroom_config, run_digest

DAY = date(2026, 5, 14)

# A morning of a made-up port city's news, written for these tests: (id, title, body, hour, kind)
ITEMS = [
    ("ferry", "Ferry strike halts crossings to the islands",
     "All ferry crossings to the islands stopped on Thursday as crews walked out over pay. The union says the strike lasts two days. "
     "Island shops expect shortages of fresh food.", 11, "story"),
    ("budget", "Council passes the harbour budget after a long night",
     "The council passed the harbour budget by 27 votes to 12 after a debate that ran past midnight. Dredging gets the largest share. "
     "The opposition wanted more for the fish market.", 10, "story"),
    ("rumour", "Explosions reported near the old fort",
     "Residents reported loud bangs near the old fort. The cause was not immediately clear.", 12, "story"),
    ("school", "New school opens in the dockside district",
     "A primary school for 400 pupils opened in the dockside district, the first there in forty years.", 9, "story"),
    ("weather", "Storm warning for the coast on Friday",
     "Forecasters warned of gales on the coast on Friday afternoon.", 8, "brief"),
]


@pytest.fixture
def newsroom(tmp_path: Path) -> Path:
    """A config with `edition.desk: editions/`, a day of items and an outbox."""
    lines = [json.dumps({"id": item_id, "title": title, "body": body, "kind": kind, "url": f"https://port.example/{item_id}",
                         "published": f"{DAY}T{hour:02d}:00:00"}) for item_id, title, body, hour, kind in ITEMS]
    (tmp_path / "items.jsonl").write_text("\n".join(lines) + "\n")
    (tmp_path / "editions").mkdir()
    return newsroom_config(tmp_path, edition="desk: editions/")


def ledger(root: Path, text: str, day: date = DAY) -> Path:
    path = root / "editions" / f"{day}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def digest(root: Path, *args: str) -> subprocess.CompletedProcess:
    return run_digest(args[0], "-c", str(root / "config.yaml"), *args[1:], cwd=root)


def explain(root: Path, *args: str) -> list[dict]:
    done = digest(root, "explain", "--date", str(DAY), "--json", *args)
    assert done.returncode == 0, done.stderr.decode()
    return [json.loads(line) for line in done.stdout.decode().splitlines()]


def delivered(root: Path) -> list[email.message.EmailMessage]:
    return [email.message_from_bytes(path.read_bytes(), policy=email.policy.default)  # type: ignore[misc]
            for path in sorted((root / "outbox").iterdir())]


def html_of(message: email.message.EmailMessage) -> str:
    return message.get_body(("html",)).get_content()  # type: ignore[union-attr]


def text_of(message: email.message.EmailMessage) -> str:
    return message.get_body(("plain",)).get_content().replace("\r\n", "\n")  # type: ignore[union-attr]


DAY_ONE = """\
note: "Good morning. The strike is the day's story."
stories:
  - {match: "rumour", drop: "unconfirmed: legal hold"}
  - {match: "https://port.example/school", pin: 1}
  - match: budget
    title: "Harbour budget passes: dredging first"
    key: "The council passed the harbour budget, dredging first."
add:
  - {title: "Read the full budget", url: "https://port.example/budget.pdf", blurb: "All 212 pages, as the council published them.", kind: brief}
"""


def require_approval(root: Path, extra: str = "") -> None:
    config = root / "config.yaml"
    config.write_text(config.read_text().replace("  desk: editions/\n", "  desk: editions/\n  approval: required\n" + extra))


def test_the_editors_day_one_is_what_the_email_and_explain_show(newsroom: Path) -> None:
    require_approval(newsroom)
    ledger(newsroom, DAY_ONE)
    rows = explain(newsroom)
    by_id = {row["item_ids"][0]: row for row in rows}
    assert rows[0]["item_ids"] == ["school"] and rows[0]["section"] == "top"
    assert rows[0]["desk"] == ["pinned by the editor, was #4"]
    assert by_id["rumour"]["desk"] == ["dropped: unconfirmed: legal hold"] and by_id["rumour"]["section"] is None
    assert by_id["budget"]["title"] == "Harbour budget passes: dredging first"
    assert by_id["budget"]["key"] == "The council passed the harbour budget, dredging first."
    assert by_id["budget"]["desk"][0] == "retitled by the editor (was 'Council passes the harbour budget after a long night')"
    added = [row for row in rows if row["desk"] == ["added by the editor"]]
    assert [row["title"] for row in added] == ["Read the full budget"]
    preview = digest(newsroom, "build", "--date", str(DAY), "-o", "preview.html")
    assert "waiting for approval of the edition of 2026-05-14 (digest approve --date 2026-05-14 --by NAME): this is a preview" in (
        preview.stderr.decode())
    text = digest(newsroom, "explain", "--date", str(DAY)).stdout.decode()
    assert "pinned by the editor, was #4]  New school opens" in text and "dropped: unconfirmed: legal hold]" in text

    waiting = digest(newsroom, "send", "--date", str(DAY))
    assert waiting.returncode == 3
    assert "waiting for approval of the edition of 2026-05-14 (digest approve --date 2026-05-14 --by NAME)" in waiting.stderr.decode()
    assert not (newsroom / "outbox").exists()
    status = digest(newsroom, "status", "--date", str(DAY))
    assert status.returncode == 1
    assert "the edition of 2026-05-14 is waiting for approval (digest approve --date 2026-05-14 --by NAME)" in status.stderr.decode()
    approved = digest(newsroom, "approve", "--by", "Olena Marchuk")  # without --date: the edition the send waits on
    assert approved.returncode == 0 and approved.stdout.decode().startswith("the edition of 2026-05-14 is approved by Olena Marchuk at ")
    sent = digest(newsroom, "send", "--date", str(DAY))
    assert sent.returncode == 0, sent.stderr.decode()
    assert "approved by Olena Marchuk at 20" in digest(newsroom, "status", "--date", str(DAY)).stdout.decode()
    (message,) = delivered(newsroom)
    body, html = text_of(message), html_of(message)
    assert message["Subject"] == "New school opens in the dockside district"
    assert "Explosions reported" not in body and "Explosions reported" not in html
    assert "Harbour budget passes: dredging first" in body and "Council passes the harbour budget" not in body
    assert body.index("Good morning. The strike is the day's story.") < body.index("TOP STORY") < body.index("New school opens")
    assert "https://port.example/budget.pdf" in html and "All 212 pages" in body
    assert body.index("NEWS FEED") < body.index("Read the full budget")


def test_a_sent_edition_keeps_its_ledger_whatever_the_file_says_later(newsroom: Path) -> None:
    ledger(newsroom, DAY_ONE)
    assert digest(newsroom, "send", "--date", str(DAY)).returncode == 0
    first = digest(newsroom, "build", "--date", str(DAY), "--format", "html", "-o", "-")
    ledger(newsroom, 'stories:\n  - {match: "ferry", drop: "changed my mind"}\n')
    again = digest(newsroom, "build", "--date", str(DAY), "--format", "html", "-o", "-")
    assert again.returncode == 0
    assert again.stdout == first.stdout and b"Ferry strike" in again.stdout
    assert b"changed after the edition of 2026-05-14 was recorded; the ledger it was sent with is used" in again.stderr


def test_an_entry_that_matches_nothing_is_a_warning_and_an_error_with_strict(newsroom: Path) -> None:
    ledger(newsroom, 'stories:\n  - {match: "ferry", pin: 1}\n  - {match: "no-such-story", drop: "x"}\n  - {match: "school", pin: 40}\n')
    done = digest(newsroom, "build", "--date", str(DAY), "-o", "out.html")
    assert done.returncode == 0
    stderr = done.stderr.decode()
    assert "editions/2026-05-14.yaml: line 3: stories[1]: match 'no-such-story' matches nothing in the edition of 2026-05-14" in stderr
    assert "editions/2026-05-14.yaml: line 4: stories[2]: pin: 40 is beyond the edition's 6 stories; the story goes last" in stderr
    strict = digest(newsroom, "build", "--date", str(DAY), "-o", "out.html", "--strict")
    assert strict.returncode == 1 and b"--strict" in strict.stderr


@pytest.mark.parametrize(("text", "said"), [
    ("stories:\n  - {match: ferry, pin: 1\n", "editions/2026-05-14.yaml: line 3, column 1: is not valid YAML"),
    ("stories:\n  - {match: ferry, pinned: 1}\n", "line 2: stories[0].pinned: is not a ledger key; use match, pin, drop"),
    ("stories:\n  - {match: 42, pin: 1}\n", "line 2: stories[0].match: should be a story id, item id or url in quotes, not a number ('42')"),
    ("stories:\n  - {match: [a, b], pin: 1}\n", "line 2: stories[0].match: should be a story id, item id or url in quotes, not a list"),
    ("stories:\n  - {match: ferry, pin: 0}\n", "line 2: stories[0].pin: should be a position in the edition, 1 for the top story"),
    ("headline: x\n", "line 1: headline: is not a ledger key; use note, stories, add"),
    ("add:\n  - {title: Click, url: \"javascript:alert(1)\"}\n", "line 2: add[0].url: 'javascript:alert(1)' is not an http(s) link"),
    ("stories:\n  - {match: ferry, section: sport}\n", "line 2: stories[0].section: 'sport' is not a section; use one of stories, feed"),
])
def test_a_broken_ledger_is_exit_2_naming_file_line_and_key(newsroom: Path, text: str, said: str) -> None:
    ledger(newsroom, text)
    done = digest(newsroom, "build", "--date", str(DAY), "-o", "out.html")
    assert done.returncode == 2
    stderr = done.stderr.decode()
    assert said in stderr and "editions/2026-05-14.yaml" in stderr
    assert "Traceback" not in stderr
    assert not (newsroom / "out.html").exists()


def test_a_5_mb_blurb_is_refused_naming_the_key(newsroom: Path) -> None:
    ledger(newsroom, "stories:\n  - match: ferry\n    blurb: " + "a" * 5_000_000 + "\n")
    done = digest(newsroom, "send", "--date", str(DAY))
    assert done.returncode == 2 and b"Traceback" not in done.stderr
    assert b"editions/2026-05-14.yaml: line 3: stories[0].blurb: is 5,000,000 characters; at most 2,000" in done.stderr
    assert not (newsroom / "outbox").exists() or not list((newsroom / "outbox").iterdir())


def test_the_editors_words_are_escaped_like_any_item_text(newsroom: Path) -> None:
    ledger(newsroom, 'note: "<script>alert(1)</script> Morning"\nstories:\n  - {match: ferry, title: "<b>Ferry</b> {{subscriber}}"}\n')
    done = digest(newsroom, "build", "--date", str(DAY), "--format", "html", "-o", "-")
    assert done.returncode == 0
    assert b"<script>alert(1)" not in done.stdout and b"&lt;script&gt;" in done.stdout
    assert b"<b>Ferry</b>" not in done.stdout and b"&lt;b&gt;Ferry&lt;/b&gt;" in done.stdout
    assert b"{{subscriber}}" not in done.stdout  # never a per-reader slot


def test_a_change_to_the_ledger_after_approval_withdraws_it(newsroom: Path) -> None:
    require_approval(newsroom)
    ledger(newsroom, DAY_ONE)
    assert digest(newsroom, "approve", "--date", str(DAY), "--by", "Olena").returncode == 0
    ledger(newsroom, DAY_ONE.replace("legal hold", "legal hold, per counsel"))
    done = digest(newsroom, "send", "--date", str(DAY))
    assert done.returncode == 3 and not (newsroom / "outbox").exists()
    assert "editions/2026-05-14.yaml changed after Olena approved it at 20" in done.stderr.decode()
    assert digest(newsroom, "approve", "--date", str(DAY), "--by", "Olena").returncode == 0
    assert digest(newsroom, "send", "--date", str(DAY)).returncode == 0 and len(delivered(newsroom)) == 1


def test_a_broken_ledger_never_lets_an_unedited_edition_out(newsroom: Path) -> None:
    require_approval(newsroom)
    ledger(newsroom, DAY_ONE)
    assert digest(newsroom, "approve", "--date", str(DAY), "--by", "Olena").returncode == 0
    ledger(newsroom, DAY_ONE + "  - {title: oops\n")
    for command in ("send", "approve"):
        done = digest(newsroom, command, "--date", str(DAY), *(["--by", "Olena"] if command == "approve" else []))
        assert done.returncode == 2 and b"editions/2026-05-14.yaml: line" in done.stderr and b"Traceback" not in done.stderr
    assert not (newsroom / "outbox").exists()


def test_a_proof_goes_to_its_addresses_only_and_is_never_the_edition(newsroom: Path) -> None:
    require_approval(newsroom)
    ledger(newsroom, DAY_ONE)
    done = digest(newsroom, "proof", "--date", str(DAY), "--to", "editor@example.com", "--to", "desk@example.com")
    assert done.returncode == 0, done.stderr.decode()
    proofs = delivered(newsroom)
    assert sorted(message["To"] for message in proofs) == ["desk@example.com", "editor@example.com"]
    assert {message["Subject"] for message in proofs} == {"[Proof] New school opens in the dockside district"}
    assert digest(newsroom, "status", "--date", str(DAY)).returncode != 0  # no edition recorded
    assert digest(newsroom, "send", "--date", str(DAY)).returncode == 3  # a proof is no approval
    assert digest(newsroom, "approve", "--date", str(DAY), "--by", "Olena").returncode == 0
    assert digest(newsroom, "send", "--date", str(DAY)).returncode == 0
    editions = [message for message in delivered(newsroom) if not message["Subject"].startswith("[Proof]")]
    assert [message["To"] for message in editions] == ["reader@example.com"]
    assert editions[0]["Message-ID"] not in {message["Message-ID"] for message in proofs}


@pytest.mark.parametrize("on_deadline", ["skip", "send"])
def test_schedule_waits_for_approval_until_the_deadline_then_does_what_on_deadline_says(
        newsroom: Path, monkeypatch: pytest.MonkeyPatch, on_deadline: str) -> None:
    from digest import send as sending
    from digest.config import load_config
    from digest.errors import EXIT_OK, EXIT_WAITING
    from digest.store import Store

    require_approval(newsroom, f"  approval_deadline: \"09:00\"\n  on_deadline: {on_deadline}\n")
    ledger(newsroom, DAY_ONE)
    config = load_config(newsroom / "config.yaml")
    clock = [datetime(2026, 5, 15, 4, 0, tzinfo=UTC)]  # 07:00 in Kyiv, the morning after the edition's day
    monkeypatch.setattr(sending, "utcnow", lambda: clock[0])
    with Store(newsroom / "state/digest.db") as store:
        early = sending.send(config, store, DAY, scheduled=True)
        assert early.exit_status == EXIT_WAITING and "`digest schedule` waits until 2026-05-15 09:00 EEST" in early.summary
        clock[0] = datetime(2026, 5, 15, 6, 0, tzinfo=UTC)  # 09:00 in Kyiv: the deadline
        late = sending.send(config, store, DAY, scheduled=True)
        assert late.exit_status == EXIT_OK
        said = "the approval deadline (2026-05-15 09:00 EEST) passed without approval of the edition of 2026-05-14"
        if on_deadline == "skip":
            assert late.summary == said + "; skipped, as edition.on_deadline: skip says"
            assert store.edition(DAY) is None and store.skipped(DAY)
        else:
            assert late.warnings[0] == said + "; sending it unapproved, as edition.on_deadline: send says"
            assert store.edition(DAY) is not None and len(delivered(newsroom)) == 1


def faked(root: Path, moment: datetime, *args: str) -> subprocess.CompletedProcess:
    """`digest ARGS` in a new process whose clock reads `moment` (Debian's faketime)."""
    import os
    import shutil
    import sys

    from conftest import ROOT

    if shutil.which("faketime") is None:
        pytest.skip("faketime is not installed (CI installs Debian's package in .ci/run)")
    utc = moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TZ": "UTC", "FAKETIME_DONT_FAKE_MONOTONIC": "1"}
    return subprocess.run(["faketime", "-f", f"@{utc}", sys.executable, "-m", "digest", args[0], "-c", str(root / "config.yaml"), *args[1:]],
                          cwd=root, env=env, capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.slow
def test_an_undated_item_read_after_the_cutoff_makes_that_mornings_edition_without_a_time(tmp_path: Path) -> None:
    from zoneinfo import ZoneInfo

    kyiv = ZoneInfo("Europe/Kyiv")
    items = [
        {"id": "tram", "title": "Night trams start running on line N1", "body": "The first night tram left the depot at midnight.",
         "kind": "story", "url": "https://port.example/tram", "published": "2026-12-06T20:00:00"},
        {"id": "undated", "title": "Lighthouse keeper retires after 31 years", "body": "The keeper of the north light retired.",
         "kind": "story", "url": "https://port.example/lighthouse"},
    ]
    (tmp_path / "items.jsonl").write_text("".join(json.dumps(item) + "\n" for item in items))
    (tmp_path / "config.yaml").write_text("""
newsletter: {title: Portside Morning, timezone: Europe/Kyiv, from: "Portside Morning <m@example.com>", to: [r@example.com],
             unsubscribe_url: "https://example.com/unsubscribe"}
sources: [{name: newsroom, kind: jsonl, path: items.jsonl}]
store: {path: state/digest.db}
delivery: {method: outbox, outbox: outbox}
""")
    morning = faked(tmp_path, datetime(2026, 12, 7, 7, 5, tzinfo=kyiv), "send")  # read five minutes after the 07:00 cut-off
    assert morning.returncode == 0, morning.stderr
    assert ("1 item without a date ('Lighthouse keeper retires after 31 years') goes in the edition of 2026-12-07,"
            " the first built since seen") in morning.stderr
    (message,) = delivered(tmp_path)
    body = text_of(message)
    assert "Lighthouse keeper retires" in body and "Lighthouse keeper retires after 31 years\n" in body  # no time before or after it
    assert "10:29" not in body and "7:05" not in body
    assert body.index("Night trams start") < body.index("Lighthouse keeper")  # no recency advantage over a dated story
    (tmp_path / "items.jsonl").write_text("".join(json.dumps(item) + "\n" for item in [*items, {
        "id": "ferry", "title": "Ferry timetable changes for the winter", "body": "Fewer crossings from Monday.", "kind": "story",
        "url": "https://port.example/ferry", "published": "2026-12-07T18:00:00"}]))
    next_morning = faked(tmp_path, datetime(2026, 12, 8, 7, 5, tzinfo=kyiv), "send")
    assert next_morning.returncode == 0, next_morning.stderr
    assert [("Lighthouse" in text_of(m), "Ferry timetable" in text_of(m)) for m in delivered(tmp_path)] == [(True, False), (False, True)]


def test_a_config_without_sources_is_named_by_build_check_and_send(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text("""
newsletter: {title: Portside Morning, timezone: Europe/Kyiv, from: "morning@example.com", to: [r@example.com],
             unsubscribe_url: "https://example.com/unsubscribe"}
store: {path: state/digest.db}
delivery: {method: outbox, outbox: outbox}
""")
    built = digest(tmp_path, "build", "--date", str(DAY), "-o", "out.html")
    assert built.returncode == 0
    stderr = built.stderr.decode()
    assert "sources: lists no source; add one (README: Sources), or every edition is empty" in stderr
    assert "the edition of 2026-05-14 has no stories: the config has no sources" in stderr
    checked = digest(tmp_path, "check")
    assert checked.returncode == 1 and b"sources: lists no source, so every edition is empty" in checked.stderr
    sent = digest(tmp_path, "send", "--date", str(DAY))
    assert sent.returncode == 1 and b"has no stories" in sent.stderr and not (tmp_path / "outbox").exists()


def test_an_empty_edition_says_why_and_is_not_sent(newsroom: Path) -> None:
    empty_day = "2026-05-20"
    built = digest(newsroom, "build", "--date", empty_day, "-o", "out.html")
    assert built.returncode == 0
    assert ("the edition of 2026-05-20 has no stories: none of the 5 items read was published in its window,"
            " 2026-05-20 00:00 EEST to 2026-05-21 00:00 EEST") in built.stderr.decode()
    sent = digest(newsroom, "send", "--date", empty_day)
    assert sent.returncode == 1 and b"an empty email is not sent" in sent.stderr and not (newsroom / "outbox").exists()
    assert digest(newsroom, "send", "--date", str(DAY)).returncode == 0
    config = newsroom / "config.yaml"
    config.write_text(config.read_text().replace('  cutoff: "24:00"\n', '  cutoff: "24:00"\n  window_hours: 48\n'))
    again = digest(newsroom, "build", "--date", "2026-05-15", "-o", "out.html")  # a 48 h window: the same items, all sent
    assert "the edition of 2026-05-15 has no stories: all 5 stories of its window were sent in earlier editions" in again.stderr.decode()


def test_the_newsletters_title_names_a_sender_without_a_display_name(newsroom: Path) -> None:
    config = newsroom / "config.yaml"
    config.write_text(config.read_text().replace('from: "Portside Morning <morning@example.com>"', 'from: "morning@example.com"'))
    assert digest(newsroom, "send", "--date", str(DAY)).returncode == 0
    (message,) = delivered(newsroom)
    assert message["From"] == "Portside Morning <morning@example.com>"
    assert "Daily Digest" not in text_of(message) and "Portside Morning\n" in text_of(message)


def test_digest_desk_writes_the_entries_a_build_then_applies(newsroom: Path) -> None:
    for args in (("pin", "https://port.example/school", "1"), ("drop", "rumour", "legal hold"),
                 ("edit", "budget", "--title", "Harbour budget passes: dredging first"),
                 ("add", "--title", "Read the full budget", "--url", "https://port.example/budget.pdf", "--kind", "brief"),
                 ("note", "Good morning.")):
        done = run_digest("desk", "-c", str(newsroom / "config.yaml"), str(DAY), *args, cwd=newsroom)
        assert done.returncode == 0, done.stderr.decode()
    refused = run_digest("desk", "-c", str(newsroom / "config.yaml"), str(DAY), "add", "--title", "x", "--url", "javascript:alert(1)",
                         cwd=newsroom)
    assert refused.returncode == 2 and b"add[1].url: 'javascript:alert(1)' is not an http(s) link" in refused.stderr
    assert b"(nothing written)" in refused.stderr
    rows = explain(newsroom)
    assert rows[0]["item_ids"] == ["school"] and rows[0]["desk"] == ["pinned by the editor, was #4"]
    assert any(row["desk"] == ["dropped: legal hold"] for row in rows)
    assert any(row["title"] == "Harbour budget passes: dredging first" for row in rows)
    assert any(row["desk"] == ["added by the editor"] for row in rows)
    assert "javascript" not in (newsroom / "editions" / f"{DAY}.yaml").read_text()
