"""The one retry loop of the email services: a 429 or a 5xx (or a network failure) waits and tries again.

A rate-limited batch waits for the server's Retry-After (capped at `delivery.api.max_wait`) and goes,
rather than failing the list; after `delivery.api.retries` it is a DeliveryError and the readers stay
pending. The HTTP services and SES (through boto3, its own retries off) share it.
"""
from __future__ import annotations

import email.utils
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

from digest.config import ApiConfig
from digest.delivery.base import DeliveryError

RETRY_STATUSES = {429, 500, 502, 503, 504}
T = TypeVar("T")


class Retry(Exception):
    """A try that may pass later: rate-limited (429), a 5xx, a timeout. `wait`: the server's Retry-After."""

    def __init__(self, reason: str, wait: float | None = None) -> None:
        super().__init__(reason)
        self.wait = wait


def with_retries(call: Callable[[], T], settings: ApiConfig, sleep: Callable[[float], None]) -> T:
    """`call` again after each Retry, waiting the server's Retry-After (capped at delivery.api.max_wait)
    or else 1, 2, 4... seconds; after delivery.api.retries, a DeliveryError (the readers stay pending)."""
    for attempt in range(settings.retries + 1):
        try:
            return call()
        except Retry as exc:
            if attempt == settings.retries:
                raise DeliveryError(f"{exc}; gave up after {attempt + 1} tries") from None
            wait = exc.wait if exc.wait is not None else 2.0 ** attempt
            sleep(min(wait, settings.max_wait))
    raise AssertionError("unreachable")


def retry_after(value: str | None) -> float | None:
    """Retry-After as seconds: a number of seconds or an HTTP date (RFC 9110)."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())
