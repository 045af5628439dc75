"""Email services' HTTP APIs: one module per provider over the shared base here.

A provider turns a batch of readers into its own request (the letter rendered once, each reader's
address, token and headers filled in), and reads each reader's outcome from its answer. The base owns
what they share: the credentials (only from the environment), the HTTP call, and retries that honour
429 and Retry-After, so a rate-limited batch waits and goes rather than failing the list.
"""
from __future__ import annotations

import email.utils
import json
import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from digest.config import Config
from digest.deliver import DeliveryError, Outcome, Outgoing
from digest.render.mime import Letter
from digest.store import DeliveryStatus

RETRY_STATUSES = {429, 500, 502, 503, 504}
T = TypeVar("T")


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        try:
            return json.loads(self.body or b"null")
        except ValueError:
            return None


class Retry(Exception):
    """A try that may pass later: rate-limited (429), a 5xx, a timeout. `wait`: the server's Retry-After."""

    def __init__(self, reason: str, wait: float | None = None) -> None:
        super().__init__(reason)
        self.wait = wait


class Provider:
    """The shared base. A provider sets `name`, `batch`, `url`, `key_env` and writes `request` and `outcomes`."""

    name = ""
    batch = 1
    url = ""
    key_env: str | None = None

    def __init__(self, config: Config, sleep: Callable[[float], None] = time.sleep) -> None:
        self.config, self.settings, self.sleep = config, config.delivery.api, sleep
        self.base = (self.settings.url or self.url).rstrip("/")

    def credential(self) -> str:
        """The API key from the environment variable the config names (or the provider's usual one)."""
        name = self.settings.key_env or self.key_env
        value = os.environ.get(name or "", "")
        if not value:
            raise DeliveryError(f"{self.name}: environment variable {name} (delivery.api.key_env) is not set or empty; put the API key there")
        return value

    def request(self, letter: Letter, entries: list[Outgoing], date: datetime) -> tuple[str, dict[str, str], Any]:
        """(path, headers, JSON body) of one batch."""
        raise NotImplementedError

    def outcomes(self, entries: list[Outgoing], answer: Answer) -> list[Outcome]:
        """Each reader's outcome from the provider's answer to their batch."""
        raise NotImplementedError

    def send(self, letter: Letter, entries: list[Outgoing], date: datetime) -> list[Outcome]:
        try:
            key = self.credential()
            path, headers, body = self.request(letter, entries, date)
            headers = {**self.auth(key), "Content-Type": "application/json", "Accept": "application/json", **headers}
            answer = self.with_retries(lambda: self.post(path, headers, json.dumps(body, ensure_ascii=False).encode("utf-8")))
        except DeliveryError as exc:
            return [Outcome(entry.reader.address, DeliveryStatus.PENDING, str(exc), stop=True) for entry in entries]
        return self.outcomes(entries, answer)

    def auth(self, key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {key}"}

    def post(self, path: str, headers: dict[str, str], data: bytes) -> Answer:
        """One POST; a 429, a 5xx or a network failure raises Retry, any other answer is returned."""
        request = urllib.request.Request(self.base + path, data=data, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.settings.timeout) as response:
                return Answer(response.status, dict(response.headers.items()), response.read())
        except urllib.error.HTTPError as exc:
            answer = Answer(exc.code, dict(exc.headers.items()), exc.read())
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", None) or exc
            raise Retry(f"{self.name} at {self.base} could not be reached ({reason})") from None
        if answer.status in RETRY_STATUSES:
            raise Retry(f"{self.name} answered {answer.status}: {answer.body[:300].decode('utf-8', 'replace')}",
                        retry_after(answer.headers.get("Retry-After")))
        return answer

    def with_retries(self, call: Callable[[], T]) -> T:
        """`call` again after each Retry, waiting the server's Retry-After (capped at delivery.api.max_wait)
        or else 1, 2, 4... seconds; after delivery.api.retries, a DeliveryError (the readers stay pending)."""
        for attempt in range(self.settings.retries + 1):
            try:
                return call()
            except Retry as exc:
                if attempt == self.settings.retries:
                    raise DeliveryError(f"{exc}; gave up after {attempt + 1} tries") from None
                wait = exc.wait if exc.wait is not None else 2.0 ** attempt
                self.sleep(min(wait, self.settings.max_wait))
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


def api_headers(letter: Letter, entry: Outgoing, date: datetime) -> dict[str, str]:
    """The reader's own headers for an API (the service sets Date itself when it sends)."""
    headers = letter.headers(entry.reader, entry.token, date)
    del headers["Date"]
    return headers


def provider(config: Config) -> Provider:
    """The configured provider; SES is imported only when used (it needs boto3: `pip install 'digest[ses]'`)."""
    name = config.delivery.api.provider
    chosen: type[Provider]
    if name == "postmark":
        from digest.providers.postmark import Postmark
        chosen = Postmark
    elif name == "sendgrid":
        from digest.providers.sendgrid import SendGrid
        chosen = SendGrid
    else:
        from digest.providers.ses import Ses
        chosen = Ses
    return chosen(config)
