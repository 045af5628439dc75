"""What the templates see: an edition turned into plain, display-ready values.

Both the HTML and the text template read this one view, so they show the same stories and the same
links. Every value taken from an item is cleaned here (control characters out, one line for a
headline, lengths capped, links filtered by `links.outgoing`) and reaches the templates as data:
they escape it, and nothing in it is ever compiled as a template.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from digest.archive.urls import edition_url
from digest.config import Config
from digest.model import Edition, Story
from digest.render.links import domain, outgoing

HEADLINE_CHARS = 300
PARAGRAPH_CHARS = 1200
NAME_CHARS = 80

# C0/C1 controls and the bidi overrides that can make text read backwards; newlines are handled apart.
# Also what no XML document may hold (lone surrogates, U+FFFE, U+FFFF): MJML's parser stops at them.
_INVISIBLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]")


def clean_line(text: str | None, limit: int) -> str:
    """Untrusted text as one readable line of at most `limit` characters, cut at a word with an ellipsis."""
    line = " ".join(_INVISIBLE.sub("", unicodedata.normalize("NFC", text or "")).split())
    if len(line) <= limit:
        return line
    cut = line[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip(" ,;:.-") + "…"


@dataclass(frozen=True)
class StoryView:
    headline: str
    url: str | None  # None when the item had no link, or one that is not http(s)/mailto
    domain: str
    summary: tuple[str, ...]
    time: str
    breaking: bool
    byline: str


@dataclass(frozen=True)
class SectionView:
    key: str
    title: str
    layout: str  # top | stories | feed
    stories: tuple[StoryView, ...]


@dataclass(frozen=True)
class EmailView:
    lang: str
    title: str
    tagline: str
    subject: str
    preheader: str
    date: str
    number: int | None
    note: tuple[str, ...]
    sections: tuple[SectionView, ...]
    archive_url: str | None
    unsubscribe_url: str | None
    unsubscribe_mailto: str | None
    reason: str
    postal_address: str


def long_date(day: date) -> str:
    """"Thursday, 14 May 2026": English names whatever the machine's locale, so output is the same everywhere."""
    return f"{_WEEKDAYS[day.weekday()]}, {day.day} {_MONTHS[day.month - 1]} {day.year}"


def short_date(day: date) -> str:
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")


def clock(moment: datetime | None, tz: ZoneInfo, time_format: str) -> str:
    """"11:02 PM" or "23:02", in the newsletter's time zone."""
    if moment is None:
        return ""
    local = moment.astimezone(tz)
    if time_format == "24h":
        return f"{local.hour:02d}:{local.minute:02d}"
    return f"{(local.hour - 1) % 12 + 1}:{local.minute:02d} {'AM' if local.hour < 12 else 'PM'}"


def utm_tags(edition: Edition, config: Config) -> dict[str, str]:
    """The config's UTM tags with {date} filled in, so a campaign can be told apart per edition."""
    return {key: value.replace("{date}", edition.date.isoformat()) for key, value in config.email.utm.items()}


def story_view(story: Story, config: Config, utm: dict[str, str]) -> StoryView:
    lead = story.lead
    url = outgoing(story.url, utm)
    paragraphs = (clean_line(p, PARAGRAPH_CHARS) for p in story.summary)
    byline = " · ".join(part for part in (clean_line(lead.author, NAME_CHARS), clean_line(lead.source, NAME_CHARS)) if part)
    return StoryView(
        headline=clean_line(lead.title, HEADLINE_CHARS) or "(untitled)",
        url=url,
        domain=domain(url) if url and not url.startswith("mailto:") else "",
        summary=tuple(p for p in paragraphs if p),
        time=clock(lead.published, config.newsletter.tz, config.email.time_format),
        breaking=story.breaking,
        byline=byline,
    )


def email_view(edition: Edition, config: Config) -> EmailView:
    """The view of a prepared edition (subject and preheader filled by `render.fit`)."""
    settings, email = config.newsletter, config.email
    utm = utm_tags(edition, config)
    sections = tuple(
        SectionView(section.key, clean_line(section.title, NAME_CHARS), section.layout,
                    tuple(story_view(story, config, utm) for story in section.stories))
        for section in edition.sections
        if section.stories
    )
    note = tuple(p for p in (clean_line(p, PARAGRAPH_CHARS * 2) for p in (edition.note or "").split("\n\n")) if p)
    return EmailView(
        lang=settings.lang,
        title=edition.title or settings.title,
        tagline=settings.tagline,
        subject=edition.subject,
        preheader=edition.preheader,
        date=long_date(edition.date),
        number=edition.number,
        note=note,
        sections=sections,
        archive_url=outgoing(edition_url(config, edition.date) or settings.archive_url, utm),
        # the unsubscribe link goes out as configured: its {{subscriber}} is filled per reader (render.mime.Letter)
        unsubscribe_url=settings.unsubscribe_url if outgoing(settings.unsubscribe_url, {}) else None,
        unsubscribe_mailto=outgoing(_mailto(settings.unsubscribe_mailto), {}),
        reason=email.reason or f"You are receiving this email because you subscribed to {settings.title}.",
        postal_address=email.postal_address or "",
    )


def _mailto(address: str | None) -> str | None:
    if not address:
        return None
    return address if address.lower().startswith("mailto:") else f"mailto:{address}"
