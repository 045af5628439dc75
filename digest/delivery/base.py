"""The types every way out shares: one reader's copy (Outgoing), what became of it (Outcome), the
error a transport raises (DeliveryError) and the Sender protocol the send loop talks to.

Nothing here imports a transport, so every transport can import this and none imports another.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from digest.readers import Reader
from digest.render.mime import Letter
from digest.store import DeliveryStatus


class DeliveryError(Exception):
    """The mail system did not accept the message; the text says why and what to check.

    `permanent`: the mail system refused for good (a 5xx), so trying again is pointless. `reader`: the
    refusal is about this one recipient (a refused RCPT), so the rest of the list can still go; else the
    mail system itself failed (down, refused the login) and the send stops, the rest left pending.
    """

    def __init__(self, reason: str, *, permanent: bool = False, reader: bool = False) -> None:
        super().__init__(reason)
        self.permanent, self.reader = permanent, reader


Post = Callable[[bytes, str, str], str]  # (message, Message-ID, recipient) -> receipt; raises DeliveryError


@dataclass(frozen=True)
class Outgoing:
    """One reader's copy, as the send loop hands it to a transport."""

    reader: Reader
    token: str | None
    message_id: str


@dataclass(frozen=True)
class Outcome:
    """What the mail system said of one reader's copy: `sent`, `pending` (try again later) or `refused`
    (for good). `stop`: the mail system itself failed, so the rest of the list waits for the next run."""

    address: str
    status: DeliveryStatus
    said: str
    stop: bool = False


class Sender(Protocol):
    batch: int  # readers handed over at once

    def send(self, letter: Letter, entries: list[Outgoing], date: datetime) -> list[Outcome]: ...


class MessageSender:
    """One RFC 5322 message per reader, posted one at a time (command, SMTP, outbox)."""

    batch = 1

    def __init__(self, post: Post, sign: Callable[[bytes], bytes] = lambda message: message) -> None:
        self.post, self.sign = post, sign  # sign: DKIM (delivery.dkim), the last step before the bytes go

    def send(self, letter: Letter, entries: list[Outgoing], date: datetime) -> list[Outcome]:
        outcomes = []
        for entry in entries:
            address = entry.reader.address
            try:
                receipt = self.post(self.sign(letter.eml(entry.reader, entry.token, date)), entry.message_id, address)
            except DeliveryError as exc:
                outcomes.append(Outcome(address, DeliveryStatus.REFUSED if exc.permanent else DeliveryStatus.PENDING, str(exc), stop=not exc.reader))
                continue
            outcomes.append(Outcome(address, DeliveryStatus.SENT, receipt))
        return outcomes

