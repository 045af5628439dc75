"""One voice on stderr: every warning, error and note goes through the `digest` logger.

The command line calls `to_stderr` once; each line is `digest: warning: ...`, `digest: error: ...`
or `digest: ...`, made safe for a terminal by `for_terminal` (item text is untrusted). The scheduler
runs for months, so its lines start with the time and say `digest schedule:`.
"""
from __future__ import annotations

import logging
import sys
from datetime import datetime

from digest.text.terminal import for_terminal

log = logging.getLogger("digest")

LEVEL_WORDS = {logging.WARNING: "warning: ", logging.ERROR: "error: ", logging.CRITICAL: "error: "}


class _Voice(logging.Formatter):
    def __init__(self, name: str, timestamps: bool) -> None:
        super().__init__()
        self.name, self.timestamps = name, timestamps

    def format(self, record: logging.LogRecord) -> str:
        line = f"{self.name}: {LEVEL_WORDS.get(record.levelno, '')}{record.getMessage()}"
        if self.timestamps:
            line = f"{datetime.now().astimezone().isoformat(timespec='seconds')} {line}"
        return for_terminal(line)


class _Stderr(logging.Handler):
    """Writes to the sys.stderr of the moment (a test runner may swap it) and flushes each line."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stderr.write(self.format(record) + "\n")
            sys.stderr.flush()
        except Exception:  # a closed stderr must not stop a send
            self.handleError(record)


def to_stderr(name: str = "digest", *, timestamps: bool = False) -> None:
    """Send the `digest` logger's INFO and above to stderr, as `name: ...` lines."""
    handler = _Stderr()
    handler.setFormatter(_Voice(name, timestamps))
    log.handlers[:] = [handler]
    log.setLevel(logging.INFO)
