"""The email services' HTTP APIs (Postmark, SendGrid): the shared base of one service per module.

A service turns each reader into their part of a request (the letter rendered once, each reader's
address, token and headers filled in), the parts into batches within the service's documented count
and size limits, and reads each reader's outcome from the answer. The base owns what they share: the
credential (only from the environment), the split by bytes, and the call, made through the project's
own HTTP rules (`digest.sources.http.post`: one deadline for the whole exchange, a cap on the answer's
size, no redirect followed, so the key never goes to another origin) inside the one retry loop.

What a batch's fate is, whatever the service: not reached, or refused before it was sent whole, or
rate-limited (429): tried again (not taken). Sent whole and then no answer, a 5xx, or an answer cut
off: uncertain, never tried again unasked. A 2xx: accepted, whatever its body looks like (huge, odd,
nested, cut off at the cap); the service's own results are read from it where they can be.
"""
from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from digest.config import Config, FetchConfig
from digest.delivery.base import DeliveryError, Outcome, Outgoing, Sender, failed_status
from digest.delivery.retry import Retry, retry_after, with_retries
from digest.logs import log
from digest.render.mime import Letter
from digest.sources.failure import SourceFailed
from digest.sources.http import REDIRECTS, Unanswered, post
from digest.store import DeliveryStatus

ANSWER_CAP = 1_000_000  # bytes of a service's answer read at most; a 500-message batch answers in about 100 kB


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    unread: str = ""  # why the body could not be read (cut off at the cap, dropped): a 2xx is still accepted

    def json(self) -> Any:
        """The answer's JSON, or None when it is not JSON or nests deeper than the parser goes."""
        try:
            return json.loads(self.body or b"null")
        except (ValueError, RecursionError):
            return None

    def text(self) -> str:
        return self.body[:300].decode("utf-8", "replace")


def encoded(body: Any) -> bytes:
    """A request body as it is sent: JSON in UTF-8."""
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


class HttpService(Sender):
    """The shared base. A service sets `name`, `batch`, `max_bytes`, `url`, `key_env` and writes `part`,
    `request` and `outcomes`."""

    name = ""
    batch = 1  # readers in one call at most, as the service documents
    max_bytes = 10_000_000  # bytes of one call's body at most, as the service documents
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

    def part(self, letter: Letter, entry: Outgoing, date: datetime) -> Any:
        """One reader's part of a request (JSON)."""
        raise NotImplementedError

    def request(self, letter: Letter, parts: list[Any]) -> tuple[str, dict[str, str], Any]:
        """(path, headers, JSON body) of one call carrying these readers' parts."""
        raise NotImplementedError

    def outcomes(self, entries: list[Outgoing], answer: Answer) -> list[Outcome]:
        """Each reader's outcome from the service's answer to their batch."""
        raise NotImplementedError

    def send(self, letter: Letter, entries: list[Outgoing], date: datetime) -> list[Outcome]:
        """The readers in calls within `max_bytes`; once one call stops the list, the rest are not handed over."""
        parts = [self.part(letter, entry, date) for entry in entries]
        outcomes: list[Outcome] = []
        for start, end in self.splits(letter, parts):
            stop = next((outcome for outcome in outcomes if outcome.stop), None)
            if stop:
                outcomes += [Outcome(entry.reader.address, DeliveryStatus.PENDING, f"not handed over: {stop.said}", stop=True)
                             for entry in entries[start:end]]
                continue
            if end - start < len(entries):
                log.info(f"{self.name}: readers {start + 1} to {end} of a batch of {len(entries)} go in one call"
                         f" (a call carries at most {self.max_bytes:,} bytes)")
            outcomes += self.call(letter, entries[start:end], parts[start:end])
        return outcomes

    def splits(self, letter: Letter, parts: list[Any]) -> Iterator[tuple[int, int]]:
        """(start, end) of each run of parts whose request stays within `max_bytes` (a part too big
        alone goes alone, for the service to refuse)."""
        fixed = len(encoded(self.request(letter, [])[2]))
        start, size = 0, fixed
        for index, part in enumerate(parts):
            grown = len(encoded(part)) + 2  # its bytes and a separator
            if index > start and size + grown > self.max_bytes:
                yield start, index
                start, size = index, fixed
            size += grown
        if parts:
            yield start, len(parts)

    def call(self, letter: Letter, entries: list[Outgoing], parts: list[Any]) -> list[Outcome]:
        try:
            key = self.credential()
            path, headers, body = self.request(letter, parts)
            headers = {**self.auth(key), "Content-Type": "application/json", "Accept": "application/json", **headers}
            data = encoded(body)
            answer = with_retries(lambda: self.post(path, headers, data), self.settings, self.sleep)
        except DeliveryError as exc:
            return [Outcome(entry.reader.address, failed_status(exc), str(exc), stop=True) for entry in entries]
        return self.outcomes(entries, answer)

    def auth(self, key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {key}"}

    def post(self, path: str, headers: dict[str, str], data: bytes) -> Answer:
        """One POST. Not reached, not sent whole, or a 429: Retry. A redirect: a DeliveryError (not
        taken). Sent whole and then no answer, a cut-off one or a 5xx: an uncertain DeliveryError.
        Any other answer (a 2xx whatever its body) is returned."""
        try:
            response = post(self.base + path, data, headers, self.limits)
        except Unanswered as exc:
            if exc.status is not None and 200 <= exc.status < 300:
                return Answer(exc.status, {}, b"", unread=f"its answer could not be read ({exc})")
            raise DeliveryError(f"{self.name} at {self.shown} was sent the whole batch but no answer came back ({exc};"
                                f" delivery.api.timeout is {self.settings.timeout:g} s); it may have taken it", uncertain=True) from None
        except SourceFailed as exc:
            raise Retry(f"{self.name} at {self.shown} could not be reached ({exc}; delivery.api.timeout is "
                        f"{self.settings.timeout:g} s)") from None
        answer = Answer(response.status, dict(response.headers.items()), response.body)
        if answer.status in REDIRECTS:
            target = shown_url(answer.headers.get("Location", "") or "?")
            raise DeliveryError(f"{self.name} at {self.shown} answered {answer.status}, a redirect to {target}; digest does not "
                                "follow redirects with the API key: set delivery.api.url to the service's own address")
        if answer.status == 429:  # rate-limited: refused before anything was accepted
            raise Retry(f"{self.name} answered 429 (too many requests): {answer.text()}", retry_after(answer.headers.get("Retry-After")))
        if answer.status >= 500:
            raise DeliveryError(f"{self.name} answered {answer.status} after the whole batch was sent: {answer.text()}; it may have"
                                " taken it", uncertain=True)
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

