"""Page text scraped from a news site: one article with its byline, then a "News Feed" of briefs.

The text is a flat run of lines with the site's chrome (sign-up boxes, "Skip to content", photo
credits, related-story teasers) mixed in. Each line is classified first, then a small state
machine walks them: title -> byline -> caption -> body for the article; time -> headline -> body
for each brief. Chrome is recognised by shape (short lines with no sentence in them, known UI
phrases), so none of it reaches an item.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from pathlib import Path

from digest.identity import scraped_id
from digest.model import Item, Kind
from digest.sources.context import SourceContext
from digest.text.clean import CHROME_LINE, clean_headline

CAPTURE_MARKER = re.compile(r"(?:^|\s)date (\d{4}-\d{2}-\d{2})(?=\s|$)")
MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
BYLINE = re.compile(
    rf"^by (?P<author>.+?)\s+(?P<date>(?:{MONTHS}) \d{{1,2}}, \d{{4}})\s+(?P<time>\d{{1,2}}:\d{{2}}\s*[AP]M)\b.*$",
    re.IGNORECASE,
)
FEED_TIME = re.compile(r"^(?P<time>\d{1,2}:\d{2}\s*[AP]M)(?:\s*\(Updated:[^)]*\))?$", re.IGNORECASE)
AUTHOR_LINE = re.compile(r"^Author:\s*\S", re.IGNORECASE)
FEED_HEADER = re.compile(r"^(news feed|live updates|latest news)$", re.IGNORECASE)
# [^()]: a "(photo" never closed is read once, not from each of many to the end of the line
CAPTION = re.compile(r"\((?:photo|photos|image|video|credit|source)\b[^()]*\)\s*$|^(?:photo|image|credit):\s", re.IGNORECASE)
TEASER_END = re.compile(r"(?:…|\.\.\.)$")
SENTENCE_END = re.compile(r"[.!?…\"”»')]$")


class LineKind(StrEnum):
    """What a line of a scraped page is, decided by `classify` before the walk through the page."""

    BLANK = "blank"
    CHROME = "chrome"  # the site's buttons and boxes
    BYLINE = "byline"  # "by NAME Month D, YYYY H:MM AM": an article starts (its title is the line before)
    TIME = "time"  # a feed entry's "11:02 PM": a brief starts
    AUTHOR = "author"
    FEED = "feed"  # the "News Feed" header
    CAPTION = "caption"
    TEXT = "text"


@dataclass
class Line:
    kind: LineKind
    text: str
    match: re.Match[str] | None = None


def classify(raw: str) -> Line:
    text = " ".join(raw.split())
    if not text:
        return Line(LineKind.BLANK, text)
    shapes = ((LineKind.BYLINE, BYLINE), (LineKind.TIME, FEED_TIME), (LineKind.AUTHOR, AUTHOR_LINE), (LineKind.FEED, FEED_HEADER))
    for kind, pattern in shapes:
        match = pattern.match(text)
        if match and _names_a_real_moment(kind, match):
            return Line(kind, text, match)
    if CHROME_LINE.match(text):
        return Line(LineKind.CHROME, text)
    if CAPTION.search(text):
        return Line(LineKind.CAPTION, text)
    return Line(LineKind.TEXT, text)


def _byline_time(match: re.Match[str]) -> datetime | None:
    """The byline's date and time (naive), or None when it names one that does not exist (February 30)."""
    try:
        return datetime.strptime(f"{match['date']} {match['time'].replace(' ', '')}", "%B %d, %Y %I:%M%p")
    except ValueError:
        return None


def _clock_time(clock: str) -> time | None:
    """"11:02 PM" as a time, or None for one that does not exist ("13:75 PM")."""
    try:
        return datetime.strptime(clock.replace(" ", "").upper(), "%I:%M%p").time()
    except ValueError:
        return None


def _names_a_real_moment(kind: LineKind, match: re.Match[str]) -> bool:
    """A byline or a feed time must name a moment that exists; one that does not is read as text."""
    if kind is LineKind.BYLINE:
        return _byline_time(match) is not None
    if kind is LineKind.TIME:
        return _clock_time(match["time"]) is not None
    return True


def is_prose(text: str) -> bool:
    """A line a reporter wrote: a sentence, not a button or a box title."""
    return bool(SENTENCE_END.search(text)) and len(text.split()) >= 4 or len(text.split()) >= 12


def parse_page(text: str, *, source: str, tz, now: datetime, lang: str = "en", warn=None) -> list[Item]:
    """Turn one scraped page into its article (a story) and its feed entries (briefs)."""
    marker = CAPTURE_MARKER.search(text)
    captured = _capture_date(marker.group(1), warn) if marker else None
    if marker:
        text = text[: marker.start()] + "\n" + text[marker.end() :]
    lines = [classify(raw) for raw in text.splitlines()]
    lines = [line for line in lines if line.kind is not LineKind.BLANK]

    items: list[Item] = []
    articles = [i for i, line in enumerate(lines) if line.kind is LineKind.BYLINE]
    latest_article: datetime | None = None
    for index in articles:
        story = _article(lines, index, source=source, tz=tz, lang=lang)
        if story:
            items.append(story)
            latest_article = max(filter(None, [latest_article, story.published]))

    if captured:
        reference = datetime.combine(captured, time(23, 59, 59), tz)
        if latest_article and latest_article > reference:
            reference = latest_article
    else:
        reference = now.astimezone(tz)
        if warn and any(line.kind is LineKind.TIME for line in lines):
            warn("page has no capture date ('date YYYY-MM-DD'); its feed times are taken as of the time it was read")
    items.extend(_briefs(lines, reference=reference, source=source, lang=lang))
    return items


def _capture_date(value: str, warn) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        if warn:
            warn(f"capture date 'date {value}' is not a date; the page is read without it")
        return None


def _article(lines: list[Line], index: int, *, source: str, tz, lang: str) -> Item | None:
    title_at = next((i for i in range(index - 1, -1, -1) if lines[i].kind is LineKind.TEXT), None)
    if title_at is None:
        return None
    byline = lines[index].match
    moment = _byline_time(byline) if byline else None
    if byline is None or moment is None:  # classify() keeps as bylines only those naming a real moment
        return None
    published = moment.replace(tzinfo=tz)
    author = byline["author"].strip()
    paragraphs: list[str] = []
    for at in range(index + 1, len(lines)):
        line = lines[at]
        if line.kind in (LineKind.AUTHOR, LineKind.TIME, LineKind.FEED, LineKind.BYLINE):
            break
        if line.kind is not LineKind.TEXT:
            continue
        following = lines[at + 1] if at + 1 < len(lines) else None
        if following and following.kind is LineKind.TEXT and TEASER_END.search(following.text) and not is_prose(line.text):
            break  # a related-story teaser: a headline, then a cut-off blurb
        if is_prose(line.text) and not TEASER_END.search(line.text):
            paragraphs.append(line.text)
    if not paragraphs:
        return None
    return _item("story", lines[title_at].text, paragraphs, published, source=source, lang=lang, author=author)


def _item(kind: Kind, headline: str, paragraphs: list[str], published: datetime, *, source: str, lang: str,
          author: str | None = None) -> Item:
    """An article or a brief; the same source, headline and time always give the same id."""
    title = clean_headline(headline)
    return Item(
        id=scraped_id(source, kind, title, published),
        source=source,
        kind=kind,
        title=title,
        body="\n\n".join(paragraphs),
        published=published,
        author=author,
        lang=lang,
    )


def _briefs(lines: list[Line], *, reference: datetime, source: str, lang: str) -> list[Item]:
    briefs: list[Item] = []
    starts = [i for i, line in enumerate(lines) if line.kind is LineKind.TIME]
    for start in starts:
        headline_at = start + 1
        if headline_at >= len(lines) or lines[headline_at].kind is not LineKind.TEXT:
            continue
        paragraphs: list[str] = []
        for line in lines[headline_at + 1 :]:
            if line.kind is not LineKind.TEXT or not is_prose(line.text):
                break
            paragraphs.append(line.text)
        clock = lines[start].match
        published = _resolve_time(clock["time"], reference) if clock else None
        if published is None:  # classify() keeps as times only those naming a real moment
            continue
        briefs.append(_item("brief", lines[headline_at].text, paragraphs, published, source=source, lang=lang))
    return briefs


def _resolve_time(clock: str, reference: datetime) -> datetime | None:
    """A bare "11:02 PM" is on the reference's day, or the day before when that would be later."""
    moment = _clock_time(clock)
    if moment is None:
        return None
    resolved = datetime.combine(reference.date(), moment, reference.tzinfo)
    return resolved - timedelta(days=1) if resolved > reference else resolved


def load(ctx: SourceContext) -> list[Item]:
    def read_page(path: Path, text: str) -> list[Item]:
        where = ctx.where(path)
        page = parse_page(
            text,
            source=ctx.source.name,
            tz=ctx.tz,
            now=ctx.now,
            lang=ctx.lang,
            warn=lambda reason: ctx.warn(reason, where),
        )
        if not page:
            ctx.warn("no article or feed entry found in this page", where)
        return page

    items = ctx.load_files(read_page)
    if not items:
        raise ctx.nothing_in("items")
    for item in items:
        item.page = ctx.source.url  # the page the text was scraped from, never fetched
    return items
