"""The edition as an email: jinja2 -> MJML -> HTML, its plain-text twin, an RFC 5322 message, ESP JSON.

    fitted, problems = fit(edition, config)  # subject, preheader, number, note; under Gmail's limit
    data = render(fitted, config, "eml")      # bytes, UTF-8 for the text formats

Fitting is the step between the edition `pipeline.build` chose and the email: the only one that
renders to decide what the edition holds. It gives a new Edition and leaves the one it was handed
as it was; so does every renderer. `render` and `letter` fit an edition nobody fitted (its problems
go to stderr), so the HTML is always under the clipping limit; call `fit` first to have its problems.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import NamedTuple

from digest.config import Config
from digest.edition import issue_number
from digest.formats import FORMATS
from digest.i18n import language
from digest.logs import log
from digest.model import Edition, Problem, Story
from digest.render import mime
from digest.render.mime import message_id
from digest.render.mjml import mjml_source, mjml_to_html
from digest.render.templates import TemplateError
from digest.render.text import plain_text
from digest.render.view import (
    HEADLINE_CHARS,
    clean_line,
    email_view,
)

__all__ = ["CLIP_LIMIT", "FORMATS", "Fitted", "TemplateError", "fit", "html", "letter", "message_id", "render"]


# Gmail clips an email whose HTML passes "102 KB" and hides the rest behind "View entire message".
# 102,000 bytes is under that limit whether it means 1000- or 1024-byte kilobytes, and it is checked
# against the HTML part as each reader gets it (their token filled in, CRLF line ends,
# transfer-encoded as sent, never smaller than the decoded HTML), since tests of Gmail find the
# limit moves with the encoding; see mime.html_part_size.
CLIP_LIMIT = 102_000
SUBJECT_CHARS = 70  # what most inboxes show of a subject; the headline is cut to keep the subject within it
SUBJECT_HEADLINE_MIN = 40  # ... but never below this: a subject template with much text of its own runs longer
PREHEADER_STORIES = 3
PREHEADER_CHARS = 150


def render(edition: Edition, config: Config, fmt: str, date: datetime | None = None) -> bytes:
    """The edition in format `fmt` (one of FORMATS), without a reader: `{{subscriber}}` is left in place.
    `date`: the Date of an eml or json message (default: the edition's cut-off, the same every time).
    Raises TemplateError for a broken template."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    if fmt in ("eml", "json"):
        message = letter(edition, config)
        return message.eml(date=date) if fmt == "eml" else mime.json_document(message.document(date=date))
    view = email_view(_fitted(edition, config), config)
    if fmt == "mjml":
        return mjml_source(view, config).encode("utf-8")
    if fmt == "text":
        return plain_text(view, config).encode("utf-8")
    return mjml_to_html(mjml_source(view, config), config).encode("utf-8")


def letter(edition: Edition, config: Config) -> mime.Letter:
    """The edition's message before it has a reader (see mime.Letter): rendered once, filled per reader."""
    edition = _fitted(edition, config)
    view = email_view(edition, config)
    return mime.letter(edition, config, mjml_to_html(mjml_source(view, config), config), plain_text(view, config))


def _fitted(edition: Edition, config: Config) -> Edition:
    """The edition, or a fitted copy when nobody fitted it (its problems on stderr)."""
    if edition.subject:
        return edition
    edition, problems = fit(edition, config)
    for problem in problems:
        log.warning("%s", problem)
    return edition


def html(edition: Edition, config: Config) -> str:
    """The email's HTML as it stands, without fitting the edition (what the clipping check measures)."""
    return mjml_to_html(mjml_source(email_view(edition, config), config), config)


class Fitted(NamedTuple):
    edition: Edition  # a new Edition: the one fitted is left as it was
    problems: list[Problem]  # one when stories had to go


def fit(chosen: Edition, config: Config) -> Fitted:
    """The chosen edition fitted to the email: what the templates and headers need filled in, and the
    lowest-ranked stories dropped until the HTML is under Gmail's clipping limit.

    Fills the editor's note (the command line's, else the config's), the issue number (see
    edition.issue_number), the subject and the preheader. Fitting a fitted edition changes nothing.
    """
    edition = replace(chosen, sections=[replace(section, stories=list(section.stories)) for section in chosen.sections])
    if edition.note is None:
        edition.note = config.newsletter.note
    if edition.number is None:
        edition.number = issue_number(config, edition.date)
    feed_before, dropped = _feed_count(edition), 0
    while True:  # subject and preheader name the top stories, so they follow what is dropped
        edition.subject = subject(edition, config)
        edition.preheader = preheader(edition)
        more = _drop_to_clip_limit(edition, config)
        if not more:
            break
        dropped += more
    if not dropped:
        return Fitted(edition, [])
    briefs = feed_before - _feed_count(edition)
    parts = [f"the {briefs} lowest-ranked {_plural(briefs, 'item')} of the news feed"] if briefs else []
    if dropped > briefs:
        parts.append(f"{dropped - briefs} lowest-ranked {_plural(dropped - briefs, 'story', 'stories')} of other sections")
    return Fitted(edition, [Problem("email", f"dropped {' and '.join(parts)} to keep the HTML under Gmail's clipping limit ({CLIP_LIMIT:,} bytes)")])


def _feed_count(edition: Edition) -> int:
    return sum(len(section.stories) for section in edition.sections if section.layout == "feed")


def _plural(count: int, one: str, many: str | None = None) -> str:
    return one if count == 1 else (many or one + "s")


def subject(edition: Edition, config: Config) -> str:
    """The configured subject template over the edition's title, date, issue number and top headline.

    The default is the top headline alone (the sender's name already says whose newsletter it is),
    cut at a word so the subject stays within SUBJECT_CHARS where the template leaves room."""
    stories = edition.stories()
    fields = {
        "title": edition.title or config.newsletter.title,
        "tagline": config.newsletter.tagline,
        "date": language(config.newsletter.lang).short_date(edition.date),
        "headline": "",
        "number": f"#{edition.number}" if edition.number else "",
    }
    if stories:
        room = SUBJECT_CHARS - len(clean_line(config.email.subject.format(**fields), HEADLINE_CHARS))
        fields["headline"] = clean_line(stories[0].title, max(room, SUBJECT_HEADLINE_MIN))
    # a day whose top story has no headline still needs a subject: the newsletter's name
    return clean_line(config.email.subject.format(**fields), HEADLINE_CHARS).strip(" :—-·|") or clean_line(fields["title"], HEADLINE_CHARS)


def preheader(edition: Edition) -> str:
    """The next stories' headlines, what the inbox shows beside the subject: the top story's is left
    out when the subject already says it."""
    stories = edition.stories()
    if stories and edition.subject and clean_line(stories[0].title, SUBJECT_HEADLINE_MIN).rstrip("…") in edition.subject:
        stories = stories[1:]
    headlines = (clean_line(story.title, HEADLINE_CHARS) for story in stories[:PREHEADER_STORIES])
    return clean_line(" · ".join(headlines), PREHEADER_CHARS)


def _drop_to_clip_limit(edition: Edition, config: Config, limit: int = CLIP_LIMIT) -> int:
    """Drop the lowest-ranked stories of the news feed (then of other sections; never the top story)
    until the HTML part is under `limit` bytes: `fit`'s step, on the copy it fits. Returns how many were dropped.

    Size falls as stories go, so a binary search finds the fewest to drop in a handful of renders.
    """
    if _size(edition, config) < limit:
        return 0
    candidates = _drop_order(edition)
    low, high = 1, len(candidates)
    original = [list(section.stories) for section in edition.sections]
    while low < high:
        middle = (low + high) // 2
        _remove(edition, original, candidates[:middle])
        if _size(edition, config) < limit:
            high = middle
        else:
            low = middle + 1
    _remove(edition, original, candidates[:low])
    return low


def _size(edition: Edition, config: Config) -> int:
    """The HTML part's size as each reader gets it: what Gmail measures (see mime.html_part_size)."""
    return mime.html_part_size(html(edition, config))


def _drop_order(edition: Edition) -> list[Story]:
    """Feed briefs first, then other non-top stories; within each, lowest score first, later ones first on ties."""
    ranked = []
    for section_index, section in enumerate(edition.sections):
        if section.layout == "top":
            continue
        tier = 0 if section.layout == "feed" else 1
        for position, story in enumerate(section.stories):
            ranked.append(((tier, story.score, -section_index, -position), story))
    ranked.sort(key=lambda pair: pair[0])
    return [story for _, story in ranked]


def _remove(edition: Edition, original: list[list[Story]], dropped: list[Story]) -> None:
    gone = {id(story) for story in dropped}
    for section, stories in zip(edition.sections, original, strict=False):
        section.stories = [story for story in stories if id(story) not in gone]
