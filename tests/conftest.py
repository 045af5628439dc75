"""Shared test helpers."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from digest.model import Item, stable_id

KYIV = ZoneInfo("Europe/Kyiv")


@pytest.fixture
def make_item():
    """Build an Item from the few fields a test cares about; `at` is Kyiv wall-clock time (None: undated)."""

    def make(title: str, body: str = "", *, source: str = "Wire", kind: str = "brief", at: str | None = "2024-06-25 12:00", **fields) -> Item:
        published = datetime.fromisoformat(at).replace(tzinfo=KYIV) if at else None
        item_id = fields.pop("id", None) or stable_id(source, kind, title, at or "")
        return Item(id=item_id, source=source, kind=kind, title=title, body=body, published=published, **fields)

    return make
