"""Who gets the newsletter: readers from `newsletter.to` and the subscribers file, and their tokens.

A reader's token is an HMAC of their normalised address under a secret from the environment: it
stands in for `{{subscriber}}` in the unsubscribe link, reveals nothing of the address, and stays the
same from one edition to the next, so a link in an old email still works.
"""
from __future__ import annotations

import base64
import csv
import hashlib
import hmac
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.utils import parseaddr

from digest.config import Config, ConfigError

PLACEHOLDER = "{{subscriber}}"
_DOUBLE_BRACE = re.compile(r"\{(?=\{|$)")  # a `{` that opens `{{`, or ends the text (where the next may start with one)
TOKEN_CHARS = 24  # base32 of 15 bytes: letters and digits only, safe in a URL and in quoted-printable

_ADDRESS = re.compile(r"^[^@\s<>,;:\"()\[\]\\]+@[A-Za-z0-9.-]+\.[A-Za-z0-9-]+$|^[^@\s<>,;:\"()\[\]\\]+@localhost$")
_TOKEN = re.compile(rf"[a-z2-7]{{{TOKEN_CHARS}}}")
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


@dataclass(frozen=True)
class Reader:
    address: str  # normalised: what the store, the token and the opt-outs are keyed by
    name: str = ""


def inert(text: str) -> str:
    """Text that cannot hold, or help make, the placeholder: a word joiner (U+2060, invisible) splits each `{{`.

    The per-reader fill is textual, here and in an email service's substitutions (SendGrid fills
    `{{subscriber}}` wherever the content has it), so text an item wrote must never spell it, or a
    story's title would carry each reader's token to its author. Every line of item text reaches the
    email through `render.view.clean_line`, which calls this; item links get the same from
    `render.links.inert_url`. Slots the operator owns (the unsubscribe URL, the footer, templates)
    never pass through either, so only they are filled.
    """
    return _DOUBLE_BRACE.sub("{\u2060", text)


def normalise(address: str) -> str:
    """One spelling per mailbox: trimmed and lower-cased (providers treat the local part alike)."""
    return address.strip().lower()


def address_problem(address: str) -> str | None:
    """Why `address` cannot be a reader's, or None. Refuses anything that could add a header or a recipient."""
    if not address.strip():
        return "the email address is empty"
    if not address.isascii():
        return f"'{address}' has non-ASCII characters, which plain SMTP cannot carry"
    if not _ADDRESS.match(address.strip()):
        return f"'{address}' is not an email address like name@example.com"
    return None


def readers(config: Config, on_bad: Callable[[str], None]) -> Iterator[Reader]:
    """Every reader once, in order: `newsletter.to`, then the subscribers file. A bad entry is passed
    to `on_bad` with where it is and why, and the rest are still read. Streams the file."""
    seen: set[str] = set()

    def one(address: str, name: str, where: str) -> Reader | None:
        problem = address_problem(address)
        if problem:
            on_bad(f"{where}: {problem}; skipped")
            return None
        reader = Reader(normalise(address), " ".join(_CONTROLS.sub(" ", name).split()))
        if reader.address in seen:
            return None
        seen.add(reader.address)
        return reader

    for index, entry in enumerate(config.newsletter.to):
        name, address = parseaddr(entry) if "<" in entry else ("", entry)  # "Ann <ann@example.org>" or a bare address
        found = one(address, name, f"{config.file}: newsletter.to[{index}]")
        if found:
            yield found
    for address, name, where in subscriber_rows(config, on_bad):
        found = one(address, name, where)
        if found:
            yield found


def subscriber_rows(config: Config, on_bad: Callable[[str], None]) -> Iterator[tuple[str, str, str]]:
    """(email, name, where) for each row of the subscribers CSV, which needs an `email` column."""
    if config.subscribers is None:
        return
    path = config.resolve(config.subscribers.path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            rows = csv.reader(handle)
            header = [cell.strip().lower() for cell in next(rows, [])]
            if "email" not in header:
                raise ConfigError(config.file, "subscribers.path", f"{path} has no `email` column in its first line",
                                  "start the file with a header line such as: email,name")
            at, name_at = header.index("email"), header.index("name") if "name" in header else None
            for row in rows:
                where = f"{path}: line {rows.line_num}"
                if not any(cell.strip() for cell in row):
                    continue
                if len(row) <= at:
                    on_bad(f"{where}: the row has no email column; skipped")
                    continue
                yield row[at], row[name_at] if name_at is not None and name_at < len(row) else "", where
    except OSError as exc:
        raise ConfigError(config.file, "subscribers.path", f"{path} cannot be read ({exc.strerror or exc})", "fix the path") from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise ConfigError(config.file, "subscribers.path", f"{path} is not a UTF-8 CSV file ({exc})", "save it as UTF-8 CSV") from None


def secret(config: Config, *, required: bool = True) -> bytes | None:
    """The token secret from the environment. Missing: a config error naming the variable when
    `required` (the email has a `{{subscriber}}` to fill), else None."""
    name = config.newsletter.unsubscribe_secret_env
    value = os.environ.get(name, "")
    if not value and not required:
        return None
    if not value:
        raise ConfigError(config.file, "newsletter.unsubscribe_secret_env",
                          f"the email uses {PLACEHOLDER} but the environment variable {name} is not set or empty",
                          f"set {name} to a long random secret (e.g. `export {name}=$(openssl rand -hex 32)`) and keep it")
    return value.encode("utf-8")


def token(address: str, key: bytes) -> str:
    """The reader's unsubscribe token: stable for an address and a secret, and no way back to the address."""
    digest = hmac.new(key, normalise(address).encode("utf-8"), hashlib.sha256).digest()
    return base64.b32encode(digest[:15]).decode("ascii").lower()


def is_token(text: str) -> bool:
    """Whether `text` has the shape `token` gives (the one `digest unsubscribe` takes besides an address)."""
    return _TOKEN.fullmatch(text) is not None


def reader_token(address: str, key: bytes | None) -> str | None:
    """The reader's token, or None when the email has no `{{subscriber}}` to fill (no secret asked for)."""
    return token(address, key) if key else None


def opted_out(address: str, reader_token: str | None, opted: frozenset[str]) -> bool:
    """The one opt-out rule: the store holds a reader's address or their token (as `digest unsubscribe` took it)."""
    return address in opted or (reader_token is not None and reader_token in opted)
