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

    `permanent`: the mail system refused this reader for good (a 5.1.x or 5.2.x), so trying again is
    pointless. `reader`: the answer is about this one recipient, so the rest of the list can still go;
    else the sender, the connection or the transaction failed (down, the login or the relay refused)
    and the send stops, the rest left pending. `uncertain`: the whole message was handed over but no
    answer came back (a timeout, a dropped connection, an answer past the deadline), so the mail
    system may have taken it: never sent again unless the operator asks.
    """

    def __init__(self, reason: str, *, permanent: bool = False, reader: bool = False, uncertain: bool = False) -> None:
        super().__init__(reason)
        self.permanent, self.reader, self.uncertain = permanent, reader, uncertain


Post = Callable[[bytes, str, str], str]  # (message, Message-ID, recipient) -> receipt; raises DeliveryError


@dataclass(frozen=True)
class Outgoing:
    """One reader's copy, as the send loop hands it to a transport."""

    reader: Reader
    token: str | None
    message_id: str


@dataclass(frozen=True)
class Outcome:
    """What the mail system said of one reader's copy: `sent`, `pending` (provably not taken: try again
    later), `refused` (for good) or `uncertain` (handed over, no answer: maybe taken). `stop`: the mail
    system itself failed, so the rest of the list waits for the next run."""

    address: str
    status: DeliveryStatus
    said: str
    stop: bool = False


class Sender(Protocol):
    batch: int  # readers handed over at once

    def send(self, letter: Letter, entries: list[Outgoing], date: datetime) -> list[Outcome]: ...

    def accepted(self, letter: Letter, addresses: list[str]) -> set[str] | None:
        """Of these readers, those the mail system's own records show it took this letter for (asked
        before re-sending the uncertain); None when it cannot be asked (then the operator's word alone
        decides), as for every sender but an email service that keeps such records (Postmark)."""
        del letter, addresses
        return None


class MessageSender(Sender):
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
                stop = exc.uncertain or not exc.reader  # uncertain, or the mail system itself failed: the rest waits
                outcomes.append(Outcome(address, failed_status(exc), str(exc), stop=stop))
                if stop:
                    outcomes += [Outcome(later.reader.address, DeliveryStatus.PENDING, f"not handed over: {exc}")
                                 for later in entries[len(outcomes):]]
                    break
                continue
            outcomes.append(Outcome(address, DeliveryStatus.SENT, receipt))
        return outcomes


def failed_status(exc: DeliveryError) -> DeliveryStatus:
    """The status a failed hand-over leaves: uncertain, refused for good, or pending (try again)."""
    if exc.uncertain:
        return DeliveryStatus.UNCERTAIN
    return DeliveryStatus.REFUSED if exc.permanent else DeliveryStatus.PENDING
