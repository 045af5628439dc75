"""INTERIM: the readers API `life` lands in digest.readers (~10:15); removed when it does."""
from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from enum import StrEnum

from digest.config import Config
from digest.readers import Reader, normalise, readers, secret, token
from digest.store import Store


class Reason(StrEnum):
    UNSUBSCRIBED = "unsubscribed"
    HARD_BOUNCE = "hard-bounce"
    COMPLAINT = "complaint"
    BY_HAND = "by-hand"


_pending: dict[str, tuple[str, str, datetime]] = {}
_soft: dict[str, int] = {}


def suppress(store: Store, address: str, reason: Reason, source: str, now: datetime) -> bool:
    return store.opt_out(normalise(address), now)


def restore(store: Store, address: str, now: datetime) -> None:
    raise NotImplementedError


def soft_bounce(config: Config, store: Store, address: str, source: str, now: datetime) -> bool:
    _soft[normalise(address)] = _soft.get(normalise(address), 0) + 1
    return _soft[normalise(address)] >= 3 and suppress(store, address, Reason.HARD_BOUNCE, source, now)


def unsubscribe(config: Config, store: Store, token_or_address: str, source: str, now: datetime) -> str | None:
    key = secret(config)
    assert key
    for reader in readers(config, lambda _: None):
        if token(reader.address, key) == token_or_address:
            suppress(store, reader.address, Reason.UNSUBSCRIBED, source, now)
            return reader.address
    return None


def request_subscription(config: Config, store: Store, address: str, name: str, now: datetime) -> str | None:
    made = secrets.token_urlsafe(24)
    _pending[made] = (normalise(address), name, now)
    return made


def confirm_subscription(config: Config, store: Store, made: str, now: datetime) -> Reader | None:
    found = _pending.pop(made, None)
    if found is None or now - found[2] > timedelta(days=7):
        return None
    return Reader(found[0], found[1])


def recipients(config: Config, store: Store, on_bad: Callable[[str], None]):
    return readers(config, on_bad)
