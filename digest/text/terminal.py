"""The one place that makes a line of stderr safe for a terminal.

Warnings quote untrusted text: an item's title, a value from an export, a server's reason. An
escape sequence in it ("\\x1b]0;...\\x07" retitles the window, "\\x1b[2J" clears the screen, others
rewrite what was said before) or a bidi override would act on the operator's terminal; each is
shown as its escape ("\\x1b", "\\u202e") instead. Line breaks and tabs are kept.
"""
from __future__ import annotations

import re

_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def for_terminal(text: str) -> str:
    """`text` with every control character and bidi control written as its Python escape."""
    return _UNSAFE.sub(lambda found: found.group().encode("unicode_escape").decode("ascii"), text)
