"""Terminal escape sequences in item text never reach stderr through the command line: warnings
that quote an item (a date that is not a date, a title dated in the future) show them escaped."""
from __future__ import annotations

import json
from pathlib import Path

from .conftest import DAY, SUSPECT, Expect, assert_contract, write_project

ESCAPES = "\x1b]0;PWNED\x07\x1b[2J\x1b[1A\x9b31m\u202e"


def test_escape_sequences_in_warnings_are_shown_escaped(tmp_path: Path, baseline_rss: float) -> None:
    lines = [
        {"title": "Crane hire rates rise", "body": "Rates rise in June. The port says why.", "published": f"soon{ESCAPES}"},
        {"title": f"Pier works{ESCAPES} finish", "body": "The pier reopens. Walkers are back.", "published": "2999-01-01T00:00:00Z"},
        {"title": "Quay lights replaced", "body": "New lamps were fitted. They use less power.", "published": f"{DAY}T10:00:00Z"},
    ]
    (tmp_path / "export.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    config = write_project(tmp_path, {"kind": "jsonl", "path": "export.jsonl"})
    message = assert_contract(config, Expect(failed=False, reason=r"not an ISO 8601 date", present=("Quay lights replaced",)),
                              baseline_rss)
    said = [line for line in message.stderr.splitlines() if f"'{SUSPECT}'" in line]
    assert any("soon\\x1b]0;PWNED\\x07\\x1b[2J\\x1b[1A\\x9b31m\\u202e" in line for line in said), message.stderr
    assert any("dated in the future ('Pier works" in line for line in said), message.stderr
    for character in "\x1b\x07\x9b\u202e":
        assert character not in message.stderr
