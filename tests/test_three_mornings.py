"""Issue 24's done-when in one walk through the real command line, a real store, an outbox and the
archive: day 1 the editor drops a story, pins another on top, retitles a third, adds a link and signs
the edition off; day 2 a day-1 story comes back "Updated" with only its new sentences while a
republished one stays out; day 3 a correction to a day-1 story closes the edition and is noted on
day 1's archive page. Key developments lead every edition."""
from __future__ import annotations

import re
from pathlib import Path

from conftest import run_digest
from test_developing import (
    BRIDGE,
    DAY1,
    DAY2,
    DAY3,
    FERRY,
    FESTIVAL,
    FIRE,
    MARKET,
    SCHOOL,
    day_one,
    day_two,
    line,
    newsroom,
    send,
    visible,
    write_day,
)

LEDGER = """\
note: "Good morning. The bridge vote leads today."
stories:
  - {match: ferry, drop: "the operator asked us to wait for its own announcement"}
  - {match: bridge, pin: 1}
  - {match: market, title: "Fish market gets a bigger home"}
add:
  - {title: "The bridge plans, in full", url: "https://port.example/bridge.pdf", blurb: "All 40 pages of the council's plans.",
     section: feed, kind: brief}
"""


def digest(root: Path, *args: str):
    return run_digest(args[0], "-c", str(root / "config.yaml"), *args[1:], cwd=root)


def test_three_mornings_on_the_editors_desk(tmp_path: Path) -> None:
    root = newsroom(tmp_path)
    config = root / "config.yaml"
    config.write_text(config.read_text().replace("  key_developments: 3\n", "  key_developments: 3\n  desk: editions/\n  approval: required\n"))
    (root / "editions").mkdir()
    (root / "editions" / f"{DAY1}.yaml").write_text(LEDGER)

    # day 1: held until the editor signs it off, then sent as edited
    write_day(root, line("fire", FIRE, DAY1, 9), line("school", SCHOOL, DAY1, 10), line("bridge", BRIDGE, DAY1, 11),
              line("market", MARKET, DAY1, 12), line("ferry", FERRY, DAY1, 13))  # what day_one sends
    waiting = digest(root, "send", "--date", str(DAY1))
    assert waiting.returncode == 3, waiting.stderr.decode()
    assert f"waiting for approval of the edition of {DAY1}" in waiting.stderr.decode()
    assert not (root / "outbox").exists()
    assert digest(root, "approve", "--date", str(DAY1), "--by", "Olena Marchuk").returncode == 0
    html1, text1 = day_one(root)
    words1 = visible(html1)
    assert "Ferry timetable changes" not in words1  # dropped
    body1 = words1[words1.index("Top story"):]  # past the preheader, which lists the other headlines
    assert body1.index("Council approves the harbour bridge") < body1.index("Fire breaks out")  # pinned on top
    assert "Fish market gets a bigger home" in words1 and "Fish market moves to the old warehouse" not in words1  # retitled
    assert 'href="https://port.example/bridge.pdf"' in html1 and "The bridge plans, in full" in words1  # added
    assert "Good morning. The bridge vote leads today." in words1
    assert words1.index("Key developments on 14 May") < words1.index("Top story")
    shown = digest(root, "explain", "--date", str(DAY1)).stdout.decode()
    assert re.search(r"pinned by the editor, was #\d+\]\s+Council approves the harbour bridge", shown)
    assert "dropped: the operator asked us to wait for its own announcement" in shown
    assert "retitled by the editor" in shown and "added by the editor" in shown

    # day 2: the fire story moved on; the school story was republished with nothing new
    assert digest(root, "approve", "--date", str(DAY2), "--by", "Olena Marchuk").returncode == 0
    html2, text2 = day_two(root)
    words2 = visible(html2)
    assert "[UPDATED] Fire breaks out at the grain terminal" in text2
    assert "Two workers were taken to hospital with burns" in words2 and "Firefighters from three stations" not in words2
    assert "New school opens" not in words2  # sent on day 1 and republished with nothing new
    assert words2.index("Key developments on 15 May") < words2.index("Top story")

    # day 3: a correction to day 1's bridge story
    corrected = (BRIDGE[0], BRIDGE[1] + "\n\nCorrection: An earlier version of this story gave the vote as 27 to 12; it was 25 to 14.")
    write_day(root, line("bridge", corrected, DAY1, 11), line("festival", FESTIVAL, DAY3, 9))
    assert digest(root, "approve", "--date", str(DAY3), "--by", "Olena Marchuk").returncode == 0
    html3, _ = send(root, DAY3)
    words3 = visible(html3)
    assert words3.index("Key developments on 16 May") < words3.index("Top story") < words3.index("Corrections")
    assert "14 May · Council approves the harbour bridge: An earlier version of this story gave the vote as 27 to 12" in words3
    page = (root / "public" / "2026/05/14/index.html").read_text()
    assert "Corrected on 16 May" in visible(page[page.index('<aside class="corrected"'):])
    assert "Fish market gets a bigger home" in page  # day 1's page is the edition as the editor shaped it
