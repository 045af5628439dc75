"""The eml and json outputs, read back the way a mail system would: with Python's `email` package."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import parseaddr, parsedate_to_datetime
from pathlib import Path

import pytest
from conftest import ROOT, run_digest
from sample_edition import CUTOFF, config, edition

from digest import render


def parse(data: bytes) -> EmailMessage:
    return message_from_bytes(data, policy=policy.default)


def test_eml_headers_parts_and_encoding() -> None:
    ed = edition()
    ed.stories()[0].lead.title = "Київ: нічний пором курсує до ранку"  # a non-ASCII top headline reaches the Subject
    settings = config()
    data = render.render(ed, settings, "eml")
    message = parse(data)

    assert message["Subject"] == "Київ: нічний пором курсує до ранку"
    assert parseaddr(message["From"]) == ("Harbour Town Daily", "daily@news.example.org")
    assert message["To"] == "readers@news.example.org"
    assert parsedate_to_datetime(message["Date"]) == CUTOFF
    assert message["Message-ID"] == render.message_id(ed, settings)
    assert message["MIME-Version"] == "1.0"
    assert message["List-Unsubscribe"] == "<https://news.example.org/unsubscribe/{{subscriber}}>, <mailto:unsubscribe@news.example.org>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    assert message.get_content_type() == "multipart/alternative"
    parts = list(message.iter_parts())
    assert [part.get_content_type() for part in parts] == ["text/plain", "text/html"]  # richest last
    assert all(part.get_content_charset() == "utf-8" for part in parts)
    for part, fmt in zip(parts, ("text", "html"), strict=False):  # line ends travel as CRLF, like every line of the message
        assert part.get_content().replace("\r\n", "\n") == render.render(ed, settings, fmt).decode("utf-8")
    assert not message.defects and not any(part.defects for part in parts)

    # RFC 5322 on the wire: CRLF line ends, no line over 998 octets, 7-bit clean for any relay
    assert data.isascii()
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert max(len(line) for line in data.split(b"\r\n")) <= 998
    assert b"=?utf-8?" in data.split(b"\r\nFrom:")[0]  # the Subject, as RFC 2047 encoded words


def test_each_part_takes_the_smaller_7bit_encoding() -> None:
    """Quoted-printable for English, base64 for Cyrillic (which quoted-printable would triple)."""
    english = parse(render.render(edition(), config(), "eml"))
    assert [part["Content-Transfer-Encoding"] for part in english.iter_parts()] == ["quoted-printable", "quoted-printable"]
    ukrainian = edition()
    for s in ukrainian.stories():
        s.lead.title = "Нічний пором курсує до ранку після скарг медсестер"
        s.summary = ["Портова адміністрація додала рейс о 23:40, бо про це попросили медсестри та пекарі."] * 3
    settings = config()
    message = parse(render.render(ukrainian, settings, "eml"))
    assert [part["Content-Transfer-Encoding"] for part in message.iter_parts()] == ["base64", "base64"]
    assert "Нічний пором курсує до ранку" in message.get_body(("html",)).get_content()


def test_message_id_is_stable_for_an_edition_and_differs_between_editions() -> None:
    settings = config()
    first, again = edition(), edition(stories=2, briefs=1)  # same day, other content: still the same edition
    assert render.message_id(first, settings) == render.message_id(again, settings)
    assert parse(render.render(first, settings, "eml"))["Message-ID"] == parse(render.render(edition(), settings, "eml"))["Message-ID"]
    tomorrow = edition()
    tomorrow.date = date(2026, 5, 15)
    assert render.message_id(tomorrow, settings) != render.message_id(first, settings)
    other_list = config()
    other_list.newsletter.from_ = "Weekly <weekly@news.example.org>"
    assert render.message_id(first, other_list) != render.message_id(first, settings)
    assert render.message_id(first, settings).endswith("@news.example.org>")


def test_list_unsubscribe_follows_what_is_configured() -> None:
    mail_only = config()
    mail_only.newsletter.unsubscribe_url = None
    message = parse(render.render(edition(), mail_only, "eml"))
    assert message["List-Unsubscribe"] == "<mailto:unsubscribe@news.example.org>"
    assert message["List-Unsubscribe-Post"] is None  # one-click needs an https URL (RFC 8058)

    plain_http = config()
    plain_http.newsletter.unsubscribe_url = "http://news.example.org/unsubscribe"
    plain_http.newsletter.unsubscribe_mailto = None
    message = parse(render.render(edition(), plain_http, "eml"))
    assert message["List-Unsubscribe"] == "<http://news.example.org/unsubscribe>"
    assert message["List-Unsubscribe-Post"] is None


def test_json_for_an_email_api() -> None:
    settings = config()
    ed = render.fit(edition(), settings).edition
    document = json.loads(render.render(ed, settings, "json"))
    assert list(document) == ["subject", "preheader", "from", "to", "html", "text", "headers"]
    assert document["subject"] == ed.subject and document["preheader"] == ed.preheader
    assert document["from"] == "Harbour Town Daily <daily@news.example.org>"
    assert document["to"] == ["readers@news.example.org"]
    assert document["html"] == render.render(ed, settings, "html").decode()
    assert document["text"] == render.render(ed, settings, "text").decode()
    eml = parse(render.render(ed, settings, "eml"))
    names = ("Date", "Message-ID", "List-Id", "Auto-Submitted", "Precedence", "List-Unsubscribe", "List-Unsubscribe-Post")
    assert document["headers"] == {name: eml[name] for name in names}
    # vacation responders (RFC 3834) and older auto-repliers leave a newsletter alone
    assert (eml["Auto-Submitted"], eml["Precedence"]) == ("auto-generated", "bulk")


JSONL = [
    {"id": "a", "title": "Ferry fares frozen for another year", "kind": "story", "published": "2026-05-14T09:00:00+03:00",
     "url": "https://herald.example.org/fares", "body": "The harbour authority froze ferry fares for another year. "
     "It said fuel costs had fallen since the winter. Commuters' groups welcomed the decision."},
    {"id": "b", "title": "Lighthouse opens to visitors on Sunday", "kind": "brief", "published": "2026-05-14T15:30:00+03:00",
     "url": "https://herald.example.org/lighthouse", "body": "The old lighthouse will open to visitors on Sunday afternoons."},
]


def write_project(folder: Path, extra: str = "") -> Path:
    (folder / "items.jsonl").write_text("\n".join(json.dumps(row) for row in JSONL) + "\n")
    path = folder / "config.yaml"
    path.write_text(f"""
newsletter:
  title: Harbour Town Daily
  timezone: Europe/Kyiv
  from: "Harbour Town Daily <daily@news.example.org>"
  to: ["readers@news.example.org"]
  unsubscribe_url: "https://news.example.org/unsubscribe/{{{{subscriber}}}}"
sources:
  - name: Harbour Herald export
    kind: jsonl
    path: items.jsonl
edition:
  date: "2026-05-14"
  cutoff: "24:00"  # the items of the 14th
store:
  path: state/digest.db
{extra}""")
    return path


def test_build_eml_to_stdout_is_exactly_one_message_for_sendmail_t(tmp_path: Path) -> None:
    result = run_digest("build", "-c", str(write_project(tmp_path)), "--format", "eml", "-o", "-")
    assert result.returncode == 0, result.stderr.decode()
    message = parse(result.stdout)
    assert message["To"] == "readers@news.example.org"  # what `sendmail -t` takes the recipients from
    assert message["Subject"].startswith("Ferry fares frozen")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert result.stdout.startswith(b"Subject: ") and not message.defects
    body = message.get_body(("plain",)).get_content()
    assert "Lighthouse opens to visitors on Sunday" in body and "https://herald.example.org/fares" in body


@pytest.mark.slow
def test_build_json_note_and_open(tmp_path: Path) -> None:
    """--open hands the HTML's file URL to the user's browser; $BROWSER stands in for one here."""
    seen = tmp_path / "opened.txt"
    browser = f"{sys.executable} -c \"import sys; open({str(seen)!r}, 'w').write(sys.argv[1])\" %s"
    result = subprocess.run(
        [sys.executable, "-m", "digest", "build", "-c", str(write_project(tmp_path)), "--format", "json",
         "-o", str(tmp_path / "e.json"), "--note", "Fares stay put: good news for commuters.", "--open"],
        cwd=ROOT, capture_output=True, timeout=120, env={**os.environ, "BROWSER": browser},
    )
    assert result.returncode == 0, result.stderr.decode()
    document = json.loads((tmp_path / "e.json").read_text())
    assert "Fares stay put: good news for commuters." in document["html"]
    assert "Fares stay put: good news for commuters." in document["text"]
    html_page = tmp_path / "out" / "2026-05-14.html"
    assert html_page.read_text() == document["html"]
    assert seen.read_text() == html_page.resolve().as_uri()


def test_template_error_exits_2_naming_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "email.txt.j2").write_text("{{ view.title }}\n{% if view.note %}\nno end\n")
    result = run_digest("build", "-c", str(write_project(tmp_path, "templates: mine\n")), "--format", "text", "-o", "-")
    assert result.returncode == 2
    stderr = result.stderr.decode()
    assert str(tmp_path / "mine" / "email.txt.j2") in stderr and "line 3" in stderr and "endif" in stderr
    assert result.stdout == b""


def test_briefs_dropped_for_gmail_are_reported_on_stderr(tmp_path: Path) -> None:
    """A designer's template that spends 56 KB a story forces the drop path through the real command line."""
    (tmp_path / "mine").mkdir()
    blocks = (Path(render.__file__).parents[2] / "templates" / "_blocks.mjml.j2").read_text()
    padded = blocks.replace("{% macro summary(story) -%}", "{% macro summary(story) -%}\n<p>{{ 'ballast ' * 7000 }}</p>")
    (tmp_path / "mine" / "_blocks.mjml.j2").write_text(padded)
    result = run_digest("build", "-c", str(write_project(tmp_path, "templates: mine\n")), "--format", "html", "-o", "-")
    assert result.returncode == 0, result.stderr.decode()
    assert "dropped the 1 lowest-ranked item of the news feed" in result.stderr.decode()
    assert "Lighthouse opens to visitors" not in result.stdout.decode()
    assert len(result.stdout) < render.CLIP_LIMIT
