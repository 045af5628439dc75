"""Read one bounce or complaint message into plain events: who, hard/soft/complaint, the status, what was said.

Understands delivery status notifications (RFC 3464: multipart/report; report-type=delivery-status),
abuse reports (RFC 5965 ARF: multipart/report; report-type=feedback-report) and, through
`digest.bounces.text`, the plain-text notices of Postfix, Exim, Gmail and Microsoft that carry no
machine-readable part. Nothing here touches the store: `digest.bounces.intake` decides what an event
means for a reader. Everything read is capped (MAX_MESSAGE_BYTES, MAX_EVENTS, the text scanned).
"""
from __future__ import annotations

import re
from email import message_from_bytes, policy
from email.message import Message
from email.parser import BytesHeaderParser
from email.utils import getaddresses

from digest.bounces.events import (
    MAX_EVENTS,
    MAX_MESSAGE_BYTES,
    MAX_TEXT,
    MESSAGE_ID,
    Event,
    Ignored,
    Kind,
    Original,
    Report,
    Unreadable,
    address_in,
    one_line,
    parts,
    raw_bytes,
    status_in,
    status_kind,
    text_of,
)
from digest.bounces.text import plain_notice


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
    return plain_notice(message, original_of(message))


def _part(message: Message, content_type: str) -> Message | None:
    return next((part for part in parts(message) if part.get_content_type() == content_type), None)


def _blocks(part: Message) -> list[Message]:
    """The field blocks of a message/delivery-status or message/feedback-report part."""
    payload = part.get_payload()
    if isinstance(payload, list):
        return [block for block in payload if isinstance(block, Message)]
    raw = raw_bytes(part)
    chunks = re.split(rb"\r?\n\s*\r?\n", raw.strip()) if raw.strip() else []
    return [BytesHeaderParser(policy=policy.compat32).parsebytes(chunk + b"\n") for chunk in chunks]


def original_of(message: Message) -> Original:
    """The Message-ID and To of the quoted original: a message/rfc822 or text/rfc822-headers part, or the
    headers a plain notice pastes into its text."""
    for part in parts(message):
        if part is message:
            continue
        headers: Message | None = None
        if part.get_content_type() == "message/rfc822":
            payload = part.get_payload()
            headers = payload[0] if isinstance(payload, list) and payload and isinstance(payload[0], Message) else None
        elif part.get_content_type() in ("text/rfc822-headers", "text/rfc822-header"):
            headers = BytesHeaderParser(policy=policy.compat32).parsebytes(raw_bytes(part)[:MAX_TEXT])
        if headers is not None and (headers.get("Message-ID") or headers.get("To")):
            return _original(headers)
    for part in parts(message):
        if part.get_content_type() == "text/plain":  # a notice pasting the headers into its words (Exim, Microsoft)
            text = text_of(part)
            found = MESSAGE_ID.search(text)
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
