"""Wall time per build stage: always measured (one clock read per stage), shown on request.

`digest build --timings` (or DIGEST_TIMINGS=1) prints them on stderr, so a user can see where a slow
morning went, and bench/pipeline.py reads the same line instead of re-implementing the pipeline.
"""
from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager


class Timings(dict[str, float]):
    """Seconds per stage, in the order the stages ran; a stage entered twice adds up."""

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self[name] = self.get(name, 0.0) + time.perf_counter() - start

    @property
    def total(self) -> float:
        return sum(self.values())

    def format(self) -> str:
        """One line: `stage seconds` pairs, then the total (the line bench/pipeline.py parses)."""
        parts = [f"{name} {seconds:.3f}" for name, seconds in self.items()]
        return f"timings (s): {', '.join(parts)}, total {self.total:.3f}"
