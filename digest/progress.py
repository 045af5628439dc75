"""A one-line progress bar on stderr, drawn only when a person is watching (stderr is a terminal).

Piped or redirected runs (cron, CI, `2> log`) get nothing from it, so logs hold only warnings.
"""
from __future__ import annotations

import shutil
import sys
import threading
from typing import TextIO

from digest.text.terminal import for_terminal


class Progress:
    """Counts finished steps out of `total`; safe to advance from worker threads."""

    def __init__(self, total: int, label: str, stream: TextIO | None = None, enabled: bool | None = None) -> None:
        self.total, self.label, self.done = total, label, 0
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.lock = threading.Lock()

    def advance(self, what: str = "") -> None:
        with self.lock:
            self.done += 1
            if self.enabled:
                self._draw(what)

    def close(self) -> None:
        """Erase the bar so the next line of stderr starts clean."""
        if self.enabled:
            self.stream.write("\r\x1b[K")
            self.stream.flush()

    def _draw(self, what: str) -> None:
        width = 20
        filled = width * self.done // max(self.total, 1)
        line = for_terminal(f"{self.label} [{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} {what}")
        columns = shutil.get_terminal_size((80, 20)).columns
        self.stream.write("\r\x1b[K" + line[: columns - 1])
        self.stream.flush()
