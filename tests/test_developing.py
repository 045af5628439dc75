"""Stories that move on, end to end: three mornings sent through the real command line to an outbox,
with a real store and the web archive on. Day 2: a story sent on day 1 comes back with new paragraphs
as "Updated", its blurb only what is new, while a republished one and one with a typo fixed stay out.
Day 3: corrections to day-1 stories close the edition and are noted on day 1's archive page and feed
entry, whose email as sent is left as it was."""
from __future__ import annotations

import email
import email.policy
import json
import re
from datetime import date
from html import unescape
from pathlib import Path

import feedparser
from conftest import newsroom_config, run_digest

from digest.developing import MIN_NEW_WORDS

DAY1, DAY2, DAY3 = date(2026, 5, 14), date(2026, 5, 15), date(2026, 5, 16)
BASE = "https://port.example/morning/"

FIRE = ("Fire breaks out at the grain terminal",
        "A fire broke out at the grain terminal on the north quay late on Wednesday. Firefighters from three stations were sent to the quay.\n\n"
        "The port authority closed the quay to ships until further notice.")
FIRE_NEWS = ("Two workers were taken to hospital with burns, the regional health department said on Thursday morning.\n\n"
             "Investigators believe a faulty conveyor belt started the blaze, according to the fire service.")
SCHOOL = ("New school opens in the dockside district",
          "A primary school for 400 pupils opened in the dockside district, the first there in forty years. The mayor cut the ribbon.")
BRIDGE = ("Council approves the harbour bridge",
          "The council approved the new harbour bridge by 27 votes to 12. Building starts in the autumn and takes three years.")
MARKET = ("Fish market moves to the old warehouse",
          "The fish market moves to the restored old warehouse next month. Stallholders welcomed the larger hall and its cold rooms.")
FERRY = ("Ferry timetable changes for the summer",
         "Ferries to the islands run every hour from June, the operator said. The last boat leaves the harbour at eleven at night.")
GALES = ("Gales expected on the coast", "Forecasters warned of gales on the coast on Friday afternoon, with gusts up to 90 km/h.")
FESTIVAL = ("Harbour festival announces its programme", "The harbour festival announced a programme of 40 concerts over three days in July.")


def line(item_id: str, story: tuple[str, str], day: date, hour: int, **extra: object) -> str:
    title, body = story
    return json.dumps({"id": item_id, "title": title, "body": body, "kind": "story", "url": f"https://port.example/{item_id}",
                       "published": f"{day}T{hour:02d}:00:00", **extra})


def write_day(root: Path, *lines: str) -> None:
    (root / "items.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


def newsroom(root: Path) -> Path:
    return newsroom_config(root, edition="key_developments: 3", settings=f'archive: {{dir: public, base_url: "{BASE.rstrip("/")}"}}\n')


def send(root: Path, day: date) -> tuple[str, str]:
    """Send the edition of `day`; its HTML and text as the reader gets them."""
    done = run_digest("send", "-c", str(root / "config.yaml"), "--date", str(day), cwd=root)
    assert done.returncode == 0, done.stderr.decode()
    newest = sorted((root / "outbox").iterdir(), key=lambda path: path.stat().st_mtime_ns)[-1]
    message = email.message_from_bytes(newest.read_bytes(), policy=email.policy.default)
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert str(day.day) in message["Subject"] or message["Subject"]
    return html, text


def visible(html: str) -> str:
    """The words a reader sees, one space between them."""
    inline = re.sub(r"</?(?:a|span|b)\b[^>]*>", "", re.sub(r"<(style|head)\b.*?</\1>", " ", html, flags=re.S))
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", inline)).split())


def day_one(root: Path) -> tuple[str, str]:
    write_day(root, line("fire", FIRE, DAY1, 9), line("school", SCHOOL, DAY1, 10), line("bridge", BRIDGE, DAY1, 11),
              line("market", MARKET, DAY1, 12), line("ferry", FERRY, DAY1, 13))
    return send(root, DAY1)


def day_two(root: Path) -> tuple[str, str]:
    fire = (FIRE[0], FIRE[1] + "\n\n" + FIRE_NEWS)
    typo = (MARKET[0], MARKET[1].replace("welcomed", "welcommed"))  # one word changed: not news
    write_day(root, line("fire", fire, DAY1, 9, updated=f"{DAY2}T08:00:00+03:00"),
              line("school", SCHOOL, DAY2, 7),  # republished with a new date, nothing new
              line("market", typo, DAY2, 8), line("gales", GALES, DAY2, 10))
    return send(root, DAY2)


def test_day_two_a_story_that_moved_on_comes_back_updated_with_only_what_is_new(tmp_path: Path) -> None:
    root = newsroom(tmp_path)
    html1, _ = day_one(root)
    assert "Fire breaks out at the grain terminal" in html1 and "Updated" not in visible(html1)

    html, text = day_two(root)
    words = visible(html)
    assert "Fire breaks out at the grain terminal" in words
    assert re.search(r">Updated</span>\s*<a[^>]*>Fire breaks out", html)  # the label, on its headline
    assert "[UPDATED] Fire breaks out at the grain terminal" in text
    assert "Two workers were taken to hospital with burns" in words  # the new sentences...
    assert "Firefighters from three stations" not in words and "closed the quay" not in words  # ...and only them
    assert f'href="{BASE}2026/05/14/"' in html and "Previously in the edition of 14 May" in words  # where it last appeared
    assert "New school opens" not in words  # republished, nothing new: stays out
    assert "Fish market moves" not in words  # a typo fixed is not news
    assert "Gales expected on the coast" in words
    # the update leads key developments with what is new, not with what day 1 said
    keys = words[words.index("Key developments on 15 May"):]
    assert keys.index("Two workers were taken to hospital") < keys.index("Gales")

    shown = run_digest("explain", "-c", str(root / "config.yaml"), "--date", str(DAY2), cwd=root)
    assert "updated since the edition of 2026-05-14]  Fire breaks out at the grain terminal" in shown.stdout.decode()
    page = (root / "public" / "2026/05/15/index.html").read_text()  # the archive page leads with key developments too
    assert "Key developments on 15 May" in page and page.index('<a class="key" href="#story-1"') < page.index('id="story-1"')

    # day 3: the update was sent on day 2, so the same text is old news now
    write_day(root, line("fire", (FIRE[0], FIRE[1] + "\n\n" + FIRE_NEWS), DAY1, 9), line("festival", FESTIVAL, DAY3, 9))
    html3, _ = send(root, DAY3)
    assert "Fire breaks out" not in visible(html3) and "Harbour festival" in visible(html3)


def test_day_three_corrections_close_the_edition_and_are_noted_on_day_ones_page(tmp_path: Path) -> None:
    root = newsroom(tmp_path)
    day_one(root)
    day_two(root)
    page_before = (root / "public" / "2026/05/14/index.html").read_text()
    assert "Corrected on" not in page_before

    corrected = (BRIDGE[0], BRIDGE[1] + "\n\nCorrection: An earlier version of this story gave the vote as 27 to 12; it was 25 to 14.")
    write_day(root, line("bridge", corrected, DAY1, 11),  # a paragraph that says so
              line("ferry", FERRY, DAY1, 13, correction="The last boat leaves at ten, not eleven."),  # the field
              line("festival", FESTIVAL, DAY3, 9))
    html, text = send(root, DAY3)
    words = visible(html)
    corrections = words.index("Corrections")
    assert corrections > words.index("Harbour festival announces")  # at the edition's end, after the stories
    assert corrections < words.index("Portside Morning", corrections)  # before the footer
    assert "14 May · Council approves the harbour bridge: An earlier version of this story gave the vote as 27 to 12; it was 25 to 14." in words
    assert "14 May · Ferry timetable changes for the summer: The last boat leaves at ten, not eleven." in words
    assert 'href="https://port.example/bridge"' in html[html.index("Corrections"):]
    assert "Council approves the harbour bridge" not in words[:corrections]  # a correction is not news of its own
    flat = " ".join(text.split())
    assert "CORRECTIONS" in text
    assert "14 May · Ferry timetable changes for the summer: The last boat leaves at ten, not eleven. https://port.example/ferry" in flat

    page = (root / "public" / "2026/05/14/index.html").read_text()
    sent_body = page_before.split("</nav>", 1)[1].split("<nav ", 1)[0].strip()  # the email as sent, between the two navigations
    assert len(sent_body) > 1000 and sent_body in page  # kept as it was: the note is appended, nothing rewritten
    note = visible(page[page.index('<aside class="corrected"'):])
    assert "Corrected on 16 May · Council approves the harbour bridge: An earlier version" in note
    assert "The last boat leaves at ten, not eleven." in note
    assert 'href="../../../2026/05/16/index.html"' in page[page.index('<aside class="corrected"'):]  # to the edition that carried it
    for sent_text in ("27 votes to 12", "The last boat leaves the harbour at eleven at night"):
        assert sent_text in page  # what was sent stays as it was sent
    feed = feedparser.parse((root / "public" / "feed.xml").read_bytes())
    (entry,) = [entry for entry in feed.entries if entry.link == f"{BASE}2026/05/14/"]
    assert "Corrected on 16 May" in entry.content[0].value and f"{BASE}2026/05/16/" in entry.content[0].value
    (carrier,) = [other for other in feed.entries if other.link == f"{BASE}2026/05/16/"]
    assert entry.updated == carrier.published  # updated when the correcting edition went out, so feed readers see it changed

    # day 4: the same corrections are not carried again
    regatta = ("Regatta returns to the bay", "The bay regatta returns in August with 60 boats from eight countries.")
    write_day(root, line("bridge", corrected, DAY1, 11), line("regatta", regatta, date(2026, 5, 17), 9))
    html4, _ = send(root, date(2026, 5, 17))
    assert "Corrections" not in visible(html4)


def test_the_threshold_is_a_sentence_with_a_fact_in_it() -> None:
    assert 6 < MIN_NEW_WORDS <= len("The death toll has risen to 12, police said".split())


RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel><title>Port wire</title><link>https://wire.example/</link><description>wire</description>
{items}
</channel></rss>
"""


def rss_item(slug: str, title: str, paragraphs: list[str], published: str, category: str | None = None, updated: str | None = None) -> str:
    body = "".join(f"<p>{paragraph}</p>" for paragraph in paragraphs)
    return (f"<item><title>{title}</title><link>https://wire.example/{slug}</link><guid>https://wire.example/{slug}</guid>"
            f"<pubDate>{published}</pubDate>" + (f"<category>{category}</category>" if category else "")
            + (f"<atom:updated>{updated}</atom:updated>" if updated else "")
            + f"<description><![CDATA[{body}]]></description></item>")


def test_a_feed_entry_that_gains_a_clarification_and_a_correction_category(tmp_path: Path) -> None:
    root = newsroom(tmp_path)
    config = root / "config.yaml"
    config.write_text(config.read_text().replace("{name: newsroom, kind: jsonl, path: items.jsonl}", "{name: wire, kind: feed, path: wire.xml}"))
    pier = ["The old pier will be demolished in June to make room for a ferry terminal, the harbour office said.",
            "Anglers who use the pier asked for a new fishing platform."]
    crane = ["A new harbour crane arrived from Rotterdam on a heavy-lift ship.", "It can lift 80 tonnes."]
    (root / "wire.xml").write_text(RSS.format(items=rss_item("pier", "Old pier to be demolished", pier, "Thu, 14 May 2026 09:00:00 +0300")
                                              + rss_item("crane", "New crane arrives", crane, "Thu, 14 May 2026 10:00:00 +0300")))
    send(root, DAY1)
    lifted = "On Friday morning it lifted its first load, a 60-tonne transformer for the new substation."
    clarified = [*pier, "Clarification: The demolition needs the regional heritage board's approval, which is due in May."]
    (root / "wire.xml").write_text(RSS.format(items=rss_item("pier", "Old pier to be demolished", clarified, "Thu, 14 May 2026 09:00:00 +0300",
                                                             category="correction")
                                              + rss_item("crane", "New crane arrives", [*crane, lifted], "Thu, 14 May 2026 10:00:00 +0300",
                                                         updated="2026-05-15T11:00:00+03:00")
                                              + rss_item("tug", "Harbour gets an electric tug", ["The harbour's first electric tug began work."],
                                                         "Fri, 15 May 2026 09:00:00 +0300")))
    html, _ = send(root, DAY2)
    words = visible(html)
    assert "14 May · Old pier to be demolished: Clarification: The demolition needs the regional heritage board's approval" in words
    assert "Updated New crane arrives" in words and lifted in words and "Rotterdam" not in words
    assert re.search(r"New crane arrives 11:00 AM", words)  # dated by the entry's <updated>, not its first date
    assert words.index("Harbour gets an electric tug") < words.index("Corrections")
