"""Gmail's clipping limit holds for the HTML part as each reader gets it: after their token fills every
`{{subscriber}}`, with CRLF line ends and the transfer encoding the message carries, and decoded as
their mail client holds it. An edition just over the limit, sent to the outbox by the real command line."""
from __future__ import annotations

import json
import random
import re
from pathlib import Path

from test_readers import reader_project, unsubscribe_secret  # noqa: F401 (autouse: the secret is set)
from test_send import DAY1, parse

from digest.render import CLIP_LIMIT

WORDS = ("harbour ferry council tram bridge river market school library museum bakery nurses doctors drivers "
         "pilots farmers miners teachers students runners cyclists sailors workers tenants owners judges "
         "opened closed raised cut moved delayed approved rejected extended repaired built sold bought "
         "tuesday winter summer morning evening quarter budget tolls fares wages rents prices taxes permits "
         "north south east west old new main central upper lower green stone iron glass timber copper").split()


def sentence(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(14)).capitalize() + "."


def items() -> str:
    """Enough distinct stories and briefs (random words: no two alike) that the email must drop some to fit."""
    rng = random.Random(21)
    lines = []
    for n in range(260):
        kind = "story" if n < 40 else "brief"
        body = " ".join(sentence(rng) for _ in range(8 if kind == "story" else 3))
        title = " ".join(rng.choice(WORDS) for _ in range(8)).capitalize()
        lines.append(json.dumps({"id": f"clip-{n}", "kind": kind, "title": title, "body": body,
                                 "url": f"https://news.example.com/port/{n}", "published": f"{DAY1}T{8 + n % 14:02d}:{n % 60:02d}:00"}))
    return "\n".join(lines) + "\n"


def html_part(data: bytes) -> tuple[bytes, bytes]:
    """The HTML part of a message as it travels (transfer-encoded) and as the mail client decodes it."""
    message = parse(data)
    boundary = message.get_boundary().encode()
    for raw in data.split(b"--" + boundary)[1:-1]:
        head, _, body = raw.partition(b"\r\n\r\n")
        if b"text/html" in head:
            return body.removesuffix(b"\r\n"), message.get_body(("html",)).get_payload(decode=True)
    raise AssertionError("no HTML part")


def test_the_html_part_as_each_reader_gets_it_is_under_the_clip_limit(tmp_path: Path) -> None:
    project = reader_project(tmp_path, "  method: outbox\n  outbox: outbox")
    (tmp_path / "items.jsonl").write_text(items())
    text = project.config.read_text().replace('cutoff: "24:00"', 'cutoff: "24:00"\n  max_stories: 400')
    footer = " ".join(f"Your reader code {n}: {{{{subscriber}}}}." for n in range(12))  # the operator's own slots
    project.config.write_text(text + f'email:\n  postal_address: "1 Quay Street, Larkspur. {footer}"\n')
    result = project.digest("send", "--date", str(DAY1))
    assert result.exit_code == 0, result.stderr
    assert re.search(r"dropped the \d+ lowest-ranked items of the news feed", result.stderr)  # it was over, and fitted
    messages = sorted((tmp_path / "outbox").glob("*.eml"))
    assert len(messages) == 3
    for path in messages:
        sent, decoded = html_part(path.read_bytes())
        assert len(decoded) < len(sent) < CLIP_LIMIT, (len(decoded), len(sent))
        assert len(sent) > CLIP_LIMIT - 3_000  # close to the limit: the measure decides, not a wide margin
