"""The edition as a message: RFC 5322 multipart/alternative for sendmail or SMTP, or JSON for an email API.

A `Letter` is the edition's message before it has a reader: rendered once, then filled per reader
(their address in To, their token for `{{subscriber}}`, their Message-ID, the moment of sending in
Date). Filling never renders or re-encodes the whole email: each body is encoded once around the
places the token goes, so a list of 100,000 readers costs little more than its headers.

Everything but Date is derived from the edition, the config and the reader, never from the clock or
a random source: the same edition gives each reader the same bytes, Message-ID and MIME boundary.
The one exception: without the unsubscribe secret, the key of the readers' Message-ID tags is random
(see `readers.tag_key`), kept with the letter so a retry sends the same Message-ID.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import quopri
import re
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from email import policy, quoprimime
from email.header import Header
from email.utils import format_datetime, formataddr, parseaddr

from digest.config import Config, sender
from digest.model import Edition, stable_id
from digest.readers import PLACEHOLDER, TOKEN_CHARS, Reader, tag_key

# CRLF line ends as RFC 5322 wants them on the wire (sendmail and smtplib accept them); encoded-word
# headers rather than raw UTF-8, so the message passes any relay, with or without SMTPUTF8.
MESSAGE_POLICY = policy.SMTP
UNDISCLOSED = "undisclosed-recipients:;"  # RFC 5322's empty group: a To that names no one


def transfer_encoding(body: str) -> tuple[str, int]:
    """The 7-bit transfer encoding that makes `body` smallest, and the size it comes to.

    Quoted-printable keeps mostly-ASCII HTML within about 10% of its size but triples Cyrillic or
    Greek text; base64 always costs a third. Choosing per part keeps every edition as far from
    Gmail's clipping limit as it can be, whatever its language, and 7-bit passes any relay.
    """
    data = body.encode("utf-8")
    sizes = {"quoted-printable": len(quopri.encodestring(data)), "base64": len(base64.encodebytes(data))}
    name = min(sizes, key=lambda key: (sizes[key], key != "quoted-printable"))
    return name, sizes[name]


def html_part_size(html: str) -> int:
    """The size of the HTML part as a reader gets it, what Gmail's clipping limit is held to: filled
    with a token (every one is TOKEN_CHARS long) wherever `{{subscriber}}` is, and the larger of the
    part as the message carries it (CRLF line ends, transfer-encoded by the same code that sends it)
    and as the mail client decodes it. A reader's name never enters the HTML; only the token does."""
    fill = b"t" * TOKEN_CHARS
    encoded = _encode(html, transfer_encoding(html)[0], len(fill))
    decoded = len(fill.join(encoded[0]))
    return max(decoded, sum(len(piece) for piece in _fill(encoded, fill)))


def message_id(edition: Edition, config: Config) -> str:
    """One id per edition of one newsletter: the sender's address, the newsletter's title and the date.

    The issue number is left out on purpose: it is derived from settings that can change after an
    edition went out, and a changed id would let the same edition be sent twice.
    """
    address = parseaddr(config.newsletter.from_)[1] or "digest@localhost"
    domain = address.rpartition("@")[2] or "localhost"
    key = stable_id(address.lower(), config.newsletter.title, edition.date.isoformat())
    return f"<{edition.date:%Y%m%d}.{key}@{domain}>"


def letter(edition: Edition, config: Config, html: str, text: str) -> Letter:
    """The prepared edition's message, ready to be filled for each reader."""
    unsubscribe = unsubscribe_targets(config)
    return Letter(
        subject=edition.subject, preheader=edition.preheader, from_=sender(config), to=list(config.newsletter.to),
        html=html, text=text, message_id=message_id(edition, config),
        date=format_datetime(edition.cutoff.astimezone(config.newsletter.tz)), list_id=list_id(config),
        unsubscribe=unsubscribe, one_click=bool(config.newsletter.unsubscribe_url and config.newsletter.unsubscribe_url.lower().startswith("https://")),
        tag_key=tag_key(config),
    )


def json_document(document: dict) -> bytes:
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def reader_message_id(message_id: str, address: str, key: str = "") -> str:
    """The Message-ID of one reader's copy: the edition's, with a tag for the reader.

    The tag is an HMAC of the edition's id and the address under `key` (see `readers.tag_key`), so
    whoever sees a Message-ID cannot confirm a guessed address with it. A letter recorded by an older
    digest has no key: its readers keep the unkeyed tag they were recorded with.
    """
    local, _, domain = message_id.strip("<>").rpartition("@")
    if key:
        tag = hmac.new(bytes.fromhex(key), f"{message_id}\0{address}".encode(), hashlib.sha256).hexdigest()[:16]
    else:
        tag = stable_id(address)[:12]
    return f"<{local}.{tag}@{domain}>"


def list_id(config: Config) -> str:
    """`Title <label.domain>` (RFC 2919): the configured id, else the title as a label under the sender's domain."""
    settings = config.newsletter
    if settings.list_id:
        return settings.list_id
    domain = (parseaddr(settings.from_)[1].rpartition("@")[2] or "localhost").lower()
    label = re.sub(r"[^a-z0-9-]+", "-", settings.title.lower()).strip("-") or "digest"
    phrase = _one_line(settings.title)
    if not phrase.isascii():  # "Меридіан щодня": a header carries ASCII only, so an RFC 2047 encoded word
        phrase = Header(phrase, "utf-8").encode()
    return f"{phrase} <{label}.{domain}>"


def unsubscribe_targets(config: Config) -> list[str]:
    """List-Unsubscribe's targets (RFC 2369), the URL's `{{subscriber}}` left to be filled per reader."""
    settings = config.newsletter
    targets = [settings.unsubscribe_url] if settings.unsubscribe_url else []
    if settings.unsubscribe_mailto:
        mailto = settings.unsubscribe_mailto
        targets.append(mailto if mailto.lower().startswith("mailto:") else f"mailto:{mailto}")
    return [_one_line(target) for target in targets]


def _one_line(value: str) -> str:
    return " ".join(re.sub(r"[\x00-\x1f\x7f]", " ", value).split())


@dataclass(frozen=True)
class Letter:
    """The edition's message before it has a reader: all a sender needs, and all the store keeps to
    send a pending reader the same bytes later (its JSON)."""

    subject: str
    preheader: str
    from_: str
    to: list[str]  # newsletter.to: the To of the message without a reader (a preview, or a pipe to sendmail -t)
    html: str
    text: str
    message_id: str  # the edition's; each reader's is derived from it
    date: str  # the cut-off: the Date when the caller gives none (a library caller's reproducible message)
    list_id: str
    unsubscribe: list[str]
    one_click: bool  # an https unsubscribe URL: List-Unsubscribe-Post (RFC 8058), which Gmail and Yahoo ask of bulk senders
    tag_key: str = ""  # keys each reader's Message-ID tag (hex); "" in a letter recorded by an older digest
    _bodies: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def needs_token(self) -> bool:
        return PLACEHOLDER in self.html or PLACEHOLDER in self.text or any(PLACEHOLDER in t for t in self.unsubscribe)

    def to_json(self) -> bytes:
        document = asdict(self)
        del document["_bodies"]
        return json.dumps(document, ensure_ascii=False).encode("utf-8")

    @classmethod
    def from_json(cls, data: bytes) -> Letter:
        return cls(**json.loads(data))

    def reader_message_id(self, address: str) -> str:
        return reader_message_id(self.message_id, address, self.tag_key)

    def with_message_id(self, message_id: str) -> Letter:
        return replace(self, message_id=message_id, _bodies={})

    def headers(self, reader: Reader | None = None, token: str | None = None, date: datetime | None = None) -> dict[str, str]:
        """The headers beyond Subject, From and To, for the reader (or, without one, the edition's)."""
        fill = token if reader and token else PLACEHOLDER
        headers = {
            "Date": format_datetime(date) if date else self.date,
            "Message-ID": self.reader_message_id(reader.address) if reader else self.message_id,
            "List-Id": self.list_id,
            # RFC 3834: an auto-reply (a vacation notice) must not answer it; Precedence is what older responders read
            "Auto-Submitted": "auto-generated",
            "Precedence": "bulk",
        }
        if self.unsubscribe:
            headers["List-Unsubscribe"] = ", ".join(f"<{target.replace(PLACEHOLDER, fill)}>" for target in self.unsubscribe)
        if self.one_click:
            headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        return headers

    @property
    def unaddressed_to(self) -> list[str]:
        """The To of the message without a reader: newsletter.to when it names one reader. With several,
        none of them (the empty group below): one message To all would show each reader every other's
        address, so a list goes through `send`, `build --to` or `build --format jsonl` instead."""
        return list(self.to) if len(self.to) == 1 else []

    def recipient(self, reader: Reader | None) -> str:
        if reader is None:
            return ", ".join(self.unaddressed_to) or UNDISCLOSED
        return formataddr((reader.name, reader.address), "utf-8") if reader.name else reader.address

    def eml(self, reader: Reader | None = None, token: str | None = None, date: datetime | None = None) -> bytes:
        """The RFC 5322 message for `reader` (their token filled in), or, without one, with the placeholder left."""
        fill = (token if reader and token else PLACEHOLDER).encode("ascii")
        headers = self.headers(reader, token, date)
        to = _folded("To", _encoded_recipient(reader)) if reader else b"To: " + self._constant("to")
        head = [b"Subject: ", self._constant("subject"), b"From: ", self._constant("from"), to]
        head += [_folded(name, value) for name, value in headers.items()]
        parts = self._compiled(len(fill))
        out = head + [parts[0]]
        for part in parts[1:]:
            out += _fill(part, fill) if isinstance(part, list) else [part]
        return b"".join(out)

    def document(self, reader: Reader | None = None, token: str | None = None, date: datetime | None = None) -> dict:
        """The shape most email APIs take: {"subject", "preheader", "from", "to", "html", "text", "headers"}."""
        fill = token if reader and token else PLACEHOLDER
        return {
            "subject": self.subject,
            "preheader": self.preheader,
            "from": self.from_,
            "to": [self.recipient(reader)] if reader else self.unaddressed_to,
            "html": self.html.replace(PLACEHOLDER, fill),
            "text": self.text.replace(PLACEHOLDER, fill),
            "headers": self.headers(reader, token, date),
        }

    def api_message(self, reader: Reader, token: str | None, date: datetime | None = None) -> dict:
        """One reader's ready message for an email API (`build --format jsonl`): to, from, subject,
        html, text, headers."""
        document = self.document(reader, token, date)
        return {"to": document["to"][0], "from": document["from"], "subject": document["subject"],
                "html": document["html"], "text": document["text"], "headers": document["headers"]}

    def _constant(self, name: str) -> bytes:
        """Subject, From and the To of the message without a reader, folded and encoded once (encoded
        words for any non-ASCII)."""
        key = ("header", name)
        if key not in self._bodies:
            value = {"subject": self.subject, "from": self.from_, "to": self.recipient(None)}[name]
            header = MESSAGE_POLICY.header_factory(name.title(), value)
            self._bodies[key] = MESSAGE_POLICY.fold_binary(name.title(), header).split(b": ", 1)[1]
        return self._bodies[key]

    def _compiled(self, width: int) -> list:
        """The message after its headers, for tokens `width` long: bytes that are the same for every
        reader, and, between them, the encoded pieces that hold a token (see `_encode`)."""
        if width not in self._bodies:
            boundary = "=_digest_" + hashlib.sha256((self.text + "\0" + self.html).encode("utf-8")).hexdigest()[:32]
            parts: list = [f'MIME-Version: 1.0\r\nContent-Type: multipart/alternative;\r\n boundary="{boundary}"\r\n\r\n'.encode("ascii")]
            for subtype, body in (("plain", self.text), ("html", self.html)):
                cte = transfer_encoding(body)[0]
                parts.append(f'--{boundary}\r\nContent-Type: text/{subtype}; charset="utf-8"\r\n'
                             f"Content-Transfer-Encoding: {cte}\r\n\r\n".encode("ascii"))
                parts += [_encode(body, cte, width), b"\r\n"]  # the CRLF before a boundary is the boundary's
            parts.append(f"--{boundary}--\r\n".encode("ascii"))
            self._bodies[width] = parts
        return self._bodies[width]


HEADER_LINE = 78  # RFC 5322 2.1.1: a line SHOULD be at most 78 characters, and MUST be at most 998


def _folded(name: str, value: str) -> bytes:
    """`Name: value` and its CRLF, folded before a space wherever the line would pass HEADER_LINE
    (RFC 5322 2.2.3), so a mail client reads back the same value. A word longer than a line (a long
    URL) stays whole on a line of its own, far within the 998 RFC 5322 allows."""
    lines, line = [], f"{name}:"
    for word in value.split():
        if len(line) + 1 + len(word) > HEADER_LINE and line != f"{name}:":
            lines.append(line)
            line = ""
        line += " " + word
    lines.append(line)
    return "\r\n".join(lines).encode("ascii") + b"\r\n"


def _encoded_recipient(reader: Reader) -> str:
    """The reader as a To value in ASCII: their name quoted as needed, or as RFC 2047 encoded words of
    at most 76 characters each (one word per line when folded) when it is not ASCII."""
    if not reader.name:
        return reader.address
    if reader.name.isascii():
        return formataddr((reader.name, reader.address))
    return f"{Header(reader.name, 'utf-8').encode()} <{reader.address}>"


_B64_LINE = 57  # raw bytes per base64 line: 76 characters


def _encode(body: str, cte: str, width: int) -> list:
    """`body` encoded once around its placeholders, as a list `_fill` completes with a token `width` long.

    The list starts with the raw pieces between placeholders; then come bytes (the same for every
    reader) and, where a token goes, either None (quoted-printable: the token is written as it is,
    between soft line breaks, since its letters and digits need no quoting) or a (start, end) slice of
    the filled body (base64: each line that holds part of a token is encoded per reader; every other
    line is encoded here, once).
    """
    raw = b"\r\n".join(body.encode("utf-8").splitlines()) + b"\r\n"
    pieces = raw.split(PLACEHOLDER.encode("ascii"))
    out: list = [pieces]
    if cte == "quoted-printable":
        out.append(_qp(pieces[0]))
        for piece in pieces[1:]:
            out += [b"=\r\n", None, b"=\r\n", _qp(piece)]
        return out
    slots, position = [], len(pieces[0])
    for piece in pieces[1:]:
        slots.append(position)
        position += width + len(piece)
    dummy = (b"\0" * width).join(pieces)
    constant = b""
    for start in range(0, len(dummy), _B64_LINE):
        end = min(start + _B64_LINE, len(dummy))
        if any(slot < end and slot + width > start for slot in slots):
            out += [constant, (start, end)]
            constant = b""
        else:
            constant += binascii.b2a_base64(dummy[start:end], newline=False) + b"\r\n"
    out.append(constant)
    return out


def _qp(data: bytes) -> bytes:
    """Quoted-printable in lines of at most 75 characters, so a soft break after the last still fits in 76."""
    return quoprimime.body_encode(data.decode("latin-1"), maxlinelen=75, eol="\r\n").encode("ascii") if data else b""


def _fill(encoded: list, token: bytes) -> list[bytes]:
    """One reader's encoded body: the token in each slot `_encode` left."""
    pieces, filled, out = encoded[0], None, []
    for part in encoded[1:]:
        if part is None:
            out.append(token)
        elif isinstance(part, tuple):
            filled = filled if filled is not None else token.join(pieces)
            out.append(binascii.b2a_base64(filled[part[0]:part[1]], newline=False) + b"\r\n")
        else:
            out.append(part)
    return out
