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
   delivery per reader, in one transaction, BEFORE anything is handed to the mail system.
4. Each batch of readers is recorded as handed over (`uncertain`) in the instant BEFORE the mail
   system sees it, and each reader's answer in the instant after: `sent`; `refused` for good (an
   answer about this reader: 5.1.x, 5.2.x or the services' equivalents); `pending` when the mail
   system provably did not take it (the connection refused, a refusal before the whole message was
   sent, an answer documented to mean nothing was accepted; a refusal of the sender, the login or
   the relay also stops the list); `uncertain` when the whole message went and no answer came (a
   timeout, a dropped connection, an answer past the deadline, a 5xx after the request was sent).

An uncertain reader is never sent the edition again unless the operator says so
(`digest send --date D --resend-uncertain`), and a hand-over whose answer could not be recorded (a
crash, a full disk, a store kept locked) stays uncertain: no failure anywhere makes digest send a
reader a second copy unasked. The price: a crash during a hand-over leaves those readers for the
operator to decide. An edition is sent once no reader is pending, unless every reader it did not
refuse is uncertain (then none is known to have got it, and it stays pending).
"""
from __future__ import annotations

import itertools
import os
import re
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

from digest import render
from digest.archive.page import public_page
from digest.archive.site import publish_sent
from digest.compliance import refuse_unsafe
from digest.config import Config
from digest.delivery import Outcome as DeliveryOutcome
from digest.delivery import Outgoing, transport
from digest.desk import signoff
from digest.developing import sent_texts
from digest.edition import shown_number
from digest.errors import EXIT_FAILED, EXIT_OK, EXIT_WAITING
from digest.logs import log
from digest.model import Problem
from digest.pipeline import BuildError, build, edition_day
from digest.readers import Exclusions, Reader, reader_token, recipients, secret, settle_token_opt_outs
from digest.render.mime import Letter
from digest.signals import on_stop
from digest.status import RESEND_HINT
from digest.store import Delivery, DeliveryStatus, EditionRecord, EditionStatus, Store

SEND_LOCK_WAIT = 300.0  # seconds a send waits for another send on the same store before giving up
CATCH_UP_DAYS = 7  # the most missed editions one send builds; older ones are named, to send with --date

class Outcome(StrEnum):
    """How a send ended, as its run is recorded in the store."""

    SENT = "sent"
    ALREADY_SENT = "already-sent"
    FAILED = "failed"
    DRY_RUN = "dry-run"
    WAITING = "waiting"  # for the editor's `digest approve`
    SKIPPED = "skipped"  # unapproved at edition.approval_deadline, and edition.on_deadline: skip


@dataclass
class SendResult:
    """What one `send` did; `exit_status` is the command's."""

    day: date
    outcome: Outcome
    summary: str  # one line for a person
    delivered: list[tuple[date, str]] = field(default_factory=list)  # (edition date, reader) accepted now
    failures: list[str] = field(default_factory=list)  # every delivery or build failure, each with its reason
    warnings: list[str] = field(default_factory=list)  # problems that did not stop the edition
    preview: bytes | None = None  # --dry-run: the message that would be sent
    waiting: str | None = None  # why the edition waits for the editor (edition.approval: required)
    uncertain: set[date] = field(default_factory=set)  # editions this run handed over without an answer (said in `failures`)

    @property
    def exit_status(self) -> int:
        return EXIT_FAILED if self.failures else EXIT_WAITING if self.waiting else EXIT_OK

    def follow(self, earlier: list[SendResult]) -> None:
        """Put what `earlier` sends of the same run (missed editions) before this one's own."""
        for part in reversed(earlier):
            self.delivered[:0], self.failures[:0], self.warnings[:0] = part.delivered, part.failures, part.warnings
            self.uncertain |= part.uncertain


@dataclass
class Rendered:
    """A rendered edition, ready to be recorded and delivered."""

    letter: Letter
    number: int
    story_ids: list[str]
    item_ids: list[str]
    ledger: tuple[str, str] | None = None  # the editor's ledger it was built with (name, text), kept with the edition


def send(
    config: Config, store: Store, day: date | None = None, *, force: bool = False, dry_run: bool = False,
    now: datetime | None = None, trigger: str = "", scheduled: bool = False, resend_uncertain: bool = False,
) -> SendResult:
    """Build and deliver the edition of `day` (default: today in the newsletter's time zone) at most once.

    With `edition.approval: required`, an edition not yet approved waits (exit 3); `scheduled` (a run of
    `digest schedule`) follows `edition.on_deadline` once `edition.approval_deadline` has passed.
    `resend_uncertain`: the operator's word that the readers marked uncertain (handed over, no answer)
    did not get the edition: they are delivered to again, with the same Message-IDs.

    Raises StoreBusy when another send holds the store for longer than SEND_LOCK_WAIT seconds.
    """
    now = now or utcnow()
    refuse_unsafe(config, store)
    by_clock = day is None and not config.edition.date
    day = edition_day(config, day, now, sending=True)
    if dry_run:
        for missed in missed_days(store, day) if by_clock else []:
            log.info(f"dry run: would first build and deliver the missed edition of {missed}")
        return _dry_run(config, store, day, force=force, now=now)
    with store.lock("send", wait=SEND_LOCK_WAIT):
        store.close_interrupted_runs("send", utcnow())
        run_id = store.start_run("send", utcnow(), edition=day)
        prefix = f"{trigger}: " if trigger else ""
        try:
            if resend_uncertain:
                _ask_the_mail_system(config, store, day)
                again = store.requeue_uncertain(day, utcnow())
                log.info(f"sending the edition of {day} again to the {_readers(again)} marked uncertain, as asked" if again
                         else f"no reader of the edition of {day} is marked uncertain; nothing to send again")
            caught_up = [_catch_up(config, store, missed, now) for missed in (missed_days(store, day) if by_clock else [])]
            result = _send_locked(config, store, day, force=force, now=now, scheduled=scheduled)
            result.follow(caught_up)
            result.warnings += publish_sent(config, store, result.delivered)
        except BaseException as exc:
            store.end_run(run_id, Outcome.FAILED, utcnow(), detail=f"{prefix}stopped by {type(exc).__name__}: {exc}")
            raise
        detail = "; ".join([result.summary, *result.failures])
        store.end_run(run_id, result.outcome, utcnow(), warnings=result.warnings, detail=prefix + detail)
    return result


def _ask_the_mail_system(config: Config, store: Store, day: date) -> None:
    """Before re-sending the readers marked uncertain, ask the mail system (where it can be asked:
    Postmark) which of them it took: those are recorded sent and not sent again."""
    record = store.edition(day)
    uncertain = [delivery.address for delivery in store.deliveries(day, status=DeliveryStatus.UNCERTAIN)]
    if record is None or record.letter is None or not uncertain:
        return
    with transport(config) as sender:
        taken = sender.accepted(Letter.from_json(record.letter), uncertain)
    if taken is None:
        return
    store.record_outcomes(day, [(address, DeliveryStatus.SENT, f"{config.delivery.api.provider}'s own records show it took this copy"
                                 " (asked before re-sending)") for address in uncertain if address.lower() in taken], utcnow())
    log.info(f"{config.delivery.api.provider} took {_readers(len(taken))} of the {_readers(len(uncertain))} marked uncertain;"
             " they are recorded sent, not sent again")


def missed_days(store: Store, day: date) -> list[date]:
    """The days after the newest recorded edition and before `day` that have none (the machine was off,
    or every send that day failed to build): each covers a window no other edition does. None before
    the first edition ever recorded; at most CATCH_UP_DAYS, the older ones named in a warning."""
    latest = store.latest_edition()
    if latest is None or latest.date >= day:
        return []
    days = [latest.date + timedelta(days=n) for n in range(1, (day - latest.date).days)]
    if len(days) > CATCH_UP_DAYS:
        log.warning(f"the editions of {days[0]} to {days[-CATCH_UP_DAYS - 1]} were never sent and are too old to catch up"
            f" on; send one with `digest send --date YYYY-MM-DD`")
    return days[-CATCH_UP_DAYS:]


def _catch_up(config: Config, store: Store, day: date, now: datetime) -> SendResult:
    """Send a missed day's edition. One that turns out empty or unbuildable is a warning, not a
    failure: the day's own edition decides the exit status."""
    if store.skipped(day):
        log.info(f"the edition of {day} was skipped at its approval deadline; not catching up on it")
        return SendResult(day, Outcome.SKIPPED, f"the edition of {day} was skipped")
    log.info(f"the edition of {day} was never sent; building it first")
    result = _send_locked(config, store, day, force=False, now=now)
    if store.edition(day) is None:
        result.warnings.extend(f"the missed edition of {day} was skipped: {reason}" for reason in [*result.failures, result.waiting or ""] if reason)
        result.failures.clear()
        result.waiting = None
    return result


@dataclass(frozen=True)
class Plan:
    """What a send of one day does, decided once for a real send and a dry run alike."""

    earlier: list[EditionRecord]  # editions of other days still pending: delivered first
    sent: EditionRecord | None = None  # the day's edition, already sent: nothing to do
    pending: EditionRecord | None = None  # the day's edition, recorded but not yet delivered to all: deliver it
    replaces: EditionRecord | None = None  # otherwise it is built; with --force, as a copy of this one


def _plan(store: Store, day: date, force: bool) -> Plan:
    earlier = [record for record in store.editions(status=EditionStatus.PENDING) if record.date != day]
    existing = store.edition(day)
    if existing is None or force:
        return Plan(earlier, replaces=existing)
    if existing.status is EditionStatus.SENT:
        return Plan(earlier, sent=existing)
    return Plan(earlier, pending=existing)


def _send_locked(config: Config, store: Store, day: date, *, force: bool, now: datetime, scheduled: bool = False) -> SendResult:
    result = SendResult(day, Outcome.FAILED, "")
    plan = _plan(store, day, force)
    for record in plan.earlier:
        if store.delivery_counts(record.date).get(DeliveryStatus.PENDING):
            log.info(f"the edition of {record.date} is still pending ({record.reason or 'not delivered'}); delivering it first")
        _deliver_edition(config, store, record, result)
    if plan.sent:
        result.outcome = Outcome.ALREADY_SENT
        result.summary = (f"the edition of {day} (No. {_number(config, plan.sent)}) was already sent at {_local(plan.sent.sent, config)}"
                          f" as {plan.sent.message_id}; nothing to do (--force sends another copy)")
        log.info(result.summary)
        return result
    if plan.pending:
        record = plan.pending
    else:
        if held := _held(config, store, day, scheduled, result):
            return held
        rendered = _build_and_render(config, store, day, plan.replaces, now, result)
        if rendered is None:
            result.summary = f"nothing sent for {day}"
            return result
        letter = rendered.letter
        secret(config, required=letter.needs_token)  # a missing secret stops the send before anything is recorded
        settle_token_opt_outs(config, store, utcnow())
        listed: Iterator[Reader] = recipients(config, store, lambda problem: _warn(result, problem))
        first = next(listed, None)
        if first is None:
            result.failures.append(f"the edition of {day} has no reader to go to: newsletter.to and the subscribers file list none"
                                   " who is not suppressed (see `digest readers`)")
            log.error(result.failures[-1])
            result.summary = f"nothing sent for {day}"
            return result
        listed = itertools.chain([first], listed)
        record = store.record_pending(
            day, message_id=letter.message_id, subject=letter.subject, letter=letter.to_json(),
            story_ids=rendered.story_ids, item_ids=rendered.item_ids, now=utcnow(),
            readers=((reader.address, reader.name, letter.reader_message_id(reader.address)) for reader in listed),
        )
        if rendered.ledger is not None:
            store.keep_ledger(day, *rendered.ledger, utcnow())
    sent = _deliver_edition(config, store, record, result)
    result.outcome = Outcome.SENT if sent else Outcome.FAILED
    counts = store.delivery_counts(day)
    pending = counts.get(DeliveryStatus.PENDING, 0)
    result.summary = (f"sent the edition of {day} (No. {_number(config, record)}, {len(record.story_ids)} stories) to {_tally(counts)}" if sent
                      else f"the edition of {day} is pending for {pending} of {sum(counts.values())} readers;"
                      " the next `digest send` or scheduled run delivers to them" if pending
                      else f"the edition of {day} is uncertain for {_readers(counts.get(DeliveryStatus.UNCERTAIN, 0))}:"
                      " none is known to have got it")
    log.info(result.summary)
    return result


def _held(config: Config, store: Store, day: date, scheduled: bool, result: SendResult) -> SendResult | None:
    """The result of a send that must not go yet (the edition waits for the editor, or was skipped at its
    deadline); None when it may go. A broken ledger raises LedgerError (exit 2): never an unedited edition."""
    waiting = signoff.holding(config, store, day)
    if waiting is None:
        return None
    deadline = signoff.deadline(config, day)
    if scheduled and deadline is not None and utcnow() >= deadline:
        passed = f"the approval deadline ({_local(deadline, config)}) passed without approval of the edition of {day}"
        if config.edition.on_deadline == "send":
            _warn(result, f"{passed}; sending it unapproved, as edition.on_deadline: send says")
            return None
        store.skip(day, utcnow())
        result.outcome, result.summary = Outcome.SKIPPED, f"{passed}; skipped, as edition.on_deadline: skip says"
        log.warning(result.summary)
        return result
    store.hold(day, utcnow())
    result.outcome, result.waiting = Outcome.WAITING, waiting
    result.summary = waiting + (f"; `digest schedule` waits until {_local(deadline, config)}" if scheduled and deadline else "")
    log.warning(result.summary)
    return result


def _batches(deliveries: Iterator[Delivery], size: int) -> Iterator[list[Delivery]]:
    while batch := list(itertools.islice(deliveries, size)):
        yield batch


def _warn(result: SendResult, problem: str) -> None:
    result.warnings.append(problem)
    log.warning(problem)


def _tally(counts: dict[DeliveryStatus, int]) -> str:
    """"3 readers" or "2 readers (1 refused, 1 opted out)"."""
    sent = counts.get(DeliveryStatus.SENT, 0)
    others = ", ".join(f"{count} {status.replace('-', ' ')}" for status, count in sorted(counts.items())
                       if status is not DeliveryStatus.SENT and count)
    return _readers(sent) + (f" ({others})" if others else "")


def _build_and_render(config: Config, store: Store, day: date, existing: EditionRecord | None, now: datetime,
             result: SendResult) -> Rendered | None:
    """Build and render the edition once; a --force copy of an edition gets the next copy's Message-ID.

    None when there is nothing to send (it could not be built, or holds no story: an empty email),
    the reason recorded in `result` and logged.
    """
    def nothing_to_send(reason: str) -> Rendered | None:
        result.failures.append(reason)
        log.error(reason)
        return None

    def warn(problems: list[Problem]) -> None:
        for problem in problems:
            _warn(result, str(problem))

    try:
        built = build(config, day, now=now, store=store)
    except BuildError as exc:
        warn(exc.problems)
        return nothing_to_send(f"the edition of {day} could not be built: {exc}")
    warn(built.problems)
    edition, problems = render.fit(built.edition, config)
    warn(problems)
    if not edition.stories():
        return nothing_to_send(f"the edition of {day} has no stories (see the warnings above); an empty email is not sent")
    letter = render.letter(edition, config)  # the same message `digest build --format eml` writes, before a reader fills it
    if existing:
        letter = letter.with_message_id(next_copy_id(letter.message_id, existing.message_id))
    store.put_page(public_page(edition, config))  # the web archive's page, kept before the edition is recorded
    stories = edition.stories()  # as fitted: feed items dropped to fit Gmail's clip limit are not recorded
    store.keep_sent(day, sent_texts(stories))  # what the readers got of each item, for the stories that move on
    store.keep_corrections(day, edition.corrections)
    ledger = (built.ledger.name, built.ledger.text) if built.ledger else ("", "")
    return Rendered(letter, shown_number(config, day, store.edition_number(day)), [story.id for story in stories],
                    [item_id for story in stories for item_id in story.item_ids], ledger if config.edition.desk else None)


def _deliver_edition(config: Config, store: Store, record: EditionRecord, result: SendResult) -> bool:
    """Deliver the edition to each of its pending readers, one message each, recording each outcome as it
    comes; a reader suppressed since the edition was recorded gets nothing. True when no reader is left pending."""
    day = record.date
    if record.letter is None:
        reason = f"the pending edition of {day} was recorded by an older digest; run `digest send --date {day} --force`"
        result.failures.append(reason)
        log.error(reason)
        return False
    letter = Letter.from_json(record.letter)
    excluded = Exclusions(config, store)
    key = secret(config, required=letter.needs_token)
    log.info(f"delivering the edition of {day} (No. {_number(config, record)}) by {config.delivery.method}")
    stopped: str | None = None
    with transport(config) as sender:
        for batch in _batches(store.deliveries(day, status=DeliveryStatus.PENDING), sender.batch):
            entries, unsubscribed = [], []
            for delivery in batch:
                reader, fill = Reader(delivery.address, delivery.name), reader_token(delivery.address, key)
                if suppression := excluded(reader.address):
                    unsubscribed.append((reader.address, DeliveryStatus.OPTED_OUT, suppression.reason))
                else:
                    entries.append(Outgoing(reader, fill, delivery.message_id))
            if unsubscribed:
                store.record_outcomes(day, unsubscribed, utcnow())
            if not entries:
                continue
            with finish_before_stopping():
                # Recorded as handed over (uncertain) before the mail system sees it: if the answer is
                # never recorded (a crash, a full disk, a store kept locked), the copy is never re-sent unasked.
                store.hand_over(day, [entry.reader.address for entry in entries], utcnow())
                outcomes = sender.send(letter, entries, _written(config))
                store.record_outcomes(day, [(o.address, o.status, o.said) for o in outcomes], utcnow())
            _report(day, outcomes, result)
            stopped = next((outcome.said for outcome in outcomes if outcome.stop), stopped)
            if stopped:
                break
    if store.finish_edition(day, utcnow(), reason=stopped or "some readers were not delivered to"):
        return True
    counts = store.delivery_counts(day)
    pending, uncertain = counts.get(DeliveryStatus.PENDING, 0), counts.get(DeliveryStatus.UNCERTAIN, 0)
    if pending:
        result.failures.append(f"{day}: {_readers(pending)} pending" + (f": {stopped}" if stopped else ""))
    elif day not in result.uncertain:  # uncertain since an earlier run: said, not failed again (nothing here can help)
        _warn(result, f"the edition of {day} is uncertain for {_readers(uncertain)} and known sent to none; {RESEND_HINT.format(day=day)}")
    return False


def _report(day: date, outcomes: list[DeliveryOutcome], result: SendResult) -> None:
    """One line per kind of answer (a failed batch of 500 is one line with its count, not 500)."""
    said: dict[tuple[DeliveryStatus, str], list[str]] = {}
    for outcome in outcomes:
        if outcome.status is DeliveryStatus.SENT:
            result.delivered.append((day, outcome.address))
        else:
            said.setdefault((outcome.status, outcome.said), []).append(outcome.address)
    for (status, reason), addresses in said.items():
        who = _who(addresses)
        if status is DeliveryStatus.REFUSED:
            _warn(result, f"{who}: {reason}; not tried again")
        elif status is DeliveryStatus.UNCERTAIN:
            result.uncertain.add(day)
            result.failures.append(f"the edition of {day} may have reached {who}: {reason}; marked uncertain, never sent again"
                                   f" unasked: {RESEND_HINT.format(day=day)}")
            log.error(result.failures[-1])
        else:
            log.error(f"could not deliver the edition of {day} to {who}: {reason}; {'it stays' if len(addresses) == 1 else 'they stay'} pending")


def _who(addresses: list[str], named: int = 3) -> str:
    """"ann@x.org", or "500 readers (ann@x.org, bob@y.net, cy@z.com, ...)"."""
    if len(addresses) == 1:
        return addresses[0]
    return f"{len(addresses)} readers ({', '.join(addresses[:named])}{', ...' if len(addresses) > named else ''})"


def _readers(count: int) -> str:
    return f"{count} {'reader' if count == 1 else 'readers'}"


def _dry_run(config: Config, store: Store, day: date, *, force: bool, now: datetime) -> SendResult:
    """What a real send would do, with every write to the store rolled back."""
    result = SendResult(day, Outcome.DRY_RUN, "")
    plan = _plan(store, day, force)
    for record in plan.earlier:
        log.info(f"dry run: would first deliver the pending edition of {record.date} to its pending readers")
    if plan.sent:
        result.summary = f"dry run: the edition of {day} was already sent as {plan.sent.message_id}; nothing would be sent"
    elif plan.pending:
        result.preview = Letter.from_json(plan.pending.letter).eml(date=_written(config)) if plan.pending.letter else None
        pending = store.delivery_counts(day).get(DeliveryStatus.PENDING, 0)
        result.summary = f"dry run: would deliver the pending edition of {day} to {pending} pending readers by {config.delivery.method}"
    else:
        with store.read_only():
            rendered = _build_and_render(config, store, day, plan.replaces, now, result)
        if rendered is None:
            result.summary = f"dry run: nothing would be sent for {day}"
            return result
        result.preview = rendered.letter.eml(date=_written(config))
        listed = sum(1 for _ in recipients(config, store, lambda problem: _warn(result, problem)))
        result.summary = (f"dry run: would send the edition of {day} (No. {rendered.number}, {len(rendered.story_ids)} stories)"
                          f" to {_readers(listed)} as {rendered.letter.message_id} by {config.delivery.method};"
                          " nothing recorded")
    log.info(result.summary)
    return result


def next_copy_id(message_id: str, previous_id: str) -> str:
    """The Message-ID of a forced copy: `<local.rN@domain>`, N one more than the previous copy's."""
    local, _, domain = message_id.strip("<>").rpartition("@")
    found = re.search(r"\.r(\d+)@", previous_id)
    copy = int(found.group(1)) + 1 if found else 1
    return f"<{local}.r{copy}@{domain}>"


@contextmanager
def finish_before_stopping() -> Iterator[None]:
    """Hold SIGINT and SIGTERM until the message is delivered AND recorded, then act on them.

    A stop in between is exactly what could send the same edition twice; deferring it closes that
    window for everything but SIGKILL and power loss.
    """
    caught: list[signal.Signals] = []

    def hold(signum: signal.Signals) -> None:
        if not caught:
            log.info(f"{signum.name} received: stopping once this delivery is recorded")
        caught.append(signum)

    with on_stop(hold) as previous:
        yield
    if caught:
        handler = previous[caught[0]]
        if callable(handler):
            handler(caught[0], None)
        elif handler == signal.SIG_DFL:
            os.kill(os.getpid(), caught[0])


def _number(config: Config, record: EditionRecord) -> int:
    return shown_number(config, record.date, record.number)


def utcnow() -> datetime:
    """The clock every run record is stamped with (a function, so tests can move it)."""
    return datetime.now(UTC)


def _written(config: Config) -> datetime:
    """A message's Date: the moment it is handed over (or, in a dry run, shown), in the newsletter's zone."""
    return utcnow().astimezone(config.newsletter.tz)


def _local(moment: datetime | None, config: Config) -> str:
    return moment.astimezone(config.newsletter.tz).strftime("%Y-%m-%d %H:%M %Z") if moment else "an unknown time"
