"""Read one bounce or complaint message into plain events: who, hard/soft/complaint, the status, what was said.

Understands delivery status notifications (RFC 3464: multipart/report; report-type=delivery-status),
abuse reports (RFC 5965 ARF: multipart/report; report-type=feedback-report) and, through
`digest.bounces.text`, the plain-text notices of Postfix, Exim, Gmail and Microsoft that carry no
machine-readable part. Nothing here touches the store: `digest.bounces.intake` decides what an event
means for a reader. Everything read is capped (MAX_MESSAGE_BYTES, MAX_EVENTS, the text scanned).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import Message
from email.parser import BytesHeaderParser
from email.utils import getaddresses, parseaddr
from enum import StrEnum

MAX_MESSAGE_BYTES = 10_000_000  # a bounce quotes at most one newsletter; anything larger is kept unread
MAX_EVENTS = 100  # recipients taken from one report (one newsletter message has one)
MAX_TEXT = 200_000  # characters of a text part searched for a notice's recipients and status
MAX_SAID = 300  # characters kept of what the mail system said

_STATUS = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
_SMTP_CODE = re.compile(r"(?<![\d.])([45])\d\d(?![\d.])")
_MESSAGE_ID = re.compile(r"^message-id:\s*(<[^<>\s]{1,400}>)", re.IGNORECASE | re.MULTILINE)


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


def read(data: bytes) -> Report:
    """The report one message makes. Raises Unreadable when it is none this module knows."""
    if len(data) > MAX_MESSAGE_BYTES:
        raise Unreadable(f"the message is larger than {MAX_MESSAGE_BYTES:,} bytes")
    if not data.strip():
        raise Unreadable("the message is empty")
    message = message_from_bytes(data, policy=policy.compat32)
    if message.get_content_type() == "multipart/report":
        param = message.get_param("report-type")
        report_type = param.lower() if isinstance(param, str) else ""
        if report_type == "feedback-report" or _part(message, "message/feedback-report") is not None:
            return _arf(message)
        if report_type == "delivery-status" or _part(message, "message/delivery-status") is not None:
            return _dsn(message)
    if _part(message, "message/delivery-status") is not None:  # a DSN inside another container
        return _dsn(message)
    from digest.bounces.text import plain_notice

    return plain_notice(message, original_of(message))


def _parts(message: Message) -> list[Message]:
    """Every part, depth first, at most a few hundred (a report has three or four)."""
    found: list[Message] = []
    stack = [message]
    while stack and len(found) < 500:
        part = stack.pop(0)
        found.append(part)
        if part.get_content_maintype() == "multipart" and isinstance(part.get_payload(), list):
            stack[:0] = [child for child in part.get_payload() if isinstance(child, Message)]
    return found


def _part(message: Message, content_type: str) -> Message | None:
    return next((part for part in _parts(message) if part.get_content_type() == content_type), None)


def _blocks(part: Message) -> list[Message]:
    """The field blocks of a message/delivery-status or message/feedback-report part."""
    payload = part.get_payload()
    if isinstance(payload, list):
        return [block for block in payload if isinstance(block, Message)]
    raw = _raw(part)
    chunks = re.split(rb"\r?\n\s*\r?\n", raw.strip()) if raw.strip() else []
    return [BytesHeaderParser(policy=policy.compat32).parsebytes(chunk + b"\n") for chunk in chunks]


@dataclass(frozen=True)
class Original:
    """What a report quotes of the message it is about."""

    message_id: str | None
    to: tuple[str, ...]


def original_of(message: Message) -> Original:
    """The Message-ID and To of the quoted original: a message/rfc822 or text/rfc822-headers part, or the
    headers a plain notice pastes into its text."""
    for part in _parts(message):
        if part is message:
            continue
        headers: Message | None = None
        if part.get_content_type() == "message/rfc822":
            payload = part.get_payload()
            headers = payload[0] if isinstance(payload, list) and payload and isinstance(payload[0], Message) else None
        elif part.get_content_type() in ("text/rfc822-headers", "text/rfc822-header"):
            headers = BytesHeaderParser(policy=policy.compat32).parsebytes(_raw(part)[:MAX_TEXT])
        if headers is not None and (headers.get("Message-ID") or headers.get("To")):
            return _original(headers)
    for part in _parts(message):
        if part.get_content_type() == "text/plain":  # a notice pasting the headers into its words (Exim, Microsoft)
            text = text_of(part)
            found = _MESSAGE_ID.search(text)
            if found:
                block = text[text.rfind("\n\n", 0, found.start()) + 1:][:20_000].split("\n\n", 1)[0]  # the header block it is in
                to = re.search(r"^to:\s*(.{1,1000})$", block, re.IGNORECASE | re.MULTILINE)
                return Original(found.group(1), _addresses(to.group(1) if to else ""))
    return Original(None, ())


def _original(headers: Message) -> Original:
    message_id = one_line(str(headers.get("Message-ID", "")), 400) or None
    return Original(message_id, _addresses(str(headers.get("To", ""))))


def _addresses(field: str) -> tuple[str, ...]:
    return tuple(address.lower() for _name, address in getaddresses([field])[:MAX_EVENTS] if "@" in address)


def _raw(part: Message) -> bytes:
    """A leaf part's bytes, its transfer encoding undone; b"" for a part that holds parts."""
    raw = part.get_payload(decode=True)
    return raw if isinstance(raw, bytes) else b""


def text_of(part: Message) -> str:
    """A text part's words, decoded by its charset (a wrong or unknown one read as Latin-1), capped."""
    raw = _raw(part)
    charset = part.get_content_charset() or "utf-8"
    try:
        return raw[:MAX_TEXT].decode(charset, "replace")
    except LookupError:
        return raw[:MAX_TEXT].decode("latin-1")


def _dsn(message: Message) -> Report:
    status_part = _part(message, "message/delivery-status")
    if status_part is None:
        raise Unreadable("a delivery report without its message/delivery-status part")
    original = original_of(message)
    events: list[Event] = []
    ignored: list[Ignored] = []
    for block in _blocks(status_part)[1:MAX_EVENTS + 1]:  # the first block is about the message, the rest one per recipient
        recipients = tuple(dict.fromkeys(a for a in (address_in(block.get("Original-Recipient")), address_in(block.get("Final-Recipient"))) if a))
        if not recipients:
            continue
        action = one_line(str(block.get("Action", "")), 40).lower()
        said = one_line(str(block.get("Diagnostic-Code", "")).split(";", 1)[-1]) or one_line(str(block.get("Status", "")))
        status = status_in(str(block.get("Status", ""))) or status_in(said) or ""
        kind = status_kind(status)
        if action != "failed" or kind is None:
            ignored.append(Ignored(recipients, f"the report says {action or 'no action'} ({status or 'no status'}), not a failure"))
            continue
        events.append(Event(kind, recipients, status, said, original.message_id, original.to))
    if not events and not ignored:
        raise Unreadable("a delivery report that names no recipient")
    return Report("dsn", events, ignored)


def _arf(message: Message) -> Report:
    """An abuse report (RFC 5965): `Feedback-Type: abuse` (or fraud, virus) is a complaint about the original's recipient."""
    report_part = _part(message, "message/feedback-report")
    blocks = _blocks(report_part) if report_part is not None else []
    if not blocks:
        raise Unreadable("a feedback report without its message/feedback-report part")
    fields = blocks[0]
    feedback = one_line(str(fields.get("Feedback-Type", "")), 40).lower()
    original = original_of(message)
    recipients = tuple(dict.fromkeys(a for a in [address_in(value) for value in fields.get_all("Original-Rcpt-To") or []][:MAX_EVENTS]
                                     + list(original.to) if a))
    if feedback not in ("abuse", "fraud", "virus", "other"):
        return Report("arf", [], [Ignored(recipients, f"a feedback report of type {feedback or '(none)'}, not a complaint")])
    if not recipients and original.message_id is None:
        raise Unreadable("a complaint that names neither the recipient nor the original Message-ID")
    said = f"feedback-type {feedback}" + (f" from {one_line(str(fields.get('Reported-Domain', '')), 100)}" if fields.get("Reported-Domain") else "")
    return Report("arf", [Event(Kind.COMPLAINT, recipients, "", said, original.message_id, original.to)], [])
