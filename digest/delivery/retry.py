"""The one retry loop of the email services: a try the service provably did not take waits and goes again.

Only what was not taken is tried again: a connection refused or not made, a request that could not
be sent whole, a rate limit (429, SES's throttling: documented as refused before anything is
accepted). A rate-limited batch waits for the server's Retry-After (capped at
`delivery.api.max_wait`), saying so, and goes; after `delivery.api.retries` it is a DeliveryError and
the readers stay pending. A batch that went whole and got no usable answer (a timeout, a 5xx) is never
tried again here: it is uncertain. The HTTP services and SES (through boto3, its own retries off) share it.
"""
from __future__ import annotations

import email.utils
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

from digest.config import ApiConfig
from digest.delivery.base import DeliveryError
from digest.logs import log

T = TypeVar("T")


class Retry(Exception):
    """A try the service did not take and that may pass later: rate-limited, not reached. `wait`: the server's Retry-After."""

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
            wait = min(exc.wait if exc.wait is not None else 2.0 ** attempt, settings.max_wait)
            asked = " (its Retry-After)" if exc.wait is not None else ""
            log.info(f"{exc}; waiting {wait:g} s{asked} before try {attempt + 2} of {settings.retries + 1}")
            sleep(wait)
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
