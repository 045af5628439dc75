"""JSON Lines reading shared by the jsonl source and `digest summarize --jsonl`.

One object a line; a line that is not one is handed to `on_bad` with its number and the reason,
and skipped, so one broken line never costs the others.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any


def describe(value: Any) -> str:
    """A JSON value as a user would name it in an error message."""
    names = {bool: "true/false", int: "a number", float: "a number", str: "text", list: "a list", dict: "an object"}
    return "null" if value is None else f"{names.get(type(value), type(value).__name__)} ({json.dumps(value)[:40]})"


def objects(lines: Iterable[str], on_bad: Callable[[int, str], None]) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for every line that holds a JSON object; blank lines are passed over."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            on_bad(number, f"not valid JSON ({exc.msg} at column {exc.colno})")
            continue
        if not isinstance(record, dict):
            on_bad(number, f"should be a JSON object, not {describe(record)}")
            continue
        yield number, record
