"""`digest schedule`: the long-running daily loop.

Each `schedule.at` time is a wall-clock time in `newsletter.timezone`, so the 07:00 edition leaves
at 07:00 local time on both sides of a daylight-saving change, and each time fires once a day: a time
the clock repeats fires at its first occurrence, a time the clock skips at the end of the gap (the
rule of `edition.on_clock`, which also places the cut-offs, so a send at a skipped time finds its
edition due). Started after today's time with the due edition unsent, it sends once at start
(catch-up). A failed send is retried every `schedule.retry_minutes` until it goes. SIGTERM or SIGINT
lets the running send finish, then exits 0.

The `schedule` library runs the jobs (the day's send, and the retries); the send times themselves
are worked out here on aware instants (`next_send`), because the library's own daily times in a zone
fired early or twice around a DST gap and its zone names (pytz) missed some that zoneinfo knows. The
loop naps at most a minute, which also survives suspend and clock jumps.
"""
from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from datetime import datetime, time, timedelta

import schedule

from digest.compliance import refuse_unsafe
from digest.config import Config
from digest.edition import on_clock
from digest.errors import EXIT_OK
from digest.logs import log
from digest.pipeline import edition_day
from digest.send import send, utcnow
from digest.signals import on_stop
from digest.store import EditionStatus, Store

MAX_NAP = 60.0  # seconds; the loop looks at the clock at least this often
MIN_WAIT = 0.001  # seconds; the library runs a job of interval 0 again and again in one run_pending


def run_schedule(
    config: Config, store: Store, *, send_fn: Callable[[str], bool] | None = None,
    nap: Callable[[float], object] | None = None, stop: threading.Event | None = None,
) -> int:
    """Run until stopped; return the exit status. Raises StoreBusy if another scheduler holds the store.

    `send_fn(trigger)` sends the due edition and says whether it went (default: `digest send`);
    `nap(seconds)` waits (default: until the time passes or a stop is asked). Tests inject both to
    drive the loop on a controlled clock.
    """
    stop = stop or threading.Event()
    nap = nap or stop.wait
    if send_fn is None:
        refuse_unsafe(config, store)  # a config `send` refuses is said once, at start, not at every run
        def send_fn(trigger: str) -> bool:
            return send(config, store, trigger=trigger, scheduled=True).exit_status == EXIT_OK
    with store.lock("schedule"):
        store.close_interrupted_runs("schedule", utcnow())
        run_id = store.start_run("schedule", utcnow())

        def ask_to_stop(signum: signal.Signals) -> None:
            log.info(f"{signum.name} received: stopping after the running send, if any")
            stop.set()

        try:
            with on_stop(ask_to_stop):
                _loop(config, store, send_fn, nap, stop)
        finally:
            store.end_run(run_id, "stopped", utcnow())
    log.info("stopped")
    return EXIT_OK


def _loop(config: Config, store: Store, send_fn: Callable[[str], bool], nap: Callable[[float], object],
          stop: threading.Event) -> None:
    """Run the day's sends as jobs of a `schedule.Scheduler`.

    The library's clock is the host's naive wall clock, which jumps when the host's own zone changes
    time. So the send job is armed again after every wake from the aware instant `next_send` gives,
    and it checks that instant before it sends: a jump can delay a send by one nap at most, never
    fire it early or twice.
    """
    jobs = schedule.Scheduler()
    due, at = next_send(config, utcnow())

    def attempt(trigger: str) -> None:
        try:
            sent = send_fn(trigger)
        except Exception as exc:  # one bad run must not end months of daily runs
            log.error(f"{trigger} run failed: {type(exc).__name__}: {exc}")
            sent = False
        if sent or not config.schedule.retry_minutes:
            jobs.clear("retry")
        elif not jobs.get_jobs("retry"):
            log.info(f"will retry every {config.schedule.retry_minutes:g} minutes until it is sent")
            jobs.every(config.schedule.retry_minutes).minutes.do(attempt, "retry").tag("retry")  # type: ignore[arg-type]  # fractions work too

    def send_when_due() -> object:
        nonlocal due, at
        if utcnow() < due:  # the host's clock jumped ahead: not yet
            return None
        attempt(f"scheduled {at}")
        due, at = next_send(config, max(due, utcnow()))
        return schedule.CancelJob

    def arm() -> None:
        jobs.clear("send")
        seconds = max(MIN_WAIT, (due - utcnow()).total_seconds())
        jobs.every(seconds).seconds.do(send_when_due).tag("send")  # type: ignore[arg-type]  # the library takes fractions too

    if config.edition.date:
        log.warning(f"edition.date pins every run to {config.edition.date}; remove it from the config for daily editions")
    log.info(f"sending daily at {', '.join(sorted(set(config.schedule.at)))} {config.newsletter.timezone}; store {store.path}")
    if catch_up_due(config, store, utcnow()):
        log.info("catch-up: started after today's send time and the due edition is not sent: sending it now")
        attempt("catch-up")
    arm()
    while not stop.is_set():
        nap(min(MAX_NAP, max(0.0, jobs.idle_seconds or 0.0)))
        if stop.is_set():
            break
        jobs.run_pending()
        arm()


def next_send(config: Config, after: datetime) -> tuple[datetime, str]:
    """The first send time strictly after `after`, and the `schedule.at` entry it comes from."""
    tz = config.newsletter.tz
    today = after.astimezone(tz).date()
    times = [(on_clock(datetime.combine(today + timedelta(days=offset), time.fromisoformat(at)), tz), at)
             for offset in (-1, 0, 1, 2) for at in set(config.schedule.at)]
    return min((moment, at) for moment, at in times if moment.timestamp() > after.timestamp())


def catch_up_due(config: Config, store: Store, now: datetime) -> bool:
    """True when a send time has passed today (newsletter time) and the edition a send would deliver
    now is not sent."""
    local = now.astimezone(config.newsletter.tz)
    if not any(local.time() >= time.fromisoformat(at) for at in config.schedule.at):
        return False
    record = store.edition(edition_day(config, None, now, sending=True))
    return not (record and record.status is EditionStatus.SENT)
