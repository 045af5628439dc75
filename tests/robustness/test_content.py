"""Hostile, huge and odd item content through the command line. Each row's entries arrive twice, in a
feed served on 127.0.0.1 (SUSPECT) and in a CMS export (SUSPECT 2), so both ways in are held to the
contract in conftest.assert_contract: the items kept, nothing hostile in the email."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from .conftest import SUSPECT, Expect, Message, Server, assert_contract, entry, respond, rss, write_project

FEED_DATE = "Wed, 01 May 2024 {hour:02d}:00:00 GMT"


@dataclass
class Entry:
    """One item as both a feed entry and a JSON line; `title` and `body` are HTML (or plain text)."""

    title: str
    body: str = "<p>The harbour office said so on Wednesday.</p><p>More details will follow next week.</p>"
    link: str | None = None
    guid: str | None = None  # the feed's <guid>, the export's "id"
    published: str | None = "2024-05-01T{hour:02d}:00:00Z"  # None: no date; formatted with the entry's hour
    feed_date: str | None = FEED_DATE


@dataclass
class Row:
    entries: list[Entry]
    present: tuple[str, ...] = ()  # in the text and the HTML, from each way in
    absent: tuple[str, ...] = ("PWNED",)  # planted in hostile code: must not come out at all
    markers: tuple[str, ...] = ()
    feed_reason: str | None = None  # what stderr must say about the feed, None: nothing
    export_reason: str | None = None
    check: object = None  # an extra check of the message
    seconds: float = 10.0


def xml_text(text: str) -> str:
    """Text escaped for XML; half a surrogate pair as the character reference a broken encoder writes."""
    return re.sub("[\ud800-\udfff]", lambda found: f"&#{ord(found.group())};", escape(text))


def as_feed(row: Row) -> bytes:
    return rss(*(
        entry(xml_text(e.title), xml_text(e.body), link=escape(e.link) if e.link else None, guid=e.guid,
              date=e.feed_date.format(hour=10 + n % 12) if e.feed_date else None)
        for n, e in enumerate(row.entries)
    ))


def as_export(row: Row) -> str:
    lines = []
    for n, e in enumerate(row.entries):
        line = {"title": e.title, "body": e.body}
        if e.link:
            line["url"] = e.link
        if e.guid:
            line["id"] = e.guid
        if e.published:
            line["published"] = e.published.format(hour=10 + n % 12)
        lines.append(json.dumps(line))  # non-ASCII as \u escapes, as many exports write it
    return "\n".join(lines) + "\n"


def said_both(message: Message, *phrases: str) -> None:
    """Each phrase is said on stderr about the feed and about the export."""
    for name in (SUSPECT, f"{SUSPECT} 2"):
        lines = [line for line in message.stderr.splitlines() if f"'{name}'" in line]
        for phrase in phrases:
            assert any(phrase in line for line in lines), f"{name!r} never said {phrase!r}:\n{message.stderr}"


def longest_paragraph(message: Message, limit: int) -> None:
    longest = max(len(line) for line in message.text.splitlines())
    assert longest <= limit, f"a {longest}-character line in the text part"


def shown_where_it_leads(message: Message) -> None:
    """A backslash link says where a browser takes it, and does not take the real story's place."""
    text = " ".join(message.text.split())
    assert "https://evil.example/@www.bbc.co.uk/news/harbour-bill" in text, text
    real = text[text.index("Harbour bill passes the council"):]
    assert real.index("The bill passed by forty votes") < real.index("https://www.bbc.co.uk/news/harbour-bill"), text
    # in the HTML, where the headline is the link, the line under it names the host it really leads to
    assert re.search(r'href="https://evil.example/@www.bbc.co.uk/news/harbour-bill"[^>]*>Harbour bill thrown out</a></h3>\s*'
                     r'<p class="muted"[^>]*>[^<]* · evil.example</p>', message.html), message.html


ROWS: dict[str, Row] = {
    "script_elements": Row(
        [Entry("Quay closed <script>alert('PWNED-1')</script>for repairs",
               "<p>Ships wait outside.</p><script>document.write('PWNED-2')</script><p>Repairs take a week.</p>"
               "<SCRIPT SRC=https://evil.example/PWNED-3.js></SCRIPT><scr<script>ipt>PWNED-4</script>")],
        present=("Quay closed for repairs",),
    ),
    "script_as_text_in_a_headline": Row(
        [Entry("Why &lt;script&gt; tags break email", "<p>Email clients remove &lt;script&gt; and never run it.</p>")],
        present=("Why <script> tags break email",), absent=(),
    ),
    "event_handler_attributes": Row(
        [Entry('<b onmouseover="PWNED-1()">Tugs stand by</b> at dawn',
               '<p onclick="PWNED-2()">Tugs <img src="x" onerror="PWNED-3()">wait.</p>'
               '<a href="https://ok.example/" onmouseover="PWNED-4">Details</a> <svg onload="PWNED-5()"><g/></svg>'
               '<body onload=PWNED-6()>Crews rest.</body>')],
        present=("Tugs stand by at dawn",),
    ),
    "javascript_and_data_links": Row(
        [Entry("Pilot roster published", "<p>Roster <a href=\"javascript:alert('PWNED-1')\">here</a>.</p>",
               link="javascript:alert('PWNED-2')"),
         Entry("Berth plan published", "<p>Berths four to nine change hands in June.</p>",
               link="data:text/html;base64,PHNjcmlwdD5hbGVydCgnUFdORUQtMycpPC9zY3JpcHQ+"),
         Entry("Crane schedule published", "<p>Two cranes work nights from Monday.</p>", link="  JaVaScRiPt:alert('PWNED-4')"),
         Entry("Dredging notice published", "<p>The channel is dredged in the autumn.</p>", link="java\tscript:alert('PWNED-5')"),
         Entry("Pier webcam restored", "<p>The camera on the pier streams again.</p>", link="vbscript:msgbox('PWNED-6')")],
        present=("Pilot roster published", "Berth plan published", "Crane schedule published", "Dredging notice published",
                 "Pier webcam restored"),
        export_reason=r"is not an http\(s\) or mailto link; item kept without it",
    ),
    "links_posing_as_another_outlet": Row(
        [Entry("Harbour bill passes the council", "<p>The bill passed by forty votes to two on Wednesday.</p>",
               link="https://www.bbc.co.uk/news/harbour-bill"),
         Entry("Harbour bill thrown out", "<p>The bill was thrown out, a SPOOFED report claims at far greater length. "
               "It gives many more details than the real story does, to look the fuller copy.</p>",
               link="https://evil.example\\@www.bbc.co.uk/news/harbour-bill"),
         Entry("Harbour bill delayed", "<p>The vote on the bill is delayed by a week, another SPOOFED report says.</p>",
               link="https://www.bbc.co.uk@evil.example/news/harbour-bill")],
        present=("Harbour bill passes the council", "The bill passed by forty votes", "Harbour bill thrown out",
                 "Harbour bill delayed"),
        absent=("PWNED", "evil.example\\", "www.bbc.co.uk@"),
        export_reason=r"'https://www\.bbc\.co\.uk@evil\.example/news/harbour-bill' is not an http\(s\) or mailto link; item kept without it",
        check=lambda message: shown_where_it_leads(message),
    ),
    "css_in_titles_and_bodies": Row(
        [Entry("<style>body{display:none;background:url(https://evil.example/PWNED-1)}</style>Pier lights repaired",
               '<div style="position:fixed;top:0;left:0;width:100%;height:100%;PWNED-2:1">Lights work again.</div>'
               '<link rel="stylesheet" href="https://evil.example/PWNED-3.css"><p style="color:red">Crews tested them.</p>'),
         Entry('<span style="font-size:99px;PWNED-4:1">Night tug</span> ready', "<style>@import 'https://evil.example/PWNED-5';</style>")],
        present=("Pier lights repaired", "Night tug ready"),
        markers=("PWNED", "evil.example", "position:fixed"),
    ),
    "ten_kb_headline": Row(
        [Entry("Harbour " * 1250 + "end", "<p>A headline of ten thousand characters.</p>")],
        present=("Harbour Harbour Harbour",), absent=("Harbour " * 100,),
        check=lambda message: longest_paragraph(message, 400),
    ),
    "two_hundred_kb_body_without_punctuation": Row(
        [Entry("Cargo tally without a full stop", " ".join(f"crate{n} barrel{n % 17} sack{n % 5}" for n in range(10_000)))],
        present=("Cargo tally without a full stop",),
        feed_reason=r"suspect text: [\d,]+ characters without a sentence end",
        check=lambda message: longest_paragraph(message, 1300),
    ),
    "eight_thousand_short_sentences": Row(  # dense sentence x sentence matrices took minutes and gigabytes
        [Entry("Every tide of the year in one notice",
               " ".join(f"Tide {n} reaches the {('north', 'east', 'south')[n % 3]} pier at berth {n % 97}." for n in range(8_000)))],
        present=("Every tide of the year in one notice", "reaches the"), seconds=4,
    ),
    "timetable_paragraphs": Row(  # a time-stamp regex backtracked exponentially on one such line
        [Entry("Ferry timetable for the summer",
               "<p>" + " ".join(["6:10 a.m. 6:40 a.m."] * 8) + " daily</p><p>" + "Jan. " * 40 + "sailings</p>"
               "<p>The ferry keeps its summer timetable until September.</p>")],
        present=("Ferry timetable for the summer", "The ferry keeps its summer timetable"), seconds=4,
    ),
    "markup_that_never_closes": Row(  # the standard library's HTML parser went quadratic on these
        [Entry("Markup that never closes", "<p>The pier reopens.</p>" + "<a " * 30_000 + "<!--" * 20_000),
         Entry("Scripts that never close", "<script " * 20_000 + "(photo " * 10_000)],
        present=("Markup that never closes", "Scripts that never close"), seconds=4,
        # a body of tags that never close is degenerate text too: named as suspect, its blurb cut
        feed_reason=r"suspect text: [\d,]+ characters without a sentence end",
    ),
    "emoji_rtl_chinese_ukrainian": Row(
        [Entry("🚢 Ferry returns 🌊 after the storm ⚓", "<p>Passengers cheered 🎉 on the quay.</p>"),
         Entry("مرفأ المدينة يفتح أبوابه من جديد", "<p>افتتح المرفأ صباح اليوم بعد أعمال الصيانة.</p>"),
         Entry("הנמל נפתח מחדש אחרי השיפוץ", "<p>הספינות הראשונות הגיעו בבוקר.</p>"),
         Entry("港口今天重新开放", "<p>第一艘船在早上抵达。码头工人很高兴。</p>"),
         Entry("Порт відкрив нову пристань для поромів", "<p>Пором ходитиме щодня. Квитки продають на пристані.</p>"),
         Entry("Invoice \u202egnp.exe for the port", "<p>A bidi override in a headline must not reverse it.</p>")],
        present=("🚢 Ferry returns 🌊 after the storm ⚓", "مرفأ المدينة يفتح أبوابه من جديد", "הנמל נפתח מחדש אחרי השיפוץ",
                 "港口今天重新开放", "Порт відкрив нову пристань для поромів", "Invoice gnp.exe for the port"),
        absent=("\u202e",),
    ),
    "characters_no_document_may_hold": Row(
        [Entry("Tide \uffff tables \ufffe reprinted", "<p>A noncharacter \uffff in the body.</p>"),
         Entry("Half a pair \ud800 of surrogates", "<p>Its other half \udfff is elsewhere.</p>")],
        present=("Tide tables reprinted", "Half a pair \ufffd of surrogates"),
        feed_reason=r"2 characters not valid UTF-8 \(bytes, or references to half a surrogate pair\)",
    ),
    "missing_garbage_and_far_future_dates": Row(
        [Entry("Undated notice about moorings", published=None, feed_date=None),
         Entry("Notice with a garbage date", published="yesterday-ish", feed_date="the day after tomorrow"),
         Entry("Notice dated in the year 2999", published="2999-05-01T10:00:00Z", feed_date="Fri, 01 May 2999 10:00:00 GMT"),
         Entry("Notice dated at the end of time", published="9999-12-31T23:59:59-14:00", feed_date="Fri, 31 Dec 9999 23:59:59 -1400"),
         Entry("Notice dated on the first day", published="0001-01-01T00:00:00+14:00", feed_date="Mon, 01 Jan 0001 00:00:00 +1400"),
         Entry("Dated notice about the fuel dock")],
        present=("Dated notice about the fuel dock",),
        feed_reason=r"without a date|in the future", export_reason=r"without a date|not an ISO 8601 date|in the future",
        check=lambda message: said_both(message, "dated in the future ('Notice dated in the year 2999'",
                                        "without a date ('Undated notice about moorings'"),
    ),
    "duplicate_guids": Row(
        [Entry("Buoy moved to the east channel", guid="buoy-1"),
         Entry("Buoy moved to the east channel", guid="buoy-1"),
         Entry("Buoy moved to the east channel (corrected)", "<p>The buoy went to the east channel, not the west.</p>", guid="buoy-1"),
         Entry("Lock gates tested", "<p>The lock gates opened and closed twice.</p>", guid="buoy-1")],
        present=("Buoy moved to the east channel", "Buoy moved to the east channel (corrected)", "Lock gates tested"),
        feed_reason=r"1 item repeats an earlier one|3 items share one id .* each is kept as an item of its own",
        export_reason=r"3 items share one id .* each is kept as an item of its own",
        check=lambda message: said_both(message, "repeats an earlier one", "3 items share one id"),
    ),
    "posts_of_a_live_page_sharing_its_link": Row(
        [Entry(f"Live: {what}", f"<p>{what} at the harbour, the office said.</p>",
               link=f"https://quay.example/live#post-{n}", guid=f"post-{n}")
         for n, what in enumerate(("Storm warning lifted", "Ferries sail again", "Pier reopens to walkers"))],
        present=("Live: Storm warning lifted", "Live: Ferries sail again", "Live: Pier reopens to walkers"),
    ),
    "body_only_page_chrome": Row(
        [Entry("Harbour master answers readers",
               "<p>Skip to content</p><p>Subscribe to our newsletter today</p><p>Advertisement</p><p>Share this article</p>"
               "<p>5 min read</p><p>Sign up for free email alerts</p><p>Follow us on Twitter</p>")],
        present=("Harbour master answers readers",),
        absent=("Skip to content", "Subscribe to our newsletter", "Advertisement", "Share this article", "min read", "Sign up"),
    ),
}


@pytest.mark.parametrize("name", sorted(ROWS))
def test_content_case(name: str, server: Server, tmp_path: Path, baseline_rss: float) -> None:
    row = ROWS[name]
    (tmp_path / "export.jsonl").write_text(as_export(row), encoding="utf-8")
    feed = {"kind": "feed", "url": server.route("/feed", respond(as_feed(row)))}
    export = {"kind": "jsonl", "path": "export.jsonl"}
    config = write_project(tmp_path, feed, export)
    message = assert_contract(config, Expect(failed=False, reason=row.feed_reason, present=row.present, absent=row.absent,
                                             markers=row.markers, seconds=row.seconds), baseline_rss)
    export_said = [line for line in message.stderr.splitlines() if f"'{SUSPECT} 2'" in line]
    if row.export_reason is None:
        assert export_said == []
    else:
        assert any(re.search(row.export_reason, line) for line in export_said), export_said
    if row.check:
        row.check(message)
