"""`digest send`: build one edition and deliver it exactly once.

The protocol, in order, under the store's send lock:

1. Editions of earlier runs still pending (their delivery failed) are delivered first, from the exact
   bytes recorded with them, so a retry carries the same Message-ID and the same content. A send by
   the clock (no --date) then builds and delivers the editions of the days it missed (see
   `missed_days`), oldest first, so that a day the machine was off loses no item.
2. An edition already sent is not sent again (unless --force, which sends a new, deliberate copy
   under a new Message-ID, so a receiving service that drops repeats by Message-ID still shows it).
3. Otherwise the edition is built and rendered, then recorded as pending (bytes, Message-ID, story
   and item ids) in one transaction BEFORE it is handed to the mail system, and recorded as sent in
   the instant after the mail system accepted it.

A crash before acceptance leaves it pending: the next run delivers it. Only a death between the
acceptance and the sent record can lead to a second delivery, and that copy has the same Message-ID.
"""
from __future__ import annotations

import os
import re
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from digest import render
from digest.archive.page import public_page
from digest.archive.site import publish_sent
from digest.config import Config
from digest.deliver import DeliveryError, deliver
from digest.model import Problem
from digest.pipeline import BuildError, build, edition_day
from digest.store import EditionRecord, Store
from digest.text.terminal import for_terminal

SEND_LOCK_WAIT = 300.0  # seconds a send waits for another send on the same store before giving up
CATCH_UP_DAYS = 7  # the most missed editions one send builds; older ones are named, to send with --date

Log = Callable[[str], None]


def log_to_stderr(line: str) -> None:
    print(for_terminal(f"digest: {line}"), file=sys.stderr, flush=True)


@dataclass
class SendResult:
    """What one `send` did; `exit_status` is the command's."""

    day: date
    outcome: str  # sent | already-sent | failed | dry-run
    summary: str  # one line for a person
    delivered: list[tuple[date, str]] = field(default_factory=list)  # (edition date, Message-ID) accepted now
    failures: list[str] = field(default_factory=list)  # every delivery or build failure, each with its reason
    warnings: list[str] = field(default_factory=list)  # problems that did not stop the edition
    preview: bytes | None = None  # --dry-run: the message that would be sent

    @property
    def exit_status(self) -> int:
        return 1 if self.failures else 0

    def follow(self, earlier: list[SendResult]) -> None:
        """Put what `earlier` sends of the same run (missed editions) before this one's own."""
        for part in reversed(earlier):
            self.delivered[:0], self.failures[:0], self.warnings[:0] = part.delivered, part.failures, part.warnings


@dataclass
class Prepared:
    """A rendered edition, ready to be recorded and delivered."""

    message: bytes
    message_id: str
    subject: str
    number: int
    story_ids: list[str]
    item_ids: list[str]


def send(
    config: Config, store: Store, day: date | None = None, *, force: bool = False, dry_run: bool = False,
    now: datetime | None = None, log: Log = log_to_stderr, trigger: str = "",
) -> SendResult:
    """Build and deliver the edition of `day` (default: today in the newsletter's time zone) at most once.

    Raises StoreBusy when another send holds the store for longer than SEND_LOCK_WAIT seconds.
    """
    now = now or utcnow()
    by_clock = day is None and not config.edition.date
    day = edition_day(config, day, now, sending=True)
    if dry_run:
        for missed in missed_days(store, day, log) if by_clock else []:
            log(f"dry run: would first build and deliver the missed edition of {missed}")
        return _dry_run(config, store, day, force=force, now=now, log=log)
    with store.lock("send", wait=SEND_LOCK_WAIT):
        store.close_interrupted_runs("send", utcnow())
        run_id = store.start_run("send", utcnow(), edition=day)
        prefix = f"{trigger}: " if trigger else ""
        try:
            caught_up = [_catch_up(config, store, missed, now, log) for missed in (missed_days(store, day, log) if by_clock else [])]
            result = _send_locked(config, store, day, force=force, now=now, log=log)
            result.follow(caught_up)
            result.warnings += publish_sent(config, store, result.delivered, log)
        except BaseException as exc:
            store.end_run(run_id, "failed", utcnow(), detail=f"{prefix}stopped by {type(exc).__name__}: {exc}")
            raise
        detail = "; ".join([result.summary, *result.failures])
        store.end_run(run_id, result.outcome, utcnow(), warnings=result.warnings, detail=prefix + detail)
    return result


def missed_days(store: Store, day: date, log: Log) -> list[date]:
    """The days after the newest recorded edition and before `day` that have none (the machine was off,
    or every send that day failed to build): each covers a window no other edition does. None before
    the first edition ever recorded; at most CATCH_UP_DAYS, the older ones named in a warning."""
    recorded = store.editions()
    if not recorded or recorded[-1].date >= day:
        return []
    days = [recorded[-1].date + timedelta(days=n) for n in range(1, (day - recorded[-1].date).days)]
    if len(days) > CATCH_UP_DAYS:
        log(f"warning: the editions of {days[0]} to {days[-CATCH_UP_DAYS - 1]} were never sent and are too old to catch up"
            f" on; send one with `digest send --date YYYY-MM-DD`")
    return days[-CATCH_UP_DAYS:]


def _catch_up(config: Config, store: Store, day: date, now: datetime, log: Log) -> SendResult:
    """Send a missed day's edition. One that turns out empty or unbuildable is a warning, not a
    failure: the day's own edition decides the exit status."""
    log(f"the edition of {day} was never sent; building it first")
    result = _send_locked(config, store, day, force=False, now=now, log=log)
    if store.edition(day) is None:
        result.warnings.extend(f"the missed edition of {day} was skipped: {reason}" for reason in result.failures)
        result.failures.clear()
    return result


def _plan(store: Store, day: date, force: bool) -> tuple[list[EditionRecord], EditionRecord | None, str]:
    """What a send of `day` does, decided once for a real send and a dry run alike: the earlier
    editions still pending (delivered first), the day's record if any, and the step for the day:
    "already-sent", "redeliver" (its pending bytes) or "build"."""
    earlier = [record for record in store.editions(status="pending") if record.date != day]
    existing = store.edition(day)
    if existing and not force:
        return earlier, existing, "already-sent" if existing.status == "sent" else "redeliver"
    return earlier, existing, "build"


def _send_locked(config: Config, store: Store, day: date, *, force: bool, now: datetime, log: Log) -> SendResult:
    result = SendResult(day, "failed", "")
    earlier, existing, step = _plan(store, day, force)
    for record in earlier:
        log(f"the edition of {record.date} is still pending ({record.reason or 'not delivered'}); delivering it first")
        _deliver_recorded(config, store, record, result, log)
    if step == "already-sent":
        result.outcome = "already-sent"
        result.summary = (f"the edition of {day} (No. {existing.number}) was already sent at {_local(existing.sent, config)}"
                          f" as {existing.message_id}; nothing to do (--force sends another copy)")
        log(result.summary)
        return result
    if step == "redeliver":
        record = existing
    else:
        prepared = _prepare(config, store, day, existing, now, result, log)
        if prepared is None:
            result.summary = f"nothing sent for {day}"
            return result
        record = store.record_pending(
            day, message_id=prepared.message_id, subject=prepared.subject, message=prepared.message,
            story_ids=prepared.story_ids, item_ids=prepared.item_ids, now=utcnow(),
        )
    sent = _deliver_recorded(config, store, record, result, log)
    result.outcome = "sent" if sent else "failed"
    result.summary = (f"sent the edition of {day} (No. {record.number}, {len(record.story_ids)} stories) as {record.message_id}"
                      if sent else f"the edition of {day} is pending; the next `digest send` or scheduled run delivers it")
    return result


def _prepare(config: Config, store: Store, day: date, existing: EditionRecord | None, now: datetime,
             result: SendResult, log: Log) -> Prepared | None:
    """Build and render the edition; a --force copy of an edition gets the next copy's Message-ID.

    None when there is nothing to send (it could not be built, or holds no story: an empty email),
    the reason recorded in `result` and logged.
    """
    def nothing_to_send(reason: str) -> None:
        result.failures.append(reason)
        log(f"error: {reason}")

    def warn(problems: list[Problem]) -> None:
        for problem in problems:
            result.warnings.append(str(problem))
            log(f"warning: {problem}")

    try:
        built = build(config, day, now=now, store=store)
    except BuildError as exc:
        warn(exc.problems)
        return nothing_to_send(f"the edition of {day} could not be built: {exc}")
    warn(built.problems)
    edition = built.edition
    if not edition.stories():
        return nothing_to_send(f"the edition of {day} has no stories (see the warnings above); an empty email is not sent")
    message = render.render(edition, config, "eml")  # the same bytes `digest build --format eml` writes
    message_id = render.message_id(edition, config)
    if existing:
        copy_id = next_copy_id(message_id, existing.message_id)
        message, message_id = replace_message_id(message, message_id, copy_id), copy_id
    store.put_page(public_page(edition, config))  # the web archive's page, kept before the edition is recorded
    stories = edition.stories()  # as prepared: feed items dropped to fit Gmail's clip limit are not recorded
    return Prepared(
        message, message_id, edition.subject, store.edition_number(day), [story.id for story in stories],
        [item_id for story in stories for item_id in story.item_ids],
    )


def _deliver_recorded(config: Config, store: Store, record: EditionRecord, result: SendResult, log: Log) -> bool:
    """Deliver a pending record's exact bytes; record sent or the reason it failed. True when accepted."""
    if record.message is None:
        reason = f"the pending edition of {record.date} has no recorded message; run `digest send --date {record.date} --force`"
        result.failures.append(reason)
        log(f"error: {reason}")
        return False
    log(f"delivering the edition of {record.date} (No. {record.number}) as {record.message_id} by {config.delivery.method}")
    try:
        with finish_before_stopping(log):
            receipt = deliver(record.message, record.message_id, config)
            store.record_sent(record.date, record.message_id, receipt=receipt, now=utcnow())
    except DeliveryError as exc:
        store.record_failure(record.date, str(exc))
        result.failures.append(f"{record.date}: {exc}")
        log(f"error: could not deliver the edition of {record.date}: {exc}; it stays pending")
        return False
    result.delivered.append((record.date, record.message_id))
    log(f"delivered the edition of {record.date}: {receipt}")
    return True


def _dry_run(config: Config, store: Store, day: date, *, force: bool, now: datetime, log: Log) -> SendResult:
    """What a real send would do, with every write to the store rolled back."""
    result = SendResult(day, "dry-run", "")
    earlier, existing, step = _plan(store, day, force)
    for record in earlier:
        log(f"dry run: would first deliver the pending edition of {record.date} as {record.message_id}")
    if step == "already-sent":
        result.summary = f"dry run: the edition of {day} was already sent as {existing.message_id}; nothing would be sent"
    elif step == "redeliver":
        result.preview = existing.message
        result.summary = f"dry run: would re-deliver the pending edition of {day} as {existing.message_id} by {config.delivery.method}"
    else:
        with store.read_only():
            prepared = _prepare(config, store, day, existing, now, result, log)
        if prepared is None:
            result.summary = f"dry run: nothing would be sent for {day}"
            return result
        result.preview = prepared.message
        result.summary = (f"dry run: would send the edition of {day} (No. {prepared.number}, {len(prepared.story_ids)} stories)"
                          f" as {prepared.message_id} by {config.delivery.method}; nothing recorded")
    log(result.summary)
    return result


def next_copy_id(message_id: str, previous_id: str) -> str:
    """The Message-ID of a forced copy: `<local.rN@domain>`, N one more than the previous copy's."""
    local, _, domain = message_id.strip("<>").rpartition("@")
    found = re.search(r"\.r(\d+)@", previous_id)
    copy = int(found.group(1)) + 1 if found else 1
    return f"<{local}.r{copy}@{domain}>"


def replace_message_id(message: bytes, old: str, new: str) -> bytes:
    """Swap the Message-ID in the message's header block, leaving every other byte as rendered."""
    head, sep, body = message.partition(b"\r\n\r\n") if b"\r\n\r\n" in message else message.partition(b"\n\n")
    pattern = re.compile(rb"^(Message-ID:[ \t]*)" + re.escape(old.encode("ascii")) + rb"(?=[ \t]*\r?$)", re.IGNORECASE | re.MULTILINE)
    head, count = pattern.subn(lambda m: m.group(1) + new.encode("ascii"), head)
    if count != 1:
        raise ValueError(f"the rendered message does not carry Message-ID {old} exactly once in its header")
    return head + sep + body


@contextmanager
def finish_before_stopping(log: Log) -> Iterator[None]:
    """Hold SIGINT and SIGTERM until the message is delivered AND recorded, then act on them.

    A stop in between is exactly what could send the same edition twice; deferring it closes that
    window for everything but SIGKILL and power loss.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []

    def hold(signum: int, frame: object) -> None:
        if not caught:
            log(f"{signal.Signals(signum).name} received: stopping once this delivery is recorded")
        caught.append(signum)

    previous = {signum: signal.signal(signum, hold) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if caught:
            handler = previous[caught[0]]
            if callable(handler):
                handler(caught[0], None)
            elif handler == signal.SIG_DFL:
                os.kill(os.getpid(), caught[0])


def utcnow() -> datetime:
    """The clock every run record is stamped with (a function, so tests can move it)."""
    return datetime.now(timezone.utc)


def _local(moment: datetime | None, config: Config) -> str:
    return moment.astimezone(config.newsletter.tz).strftime("%Y-%m-%d %H:%M %Z") if moment else "an unknown time"
