"""Strip the boilerplate that surrounds news text before it is summarised.

Scraped or published text carries bylines, datelines, wire-agency openers, photo captions and
credits, "Read more" links, sign-up prompts and stray markup. None of it belongs in a blurb, and
left in it wins sentence-ranking contests (a byline sits in the lead, a caption repeats the
story's names). Each rule matches a shape, not a publisher, so it carries over to new sources.
Paragraphs stay separated by a blank line; lines inside a paragraph are kept.
"""
from __future__ import annotations

import html
import re

from digest.text.markup import COMMENT, drop_closed

__all__ = ["BREAKING_LABEL", "clean_for_summary", "clean_headline", "strip_breaking_label"]

BREAKING_LABEL = re.compile(r"^\s*breaking(?:\s+news)?\s*[:\-–—]\s*", re.IGNORECASE)


def strip_breaking_label(text: str) -> tuple[str, bool]:
    """A headline without its "Breaking:" label, and whether it had one (a headline that is only the
    label keeps it)."""
    found = BREAKING_LABEL.match(text)
    if not found or not text[found.end():].strip():
        return text, False
    return text[found.end():].strip(), True


def clean_headline(text: str) -> tuple[str, bool]:
    """Strip a "Breaking:" label (returned as a flag) and the full stop some sites end headlines with."""
    breaking = bool(BREAKING_LABEL.match(text))
    text = BREAKING_LABEL.sub("", text)
    if text.endswith(".") and not text.endswith(".."):
        text = text[:-1]
    return text.strip(), breaking

_MONTHS = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DAYS = r"(?:mon|tues?|wed(?:nes)?|thu(?:rs)?|fri|sat(?:ur)?|sun)(?:day)?\.?"
# One piece of a time stamp: "09:12", "EST", "3", "June", "2013", "1st", "Monday", "|", ",", ".".
_STAMP_PIECE = (
    rf"(?:(?:\d{{1,2}}[:.]\d{{2}}(?:\s*[ap]\.?m\.?)?|\d{{1,4}}(?:st|nd|rd|th)?|{_MONTHS}|{_DAYS}"
    r"|[ap]\.?m\.?|(?-i:[A-Z]{2,4})|GMT[+-]?\d*|UTC[+-]?\d*|at|on)(?!\w)|[,|.·•/-])"
)
# Each piece is atomic, and the run possessive: pieces overlap ("a.m." is one piece or "a.m" and ".";
# "JUNE" a month or a word in capitals), and a run that is not a stamp after all would otherwise be
# tried in every way of cutting it into pieces, which doubles with each piece.
_STAMP = rf"(?:\s*(?>{_STAMP_PIECE}))++"

# A tag's attributes end at the next "<" too, so that an unclosed "<p" is looked at once, not to the end.
_DROPPED_WITH_CONTENT = re.compile(r"<(script|style|noscript|figcaption|template)\b[^<>]*>", re.I)
_BLOCK_TAG = re.compile(r"</?(?:p|div|br|li|ul|ol|h[1-6]|blockquote|section|article|tr|table)\b[^<>]*>", re.I)
_TAG = re.compile(r"</?[a-zA-Z][^<>]*>")

# "PUBLISHED: 09:12 EST, 3 June 2013 | UPDATED: 10:01 EST, 3 June 2013", "Last updated at ...".
_STAMP_WORDS = r"(?:published|updated|last\s+updated|posted|опубліковано|оновлено)"
_TIMESTAMP = re.compile(
    rf"(?:(?:^|(?<=\|))\s*{_STAMP_WORDS}\b\s*[:.]?|\b{_STAMP_WORDS}\s*:){_STAMP}"
    rf"(?:\s*{_STAMP_WORDS}\b\s*[:.]?{_STAMP})*\s*",
    re.I,
)
# "By . Jane Doe . PUBLISHED: ...": a byline run into the time stamp that follows it.
_BYLINE_BEFORE_STAMP = re.compile(rf"^(?:by|from)\b.{{0,100}}?(?={_STAMP_WORDS}\s*[:.])", re.I)
# A line that is nothing but a date or a time ("5:04 PM", "June 26, 2024").
_STAMP_ONLY = re.compile(rf"^{_STAMP}\s*$", re.I)

# "KYIV (Reuters) -", "LONDON, England (CNN) --", "(AP) —": wire openers at a paragraph's start.
_AGENCIES = (
    r"Reuters|AP|AFP|CNN|Bloomberg|UPI|Xinhua|dpa|DPA|Interfax(?:-Ukraine)?|Ukrinform|EFE|ANSA"
    r"|TASS|Kyodo|PAP|BBC|Укрінформ|УНІАН|Інтерфакс-Україна"
)
_WIRE_OPENER = re.compile(
    rf"^(?:[A-ZА-ЯІЇЄҐ][\w'’.-]*(?:[ ,]+[A-ZА-ЯІЇЄҐ][\w'’.-]*){{0,3}},?\s*)?"
    rf"\((?:{_AGENCIES})\)\s*(?:[-—–]{{1,2}}|:)\s*"
)
# "WASHINGTON —", "KYIV, Ukraine -": a capitalised place in capitals, then a dash.
_DATELINE = re.compile(
    r"^[A-ZА-ЯІЇЄҐ][A-ZА-ЯІЇЄҐ.'’-]{2,}(?:\s+[A-ZА-ЯІЇЄҐ][A-ZА-ЯІЇЄҐ.'’-]+){0,2}"
    r"(?:,\s*[A-ZА-ЯІЇЄҐ][\w.]+(?:\s+[A-ZА-ЯІЇЄҐ][\w.]+)?)?\s+[—–-]{1,2}\s+(?=\S)"
)
# A byline: "By Jane Doe, Staff Reporter", "by Jane Doe June 26, 2024 12:16 AM 1 min read".
_BYLINE_START = re.compile(r"^(?:by|from|author|автор(?:ка)?|за\s+матеріалами)\s*[:.]?\s+", re.I)
_BYLINE_WORD = re.compile(
    rf"^(?:(?-i:[A-ZА-ЯІЇЄҐ])[\w'’.-]*|{_STAMP_PIECE}|and|&|for|of|the|in|at|on|with|via|staff|reporter"
    r"|correspondent|editor|writer|contributor|min|mins|minute|minutes|read|і|та)$",
    re.I,
)
_BYLINE_NAME = re.compile(r"^[A-ZА-ЯІЇЄҐ][\w'’-]*\.?$")
_BYLINE_MAX_WORDS = 16

# "(Photo by X/Getty Images)", "(AP Photo/Efrem Lukatsky)", "(Photo: Reuters)", "(Фото: ...)".
_CREDIT = (  # (?<!\s): a run of spaces is tried once, from its start
    r"(?<!\s)\s*[(\[][^()\[\]]{0,80}?\b(?:photo|image|picture|photograph|video|footage|credit|illustration"
    r"|фото|світлина|відео)s?\b[^()\[\]]{0,80}[)\]]"
)
_CREDIT_PAREN = re.compile(_CREDIT, re.I)
_CREDIT_AT_END = re.compile(_CREDIT + r"\W*$", re.I)
_CREDIT_TAIL = 300  # a credit is under 200 characters: a line's end is enough to look for one in
# Lines that are a caption or a credit as a whole.
_CAPTION_LINE = re.compile(
    r"^(?:image|photo|picture|video|media)\s*(?:caption|copyright|credit|source)\b"
    r"|^(?:photo|photograph|picture|pictured|image|caption|credit|source|фото|світлина|джерело)"
    r"\s*(?:by\b|:)"
    r"|^(?:getty images|reuters|afp|ap|epa|shutterstock)(?:\s*/\s*[\w .]+)?\s*\.?$",
    re.I,
)
# "Read more: ...", "Related: ...", "Читайте також".
_READ_MORE = re.compile(
    r"^(?:read\s+(?:more|also|next|the\s+full\s+story)|see\s+also|related(?:\s+(?:articles?|stories|news))?"
    r"|more\s*:|also\s+read|recommended|watch\s*:|listen\s*:|scroll\s+down\s+for|click\s+here"
    r"|читайте\s+(?:також|більше)|дивіться\s+також|більше\s+новин)\b",
    re.I,
)
# Sign-up prompts and page chrome.
_PROMPT = re.compile(
    r"\b(?:sign\s*up|subscribe|subscribing|subscribed|signing\s+up)\b.{0,60}"
    r"\b(?:newsletter|e-?mail|inbox|updates|alerts|today|now|here|free)\b"
    r"|\benter\s+(?:your\s+)?(?:correct\s+)?e-?mail\b|\bindicates\s+required\b"
    r"|\bsuccessful+y\s+subscribed\b|\bthank\s+you\s+for\s+(?:signing\s+up|subscribing)\b"
    r"|\bsupport\s+(?:our|independent)\s+journalism\b|\bbecome\s+a\s+(?:member|subscriber|patron)\b"
    r"|^(?:subscribe|sign\s*up|advertisement|skip\s+to\s+(?:main\s+)?content|share(?:\s+this(?:\s+article)?)?"
    r"|comments?|follow\s+us(?:\s+on\s+\w+)?|edit\s+post|\d+\s+min(?:ute)?s?\s+read"
    r"|підписатися|підпишіться.*|реклама)\W*$"
    r"|\bпідпи(?:шіться|суйтесь)\b.{0,60}\b(?:розсилк\w*|телеграм\w*|канал\w*)\b",
    re.I,
)
_PROMPT_MAX_WORDS = 30
_SPACES = re.compile(r"[ \t\u00a0\u2009\u202f]+")


def _drop_elements_with_content(text: str) -> str:
    """Scripts, styles, captions and the like removed with what is in them, in linear time: an
    element that is never closed keeps its content (as before), and once one is found unclosed
    no later one of that name is looked for, since its end tag would not be there either."""
    pieces: list[str] = []
    start = at = 0
    unclosed: set[str] = set()
    while opening := _DROPPED_WITH_CONTENT.search(text, at):
        name = opening.group(1).lower()
        ending = None if name in unclosed else re.compile(rf"</{name}\s*>", re.I).search(text, opening.end())
        if ending is None:
            unclosed.add(name)
            at = opening.end()
            continue
        pieces.append(text[start : opening.start()])
        pieces.append(" ")
        start = at = ending.end()
    pieces.append(text[start:])
    return "".join(pieces)


def _strip_markup(text: str) -> str:
    """HTML to text: block tags become line breaks, other tags vanish, entities are decoded."""
    if "<" in text:
        text = drop_closed(text, COMMENT, "-->")
        text = _drop_elements_with_content(text)
        text = _BLOCK_TAG.sub("\n", text)
        text = _TAG.sub("", text)
    if "&" in text:
        text = html.unescape(text)
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _drop_if_dated(match: re.Match[str]) -> str:
    """A "Published:" or "Updated" label goes only with the date or time it introduces."""
    return " " if any(ch.isdigit() for ch in match.group(0)) else match.group(0)


def _is_byline(line: str) -> bool:
    """A short line of "By" and names, roles and time stamps, with no ordinary words in it."""
    match = _BYLINE_START.match(line)
    if not match:
        return False
    words = re.findall(r"[^\s,|;·•]+", line[match.end() :])
    if not words or len(words) > _BYLINE_MAX_WORDS:
        return False
    # the line must start with a name, not "By Christmas, sales had doubled."
    return bool(_BYLINE_NAME.match(words[0])) and all(_BYLINE_WORD.match(w) for w in words)


def _clean_line(line: str) -> str:
    """Remove the boilerplate inside one line; an empty result drops the line."""
    line = _SPACES.sub(" ", line).strip()
    if not line:
        return ""
    line = _TIMESTAMP.sub(_drop_if_dated, _BYLINE_BEFORE_STAMP.sub("", line))
    line = line.lstrip(" .|·•").rstrip(" |·•")
    if not line or _STAMP_ONLY.match(line) or _is_byline(line) or _CAPTION_LINE.match(line):
        return ""
    if _READ_MORE.match(line):
        return ""
    if len(line.split()) <= _PROMPT_MAX_WORDS and _PROMPT.search(line):
        return ""
    if _CREDIT_AT_END.search(line[-_CREDIT_TAIL:]):
        return ""  # a line that ends with a photo credit is a caption
    line = _CREDIT_PAREN.sub("", line)
    line = _WIRE_OPENER.sub("", line)
    line = _DATELINE.sub("", line)
    return line.strip()


def clean_for_summary(text: str) -> str:
    """The text without boilerplate, paragraphs separated by one blank line."""
    if not text:
        return ""
    paragraphs: list[str] = []
    for block in re.split(r"\n\s*\n", _strip_markup(text)):
        lines = [cleaned for cleaned in map(_clean_line, block.split("\n")) if cleaned]
        if lines:
            paragraphs.append("\n".join(lines))
    return "\n\n".join(paragraphs)
