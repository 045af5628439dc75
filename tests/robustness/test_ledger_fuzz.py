"""The editor's ledger is written by hand: no text makes reading it raise anything but LedgerError
(exit 2, naming the file), and whatever it accepts has only http(s) links and capped values."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from digest.config import Config
from digest.desk.ledger import CAPS, LedgerError, parse_ledger

from . import test_fuzz  # noqa: F401  (registers and loads the hypothesis profile)

pytestmark = pytest.mark.slow

KEYS = ["note", "stories", "add", "match", "pin", "drop", "title", "blurb", "section", "key", "url", "kind", "nonsense"]
SCALARS = st.one_of(st.integers(-3, 50), st.booleans(), st.none(), st.text(max_size=30),
                    st.sampled_from(["javascript:alert(1)", "https://example.com/a", "feed", "stories", "top", "brief", "~", "[", "{"]))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(KEYS), inner, max_size=5)),
                      max_leaves=20)


def as_yaml(value: object, indent: int = 0) -> str:
    """A rough YAML writer: flow style, sometimes broken (unbalanced), as a hurried editor writes."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}: {as_yaml(item)}" for key, item in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(as_yaml(item) for item in value) + "]"
    if value is None:
        return "~"
    return str(value)


@given(st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=4), st.booleans())
def test_any_ledger_is_read_or_refused_by_name(data: dict, block: bool) -> None:
    text = "\n".join(f"{key}: {as_yaml(value)}" for key, value in data.items()) if block else as_yaml(data)
    try:
        ledger = parse_ledger(text, "editions/2026-05-14.yaml", Config())
    except LedgerError as exc:
        assert str(exc).startswith("editions/2026-05-14.yaml: ")
        return
    for entry in ledger.add:
        assert entry.url.startswith(("http://", "https://"))
    for entry in ledger.stories:
        assert entry.match and all(len(value or "") <= CAPS["blurb"] for value in (entry.title, entry.blurb, entry.key, entry.drop))
        assert entry.pin is None or entry.pin >= 1


@given(st.text(max_size=200))
def test_any_text_is_read_or_refused_by_name(text: str) -> None:
    try:
        parse_ledger(text, "editions/2026-05-14.yaml", Config())
    except LedgerError as exc:
        assert str(exc).startswith("editions/2026-05-14.yaml: ")
