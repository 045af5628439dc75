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
from datetime import date
from email.utils import parseaddr

from digest.archive.urls import edition_url
from digest.config import BUILT_IN_SECTIONS, Config, sender
from digest.i18n import Language, language, other_language
from digest.model import Edition, Image, Story
from digest.readers import inert
from digest.render.keylines import key_line, key_stories
from digest.render.links import domain, inert_url, outgoing
from digest.text.clean import author_or_none

HEADLINE_CHARS = 300
PARAGRAPH_CHARS = 1200
NAME_CHARS = 80
COLUMN_PIXELS = 544  # the email's 600 px less the text's 28 px either side: a lead picture's width

# C0/C1 controls and the bidi overrides that can make text read backwards; newlines are handled apart.
# Also what no XML document may hold (lone surrogates, U+FFFE, U+FFFF): MJML's parser stops at them.
_INVISIBLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]")


def clean_line(text: str | None, limit: int) -> str:
    """Untrusted text as one readable line of at most `limit` characters, cut at a word with an ellipsis,
    that no per-reader fill will ever touch (see `readers.inert`)."""
    line = " ".join(_INVISIBLE.sub("", unicodedata.normalize("NFC", text or "")).split())
    if len(line) > limit:
        cut = line[: limit - 1]
        space = cut.rfind(" ")
        line = (cut[:space] if space > limit // 2 else cut).rstrip(" ,;:.-") + "…"
    return inert(line)  # never a per-reader slot: only the operator's own text is filled per reader


@dataclass(frozen=True)
class StoryView:
    headline: str
    url: str | None  # None when the item had no link, or one that is not http(s)/mailto
    domain: str
    summary: tuple[str, ...]
    time: str
    breaking: bool
    byline: str
    lang: str | None  # the item's language when it is not the newsletter's (an English story in a Ukrainian edition)
    image: Image | None  # the lead picture, sized for the column (width, and height when the source gave both)
    anchor: str  # its id in the page, which key developments link to ("story-3": the third in reading order)
    updated: bool  # sent before and come back with news: its summary is only what is new
    previously: str  # "Previously in the edition of 14 May" for an updated story, else ""
    previously_url: str | None  # that edition's archive page, when the archive is on


@dataclass(frozen=True)
class KeyLineView:
    text: str  # one sentence (see render.keylines)
    anchor: str  # the story's anchor below
    lang: str | None  # the story's language when it is not the newsletter's


@dataclass(frozen=True)
class CorrectionView:
    date: str  # the edition corrected: "14 May"
    headline: str
    url: str | None
    text: str


@dataclass(frozen=True)
class SectionView:
    key: str
    title: str
    layout: str  # top | stories | feed
    stories: tuple[StoryView, ...]


@dataclass(frozen=True)
class EmailView:
    lang: str
    dir: str  # ltr | rtl: the newsletter language's writing direction
    title: str
    tagline: str
    subject: str
    preheader: str
    date: str
    number: int | None
    note: tuple[str, ...]
    sections: tuple[SectionView, ...]
    key_heading: str  # "Key developments on 14 May", in the newsletter's language
    key_developments: tuple[KeyLineView, ...]  # empty when edition.key_developments is 0
    corrections_title: str
    corrections: tuple[CorrectionView, ...]  # to stories earlier editions sent, at the edition's end
    archive_url: str | None
    unsubscribe_url: str | None
    unsubscribe_mailto: str | None
    reason: str
    postal_address: str
    sender: str  # the From's name (else the title): who sends this, at the top of the footer


def utm_tags(edition: Edition, config: Config) -> dict[str, str]:
    """The config's UTM tags with {date} filled in, so a campaign can be told apart per edition."""
    return {key: value.replace("{date}", edition.date.isoformat()) for key, value in config.email.utm.items()}


def story_view(story: Story, config: Config, utm: dict[str, str], words: Language, day: date, anchor: str = "") -> StoryView:
    lead = story.lead
    url = outgoing(story.url or lead.page, utm)
    paragraphs = (clean_line(p, PARAGRAPH_CHARS) for p in story.summary)
    author = clean_line(author_or_none(lead.author), NAME_CHARS)
    added = bool(story.desk and story.desk.added)  # the editor's own link: no outlet to credit
    byline = "" if added else " · ".join(part for part in (author, clean_line(lead.source, NAME_CHARS)) if part)
    return StoryView(
        headline=clean_line(story.title, HEADLINE_CHARS) or words.gettext("(untitled)"),
        url=url,
        domain=domain(url) if url and not url.startswith("mailto:") else "",
        summary=tuple(p for p in paragraphs if p),
        time="" if lead.undated else words.clock(lead.published, config.newsletter.tz, config.email.time_format, day),
        breaking=story.breaking,
        byline=byline,
        lang=other_language(lead.lang, words),
        image=_sized(next((member.image for member in (lead, *story.members) if member.image), None)),
        anchor=anchor,
        updated=story.update is not None,
        previously=words.gettext("Previously in the edition of %(date)s") % {"date": words.day_month(story.update.previous)} if story.update else "",
        previously_url=outgoing(edition_url(config, story.update.previous), utm) if story.update else None,
    )


def email_view(edition: Edition, config: Config) -> EmailView:
    """The view of a prepared edition (subject and preheader filled by `render.fit`)."""
    settings, email = config.newsletter, config.email
    words = language(settings.lang)
    utm = utm_tags(edition, config)
    anchors = {id(story): f"story-{position}" for position, story in enumerate(edition.stories(), start=1)}
    sections = tuple(
        SectionView(section.key, _section_title(section.key, section.title, words), section.layout,
                    tuple(story_view(story, config, utm, words, edition.date, anchors[id(story)]) for story in section.stories))
        for section in edition.sections
        if section.stories
    )
    key_lines = tuple(KeyLineView(line, anchors[id(story)], other_language(story.lead.lang, words))
                      for story in key_stories(edition, config.edition.key_developments)
                      if (line := clean_line(key_line(story), HEADLINE_CHARS)))
    note = tuple(p for p in (clean_line(p, PARAGRAPH_CHARS * 2) for p in (edition.note or "").split("\n\n")) if p)
    return EmailView(
        lang=settings.lang,
        dir=words.dir,
        title=edition.title or settings.title,
        tagline=settings.tagline,
        subject=edition.subject,
        preheader=edition.preheader,
        date=words.long_date(edition.date),
        number=edition.number,
        note=note,
        sections=sections,
        key_heading=clean_line(words.gettext("Key developments on %(date)s") % {"date": words.day_month(edition.date)}, NAME_CHARS),
        key_developments=key_lines,
        corrections_title=words.gettext("Corrections"),
        corrections=tuple(CorrectionView(words.day_month(correction.corrects), clean_line(correction.title, HEADLINE_CHARS),
                                         outgoing(correction.url, utm), clean_line(correction.text, PARAGRAPH_CHARS))
                          for correction in edition.corrections),
        archive_url=outgoing(edition_url(config, edition.date) or settings.archive_url, utm),
        # the unsubscribe link goes out as configured: its {{subscriber}} is filled per reader (render.mime.Letter)
        unsubscribe_url=settings.unsubscribe_url if outgoing(settings.unsubscribe_url, {}) else None,
        unsubscribe_mailto=outgoing(_mailto(settings.unsubscribe_mailto), {}),
        reason=email.reason or words.gettext("You are receiving this email because you subscribed to %(title)s.") % {"title": settings.title},
        postal_address=email.postal_address or "",
        sender=clean_line(parseaddr(sender(config))[0] or settings.title, NAME_CHARS),
    )


def _section_title(key: str, title: str, words: Language) -> str:
    """A built-in section's title in the newsletter's language; a configured section's title as the user wrote it."""
    return clean_line(words.gettext(title) if key in BUILT_IN_SECTIONS else title, NAME_CHARS)


def _sized(image: Image | None) -> Image | None:
    """The picture at the column's width; its height in proportion when the source gave both, else
    left to the picture itself (the template sets height:auto either way)."""
    if image is None:
        return None
    height = round(COLUMN_PIXELS * image.height / image.width) if image.width and image.height else None
    url = inert_url(image.url)
    if url is None:
        return None
    return Image(url=url, alt=clean_line(image.alt, NAME_CHARS * 3), width=COLUMN_PIXELS, height=height)


def _mailto(address: str | None) -> str | None:
    if not address:
        return None
    return address if address.lower().startswith("mailto:") else f"mailto:{address}"
