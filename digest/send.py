"""`digest send`: build one edition and deliver it to each reader exactly once.

The protocol, in order, under the store's send lock:

1. Editions of earlier runs with readers still pending (a failed or interrupted delivery) are
   delivered first, to those readers only, from the letter recorded with them: each gets the same
   message, Message-ID and token, only the Date being the moment it is sent. A send by the clock
   (no --date) then builds and delivers the editions of the days it missed (see `missed_days`),
   oldest first, so that a day the machine was off loses no item.
2. An edition already sent is not sent again (unless --force, which sends every reader a new,
   deliberate copy under new Message-IDs, so a service that drops repeats by Message-ID still shows it).
3. Otherwise the edition is built and rendered once, then recorded as pending with one pending
   delivery per reader, in one transaction, BEFORE anything is handed to the mail system. Each
   reader's message is filled from the letter and recorded sent in the instant after the mail system
   accepted it; a temporary refusal leaves that reader pending, a permanent one (5xx) records it.

A crash leaves the readers not yet accepted pending: the next run delivers to them. Only a death
between one reader's acceptance and its record can send that reader a second copy, with the same
Message-ID.
"""
from __future__ import annotations

import itertools
import os
import re
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from digest import render
from digest.archive.page import public_page
from digest.archive.site import publish_sent
from digest.config import Config
from digest.deliver import Outgoing, transport
from digest.model import Problem
from digest.pipeline import BuildError, build, edition_day
from digest.readers import Reader, readers, secret, token
from digest.render.mime import Letter, reader_message_id
from digest.store import Delivery, EditionRecord, Store
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
    delivered: list[tuple[date, str]] = field(default_factory=list)  # (edition date, reader) accepted now
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

    letter: Letter
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
        _deliver_edition(config, store, record, result, log)
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
        letter, opted = prepared.letter, store.opt_outs()
        key = secret(config, required=letter.needs_token)
        listed: Iterator[Reader] = (reader for reader in readers(config, lambda problem: _warn(result, log, problem))
                                    if not _opted_out(reader, key, opted))
        first = next(listed, None)
        if first is None:
            result.failures.append(f"the edition of {day} has no reader to go to: newsletter.to and the subscribers file list none"
                                   " who has not unsubscribed")
            log(f"error: {result.failures[-1]}")
            result.summary = f"nothing sent for {day}"
            return result
        listed = itertools.chain([first], listed)
        record = store.record_pending(
            day, message_id=letter.message_id, subject=letter.subject, letter=letter.to_json(),
            story_ids=prepared.story_ids, item_ids=prepared.item_ids, now=utcnow(),
            readers=((reader.address, reader.name, reader_message_id(letter.message_id, reader.address)) for reader in listed),
        )
    sent = _deliver_edition(config, store, record, result, log)
    result.outcome = "sent" if sent else "failed"
    counts = store.delivery_counts(day)
    result.summary = (f"sent the edition of {day} (No. {record.number}, {len(record.story_ids)} stories) to {_tally(counts)}"
                      if sent else f"the edition of {day} is pending for {counts.get('pending', 0)} of {sum(counts.values())} readers;"
                      " the next `digest send` or scheduled run delivers to them")
    log(result.summary)
    return result


def _batches(deliveries: Iterator[Delivery], size: int) -> Iterator[list[Delivery]]:
    while batch := list(itertools.islice(deliveries, size)):
        yield batch


def _warn(result: SendResult, log: Log, problem: str) -> None:
    result.warnings.append(problem)
    log(f"warning: {problem}")


def _opted_out(reader: Reader, key: bytes | None, opted: frozenset[str]) -> bool:
    return reader.address in opted or (key is not None and token(reader.address, key) in opted)


def _tally(counts: dict[str, int]) -> str:
    """"3 readers" or "2 readers (1 refused, 1 opted out)"."""
    sent = counts.get("sent", 0)
    others = ", ".join(f"{count} {status.replace('-', ' ')}" for status, count in sorted(counts.items()) if status != "sent" and count)
    return f"{sent} {'reader' if sent == 1 else 'readers'}" + (f" ({others})" if others else "")


def _prepare(config: Config, store: Store, day: date, existing: EditionRecord | None, now: datetime,
             result: SendResult, log: Log) -> Prepared | None:
    """Build and render the edition once; a --force copy of an edition gets the next copy's Message-ID.

    None when there is nothing to send (it could not be built, or holds no story: an empty email),
    the reason recorded in `result` and logged.
    """
    def nothing_to_send(reason: str) -> None:
        result.failures.append(reason)
        log(f"error: {reason}")

    def warn(problems: list[Problem]) -> None:
        for problem in problems:
            _warn(result, log, str(problem))

    try:
        built = build(config, day, now=now, store=store)
    except BuildError as exc:
        warn(exc.problems)
        return nothing_to_send(f"the edition of {day} could not be built: {exc}")
    warn(built.problems)
    edition = built.edition
    if not edition.stories():
        return nothing_to_send(f"the edition of {day} has no stories (see the warnings above); an empty email is not sent")
    letter = render.letter(edition, config)  # the same message `digest build --format eml` writes, before a reader fills it
    if existing:
        letter = letter.with_message_id(next_copy_id(letter.message_id, existing.message_id))
    store.put_page(public_page(edition, config))  # the web archive's page, kept before the edition is recorded
    stories = edition.stories()  # as prepared: feed items dropped to fit Gmail's clip limit are not recorded
    return Prepared(letter, store.edition_number(day), [story.id for story in stories],
                    [item_id for story in stories for item_id in story.item_ids])


def _deliver_edition(config: Config, store: Store, record: EditionRecord, result: SendResult, log: Log) -> bool:
    """Deliver the edition to each of its pending readers, one message each, recording each outcome as it
    comes. True when no reader is left pending."""
    day = record.date
    if record.letter is None:
        reason = f"the pending edition of {day} was recorded by an older digest; run `digest send --date {day} --force`"
        result.failures.append(reason)
        log(f"error: {reason}")
        return False
    letter = Letter.from_json(record.letter)
    opted = store.opt_outs()
    key = secret(config, required=letter.needs_token)
    log(f"delivering the edition of {day} (No. {record.number}) by {config.delivery.method}")
    stopped: str | None = None
    with transport(config) as sender:
        for batch in _batches(store.deliveries(day, status="pending"), sender.batch):
            entries = []
            for delivery in batch:
                reader = Reader(delivery.address, delivery.name)
                if _opted_out(reader, key, opted):
                    store.record_outcomes(day, [(reader.address, "opted-out", "unsubscribed")], utcnow())
                else:
                    entries.append(Outgoing(reader, token(reader.address, key) if key else None, delivery.message_id))
            if not entries:
                continue
            with finish_before_stopping(log):
                outcomes = sender.send(letter, entries, utcnow().astimezone(config.newsletter.tz))
                store.record_outcomes(day, [(o.address, o.status, o.said) for o in outcomes], utcnow())
            for outcome in outcomes:
                if outcome.status == "sent":
                    result.delivered.append((day, outcome.address))
                elif outcome.status == "refused":
                    _warn(result, log, f"{outcome.address}: {outcome.said}; not tried again")
                else:
                    log(f"error: could not deliver the edition of {day} to {outcome.address}: {outcome.said}; it stays pending")
                stopped = outcome.said if outcome.stop else stopped
            if stopped:
                break
    if store.finish_edition(day, utcnow(), reason=stopped or "some readers were not delivered to"):
        return True
    pending = store.delivery_counts(day).get("pending", 0)
    result.failures.append(f"{day}: {pending} {'reader' if pending == 1 else 'readers'} pending" + (f": {stopped}" if stopped else ""))
    return False


def _dry_run(config: Config, store: Store, day: date, *, force: bool, now: datetime, log: Log) -> SendResult:
    """What a real send would do, with every write to the store rolled back."""
    result = SendResult(day, "dry-run", "")
    earlier, existing, step = _plan(store, day, force)
    for record in earlier:
        log(f"dry run: would first deliver the pending edition of {record.date} to its pending readers")
    if step == "already-sent":
        result.summary = f"dry run: the edition of {day} was already sent as {existing.message_id}; nothing would be sent"
    elif step == "redeliver":
        result.preview = Letter.from_json(existing.letter).eml() if existing.letter else None
        pending = store.delivery_counts(day).get("pending", 0)
        result.summary = f"dry run: would deliver the pending edition of {day} to {pending} pending readers by {config.delivery.method}"
    else:
        with store.read_only():
            prepared = _prepare(config, store, day, existing, now, result, log)
        if prepared is None:
            result.summary = f"dry run: nothing would be sent for {day}"
            return result
        result.preview = prepared.letter.eml()
        listed = sum(1 for _ in readers(config, lambda problem: _warn(result, log, problem)))
        result.summary = (f"dry run: would send the edition of {day} (No. {prepared.number}, {len(prepared.story_ids)} stories)"
                          f" to {listed} {'reader' if listed == 1 else 'readers'} as {prepared.letter.message_id} by {config.delivery.method};"
                          " nothing recorded")
    log(result.summary)
    return result


def next_copy_id(message_id: str, previous_id: str) -> str:
    """The Message-ID of a forced copy: `<local.rN@domain>`, N one more than the previous copy's."""
    local, _, domain = message_id.strip("<>").rpartition("@")
    found = re.search(r"\.r(\d+)@", previous_id)
    copy = int(found.group(1)) + 1 if found else 1
    return f"<{local}.r{copy}@{domain}>"


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
    return datetime.now(UTC)


def _local(moment: datetime | None, config: Config) -> str:
    return moment.astimezone(config.newsletter.tz).strftime("%Y-%m-%d %H:%M %Z") if moment else "an unknown time"
