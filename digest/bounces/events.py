"""The plain events a bounce or complaint becomes, and the small readers every format shares.

Nothing here knows a format: `parse` reads the standard reports, `text` the plain notices."""
from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import Message
from email.utils import parseaddr
from enum import StrEnum

MAX_MESSAGE_BYTES = 2_000_000  # a bounce quotes at most one newsletter (well under 200 KB); anything larger is kept unread
MAX_EVENTS = 100  # recipients taken from one report (one newsletter message has one)
MAX_TEXT = 200_000  # characters of a text part searched for a notice's recipients and status
MAX_SAID = 300  # characters kept of what the mail system said

_STATUS = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
_SMTP_CODE = re.compile(r"(?<![\d.])([45])\d\d(?![\d.])")
MESSAGE_ID = re.compile(r"^message-id:\s*(<[^<>\s]{1,400}>)", re.IGNORECASE | re.MULTILINE)


class Kind(StrEnum):
    HARD = "hard"  # 5.x.x: the address does not work; suppress it
    SOFT = "soft"  # 4.x.x: a temporary failure that lasted until the mail system gave up; counted
    COMPLAINT = "complaint"  # the reader marked the message as spam


@dataclass(frozen=True)
class Event:
    """One recipient's outcome as a report states it. `recipients`: the addresses the report names for
    them, best first (Original-Recipient, Final-Recipient, the notice's own wording); `original_to`
    and `message_id` come from the copy of our message the report quotes, when it does."""

    kind: Kind
    recipients: tuple[str, ...]
    status: str  # "5.1.1"; "" for a complaint
    said: str  # one line: the diagnostic, or the feedback type
    message_id: str | None = None
    original_to: tuple[str, ...] = ()


@dataclass(frozen=True)
class Ignored:
    """A report that is readable but asks nothing of the list (a delay warning, a success notice)."""

    recipients: tuple[str, ...]
    why: str


@dataclass(frozen=True)
class Report:
    """What one message says: its format ("dsn", "arf", "postfix", ...), events, and what it names but needs nothing."""

    format: str
    events: list[Event]
    ignored: list[Ignored]


class Unreadable(Exception):
    """Not a bounce or complaint this module can read; the text says why (for the warning)."""


def one_line(text: str, limit: int = MAX_SAID) -> str:
    """Text from a mail system as one short printable line."""
    text = text[:limit * 4]  # enough for `limit` once runs of spaces are squeezed; the rest is never looked at
    return " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())[:limit]


def status_kind(status: str) -> Kind | None:
    return {"5": Kind.HARD, "4": Kind.SOFT}.get(status[:1])


def status_in(text: str) -> str | None:
    """The enhanced status code (RFC 3463) in `text`, else one made from a basic SMTP reply code (550 → 5.0.0)."""
    found = _STATUS.search(text)
    if found:
        return ".".join(found.groups())
    code = _SMTP_CODE.search(text)
    return f"{code.group(1)}.0.0" if code else None


def address_in(field: str | None) -> str | None:
    """The address of a recipient field: `rfc822; ann@example.org` (RFC 3464) or a bare or bracketed one."""
    if not field:
        return None
    value = str(field).split(";", 1)[1] if ";" in str(field) else str(field)
    address = parseaddr(value.strip())[1] or value.strip().strip("<>")
    return address.strip().lower() if "@" in address and len(address) <= 254 and not re.search(r"\s", address) else None


@dataclass(frozen=True)
class Original:
    """What a report quotes of the message it is about."""

    message_id: str | None
    to: tuple[str, ...]


def parts(message: Message) -> list[Message]:
    """Every part, depth first, at most a few hundred (a report has three or four)."""
    found: list[Message] = []
    stack = [message]
    while stack and len(found) < 500:
        part = stack.pop(0)
        found.append(part)
        if part.get_content_maintype() == "multipart" and isinstance(part.get_payload(), list):
            stack[:0] = [child for child in part.get_payload() if isinstance(child, Message)]
    return found


def raw_bytes(part: Message) -> bytes:
    """A leaf part's bytes, its transfer encoding undone; b"" for a part that holds parts."""
    raw = part.get_payload(decode=True)
    return raw if isinstance(raw, bytes) else b""


def text_of(part: Message) -> str:
    """A text part's words, decoded by its charset (a wrong or unknown one read as Latin-1), capped."""
    raw = raw_bytes(part)
    charset = part.get_content_charset() or "utf-8"
    try:
        return raw[:MAX_TEXT].decode(charset, "replace")
    except LookupError:
        return raw[:MAX_TEXT].decode("latin-1")


