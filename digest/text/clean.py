"""Strip the boilerplate that surrounds news text before it is summarized.

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
from digest.text.wordlists import FURNITURE_PROMPTS, alternation

__all__ = [
    "BREAKING_LABEL", "author_or_none", "clean_for_summary", "clean_headline", "has_credit", "headline_from",
    "is_furniture", "strip_breaking_label",
]

BREAKING_LABEL = re.compile(r"^\s*breaking(?:\s+news)?\s*[:\-–—]\s*", re.IGNORECASE)


def strip_breaking_label(text: str) -> tuple[str, bool]:
    """A headline without its "Breaking:" label, and whether it had one (a headline that is only the
    label keeps it: digest.sources.normalise then titles the item by its text)."""
    found = BREAKING_LABEL.match(text)
    if not found or not text[found.end():].strip():
        return text, False
    return text[found.end():].strip(), True


def clean_headline(text: str) -> str:
    """A headline without the full stop some sites end headlines with (its "Breaking:" label is
    digest.sources.normalise's to take, as for every source)."""
    if text.endswith(".") and not text.endswith(".."):
        text = text[:-1]
    return text.strip()


def headline_from(body: str, limit: int = 100) -> str:
    """A headline for an item that has none (RSS 2.0 allows untitled entries; a headline may be only
    "Breaking:"): its first sentence, cut at a word."""
    first = re.split(r"(?<=[.!?…])\s", body.split("\n\n")[0], maxsplit=1)[0] if body else ""
    if len(first) <= limit:
        return first
    return first[:limit].rsplit(" ", 1)[0] + "…"

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

# "PUBLISHED: 09:12 EST, 3 June 2013 | UPDATED: 10:01 EST, 3 June 2013", "Last updated at 5:32 PM on
# 14th July 2011" (also mid-line, after a byline: so capitalised and with "at", it is not prose).
_STAMP_WORDS = r"(?:published|updated|last\s+updated|posted|опубліковано|оновлено)"
_TIMESTAMP = re.compile(
    rf"(?:(?:^|(?<=\|))\s*{_STAMP_WORDS}\b\s*[:.]?|\b{_STAMP_WORDS}\s*:|\b(?-i:L)ast\s+updated\s+at\b){_STAMP}"
    rf"(?:\s*{_STAMP_WORDS}\b\s*[:.]?{_STAMP})*\s*",
    re.I,
)
# "By . Jane Doe . PUBLISHED: ...", "By Daily Mail Reporter . Last updated at ...": a byline run into
# the time stamp that follows it.
_BYLINE_BEFORE_STAMP = re.compile(rf"^(?:by|from)\b.{{0,100}}?(?={_STAMP_WORDS}\s*[:.]|last\s+updated\s+at\b)", re.I)
# "By . Jane Doe . A man who ...": a byline in the dotted form of scraped Daily Mail pages, run into
# the lead with no time stamp after it ("By ." never opens prose), also "By . X . and Y . ".
_NAME_WORD = r"(?:[A-Z][\w'’-]*|and|of|the|for|in|at|&)"
_BYLINE_DOTTED = re.compile(
    rf"^By\s+\.\s+{_NAME_WORD},?(?:\s+{_NAME_WORD},?){{0,7}}\s+\."
    rf"(?:\s+and\s+{_NAME_WORD}(?:\s+{_NAME_WORD}){{0,5}}\s+\.)*(?:\s+|$)"
)
# A line that is nothing but a date or a time ("5:04 PM", "June 26, 2024").
_STAMP_ONLY = re.compile(rf"^{_STAMP}\s*$", re.I)

# "KYIV (Reuters) -", "LONDON, England (CNN) --", "(AP) —": wire openers at a paragraph's start.
_AGENCIES = (
    r"Reuters|AP|AFP|CNN|Bloomberg|UPI|Xinhua|dpa|DPA|Interfax(?:-Ukraine)?|Ukrinform|EFE|ANSA"
    r"|TASS|Kyodo|PAP|BBC|Укрінформ|УНІАН|Інтерфакс-Україна"
)
_WIRE_OPENER = re.compile(
    rf"^(?:[A-ZА-ЯІЇЄҐ][\w'’.-]*(?:[ ,]+[A-ZА-ЯІЇЄҐ][\w'’.-]*){{0,3}},?\s*)?"
    rf"\((?:{_AGENCIES})\)\s*(?:[-—–]{{1,2}}|:)?\s*"
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
_CAPTION_MAX_WORDS = 60  # a longer line is a paragraph with a credit run into it: only the credit goes
# Prompts run into a paragraph, as scraped pages leave them: "... the scene. Scroll down for video A mother ...",
# "Follow @jdoe on Twitter. The storm ...", "Comments (22) . Share . A man ..." (at a line's or a
# sentence's start, capitalised: "fans follow @nasa" is prose).
_INLINE_PROMPT = re.compile(
    r"\bscroll\s+down\s+for\s+(?:video|more|the\s+video)\b\.?"
    r"|(?:^|(?<=[.|]\s))(?-i:F)ollow\s+@+\w+(?:\s+(?:on|in)\s+(?:twitter|x|instagram|facebook))?\s*\.?"
    r"|(?:^|(?<=[.|]\s))(?-i:C)omments\s*\(\d+\)\s*\.?|(?:^|(?<=[.|]\s))(?-i:S)hare\s*\.(?!\S)",
    re.I,
)
# "Read more: How the Danish model works.", "Follow us on Twitter @KyivWire", "Lire aussi ...": a prompt
# that opens a sentence, with the headline or account it points to, to the sentence's end (at most
# 200 characters; the text's language is not known here, so every language's prompts are looked for).
_PROMPT_AT_START = r"(?:^|(?<=[.!?…\"”»]\s))"
_RUN_IN_FURNITURE = re.compile(
    _PROMPT_AT_START + (alternation(p for prompts in FURNITURE_PROMPTS.values() for p in prompts) or "(?!)")
    + r"(?:(?:[^.!?…\n]|[.!?…](?!\s+\W{0,2}(?-i:[A-ZÀ-ÖØ-ÞА-ЯЁІЇЄҐ])|\s*$)){0,200}?[.!?…]+[\"”»]?"
    r"(?=\s+\W{0,2}(?-i:[A-ZÀ-ÖØ-ÞА-ЯЁІЇЄҐ])|\s*$)|[^\n]{0,200}$)",
    re.I,
)
# A photo credit that ends a caption: "... in Kharkiv on Monday. | Getty Images", "... / AFP", "Foto: EFE".
# Each agency: what its credit's lower-case text must hold (looked for before the pattern), then how it is written.
_CREDIT_AGENCIES = {
    "getty": r"getty\s+images", "afp": "afp", "reuters": "reuters", "ap": r"ap(?:\s+photo)?", "epa": "epa(?:-efe)?",
    "efe": "efe", "shutterstock": "shutterstock", "anadolu": r"anadolu(?:\s+agency)?", "dpa": "dpa", "sipa": "sipa",
    "abaca": "abaca(?:press)?", "pa ": r"pa\s+(?:images|wire)", "ukrinform": "ukrinform", "укрінформ": "укрінформ",
    "tass": "tass", "тасс": "тасс", "ria": r"ria\s+novosti", "xinhua": "xinhua", "bloomberg": "bloomberg",
    "nurphoto": "nurphoto",
}
_AGENCIES_SEEN = tuple(_CREDIT_AGENCIES)
_AGENCY_CREDIT = "(?:" + "|".join(_CREDIT_AGENCIES.values()) + ")"
_TRAILING_CREDIT = re.compile(
    rf"(?:\s*[|/©]\s*|\s+(?:photo|foto|image|imagen|bild|crédit(?:\s+photo)?|credit|фото)\s*:\s*){_AGENCY_CREDIT}"
    r"(?:\s*(?:/|via|,)\s*[\w .’'-]{1,60}?)?\W{0,3}$",
    re.I,
)
_CREDIT_INSIDE = re.compile(rf"[|©]\s*{_AGENCY_CREDIT}\b", re.I)
_CREDIT_END = 120  # a trailing credit and the name after it fit in the line's last 120 characters
_PROMPTS_SEEN = tuple({prompt.lower() for prompts in FURNITURE_PROMPTS.values() for prompt in prompts})
_CREDIT_MARKS = ("|", "/", "©", ":")  # a trailing credit has one of these before the agency's name


def _trailing_credit(text: str) -> re.Match[str] | None:
    """The photo credit that ends `text`, if any (the pattern only where an agency's name is near the end)."""
    tail = text[-_CREDIT_END:]
    if not any(mark in tail for mark in _CREDIT_MARKS):
        return None
    lower = tail.lower()
    if not any(name in lower for name in _AGENCIES_SEEN):
        return None
    found = _TRAILING_CREDIT.search(tail)
    return None if found is None or _CREDIT_AT_END.search(tail) else found  # "(Photo by X/Getty Images)" is the other rule's
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
# Page chrome: a line that is only this (a button, a box title, a sign-up prompt) is never a
# reporter's text. The one list, for the page-text reader's lines and for cleaning any item's text.
CHROME_LINE = re.compile(
    r"""^(?:
        skip\s+to\s+(?:main\s+)?content | edit\s+post | subscribe | sign\s*up | log\s*in | menu | search
        | share(?:\s+this(?:\s+article)?)? | advertisement | comments? | follow\s+us(?:\s+on\s+\w+)?
        | \d+\s+min(?:ute)?s?\s+read | listen\s+to\s+(?:this\s+)?article | more\s+news | read\s+more
        | editors'?\s+picks | related(?:\s+stories)? | \*\s+indicates\s+required
        | please,?\s+enter\s+(?:a\s+)?(?:correct|valid)\s+e-?mail(?:\s+address)? | enter\s+your\s+e-?mail.*
        | successfu?l+y\s+subscribed | thank\s+you\s+for\s+(?:signing\s+up|subscribing).*
        | this\s+audio\s+is\s+created\s+with\s+ai.* | support\s+(?:us|our\s+journalism)\b.*
        | become\s+a\s+member.* | newsletter.* | підписатися | підпишіться.* | реклама
    )\W*$""",
    re.IGNORECASE | re.VERBOSE,
)
# Sign-up prompts inside a line.
_PROMPT = re.compile(
    r"\b(?:sign\s*up|subscribe|subscribing|subscribed|signing\s+up)\b.{0,60}"
    r"\b(?:newsletter|e-?mail|inbox|updates|alerts|today|now|here|free)\b"
    r"|\benter\s+(?:your\s+)?(?:correct\s+)?e-?mail\b|\bindicates\s+required\b"
    r"|\bsuccessful+y\s+subscribed\b|\bthank\s+you\s+for\s+(?:signing\s+up|subscribing)\b"
    r"|\bsupport\s+(?:our|independent)\s+journalism\b|\bbecome\s+a\s+(?:member|subscriber|patron)\b"
    r"|\bпідпи(?:шіться|суйтесь)\b.{0,60}\b(?:розсилк\w*|телеграм\w*|канал\w*)\b",
    re.I,
)
_PROMPT_MAX_WORDS = 30
# Page furniture that survives extraction inside a paragraph: cookie and consent notices, share
# buttons, subscribe and paywall lines, in the languages the splitter knows best (English,
# Ukrainian, Russian, German, French, Spanish). A sentence that matches is never a blurb line.
_FURNITURE = re.compile(
    r"\bcookies?\b.{0,60}\b(?:use|using|accept\w*|website|site|browser|browsing|experience|settings|policy|consent"
    r"|enable|verwendet|akzeptier\w*|nutzt|webseite|navigation)\b"
    r"|\b(?:use|uses|using|accept|enable|verwendet|nutzt|utilise|utilisons|usamos|utilizamos)\b.{0,40}\bcookies?\b"
    r"|\bconsent\b.{0,40}\b(?:data|partners|vendors|preferences|settings)\b"
    r"|\b(?:privacy|cookie)\s+(?:policy|settings|preferences|statement)\b|\bmanage\s+(?:your\s+)?preferences\b"
    r"|\b(?:accept|reject)\s+all\b|\bwe\s+(?:and\s+our\s+partners\s+)?use\s+(?:technologies|tracking)\b"
    r"|\bdatenschutz\w*|\beinwillig\w*|\bzustimm\w*\b.{0,30}\b(?:akzeptier|einstellung)\w*"
    r"|\b(?:share|teilen|partager|compartir|поділитися|поделиться)\s+(?:this|on|mit|via|sur|en|в|у)?\s*:?\s*"
    r"(?:facebook|twitter|whatsapp|telegram|linkedin|e-?mail|x\b|pinterest|reddit|viber)"
    r"|\b(?:facebook|twitter|whatsapp|telegram|linkedin|pinterest|reddit)\b[\s,;|/·•]+"
    r"(?:facebook|twitter|whatsapp|telegram|linkedin|pinterest|reddit|e-?mail|x)\b"
    r"|\b(?:subscribe|subscription|subscriber)s?\b.{0,60}\b(?:to\s+(?:read|continue|access|unlock)|only|exclusive|premium|plan|trial)\b"
    r"|\b(?:to\s+)?(?:continue|keep)\s+reading\b|\bfree\s+articles?\b.{0,40}\b(?:left|remaining|month)\b"
    r"|\balready\s+(?:a\s+)?(?:subscriber|member)\b|\b(?:log|sign)\s*in\s+to\s+(?:read|continue|comment)\b"
    r"|\babonn\w*\b.{0,60}\b(?:lesen|weiterlesen|testen|jetzt|plus)\b|\bjetzt\s+(?:abonnieren|weiterlesen)\b"
    r"|\bpaywall\b|\bпідпи\w+.{0,40}\b(?:читати|доступ|преміум)\w*|\bподпи\w+.{0,40}\b(?:читать|доступ|премиум)\w*"
    r"|\bфайли?\s+cookie|\bкуки\b|\bфайл\w*\s+cookie",
    re.I,
)
# A word each of the patterns' alternatives needs, looked for first: most lines have none of them,
# and a plain search is many times cheaper than trying every alternative at every place.
_INLINE_PROMPT_WORDS = ("scroll", "follow", "comments", "share")
_FURNITURE_WORDS = (
    "cookie", "consent", "privacy", "preferences", "accept", "reject", "technolog", "tracking", "datenschutz",
    "einwillig", "zustimm", "share", "teilen", "partager", "compartir", "поділит", "поделит", "facebook", "twitter",
    "whatsapp", "telegram", "linkedin", "pinterest", "reddit", "subscri", "reading", "article", "already", "log",
    "sign", "abonn", "jetzt", "paywall", "підпи", "подпи", "куки",
)
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
        text = _TAG.sub(_Tags(text).drop, text)
    if "&" in text:
        text = html.unescape(text)
    return text.replace("\r\n", "\n").replace("\r", "\n")


class _Tags:
    """Which tag-like words are markup: any with attributes or a closing tag, a void element, or a
    bare one the text also closes. "The <blink> tag was invented ..." in prose keeps its word."""

    _VOID = frozenset("br hr wbr img input meta link source col area base embed track param".split())
    _BARE = re.compile(r"<([a-zA-Z][\w-]*)\s*/?>")

    def __init__(self, text: str) -> None:
        self._text = text
        self._closed: dict[str, bool] = {}

    def drop(self, match: re.Match[str]) -> str:
        bare = self._BARE.fullmatch(match.group(0))
        if not bare:
            return ""
        name = bare.group(1).lower()
        if name in self._VOID:
            return ""
        if name not in self._closed:
            self._closed[name] = re.search(rf"</{re.escape(name)}\s*>", self._text, re.I) is not None
        return "" if self._closed[name] else match.group(0)


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


_LAST_SENTENCE_START = re.compile(r"[.!?…][\"”»’]?\s+(?=\W{0,2}[A-ZÀ-ÖØ-ÞА-ЯЁІЇЄҐ])")


def _without_trailing_caption(line: str) -> str:
    """A line whose last sentence is a caption with a credit ("... on Monday. | Getty Images"),
    without that sentence; other lines as they are."""
    credit = _trailing_credit(line)
    if credit is None:
        return line
    tail = line[-_CREDIT_END:]
    offset = len(line) - len(tail)
    caption = tail[: credit.start()].rstrip(" .")
    starts = list(_LAST_SENTENCE_START.finditer(line, 0, offset + len(caption)))
    return line[: starts[-1].start() + 1] if starts else line


def _clean_line(line: str) -> str:
    """Remove the boilerplate inside one line; an empty result drops the line."""
    line = _SPACES.sub(" ", line).strip()
    if not line:
        return ""
    line = _BYLINE_DOTTED.sub("", _TIMESTAMP.sub(_drop_if_dated, _BYLINE_BEFORE_STAMP.sub("", line)).lstrip(" .|"))
    lower = line.lower()
    if any(word in lower for word in _INLINE_PROMPT_WORDS):
        line = _INLINE_PROMPT.sub(" ", line)  # before the line tests: the story often follows the prompt on its line
    lower = line.lower()
    if any(word in lower for word in _PROMPTS_SEEN):
        line = _SPACES.sub(" ", _RUN_IN_FURNITURE.sub(" ", line))
    line = line.lstrip(" .|·•").rstrip(" |·•")
    if not line or _STAMP_ONLY.match(line) or _is_byline(line) or _CAPTION_LINE.match(line):
        return ""
    if _READ_MORE.match(line):
        return ""
    if len(line.split()) <= _PROMPT_MAX_WORDS and (CHROME_LINE.match(line) or _PROMPT.search(line)):
        return ""
    line = _without_trailing_caption(line)
    credit = _trailing_credit(line)
    if len(line.split()) <= _CAPTION_MAX_WORDS and (credit or _CREDIT_AT_END.search(line[-_CREDIT_TAIL:])):
        return ""  # a short line that ends with a photo credit is a caption
    if credit is not None:  # a paragraph keeps its text
        line = line[: len(line) - len(line[-_CREDIT_END:]) + credit.start()]
    line = _CREDIT_PAREN.sub("", line)
    line = _WIRE_OPENER.sub("", line)
    line = _DATELINE.sub("", line)
    return line.strip()


# What an extractor sometimes takes for an author: a site's domain ("Facebook Com", "Www Haufe De"),
# a copyright line, share buttons, or a run of several of them.
_JUNK_AUTHOR = re.compile(
    r"\b(?:www|https?|com|org|net)\b|\.(?:com|org|net|de|ru|ua)\b|copyright|©|\ball\s+rights\b"
    r"|\b(?:facebook|twitter|instagram|whatsapp|telegram|linkedin|youtube|pinterest)\b",
    re.I,
)
_AUTHOR_MAX_WORDS = 12


def author_or_none(author: str | None) -> str | None:
    """The author, or None when what was found is not a person's or a desk's name."""
    if not author or len(author.split()) > _AUTHOR_MAX_WORDS or _JUNK_AUTHOR.search(author):
        return None
    return author


def has_credit(sentence: str) -> bool:
    """A photo credit inside or at the end of a sentence ("... on Monday. | Getty Images"): a caption."""
    return bool(("|" in sentence or "©" in sentence) and _CREDIT_INSIDE.search(sentence) or _trailing_credit(sentence))


def is_furniture(sentence: str) -> bool:
    """A cookie or consent notice, share buttons, a subscribe or paywall line."""
    lower = sentence.lower()
    return any(word in lower for word in _FURNITURE_WORDS) and bool(_FURNITURE.search(sentence))


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
