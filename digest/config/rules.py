"""The rules a config value must pass: each takes the value and returns what is wrong with it and
the fix, or None when it is fine. `check` attaches one to a schema field; the loader runs it."""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import field
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from digest.errors import UsageError


class ConfigError(UsageError):
    """A mistake in the user's config: the message says where and what would be valid."""

    def __init__(self, file: str | Path, key: str, problem: str, fix: str = "") -> None:
        self.file, self.key, self.problem, self.fix = str(file), key, problem, fix
        where = f"{file}: {key}: " if key else f"{file}: "
        super().__init__(where + problem + (f"; {fix}" if fix else ""))


def check(fn: Callable[[Any], str | None], **kwargs: Any) -> Any:
    """A field whose value must also pass `fn` (which returns the fix, or None when fine)."""
    metadata = dict(kwargs.pop("metadata", {}), check=fn)
    return field(metadata=metadata, **kwargs)


def timezone_problem(name: str) -> str | None:
    """An IANA zone name. The tz database's other entries load but are no place's clock: `localtime` is
    whatever the machine is set to (it changes when the server moves), `Factory` means "not set",
    `posix/X` is X under another name and `right/X` counts leap seconds, which the system clock does not."""
    if name.startswith("posix/"):
        return f"'{name}' is '{name[6:]}' under another name; use '{name[6:]}'"
    if name.startswith("right/"):
        return f"'{name}' counts leap seconds, which the system clock does not (its times would be seconds off); use '{name[6:]}'"
    if name in ("localtime", "Factory", "posixrules"):
        return f"'{name}' is not the time zone of a place; name yours, such as Europe/Kyiv or UTC"
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return f"'{name}' is not a time zone; use an IANA name such as Europe/Kyiv or UTC"
    return None


_TIME_OF_DAY = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")


def time_problem(value: str) -> str | None:
    if not _TIME_OF_DAY.match(value):
        return f"'{value}' is not a time of day; write it as HH:MM in 24-hour time, e.g. \"07:00\""
    return None


def clock_times_problem(values: list[str]) -> str | None:
    """Times a clock can strike: HH:MM from 00:00 to 23:59; at least one, as the first is also the
    editions' default cut-off."""
    if not values:
        return "lists no time; give at least one, e.g. [\"07:00\"]"
    for value in values:
        if value == "24:00":
            return "'24:00' is not a time a day has; use \"00:00\" for midnight"
        problem = time_problem(value)
        if problem:
            return problem
    return None


MAX_WINDOW_HOURS = 24 * 366  # a year: past it the window's start leaves the calendar


def window_problem(hours: float) -> str | None:
    if not 0 < hours <= MAX_WINDOW_HOURS:
        return f"{hours:g} is not a window; use a number of hours more than 0 and up to {MAX_WINDOW_HOURS} (a year)"
    return None


def retry_problem(minutes: float) -> str | None:
    """0 (no retry) or at least a minute: a retry every instant would never let the loop rest."""
    if minutes == 0 or 1 <= minutes <= 24 * 60:
        return None
    return f"{minutes:g} is not a retry interval; use 0 (wait for the next send time) or 1 to 1440 minutes"


CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def header_problem(value: str | None) -> str | None:
    """A value that goes into a mail header: a line break in it would end the header and start another."""
    if value and CONTROL.search(value):
        return f"{value!r} holds a line break or another control character, which would end the mail header; remove it"
    return None


def non_negative(value: float) -> str | None:
    return None if value >= 0 else f"{value} is negative; use 0 or more"


def positive(value: float) -> str | None:
    return None if value > 0 else f"{value} must be more than 0"


SUBJECT_FIELDS = {"title": "Daily Digest", "tagline": "", "date": "26 June 2024", "headline": "A headline", "number": ""}


def subject_problem(template: str) -> str | None:
    """The subject is a str.format template over SUBJECT_FIELDS; a typo there must not wait for send day."""
    try:
        template.format(**SUBJECT_FIELDS)
    except (KeyError, IndexError, ValueError, AttributeError) as exc:
        return f"'{template}' is not a subject template ({exc!r}); use the fields " + ", ".join(f"{{{k}}}" for k in SUBJECT_FIELDS)
    return None


def date_problem(value: str | None) -> str | None:
    """A YYYY-MM-DD date whose edition window can be worked out (a day before and after it exist)."""
    if value is None:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return f"'{value}' is not a date; write it as YYYY-MM-DD"
    if not date.min < day < date.max:
        return f"'{value}' is out of range; use a date after 0001-01-01 and before 9999-12-31"
    return None


def utm_problem(params: dict[str, str]) -> str | None:
    wrong = [key for key in params if not key.startswith("utm_")]
    return f"{', '.join(wrong)}: UTM keys start with utm_ (utm_source, utm_medium, utm_campaign...)" if wrong else None
