"""The reader's language: the words the tool writes itself, its dates and times, its writing direction.

    language = i18n.language(config.newsletter.lang)
    language.gettext("Top story"); language.long_date(day); language.clock(moment, tz); language.dir

Every word the email, its text twin and the archive pages write themselves goes through the gettext
catalogue of `newsletter.lang` (digest/locales/LANG/LC_MESSAGES/digest.mo); dates and times come from
Babel's CLDR data. The English strings are the message ids, so English needs no catalogue. A string a
catalogue lacks is written in English, and stderr says so once. Item text is never translated: a
source's or an item's own `lang` only decides how its sentences are split and summarized.
"""
from __future__ import annotations

import gettext
import logging
import re
from datetime import date, datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_skeleton

DOMAIN = "digest"
LOCALES = Path(__file__).parent / "locales"
SOURCE_LANGUAGE = "en"  # the language of the message ids, the templates' own words

# Bare `en` keeps the day-month-year dates the tool has always written ("Thursday, 14 May 2026");
# `en-US` writes "Thursday, May 14, 2026". Only dates: times follow the tag itself.
_DATE_LOCALE = {"en": "en_GB"}

# BCP 47's shape: a language of 2 to 8 letters, then subtags of 1 to 8 letters or digits ("_" as CMSs write it)
_TAG = re.compile(r"[A-Za-z]{2,8}(?:[-_][A-Za-z0-9]{1,8})*")
MAX_TAG = 35  # RFC 5646's advice on the longest tag worth keeping

log = logging.getLogger(__name__)
_reported: set[tuple[str, str]] = set()  # (language, message id) already reported missing


def N_(message: str) -> str:
    """Marks a string for the catalogues (pybabel extract) where it is defined; it is translated where shown."""
    return message


def parse_locale(tag: str) -> Locale:
    """The CLDR locale of a language tag ("uk", "uk-UA", "pt_BR"); ValueError when Babel does not know it."""
    try:
        return Locale.parse(tag.strip().replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError) as exc:
        raise ValueError(f"'{tag}' is not a language tag Babel knows ({exc})") from None


def lang_problem(tag: str) -> str | None:
    """For the config check: a language the dates and catalogues can be looked up for."""
    try:
        parse_locale(tag)
    except ValueError as exc:
        return f"{exc}; use an ISO 639 code such as en, uk, ar or he, optionally with a region (en-US)"
    return None


class Language:
    """One language's words, dates, times and direction; `language(tag)` gives the shared one."""

    def __init__(self, tag: str) -> None:
        self.tag = tag
        self.locale = parse_locale(tag)
        self.code = str(self.locale)  # "uk", "en_US"
        self.dir = "rtl" if self.locale.text_direction == "rtl" else "ltr"
        self._date_locale = Locale.parse(_DATE_LOCALE.get(self.code, self.code))
        self._catalogue = _catalogue(self.locale)
        if self._catalogue is None and self.locale.language != SOURCE_LANGUAGE:
            log.warning("lang: there is no catalogue for '%s' in %s, so the email's own words are in English "
                        "(README, Languages, says how to add one)", tag, LOCALES)

    def gettext(self, message: str) -> str:
        return self._lookup(message, message, message)

    def ngettext(self, singular: str, plural: str, count: int) -> str:
        english = singular if count == 1 else plural
        if self._catalogue is None:
            return english
        index = self._catalogue.plural(count)  # type: ignore[attr-defined]  # the catalogue's plural rule
        return self._lookup(singular, (singular, index), english)

    def _lookup(self, message: str, key: str | tuple[str, int], english: str) -> str:
        if self._catalogue is None:
            return english
        found = self._catalogue._catalog.get(key)  # type: ignore[attr-defined]  # GNUTranslations' table
        if found:
            return found
        if (self.code, message) not in _reported:
            _reported.add((self.code, message))
            log.warning("lang: the '%s' catalogue has no translation of %r; it is written in English", self.code, message)
        return english

    def long_date(self, day: date) -> str:
        """The masthead's date: "четвер, 14 травня 2026 р.", "Thursday, 14 May 2026"."""
        return format_date(day, "full", locale=self._date_locale)

    def short_date(self, day: date) -> str:
        """The subject's date: "14 травня 2026 р.", "14 May 2026"."""
        return format_date(day, "long", locale=self._date_locale)

    def day_month(self, day: date) -> str:
        """The key developments' date: "14 May", "14 травня" (the day of the month in the locale's case)."""
        return format_skeleton("MMMMd", day, locale=self._date_locale)

    def clock(self, moment: datetime, tz: ZoneInfo, time_format: str | None = None, day: date | None = None) -> str:
        """A time in the newsletter's time zone: the locale's clock ("23:02" in Ukrainian, "11:02 PM" in
        English), or the 12- or 24-hour one `email.time_format` asks for, in the locale's words. When
        the time is not on `day` (the edition's), its day goes with it ("25 June, 11:02 PM"), so an
        item from the evening before does not read as later than the morning's."""
        if time_format is None:
            pattern = str(self.locale.time_formats["short"].pattern)
            time_format = "12h" if "h" in pattern or "K" in pattern else "24h"
        local = moment.astimezone(tz)
        shown = format_skeleton("hm" if time_format == "12h" else "Hm", local, locale=self.locale)
        if day is None or local.date() == day:
            return shown
        on = format_skeleton("MMMMd", local, locale=self._date_locale)
        return str(self._date_locale.datetime_formats["medium"]).replace("{1}", on).replace("{0}", shown)


def language_tag(text: str | None) -> str | None:
    """`text` trimmed when it has the shape of a language tag ("en", "uk-UA", "pt_BR"), else None.

    The one check for a language named by item data, which is untrusted: a tag also becomes an HTML
    attribute and part of a file name (sumy's stop-word lists), where "../" would lead anywhere."""
    text = (text or "").strip()
    return text if len(text) <= MAX_TAG and _TAG.fullmatch(text) else None


def other_language(tag: str | None, words: Language) -> str | None:
    """An item's language tag ("en-GB") when it is another language than the edition's, for its `lang`
    attribute; None when it is the same, or not a well-formed tag (item data is untrusted)."""
    tag = language_tag(tag)
    if not tag:
        return None
    return None if re.split("[-_]", tag)[0].lower() == words.locale.language else tag.replace("_", "-")


@cache
def language(tag: str) -> Language:
    """The shared Language of a tag (its missing-catalogue warning is given once)."""
    return Language(tag)


def _catalogue(locale: Locale) -> gettext.GNUTranslations | None:
    """The compiled catalogue for the locale, its region's first ("uk_UA", then "uk"), or None."""
    try:
        return gettext.translation(DOMAIN, LOCALES, languages=[str(locale)])
    except FileNotFoundError:
        return None

