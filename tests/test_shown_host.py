"""The host shown under each headline is the host the link goes to, as a browser's address bar shows it:
a link whose host holds a bidi control goes nowhere a browser can go, so it is dropped; and a label that mixes scripts (a lookalike) in punycode,
while a name in one script of its own (Cyrillic, Japanese) stays readable. Through the real command line."""
from __future__ import annotations

import json
from pathlib import Path

from sample_edition import Page
from test_send import DAY1, Project

LINKS = {
    "override": ("https://bbc.co.uk\u202e.evil.example/story", None),  # no browser can go there: no link, no host
    "lookalike": ("https://bb\u0441.co.uk/story", "xn--bb-pmc.co.uk"),  # a Cyrillic "с" among Latin letters
    "cyrillic": ("https://\u0433\u0430\u0432\u0430\u043d\u044c.\u0443\u043a\u0440/story", "\u0433\u0430\u0432\u0430\u043d\u044c.\u0443\u043a\u0440"),
    "punycode": ("https://xn--80aafc7c0e.xn--j1amh/other", "\u0433\u0430\u0432\u0430\u043d\u044c.\u0443\u043a\u0440"),
    "japanese": ("https://\u4f8b\u3048.jp/story", "\u4f8b\u3048.jp"),
    "whole": ("https://\u0430\u0440\u0440\u04cf\u0435.com/story", "xn--80ak6aa92e.com"),  # all Cyrillic, reads "apple"
    "owl": ("https://\u0441\u043e\u0432\u0430.com/story", "\u0441\u043e\u0432\u0430.com"),  # all Cyrillic, reads as itself
}


def test_the_shown_host_is_the_one_the_link_goes_to(tmp_path: Path) -> None:
    project = Project(tmp_path, "  method: outbox\n  outbox: outbox")
    with (project.root / "items.jsonl").open("a") as items:
        for n, (name, (url, _)) in enumerate(LINKS.items()):
            items.write(json.dumps({"id": name, "kind": "story", "published": f"{DAY1}T1{n}:30:00", "url": url,
                                    "title": f"Story {name} from a site", "body": f"The {name} site reports it. It has more."}) + "\n")
    result = project.digest("build", "--date", str(DAY1), "--format", "html", "-o", "-")
    assert result.exit_code == 0, result.stderr
    text = Page(result.stdout).text
    for name, (_, shown) in LINKS.items():
        assert f"Story {name} from a site" in text
        assert shown is None or shown in text, (name, shown)
    assert "\u202e" not in text and "evil.example" not in result.stdout
    assert "bb\u0441.co.uk" not in text and "\u0430\u0440\u0440\u04cf\u0435.com" not in text  # the lookalikes, as their letters would fool a reader
