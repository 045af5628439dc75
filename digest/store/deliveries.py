"""Deliveries: each reader's copy of each edition, and how it went."""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from digest.store.base import Base, reads
from digest.store.editions import close_if_done

_DELIVERY_COLUMNS = "edition, address, name, message_id, status, reason, attempts, sent, receipt"


class DeliveryStatus(StrEnum):
    """Where one reader's copy stands; stored as its text value."""

    PENDING = "pending"  # not delivered yet, or a temporary failure: the next send tries again
    SENT = "sent"
    REFUSED = "refused"  # permanently, by the mail system
    OPTED_OUT = "opted-out"
    UNCERTAIN = "uncertain"  # handed to the mail system, no answer recorded: maybe taken, so never sent again unasked


@dataclass
class Delivery:
    """One reader's copy of one edition."""

    edition: date
    address: str
    name: str
    message_id: str
    status: DeliveryStatus
    reason: str | None
    attempts: int
    sent: datetime | None
    receipt: str | None


def _delivery(row: tuple) -> Delivery:
    day, address, name, message_id, status, reason, attempts, sent, receipt = row
    return Delivery(date.fromisoformat(day), address, name, message_id, DeliveryStatus(status), reason, attempts,
                    datetime.fromisoformat(sent) if sent else None, receipt)


class Deliveries(Base):
    @reads
    def address_of_message(self, message_id: str) -> str | None:
        """The reader a copy with this Message-ID went to (a bounce quoting it names them), or None."""
        row = self.db.execute("SELECT address FROM deliveries WHERE message_id = ? LIMIT 1", (message_id,)).fetchone()
        return row[0] if row else None

    @reads
    def was_mailed(self, address: str) -> bool:
        """Whether any edition was made for `address` (a reader once, even if listed nowhere now)."""
        return self.db.execute("SELECT 1 FROM deliveries WHERE address = ? LIMIT 1", (address,)).fetchone() is not None

    def deliveries(self, day: date, *, status: DeliveryStatus | None = None) -> Iterator[Delivery]:
        """The edition's deliveries (or those with `status`) in the order the readers were listed, read in chunks."""
        where, args = ("AND edition = ? AND status = ?", (day.isoformat(), status)) if status else ("AND edition = ?", (day.isoformat(),))
        return map(_delivery, self._paged("deliveries", _DELIVERY_COLUMNS, where, args))

    @reads
    def delivery_counts(self, day: date) -> dict[DeliveryStatus, int]:
        """How many of the edition's readers are at each status."""
        rows = self.db.execute("SELECT status, COUNT(*) FROM deliveries WHERE edition = ? GROUP BY status", (day.isoformat(),))
        return {DeliveryStatus(status): count for status, count in rows}

    def record_outcomes(self, day: date, outcomes: Iterable[tuple[str, DeliveryStatus, str]], now: datetime) -> None:
        """Readers' outcomes, (address, status, receipt or reason), in one transaction: `sent`, `refused`
        (permanent), `opted-out`, `pending` (not taken: tried again by the next send) or `uncertain`."""
        with self.transaction() as db:
            for address, status, said in outcomes:
                if status is DeliveryStatus.SENT:
                    db.execute("UPDATE deliveries SET status = 'sent', sent = ?, receipt = ?, reason = NULL, attempts = attempts + 1"
                               " WHERE edition = ? AND address = ?", (now.isoformat(), said, day.isoformat(), address))
                else:
                    db.execute("UPDATE deliveries SET status = ?, reason = ?, attempts = attempts + ? WHERE edition = ? AND address = ?",
                               (status, said, status is not DeliveryStatus.OPTED_OUT, day.isoformat(), address))
            close_if_done(db, day, now)

    def hand_over(self, day: date, addresses: list[str], now: datetime) -> None:
        """Record these readers as handed to the mail system (`uncertain`) before it sees their copies:
        if the answer is never recorded, nothing sends them a second copy unasked."""
        said = f"handed to the mail system at {now.isoformat(timespec='seconds')}; its answer was never recorded"
        with self.transaction() as db:
            db.executemany("UPDATE deliveries SET status = 'uncertain', reason = ? WHERE edition = ? AND address = ? AND status = 'pending'",
                           ((said, day.isoformat(), address) for address in addresses))

    def requeue_uncertain(self, day: date, now: datetime) -> int:
        """The operator's word that the edition's uncertain readers did not get it: pending again (and
        the edition with them). How many."""
        with self.transaction() as db:
            again = db.execute("UPDATE deliveries SET status = 'pending', reason = ? WHERE edition = ? AND status = 'uncertain'",
                               (f"to be sent again, as asked at {now.isoformat(timespec='seconds')} (--resend-uncertain)",
                                day.isoformat())).rowcount
            if again:  # a sent edition reopened counts as one send when it closes again
                db.execute("UPDATE editions SET status = 'pending', copies = copies - (status = 'sent') WHERE date = ?", (day.isoformat(),))
            return again
