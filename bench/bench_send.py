"""What exactly-once costs: the store's pending, handed-over and sent records next to the delivery they guard.

    python bench/bench_send.py [--runs 30]

Measures, per edition, with the sample day's real .eml (the shipped config.yaml): each delivery
method alone (the baselines), the same with the committed store records around it (pending,
handed over, sent), and the records alone; then the command line's start-up, the floor under every `digest send`.
Needs the test extra (aiosmtpd) for the SMTP rows.
"""
from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from aiosmtpd.controller import Controller

from digest import render
from digest.config import load_config
from digest.delivery import deliver
from digest.pipeline import build
from digest.store import Store

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 5, 15, 4, 0, tzinfo=UTC)


class Sink:
    async def handle_DATA(self, server, session, envelope):
        return "250 2.0.0 Ok"


def interleaved(variants: dict[str, Callable[[int], object]], runs: int) -> dict[str, list[float]]:
    """Time every variant once per round, round after round."""
    times: dict[str, list[float]] = {name: [] for name in variants}
    for run in range(runs):
        for name, step in variants.items():
            start = time.perf_counter()
            step(run)
            times[name].append((time.perf_counter() - start) * 1000)
    return times


def timed(step: Callable[[int], object], runs: int) -> list[float]:
    times = []
    for run in range(runs):
        start = time.perf_counter()
        step(run)
        times.append((time.perf_counter() - start) * 1000)
    return times


def row(name: str, times: list[float], baseline: float | None = None) -> str:
    median = statistics.median(times)
    ratio = f"{median / baseline:5.2f}x" if baseline else "    -"
    return f"| {name:<44} | {median:9.2f} | {max(times):9.2f} | {ratio} |"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    runs = parser.parse_args().runs

    config = load_config(ROOT / "config.yaml")
    edition = build(config, date.fromisoformat(config.edition.date), now=NOW).edition
    message = render.render(edition, config, "eml")
    message_id = render.message_id(edition, config)
    letter = render.letter(edition, config).to_json()
    stories = edition.stories()
    days = (date(2000, 1, 1) + timedelta(days=n) for n in range(10**6))  # a fresh edition every run
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        store = Store(work / "digest.db")
        controller = Controller(Sink(), hostname="127.0.0.1", port=_free_port())
        controller.start()
        outbox = replace(config, base_dir=work, delivery=replace(config.delivery, method="outbox", outbox="outbox"))
        smtp = replace(config, delivery=replace(config.delivery, method="smtp",
                                                smtp=replace(config.delivery.smtp, host="127.0.0.1", port=controller.port)))

        def exactly_once(settings=None) -> Callable[[int], None]:
            """The send protocol's steps around one delivery: pending record, handed-over record, delivery, sent record."""
            def step(run: int) -> None:
                day = next(days)
                record = store.record_pending(
                    day, message_id=f"<{day}@bench>", subject=edition.subject, letter=letter,
                    story_ids=[s.id for s in stories], item_ids=[i for s in stories for i in s.item_ids], now=NOW,
                    readers=[("readers@example.com", "", f"<{day}.r@bench>")],
                )
                store.hand_over(day, ["readers@example.com"], NOW)
                receipt = deliver(message, record.message_id, settings) if settings else "none"
                store.record_outcomes(day, [("readers@example.com", "sent", receipt)], NOW)
            return step

        variants = {
            "outbox delivery alone (baseline)": lambda run: deliver(message, f"<{run}@bench>", outbox),
            "outbox delivery, pending, handed-over, sent records": exactly_once(outbox),
            "SMTP to 127.0.0.1 alone (baseline)": lambda run: deliver(message, message_id, smtp),
            "SMTP, pending, handed-over, sent records": exactly_once(smtp),
            "pending, handed-over, sent records alone": exactly_once(),
        }
        try:
            times = interleaved(variants, runs)
            outbox_base = statistics.median(times["outbox delivery alone (baseline)"])
            smtp_base = statistics.median(times["SMTP to 127.0.0.1 alone (baseline)"])
            lines = [
                f"one edition: {len(message):,} bytes, {len(stories)} stories; median and max of {runs} runs, ms",
                "(the variants take turns run by run, so a busy disk slows them alike)",
                "",
                "| step | median | max | vs. baseline |",
                "| --- | ---: | ---: | ---: |",
            ]
            for name, base in zip(variants, [None, outbox_base, None, smtp_base, None], strict=False):
                lines.append(row(name, times[name], base))
        finally:
            controller.stop()
            store.close()
    startup = [
        ("python -c pass (baseline)", [sys.executable, "-c", "pass"]),
        ("python -c 'import digest.send'", [sys.executable, "-c", "import digest.send"]),
        ("digest --help", [sys.executable, "-m", "digest", "--help"]),
    ]
    base = None
    lines += ["", "command-line start-up, ms", "", "| step | median | max | vs. baseline |", "| --- | ---: | ---: | ---: |"]
    for name, argv in startup:
        times = timed(lambda run, argv=argv: subprocess.run(argv, capture_output=True, check=True), max(3, runs // 6))
        lines.append(row(name, times, base))
        base = base or statistics.median(times)
    print("\n".join(lines))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


if __name__ == "__main__":
    main()
