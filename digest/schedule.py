"""`digest schedule`: the long-running daily loop, on the `schedule` library.

Each `schedule.at` time is a wall-clock time in `newsletter.timezone`, so the 07:00 edition leaves
at 07:00 local time on both sides of a daylight-saving change. Started after today's time with
today's edition unsent, it sends once at start (catch-up). A failed send is retried every
`schedule.retry_minutes` until it goes. SIGTERM or SIGINT lets the running send finish, then exits 0.

One trap in `schedule` 1.2 is avoided on purpose: its `idle_seconds` subtracts naive local times, so
across a local DST change a loop that sleeps that long wakes an hour late. The loop here measures the
wait between aware instants and naps at most a minute, which also survives suspend and clock jumps.
"""
from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable
from datetime import datetime, time, timezone

import schedule

from digest.config import Config
from digest.pipeline import edition_day
from digest.text.terminal import for_terminal
from digest.send import Log, send, utcnow
from digest.store import Store

MAX_NAP = 60.0  # seconds; the loop looks at the clock at least this often


def log_with_time(line: str) -> None:
    """A scheduler runs for months: every line it writes says when."""
    stamp = datetime.now().astimezone().isoformat(timespec="seconds")
    print(for_terminal(f"{stamp} digest schedule: {line}"), file=sys.stderr, flush=True)


def run_schedule(
    config: Config, store: Store, *, send_fn: Callable[[str], bool] | None = None,
    nap: Callable[[float], object] | None = None, stop: threading.Event | None = None, log: Log = log_with_time,
) -> int:
    """Run until stopped; return the exit status. Raises StoreBusy if another scheduler holds the store.

    `send_fn(trigger)` sends today's edition and says whether it went (default: `digest send`);
    `nap(seconds)` waits (default: until the time passes or a stop is asked). Tests inject both to
    drive the loop on a controlled clock.
    """
    stop = stop or threading.Event()
    nap = nap or stop.wait
    if send_fn is None:
        def send_fn(trigger: str) -> bool:
            return send(config, store, trigger=trigger, log=log).exit_status == 0
    with store.lock("schedule"):
        store.close_interrupted_runs("schedule", utcnow())
        run_id = store.start_run("schedule", utcnow())
        restore = _stop_on_signals(stop, log)
        try:
            _loop(config, store, send_fn, nap, stop, log)
        finally:
            restore()
            store.end_run(run_id, "stopped", utcnow())
    log("stopped")
    return 0


def _loop(config: Config, store: Store, send_fn: Callable[[str], bool], nap: Callable[[float], object],
          stop: threading.Event, log: Log) -> None:
    scheduler = schedule.Scheduler()

    def attempt(trigger: str) -> bool:
        try:
            sent = send_fn(trigger)
        except Exception as exc:  # one bad run must not end months of daily runs
            log(f"error: {trigger} run failed: {type(exc).__name__}: {exc}")
            sent = False
        if sent:
            scheduler.clear("retry")
        elif config.schedule.retry_minutes and not scheduler.get_jobs("retry"):
            log(f"will retry every {config.schedule.retry_minutes:g} minutes until it is sent")
            scheduler.every(round(config.schedule.retry_minutes * 60)).seconds.do(attempt, "retry").tag("retry")
        return sent

    for at in sorted(set(config.schedule.at)):
        scheduler.every().day.at(at, config.newsletter.timezone).do(attempt, f"scheduled {at}")
    if config.edition.date:
        log(f"warning: edition.date pins every run to {config.edition.date}; remove it from the config for daily editions")
    log(f"sending daily at {', '.join(sorted(set(config.schedule.at)))} {config.newsletter.timezone}; store {store.path}")
    if catch_up_due(config, store, utcnow()):
        log("catch-up: started after today's send time and today's edition is not sent: sending it now")
        attempt("catch-up")
    while not stop.is_set():
        scheduler.run_pending()
        if stop.is_set():
            break
        nap(min(MAX_NAP, max(0.0, seconds_until(scheduler.next_run))))


def catch_up_due(config: Config, store: Store, now: datetime) -> bool:
    """True when a send time has passed today (newsletter time) and today's edition is not sent."""
    local = now.astimezone(config.newsletter.tz)
    if not any(local.time() >= time.fromisoformat(at) for at in config.schedule.at):
        return False
    record = store.edition(edition_day(config, None, now))
    return not (record and record.status == "sent")


def seconds_until(next_run: datetime | None) -> float:
    """Seconds until `schedule`'s next run, which it keeps as a naive local time: read it as local."""
    if next_run is None:
        return MAX_NAP
    return (next_run.astimezone() - datetime.now(timezone.utc)).total_seconds()


def _stop_on_signals(stop: threading.Event, log: Log) -> Callable[[], None]:
    """SIGTERM and SIGINT ask the loop to stop after the running send; returns the undo."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def ask_to_stop(signum: int, frame: object) -> None:
        log(f"{signal.Signals(signum).name} received: stopping after the running send, if any")
        stop.set()

    previous = {signum: signal.signal(signum, ask_to_stop) for signum in (signal.SIGTERM, signal.SIGINT)}

    def restore() -> None:
        for signum, handler in previous.items():
            signal.signal(signum, handler)

    return restore
