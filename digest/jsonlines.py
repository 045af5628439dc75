"""JSON Lines reading shared by the jsonl source and `digest summarize --jsonl`.

One object a line; a line that is not one is handed to `on_bad` with its number and the reason,
and skipped, so one broken line never costs the others.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any


def describe(value: Any) -> str:
    """A JSON value as a user would name it in an error message."""
    names = {bool: "true/false", int: "a number", float: "a number", str: "text", list: "a list", dict: "an object"}
    return "null" if value is None else f"{names.get(type(value), type(value).__name__)} ({json.dumps(value)[:40]})"


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _without_lone_surrogates(value: Any) -> Any:
    """JSON may escape half a UTF-16 pair ("\\ud800"); Python keeps it as a lone surrogate (a whole
    pair becomes one character), which no encoder writes and which failed the whole source: it
    becomes U+FFFD, as an invalid byte does."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [_without_lone_surrogates(item) for item in value]
    if isinstance(value, dict):
        return {_without_lone_surrogates(key): _without_lone_surrogates(item) for key, item in value.items()}
    return value


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
        if _SURROGATE_ESCAPE.search(line):
            record = _without_lone_surrogates(record)
        if not isinstance(record, dict):
            on_bad(number, f"should be a JSON object, not {describe(record)}")
            continue
        yield number, record
