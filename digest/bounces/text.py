"""The bounces without a machine-readable part: Postfix, Exim, Gmail and Microsoft in their own words.

Each format is told by the phrases its software writes, and says who failed in its own layout; what
the remote server answered is then read for a status code (RFC 3463 `5.1.1`, else a reply code
`550`), and failing that the notice's own words (Exim's "permanent error", Gmail's "does not exist").
A notice of a delay (the mail system is still trying) records nothing.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message
from email.utils import parseaddr

from digest.bounces.events import MAX_EVENTS, Event, Ignored, Kind, Original, Report, Unreadable, one_line, parts, status_in, status_kind, text_of

_ADDRESS = r"[^\s<>@,;:\"()\[\]\\]{1,64}@[A-Za-z0-9.-]{1,253}"
Found = list[tuple[str, str]]  # (address, what was said about it)


def _postfix(text: str) -> Found:
    """`<ann@example.org>: host mx.example.org[192.0.2.1] said: 550 5.1.1 ...` with indented continuation lines."""
    pattern = re.compile(rf"^<({_ADDRESS})>(?:\s*\(expanded from <[^>\n]*>\))?:[ \t]*(.*(?:\n[ \t]+.*)*)", re.MULTILINE)
    return [(match.group(1), match.group(2)) for match in pattern.finditer(text)]


def _exim(text: str) -> Found:
    """After "The following address(es) failed:", each address on its own indented line, its story indented below."""
    start = re.search(r"following address\(es\) failed:\s*\n", text)
    if not start:
        return []
    block = re.split(r"\n-{3,}|\n\s*Reporting-MTA:", text[start.end():], maxsplit=1)[0]
    pattern = re.compile(rf"^[ \t]{{1,4}}<?({_ADDRESS})>?[ \t]*\n((?:[ \t]{{3,}}.*\n?|[ \t]*\n(?=[ \t]{{3,}}\S))*)", re.MULTILINE)
    return [(match.group(1), match.group(2)) for match in pattern.finditer(block)]


def _gmail(text: str) -> Found:
    """"Your message wasn't delivered to ann@example.org because ..." then "The response from the remote server was: ..."."""
    said = re.search(r"The response(?: from the remote server)? was:\s*\n(.*(?:\n.+)*)", text)
    answer = said.group(1) if said else ""
    found = re.findall(rf"(?:wasn't|was not|couldn't be|could not be) delivered to \s*<?({_ADDRESS})>?", text)
    found += re.findall(rf"Delivery to the following recipients? failed permanently:\s*\n\s*<?({_ADDRESS})>?", text)
    return [(address.rstrip("."), answer) for address in dict.fromkeys(found)]


def _microsoft(text: str) -> Found:
    """"Delivery has failed to these recipients or groups:", the addresses, then "Remote Server returned '550 5.1.10 ...'"."""
    start = re.search(r"Delivery has failed to these recipients or groups:\s*\n", text)
    if not start:
        return []
    head = re.split(r"Diagnostic information for administrators", text[start.end():], maxsplit=1)
    addresses = list(dict.fromkeys(re.findall(rf"(?:^|[\s<(])({_ADDRESS})(?=[\s>)]|$)", head[0].split("\n\n\n")[0])))
    tail = head[1] if len(head) > 1 else text
    found = []
    for address in addresses[:MAX_EVENTS]:
        at = tail.find(address)
        near = tail[at:at + 2_000] if at >= 0 else ""  # its own diagnostic follows it within a few lines
        said = re.search(r"\b([45]\d\d[ -][45]\.\d{1,3}\.\d{1,3}[^'\n]*)", near)
        found.append((address, said.group(1) if said else near))
    return found


@dataclass(frozen=True)
class Format:
    name: str
    looks: re.Pattern[str]  # matched against "Subject: ...\nFrom: ...\n" and the notice's text
    failed: Callable[[str], Found]
    delay: re.Pattern[str]  # the words of this software's "still trying" notice


FORMATS = [
    Format("exim", re.compile(r"This message was created automatically by mail delivery software"), _exim,
           re.compile(r"has not yet been delivered|Warning: message .* delayed", re.IGNORECASE)),
    Format("postfix", re.compile(r"This is the mail system at host|Undelivered Mail Returned to Sender|Delayed Mail \(still being retried\)"),
           _postfix, re.compile(r"Delayed Mail|THIS IS A WARNING ONLY", re.IGNORECASE)),
    Format("gmail", re.compile(r"Delivery Status Notification \((?:Failure|Delay)\)|mailer-daemon@googlemail\.com|"
                               r"The email account that you tried to reach does not exist"),
           _gmail, re.compile(r"Delivery Status Notification \(Delay\)|Delivery incomplete", re.IGNORECASE)),
    Format("microsoft", re.compile(r"^Subject: Undeliverable:|Delivery has failed to these recipients or groups|RESOLVER\.ADR\.",
                                   re.MULTILINE), _microsoft, re.compile(r"^Subject: Delivery delayed:", re.MULTILINE)),
]

_HARD_WORDS = re.compile(r"permanent error|failed permanently|does not exist|address couldn't be found|user unknown|no such user|"
                         r"RecipientNotFound", re.IGNORECASE)
_SOFT_WORDS = re.compile(r"temporary error|retry time(?:out)? (?:not reached|exceeded)|mailbox (?:is )?full|over quota", re.IGNORECASE)


def _words_status(text: str) -> str | None:
    """The status a notice's words imply when no code is given: the hard words first, then the soft ones."""
    if _HARD_WORDS.search(text):
        return "5.0.0"
    if _SOFT_WORDS.search(text):
        return "4.0.0"
    return None


def plain_notice(message: Message, original: Original) -> Report:
    """The report of a notice in plain words. Raises Unreadable when no known format matches or it names nobody."""
    text = next((text_of(part) for part in parts(message) if part.get_content_type() == "text/plain"), "")
    envelope = f"Subject: {one_line(str(message.get('Subject', '')), 300)}\nFrom: {parseaddr(str(message.get('From', '')))[1]}\n"
    seen = envelope + text
    chosen = next((known for known in FORMATS if known.looks.search(seen)), None)
    if chosen is None:
        raise Unreadable("neither a delivery report (RFC 3464), a complaint (RFC 5965) nor a bounce notice of Postfix, Exim, Gmail or Microsoft")
    failed = [(address.lower(), said) for address, said in chosen.failed(text)[:MAX_EVENTS]]
    if chosen.delay.search(seen):
        return Report(chosen.name, [], [Ignored((address,), "a notice that delivery is delayed; the mail system is still trying")
                                        for address, _said in failed] or [Ignored((), "a notice that delivery is delayed")])
    if not failed:
        raise Unreadable(f"a {chosen.name} bounce notice that names no recipient this reader understands")
    events, ignored = [], []
    whole = _words_status(text)  # searched once: the same for every recipient the notice names
    for address, said in failed:
        status = status_in(said) or _words_status(said) or whole or ""
        kind = status_kind(status)
        if kind is None:
            ignored.append(Ignored((address,), "the notice gives no status code and no words that say permanent or temporary"))
            continue
        events.append(Event(kind, (address,), status, one_line(said), original.message_id, original.to))
    return Report(chosen.name, events, ignored)


__all__ = ["FORMATS", "Kind", "plain_notice"]
