"""SIGINT and SIGTERM, handled the same way by `send` and `schedule`."""
from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)

Handler = Callable[[int, FrameType | None], Any] | int | None


@contextmanager
def on_stop(act: Callable[[signal.Signals], None]) -> Iterator[dict[signal.Signals, Handler]]:
    """Call `act(signal)` on SIGINT or SIGTERM while inside, then put the previous handlers back.

    Yields the previous handlers (for a caller that acts on the signal itself afterwards). Python
    lets only the main thread set handlers, so elsewhere (a test's thread) it does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield {}
        return
    previous: dict[signal.Signals, Handler] = {
        signum: signal.signal(signum, lambda number, _frame: act(signal.Signals(number))) for signum in STOP_SIGNALS
    }
    try:
        yield previous
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
