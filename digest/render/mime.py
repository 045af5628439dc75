"""The edition as a message: RFC 5322 multipart/alternative for sendmail or SMTP, or JSON for an email API.

Everything in the message is derived from the edition and the config, never from the clock or a
random source: the same edition gives the same bytes, the same Message-ID and the same MIME boundary,
so a sender (or the delivery stage) can recognise an edition it has already sent.
"""
from __future__ import annotations

import base64
import hashlib
import json
import quopri
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from digest.config import Config
from digest.model import Edition, stable_id

# CRLF line ends as RFC 5322 wants them on the wire (sendmail and smtplib accept them); encoded-word
# headers rather than raw UTF-8, so the message passes any relay, with or without SMTPUTF8.
MESSAGE_POLICY = policy.SMTP


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


def message_id(edition: Edition, config: Config) -> str:
    """One id per edition of one newsletter: the sender's address, the newsletter's title and the date.

    The issue number is left out on purpose: it is derived from settings that can change after an
    edition went out, and a changed id would let the same edition be sent twice.
    """
    address = parseaddr(config.newsletter.from_)[1] or "digest@localhost"
    domain = address.rpartition("@")[2] or "localhost"
    key = stable_id(address.lower(), config.newsletter.title, edition.date.isoformat())
    return f"<{edition.date:%Y%m%d}.{key}@{domain}>"


def list_headers(config: Config) -> dict[str, str]:
    """List-Unsubscribe (URL and/or mailto) and, with an https URL, one-click unsubscribe (RFC 8058),
    which Gmail and Yahoo require of bulk senders."""
    settings = config.newsletter
    targets = []
    if settings.unsubscribe_url:
        targets.append(settings.unsubscribe_url)
    if settings.unsubscribe_mailto:
        mailto = settings.unsubscribe_mailto
        targets.append(mailto if mailto.lower().startswith("mailto:") else f"mailto:{mailto}")
    headers = {}
    if targets:
        headers["List-Unsubscribe"] = ", ".join(f"<{target}>" for target in targets)
    if settings.unsubscribe_url and settings.unsubscribe_url.lower().startswith("https://"):
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return headers


def envelope_headers(edition: Edition, config: Config) -> dict[str, str]:
    """The headers beyond Subject/From/To that an email API needs to send the same message."""
    moment = edition.cutoff.astimezone(config.newsletter.tz)
    return {
        "Date": format_datetime(moment),
        "Message-ID": message_id(edition, config),
        **list_headers(config),
    }


def build_message(edition: Edition, config: Config, html: str, text: str) -> EmailMessage:
    """multipart/alternative: the text part first, the HTML last (clients show the last they can)."""
    message = EmailMessage(policy=MESSAGE_POLICY)
    message["Subject"] = edition.subject
    message["From"] = config.newsletter.from_
    message["To"] = ", ".join(config.newsletter.to)
    for name, value in envelope_headers(edition, config).items():
        message[name] = value
    message.set_content(text, subtype="plain", charset="utf-8", cte=transfer_encoding(text)[0])
    message.add_alternative(html, subtype="html", charset="utf-8", cte=transfer_encoding(html)[0])
    # The default boundary is random; one derived from the content keeps the bytes reproducible and,
    # being a hash of the parts, cannot occur inside them.
    message.set_boundary("=_digest_" + hashlib.sha256((text + "\0" + html).encode("utf-8")).hexdigest()[:32])
    return message


def eml(edition: Edition, config: Config, html: str, text: str) -> bytes:
    return build_message(edition, config, html, text).as_bytes()


def api_json(edition: Edition, config: Config, html: str, text: str) -> bytes:
    """The shape most email APIs take: {"subject", "preheader", "from", "to", "html", "text", "headers"}."""
    document = {
        "subject": edition.subject,
        "preheader": edition.preheader,
        "from": config.newsletter.from_,
        "to": list(config.newsletter.to),
        "html": html,
        "text": text,
        "headers": envelope_headers(edition, config),
    }
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
