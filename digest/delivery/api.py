"""The email services' HTTP APIs (Postmark, SendGrid): the shared base of one service per module.

A service turns a batch of readers into its own request (the letter rendered once, each reader's
address, token and headers filled in), and reads each reader's outcome from its answer. The base owns
what they share: the credential (only from the environment) and the call, made through the project's
own HTTP rules (`digest.sources.http.post`: one deadline for the whole exchange, a cap on the answer's
size, no redirect followed, so the key never goes to another origin) inside the one retry loop.
"""
from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from digest.config import Config, FetchConfig
from digest.delivery.base import DeliveryError, Outcome, Outgoing
from digest.delivery.retry import RETRY_STATUSES, Retry, retry_after, with_retries
from digest.render.mime import Letter
from digest.sources.context import SourceFailed
from digest.sources.http import REDIRECTS, TooLarge, post
from digest.store import DeliveryStatus

ANSWER_CAP = 1_000_000  # bytes of a service's answer read at most; a 500-message batch answers in about 100 kB


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """The answer's JSON, or None when it is not JSON or nests deeper than the parser goes."""
        try:
            return json.loads(self.body or b"null")
        except (ValueError, RecursionError):
            return None

    def text(self) -> str:
        return self.body[:300].decode("utf-8", "replace")


class HttpService:
    """The shared base. A service sets `name`, `batch`, `url`, `key_env` and writes `request` and `outcomes`."""

    name = ""
    batch = 1
    url = ""
    key_env: str | None = None

    def __init__(self, config: Config, sleep: Callable[[float], None] = time.sleep) -> None:
        self.config, self.settings, self.sleep = config, config.delivery.api, sleep
        self.base = (self.settings.url or self.url).rstrip("/")
        self.shown = shown_url(self.base)
        self.limits = FetchConfig(connect_timeout=self.settings.timeout, timeout=self.settings.timeout, max_bytes=ANSWER_CAP)

    def credential(self) -> str:
        """The API key from the environment variable the config names (or the service's usual one)."""
        name = self.settings.key_env or self.key_env
        value = os.environ.get(name or "", "")
        if not value:
            raise DeliveryError(f"{self.name}: environment variable {name} (delivery.api.key_env) is not set or empty; put the API key there")
        return value

    def request(self, letter: Letter, entries: list[Outgoing], date: datetime) -> tuple[str, dict[str, str], Any]:
        """(path, headers, JSON body) of one batch."""
        raise NotImplementedError

    def outcomes(self, entries: list[Outgoing], answer: Answer) -> list[Outcome]:
        """Each reader's outcome from the service's answer to their batch."""
        raise NotImplementedError

    def send(self, letter: Letter, entries: list[Outgoing], date: datetime) -> list[Outcome]:
        try:
            key = self.credential()
            path, headers, body = self.request(letter, entries, date)
            headers = {**self.auth(key), "Content-Type": "application/json", "Accept": "application/json", **headers}
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
            answer = with_retries(lambda: self.post(path, headers, data), self.settings, self.sleep)
        except DeliveryError as exc:
            return [Outcome(entry.reader.address, DeliveryStatus.PENDING, str(exc), stop=True) for entry in entries]
        return self.outcomes(entries, answer)

    def auth(self, key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {key}"}

    def post(self, path: str, headers: dict[str, str], data: bytes) -> Answer:
        """One POST; a 429, a 5xx or a network failure raises Retry, a redirect or an answer over
        ANSWER_CAP a DeliveryError, any other answer is returned."""
        try:
            response = post(self.base + path, data, headers, self.limits)
        except TooLarge as exc:
            raise DeliveryError(f"{self.name} at {self.shown}: {exc}; the answer was not read") from None
        except SourceFailed as exc:
            raise Retry(f"{self.name} at {self.shown} could not be reached ({exc}; delivery.api.timeout is "
                        f"{self.settings.timeout:g} s)") from None
        answer = Answer(response.status, dict(response.headers.items()), response.body)
        if answer.status in REDIRECTS:
            target = shown_url(answer.headers.get("Location", "") or "?")
            raise DeliveryError(f"{self.name} at {self.shown} answered {answer.status}, a redirect to {target}; digest does not "
                                "follow redirects with the API key: set delivery.api.url to the service's own address")
        if answer.status in RETRY_STATUSES:
            raise Retry(f"{self.name} answered {answer.status}: {answer.text()}", retry_after(answer.headers.get("Retry-After")))
        return answer


def api_headers(letter: Letter, entry: Outgoing, date: datetime) -> dict[str, str]:
    """The reader's own headers for an API (the service sets Date itself when it sends)."""
    headers = letter.headers(entry.reader, entry.token, date)
    del headers["Date"]
    return headers


def shown_url(url: str) -> str:
    """`url` as it may be printed: a user name and password in it become ***."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "(an invalid URL)"
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        port = ""
    return urlunsplit(parts._replace(netloc=f"***@{host}{port}"))

