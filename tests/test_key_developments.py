"""Key developments: the day in a few lines above the stories, each line linking to its story below,
in the email, its text twin and the archive page, in the newsletter's language; 0 turns it off."""
from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

from conftest import ROOT, run_digest

from digest.render.keylines import KEY_WORDS, shortened


class Keys(HTMLParser):
    """The key developments' links (href, text) and every element id, in document order."""

    def __init__(self) -> None:
        super().__init__()
        self.keys: list[list[str]] = []
        self.ids: list[str] = []
        self._in_key = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id"):
            self.ids.append(found["id"] or "")
        if tag == "a" and found.get("class") == "key":
            self.keys.append([found.get("href") or "", ""])
            self._in_key = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self._in_key = False

    def handle_data(self, data: str) -> None:
        if self._in_key:
            self.keys[-1][1] += data


def build(config: Path, fmt: str, *extra: str) -> str:
    done = run_digest("build", "-c", str(config), "--format", fmt, "-o", "-", *extra, cwd=config.parent)
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout.decode()


def parsed(html: str) -> Keys:
    keys = Keys()
    keys.feed(html)
    return keys


def test_the_sample_day_opens_with_five_key_developments_each_linking_to_its_story() -> None:
    html = build(ROOT / "config.yaml", "html")
    keys = parsed(html)
    assert len(keys.keys) == 5
    assert html.index("Key developments on 14 May") < html.index("Top story")
    for href, text in keys.keys:
        assert href.startswith("#story-") and href[1:] in keys.ids  # an anchor that is there
        assert 4 <= len(text.split()) <= 25 + 1  # one sentence of at most 25 words (an ellipsis may follow the last)
    assert keys.keys[0][0] == "#story-1"  # the top story's line comes first

    text = build(ROOT / "config.yaml", "text")
    heading = text.index("KEY DEVELOPMENTS ON 14 MAY")
    assert heading < text.index("TOP STORY")
    bullets = re.findall(r"^\* ", text[heading:text.index("TOP STORY")], re.M)
    assert len(bullets) == 5


def test_the_ukrainian_sample_says_it_in_ukrainian() -> None:
    html = build(ROOT / "sample" / "uk" / "config.yaml", "html")
    assert "Головне за 14 травня" in html
    assert len(parsed(html).keys) == 5
    assert "ГОЛОВНЕ ЗА 14 ТРАВНЯ" in build(ROOT / "sample" / "uk" / "config.yaml", "text")


def test_zero_turns_it_off(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text((ROOT / "config.yaml").read_text().replace("key_developments: 5", "key_developments: 0")
                      .replace("path: sample/", f"path: {ROOT}/sample/"))
    assert "key_developments: 0" in config.read_text()
    html = build(config, "html")
    assert "Key developments" not in html and not parsed(html).keys
    assert "Top story" in html


def test_a_long_lead_is_compressed_as_a_blurb_is_and_ends_at_a_clause_never_mid_clause() -> None:
    said = ("Meridian's first night tram line opened on Thursday, linking the railway station with the western estates between"
            " midnight and five in the morning, the city transport department said.")
    assert shortened(said) == ("Meridian's first night tram line opened on Thursday, linking the railway station with the western estates"
                               " between midnight and five in the morning.")
    clauses = ("The council approved the harbour budget by 27 votes to 12 after a debate that ran past midnight, which means dredging"
               " of the inner basin can start before the summer season.")
    assert shortened(clauses) == "The council approved the harbour budget by 27 votes to 12 after a debate that ran past midnight."
    listed = ("The children's ward of the northern hospital reopened on Thursday after a year of renovation, with 40 beds, two operating"
              " rooms and a playroom paid for by a local charity.")
    assert shortened(listed) == "The children's ward of the northern hospital reopened on Thursday after a year of renovation."  # not inside the list
    ukrainian = ("Північний міст через річку Меридіанку знову відкрили для автомобілів і трамваїв у четвер увечері, після двох років"
                 " ремонту, повідомила міська адміністрація, додавши, що пішохідна частина запрацює в червні наступного року.")
    assert shortened(ukrainian, "uk") == "Північний міст через річку Меридіанку знову відкрили для автомобілів і трамваїв у четвер увечері."
    short = "The port replaced its last diesel crane."
    assert shortened(short) == short
    for line in (shortened(said), shortened(clauses)):
        assert len(line.split()) <= KEY_WORDS and line.endswith(".")


def test_a_line_that_would_be_cut_or_leans_on_what_it_leaves_out_gives_way_to_the_headline(tmp_path: Path) -> None:
    items = [
        {"id": "leans", "kind": "story", "published": "2026-05-14T09:00:00", "url": "https://news.example/leans",
         "title": "Harbour may let private crews repair the ferries",
         "body": "Such a move would let the ferries return to service weeks sooner. The council votes on it next week."},
        {"id": "long", "kind": "story", "published": "2026-05-14T10:00:00", "url": "https://news.example/long",
         "title": "Court orders the arrest of two former port chiefs",
         "body": "The regional court ordered on Thursday the arrest of the former harbour master Petro Vynnyk and the former customs"
                 " chief of the port Oksana Lysenko for taking bribes from shipping firms over six years in exchange for berths."
                 " Both deny it."},
    ]
    (tmp_path / "items.jsonl").write_text("\n".join(json.dumps(item) for item in items) + "\n")
    config = tmp_path / "config.yaml"
    config.write_text("""
newsletter: {title: Harbour Daily, timezone: Europe/Kyiv, from: "Harbour Daily <daily@example.com>", to: [readers@example.com],
             unsubscribe_mailto: leave@example.com}
sources: [{name: newsroom, kind: jsonl, path: items.jsonl}]
edition: {cutoff: "24:00", key_developments: 5}
store: {path: state/digest.db}
""")
    lines = [text for _, text in parsed(build(config, "html", "--date", "2026-05-14")).keys]
    assert sorted(line.strip() for line in lines) == ["Court orders the arrest of two former port chiefs",
                                                      "Harbour may let private crews repair the ferries"]
