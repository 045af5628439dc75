"""What `digest status` shows: one edition's outcome for each reader (sent, when and what the mail
system said; pending and why; uncertain: handed over, no answer; refused for good; opted out), then
where the readers stand."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from digest import roster
from digest.config import Config
from digest.edition import shown_number
from digest.store import DeliveryStatus, EditionStatus, Store

# What to do about readers marked uncertain (said by `send` and `status` alike).
RESEND_HINT = ("check the mail system's log, then `digest send --date {day} --resend-uncertain` sends those copies again"
               " (the same Message-ID)")


@dataclass
class Status:
    """The lines to print; `pending` while any reader still waits or is uncertain (exit 1); `missing`
    says why there was no edition to show (an error after the lines)."""

    lines: list[str]
    pending: bool = False
    missing: str | None = None


def edition_status(config: Config, store: Store, day: date | None, now: datetime) -> Status:
    """The edition of `day` (default: the latest recorded), a line for it and one per reader."""
    record = store.edition(day) if day else store.latest_edition()
    if record is None:
        held = day if day in store.held() else None
        return Status([roster.summary(config, store, now)],
                      missing=f"the edition of {held} is waiting for approval (digest approve --date {held} --by NAME)" if held else
                      f"no edition {'of ' + str(day) + ' ' if day else ''}has been sent or recorded in {store.path}")
    counts = store.delivery_counts(record.date)
    lines = [f"edition {record.date} (No. {shown_number(config, record.date, record.number)}): {record.status}; " +
             ", ".join(f"{count} {status}" for status, count in sorted(counts.items())) +
             (f"; {record.reason}" if record.status is EditionStatus.PENDING and record.reason else "")]
    if approval := store.approval(record.date):
        lines.append(f"approved by {approval.approver} at {approval.approved.astimezone(config.newsletter.tz).strftime('%Y-%m-%d %H:%M %Z')}")
    if counts.get(DeliveryStatus.UNCERTAIN):
        lines.append(f"uncertain: the mail system may have taken these copies; {RESEND_HINT.format(day=record.date)}")
    for delivery in store.deliveries(record.date):
        when = delivery.sent.astimezone(config.newsletter.tz).strftime("%Y-%m-%d %H:%M") if delivery.sent else "-"
        said = delivery.receipt if delivery.status is DeliveryStatus.SENT else (delivery.reason or "")
        lines.append(f"{delivery.status:<9}  {delivery.address}  {when}  attempts {delivery.attempts}  {said}".rstrip())
    lines.append(roster.summary(config, store, now))
    return Status(lines, pending=bool(counts.get(DeliveryStatus.PENDING) or counts.get(DeliveryStatus.UNCERTAIN)))
