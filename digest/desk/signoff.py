"""Sign-off: with `edition.approval: required`, an edition goes out only once an editor approved it.

An approval is given to the ledger as it stands (its text's fingerprint): editing the file afterwards
withdraws it, so what goes out is what was approved. A broken ledger cannot be approved and stops the
send (exit 2): it never lets an unedited edition out. `digest schedule` keeps checking until
`edition.approval_deadline`, then does what `edition.on_deadline` says (send or skip).
"""
from __future__ import annotations

import hashlib
from datetime import date, datetime, time, timedelta

from digest import edition as editions
from digest.config import Config
from digest.desk.ledger import Ledger, read_ledger, shown_path
from digest.store import Store

NO_LEDGER = hashlib.sha256(b"").hexdigest()  # what is approved when the edition has no ledger file


def required(config: Config) -> bool:
    return config.edition.approval == "required"


def fingerprint(ledger: Ledger | None) -> str:
    """What an approval of an edition with this ledger (None: no ledger file) is given to."""
    return ledger.fingerprint if ledger else NO_LEDGER


def approve_command(day: date) -> str:
    return f"digest approve --date {day} --by NAME"


def holding(config: Config, store: Store, day: date) -> str | None:
    """Why a send of `day` must wait for the editor, or None when it may go (approved, or no approval asked)."""
    if not required(config):
        return None
    current = fingerprint(read_ledger(config, day))
    approval = store.approval(day)
    if approval is None:
        return f"waiting for approval of the edition of {day} ({approve_command(day)})"
    if approval.fingerprint != current:
        when = approval.approved.astimezone(config.newsletter.tz).strftime("%Y-%m-%d %H:%M %Z")
        return (f"waiting for approval of the edition of {day}: {shown_path(config, day)} changed after {approval.approver} approved it"
                f" at {when}, which withdrew the approval ({approve_command(day)})")
    return None


def approve(config: Config, store: Store, day: date, approver: str, now: datetime) -> str:
    """Record that `approver` signed off the edition of `day` as its ledger stands; a line for a person."""
    read = read_ledger(config, day)  # read once: the fingerprint approved and the line said are of one file
    store.approve(day, approver, fingerprint(read), now)
    ledger = "its ledger" if read else "no ledger"
    return f"the edition of {day} is approved by {approver} at {now.astimezone(config.newsletter.tz).strftime('%Y-%m-%d %H:%M %Z')} ({ledger})"


def default_day(config: Config, store: Store, now: datetime) -> date:
    """The edition `approve` and `proof` take without --date: the config's pinned one, else the oldest a send
    is waiting on, else the one a preview shows (whose cut-off comes next)."""
    if config.edition.date:
        return date.fromisoformat(config.edition.date)
    held = store.held()
    return held[0] if held else editions.next_due(config, now)


def deadline(config: Config, day: date) -> datetime | None:
    """The moment `schedule` stops waiting for the approval of `day`: the first `edition.approval_deadline`
    at or after the edition's cut-off. None when there is no deadline."""
    if not config.edition.approval_deadline:
        return None
    cutoff = editions.window(config, day)[1]
    at = time.fromisoformat(config.edition.approval_deadline)
    local = cutoff.astimezone(config.newsletter.tz).date()
    moment = editions.on_clock(datetime.combine(local, at), config.newsletter.tz)
    if moment.timestamp() < cutoff.timestamp():
        moment = editions.on_clock(datetime.combine(local + timedelta(days=1), at), config.newsletter.tz)
    return moment
