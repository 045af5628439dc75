"""Who gets the newsletter: readers from `newsletter.to`, the subscribers file and `digest serve`,
less the suppressed; their tokens; and each reader's life on the list (the API `serve` and `bounce` call).

A reader's token is an HMAC of their normalised address under a secret from the environment: it
stands in for `{{subscriber}}` in the unsubscribe link, reveals nothing of the address, and stays the
same from one edition to the next, so a link in an old email still works. Opt-outs and every other
suppression are kept by ADDRESS, so a new secret never brings back a reader who left; a token is only
the way in, tried against the current secret and the previous ones.
"""
from __future__ import annotations

import base64
import csv
import hashlib
import hmac
import os
import re
import secrets
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from email.utils import parseaddr
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import BinaryIO

from digest.config import Config, ConfigError
from digest.errors import DigestError, UsageError
from digest.store import Store, Suppression

PLACEHOLDER = "{{subscriber}}"
NAME_CHARS = 200  # the longest name or source kept for a reader (cut there; the subscribe form refuses a longer name)
_DOUBLE_BRACE = re.compile(r"\{(?=\{|$)")  # a `{` that opens `{{`, or ends the text (where the next may start with one)
TOKEN_CHARS = 24  # base32 of 15 bytes: letters and digits only, safe in a URL and in quoted-printable

_ADDRESS = re.compile(r"^[^@\s<>,;:\"()\[\]\\]+@[A-Za-z0-9.-]+\.[A-Za-z0-9-]+$|^[^@\s<>,;:\"()\[\]\\]+@localhost$")
_TOKEN = re.compile(rf"[a-z2-7]{{{TOKEN_CHARS}}}")
# Line breaks, other controls, and the characters that reorder text (bidi embeddings, overrides,
# isolates and marks): a name shown in a greeting or a To must not turn the rest of the line around.
CONTROLS_AND_BIDI = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]")


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
        reader = Reader(normalise(address), _clean_name(name))
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
    """(email, name, where) for each row of the subscribers CSV, which needs an `email` column.

    One line is one row, read on its own: a stray opening quote spoils its own row, where the csv
    module would read on through the following rows and make their addresses one reader's name. A row
    that is not UTF-8, not CSV, or longer than MAX_ROW_BYTES is named with its line and skipped, and
    the rest are still read; only a header that cannot be read refuses the file.
    """
    if config.subscribers is None:
        return
    path = config.resolve(config.subscribers.path)
    try:
        with open(path, "rb") as handle:
            lines = _lines(handle)
            first = next(lines, (1, b""))[1]
            header = _header(first, path, config)
            at, name_at = header.index("email"), header.index("name") if "name" in header else None
            shown = str(path)
            for number, raw in lines:
                where = f"{shown}: line {number}"
                cells, problem = _row(raw)
                if problem:
                    on_bad(f"{where}: {problem}; skipped")
                    continue
                if not any(cell.strip() for cell in cells):
                    continue
                if len(cells) <= at:
                    on_bad(f"{where}: the row has no email column; skipped")
                    continue
                name = cells[name_at] if name_at is not None and name_at < len(cells) else ""
                if "@" in name:  # an address shown as a name: another reader's, or a lookalike of the sender
                    if normalise(name) != normalise(cells[at]):
                        on_bad(f"{where}: the name holds an @, as an address does; the reader is kept without a name")
                    name = ""
                yield cells[at], name, where
    except OSError as exc:
        raise ConfigError(config.file, "subscribers.path", f"{path} cannot be read ({exc.strerror or exc})", "fix the path") from None


MAX_ROW_BYTES = 16_384  # far past any subscriber's row (an address is at most 254 bytes), far below memory trouble


def _lines(handle: BinaryIO) -> Iterator[tuple[int, bytes | None]]:
    """(line number, the line without its end) for each line; None for a line over MAX_ROW_BYTES,
    which is passed over without being held in memory."""
    number = 0
    while line := handle.readline(MAX_ROW_BYTES + 1):
        number += 1
        if len(line) > MAX_ROW_BYTES and not line.endswith(b"\n"):
            while (rest := handle.readline(MAX_ROW_BYTES)) and not rest.endswith(b"\n"):
                pass
            yield number, None
            continue
        yield number, line.rstrip(b"\r\n")


def _row(raw: bytes | None) -> tuple[list[str], str | None]:
    """One line's cells, or why it is no row."""
    if raw is None:
        return [], f"the row is longer than {MAX_ROW_BYTES:,} bytes"
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return [], f"byte {exc.start + 1} is not UTF-8 (save the file as UTF-8)"
    if '"' not in text and "\r" not in text:
        return text.split(","), None  # what the csv module gives a line without quotes, at a tenth of its cost
    try:
        return next(csv.reader([text], strict=True), []), None
    except csv.Error as exc:
        if "unexpected end of data" in str(exc):
            return [], "a quote opens a field and does not close it on this line"
        return [], f"the row is not CSV ({exc})"


def _header(raw: bytes | None, path: Path, config: Config) -> list[str]:
    """The first line's column names, lower-cased; a header that cannot be read refuses the file."""
    cells, problem = _row(raw.removeprefix(b"\xef\xbb\xbf") if raw else raw)
    if problem:
        raise ConfigError(config.file, "subscribers.path", f"{path}: line 1 (the header): {problem}",
                          "save it as a UTF-8 CSV file that starts with a header line such as: email,name")
    header = [cell.strip().lower() for cell in cells]
    if "email" not in header:
        raise ConfigError(config.file, "subscribers.path", f"{path} has no `email` column in its first line",
                          "start the file with a header line such as: email,name")
    return header


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


def tag_key(config: Config) -> str:
    """The key of each reader's Message-ID tag (hex), so the tag confirms no guessed address: derived
    from the token secret when it is set (the same in every run, kept apart from the tokens' key),
    else random, made anew for each letter and kept with it in the store."""
    value = secret(config, required=False)
    if value is None:
        return os.urandom(32).hex()
    return hmac.new(value, b"digest: the key of readers' Message-ID tags", hashlib.sha256).hexdigest()


def is_token(text: str) -> bool:
    """Whether `text` has the shape `token` gives (the one `digest unsubscribe` takes besides an address)."""
    return _TOKEN.fullmatch(text) is not None


def reader_token(address: str, key: bytes | None) -> str | None:
    """The reader's token, or None when the email has no `{{subscriber}}` to fill (no secret asked for)."""
    return token(address, key) if key else None


class Reason(StrEnum):
    """Why an address gets nothing more."""

    UNSUBSCRIBED = "unsubscribed"  # the reader's own wish: an unsubscribe link, a one-click POST, a mail to the mailto
    HARD_BOUNCE = "hard-bounce"  # the mail system said the address does not exist (5.x.x)
    SOFT_BOUNCES = "soft-bounces"  # bounces.soft_limit temporary failures in a row (a full mailbox, an address gone quiet)
    COMPLAINT = "complaint"  # the reader marked the newsletter as spam
    BY_HAND = "by-hand"  # `digest readers suppress`


# Confirming a new subscription is consent again: it lifts the reader's own opt-out, but never what the
# mail system or a complaint said, nor the operator's decision (those take `digest readers restore`).
LIFTED_BY_CONFIRMING = frozenset({Reason.UNSUBSCRIBED})
# A suppression whose reason is the reader's own gives way to one that says the address is bad.
_STRONGER = frozenset({Reason.HARD_BOUNCE, Reason.SOFT_BOUNCES, Reason.COMPLAINT, Reason.BY_HAND})


class State(StrEnum):
    """Where a reader stands, as `digest readers` shows it."""

    ACTIVE = "active"
    PENDING = "pending"  # asked through `digest serve`, not confirmed yet
    SUPPRESSED = "suppressed"


@dataclass(frozen=True)
class ReaderState:
    """A reader as `digest readers` lists them: where they are listed and where they stand."""

    reader: Reader
    state: State
    listed: str  # newsletter.to, the subscribers file's path, `serve`, or "" (suppressed, listed nowhere now)
    suppression: Suppression | None = None


class ReaderError(UsageError):
    """An address that cannot be a reader's (the message says why)."""


def _checked(address: str) -> str:
    if problem := address_problem(address):
        raise ReaderError(problem)
    return normalise(address)


def clean_name(name: str) -> str:
    """A reader's name (or where a suppression came from) as it may be kept and shown: one line, no
    controls or reordering characters, spaces collapsed. The one rule for names, wherever they come from."""
    return " ".join(CONTROLS_AND_BIDI.sub(" ", name).split())


def _clean_name(name: str) -> str:
    """`clean_name`, cut to NAME_CHARS: with the To folded (render.mime), no name makes a line too long."""
    return clean_name(name)[:NAME_CHARS].rstrip()


def previous_secrets(config: Config) -> list[bytes]:
    """The earlier secrets from `newsletter.unsubscribe_previous_secrets_env`, separated by commas or new lines:
    while they are listed, the links made with them still unsubscribe."""
    value = os.environ.get(config.newsletter.unsubscribe_previous_secrets_env, "")
    return [part.strip().encode("utf-8") for part in re.split(r"[,\n]", value) if part.strip()]


def token_keys(config: Config) -> list[bytes]:
    """Every secret a token may have been made with: the current one first, then the previous ones."""
    current = secret(config, required=False)
    return list(dict.fromkeys([*([current] if current else []), *previous_secrets(config)]))


def _match_token(candidates: Iterable[str], wanted: Collection[str], keys: list[bytes]) -> Iterator[tuple[str, str]]:
    """(token, address) for each candidate address whose token under one of `keys` is among `wanted`."""
    if not wanted or not keys:
        return
    for address in candidates:
        for key in keys:
            made = token(address, key)
            if made in wanted:
                yield made, address


def _everyone(config: Config, store: Store) -> Iterator[str]:
    """Every address that may hold an unsubscribe link: listed now, asked to subscribe, or mailed before."""
    yield from (reader.address for reader in readers(config, lambda _problem: None))
    yield from (subscription.address for subscription in store.subscriptions())
    yield from store.delivered_addresses()
    yield from store.suppressions()


def find_reader(config: Config, store: Store, text: str) -> str | None:
    """The address an unsubscribe token belongs to (tried with the current secret and the previous ones),
    or None when it matches nobody.

    A web endpoint asks this for every one-click POST, so the store keeps an index of every token a
    reader may hold, remade only when what it was made from (the secrets, the lists, the store's readers)
    has changed since: a known token costs one look-up and an unknown one no more than that, however long the list.
    """
    wanted, keys = text.strip().lower(), token_keys(config)
    if not is_token(wanted) or not keys:
        return None
    secrets_in_use = [_key_id(key) for key in keys]
    found = store.token_address(wanted, secrets_in_use)
    if found is not None:
        return found
    signature = _index_signature(config, store, secrets_in_use)
    if store.token_index_signature() == signature:
        return None
    everyone = dict.fromkeys(_everyone(config, store))  # each address once, in order
    store.index_tokens(((token(address, key), address, key_id) for address in everyone for key, key_id in zip(keys, secrets_in_use, strict=True)),
                       secrets_in_use, signature)
    return store.token_address(wanted, secrets_in_use)


def _key_id(key: bytes) -> str:
    """A name for a secret that tells nothing of it: which secret a token in the index was made with."""
    return hashlib.sha256(b"digest unsubscribe secret\0" + key).hexdigest()[:16]


def _index_signature(config: Config, store: Store, secrets_in_use: list[str]) -> str:
    """What the token index is made from, cheaply: the secrets, newsletter.to, the subscribers file's
    size and time, and how many readers the store knows (subscriptions, deliveries, suppressions)."""
    parts = [*secrets_in_use, *config.newsletter.to, store.readers_mark()]
    if config.subscribers is not None:
        path = config.resolve(config.subscribers.path)
        try:
            stat = path.stat()
            parts += [str(path.resolve()), str(stat.st_mtime_ns), str(stat.st_size)]
        except OSError:
            parts.append(str(path))
    return hashlib.sha256("\0".join(parts).encode("utf-8", "replace")).hexdigest()


def suppress(store: Store, address: str, reason: Reason, source: str, now: datetime) -> bool:
    """Send `address` nothing more, for `reason`; `source` says where that came from (a command, a webhook,
    a bounce's file). True when it was not suppressed before. Raises ReaderError for a malformed address."""
    return store.suppress(_checked(address), Reason(reason), _clean_name(source), now, stronger=_STRONGER)


def restore(store: Store, address: str, now: datetime) -> bool:
    """Lift the address's suppression, whatever its reason (an operator's decision); True when there was one."""
    del now  # the moment is kept by what happens next: a new suppression or a delivery
    return store.unsuppress(_checked(address)) is not None


def suppress_by_hand(store: Store, address: str, reason: Reason, now: datetime) -> str:
    """`digest readers suppress ADDRESS`: record it; the line that says what was done. Raises
    ReaderError for a malformed address."""
    new = suppress(store, address, reason, "digest readers suppress", now)
    return f"{normalise(address)}: {'suppressed' if new else 'was already suppressed'}"


def restore_by_hand(store: Store, address: str, now: datetime) -> str:
    """`digest readers restore ADDRESS`: lift its suppression; the line that says what was done."""
    lifted = restore(store, address, now)
    return f"{normalise(address)}: {'restored' if lifted else 'was not suppressed'}"


def soft_bounce(config: Config, store: Store, address: str, source: str, now: datetime) -> bool:
    """Count a temporary failure; True when it is the `bounces.soft_limit`th in a row and the address is now suppressed."""
    address = _checked(address)
    if store.record_soft_bounce(address, _clean_name(source), now) < config.bounces.soft_limit:
        return False
    return store.suppress(address, Reason.SOFT_BOUNCES, _clean_name(source), now, stronger=_STRONGER)


def unsubscribe(config: Config, store: Store, token_or_address: str, source: str, now: datetime) -> str | None:
    """Record a reader's opt-out by their token or their address; the address, or None when the token
    matches no reader (then nothing is recorded). Raises ReaderError for a malformed address."""
    address = _checked(token_or_address) if "@" in token_or_address else find_reader(config, store, token_or_address)
    if address is not None:
        store.suppress(address, Reason.UNSUBSCRIBED, _clean_name(source), now)
    return address


def who_problem(who: str) -> str | None:
    """What is wrong with `digest unsubscribe WHO`, before any file is read: an address must be one,
    anything else must have a token's shape."""
    if "@" in who:
        return address_problem(who)
    if not is_token(who.strip().lower()):
        return f"'{who}' is neither an email address nor an unsubscribe token ({TOKEN_CHARS} letters and digits)"
    return None


def unsubscribe_by_hand(config: Config, store: Store, who: str, now: datetime) -> str:
    """`digest unsubscribe WHO` (checked with who_problem): record the opt-out; the line that says what
    was done. Raises DigestError when a token matches no reader (nothing is recorded)."""
    before = store.suppression(normalise(who)) if "@" in who else None
    address = unsubscribe(config, store, who, "digest unsubscribe", now)
    if address is None:
        tried = (f"tried the current secret and {config.newsletter.unsubscribe_previous_secrets_env}" if token_keys(config) else
                 f"{config.newsletter.unsubscribe_secret_env} is not set, so no token can be matched")
        raise DigestError(f"the token {who.strip()} matches no reader ({tried}); nothing recorded")
    return f"{address}: {'was already suppressed (' + before.reason + ')' if before else 'unsubscribed'}"


def _confirm_hash(confirm_token: str) -> str:
    """What the store keeps of a confirmation link: enough to check one, not enough to make one."""
    return hashlib.sha256(confirm_token.encode("utf-8", "replace")).hexdigest()


def request_subscription(config: Config, store: Store, address: str, name: str, now: datetime) -> str | None:
    """Ask for a new reader: the confirmation token to email them, or None when no email should go
    (already a reader, or suppressed by a bounce, a complaint or by hand). The caller answers the same
    either way, so the form tells nobody who is on the list. Raises ReaderError for a malformed address."""
    address = _checked(address)
    suppression = store.suppression(address)
    if suppression is not None and suppression.reason not in LIFTED_BY_CONFIRMING:
        return None
    if suppression is None and _is_listed(config, store, address):
        return None
    made = secrets.token_urlsafe(24)
    store.request_subscription(address, _clean_name(name), _confirm_hash(made), now, now + timedelta(days=config.serve.confirm_days))
    return made


def confirm_subscription(config: Config, store: Store, confirm_token: str, now: datetime) -> Reader | None:
    """Confirm the subscription a link's token names: the new reader (of the next edition), or None when the
    token is unknown, used or expired. Lifts the reader's own earlier opt-out, nothing stronger."""
    del config  # the expiry was fixed when the link was made
    if len(confirm_token) > 100:
        return None
    found = store.confirm_subscription(_confirm_hash(confirm_token), now, lift=LIFTED_BY_CONFIRMING)
    return Reader(*found) if found else None


class Configured:
    """The addresses `newsletter.to` and the subscribers file list (normalised), read when first asked
    about and then kept: a run that asks about many addresses (a mailbox of bounces) reads the file once."""

    def __init__(self, config: Config) -> None:
        self.config = config

    @cached_property
    def addresses(self) -> frozenset[str]:
        return frozenset(reader.address for reader in readers(self.config, lambda _problem: None))

    def __contains__(self, address: object) -> bool:
        return address in self.addresses


def is_reader(config: Config, store: Store, address: str, configured: Configured | None = None) -> bool:
    """Whether `address` (normalised) is or was on the list: listed now, asked to subscribe, mailed an
    edition, or suppressed. A bounce or complaint about anyone else records nothing. `configured`: the
    config's list as read once for many questions; else it is read for this one."""
    return (store.subscription(address) is not None or store.suppression(address) is not None or store.was_mailed(address)
            or address in (configured or Configured(config)))


def _is_listed(config: Config, store: Store, address: str) -> bool:
    subscription = store.subscription(address)
    return (subscription is not None and subscription.status == "confirmed") or address in Configured(config)


def _listed(config: Config, store: Store, on_bad: Callable[[str], None]) -> Iterator[tuple[Reader, str]]:
    """Every listed reader once, with where: `newsletter.to`, then the subscribers file, then those who
    confirmed through `digest serve`. Holds in memory only the confirmed subscribers' addresses."""
    confirmed = {s.address: s for s in store.subscriptions("confirmed")}
    to = {reader.address for reader in readers(replace(config, subscribers=None), lambda _problem: None)}
    where = str(config.subscribers.path) if config.subscribers else ""
    for reader in readers(config, on_bad):
        confirmed.pop(reader.address, None)
        yield reader, "newsletter.to" if reader.address in to else where
    for subscription in confirmed.values():
        yield Reader(subscription.address, subscription.name), "serve"


class Exclusions:
    """The one rule for who is left out: a suppressed address, or a reader whose token an older digest
    recorded as an opt-out (under the current or a previous secret)."""

    def __init__(self, config: Config, store: Store) -> None:
        self.suppressed = store.suppressions()
        self.tokens = store.token_opt_outs()
        self.keys = token_keys(config) if self.tokens else []

    def __call__(self, address: str) -> Suppression | None:
        found = self.suppressed.get(address)
        if found is None and (match := next(_match_token([address], self.tokens, self.keys), None)):
            return Suppression(address, Reason.UNSUBSCRIBED, "an opt-out recorded by token", self.tokens[match[0]])
        return found


def recipients(config: Config, store: Store, on_bad: Callable[[str], None]) -> Iterator[Reader]:
    """Who gets this edition: the readers of `newsletter.to`, the subscribers file and `digest serve`,
    each once, less every suppressed address. `send`, its dry run, `build --format jsonl` and `status` ask here."""
    excluded = Exclusions(config, store)
    return (reader for reader, _where in _listed(config, store, on_bad) if excluded(reader.address) is None)


def reader_states(config: Config, store: Store, on_bad: Callable[[str], None]) -> Iterator[ReaderState]:
    """Every reader and where they stand: the listed (active or suppressed), then those waiting to confirm,
    then the suppressed addresses listed nowhere now (kept, so they are never mailed again)."""
    excluded = Exclusions(config, store)
    seen: set[str] = set()
    for reader, where in _listed(config, store, on_bad):
        seen.add(reader.address)
        suppression = excluded(reader.address)
        yield ReaderState(reader, State.SUPPRESSED if suppression else State.ACTIVE, where, suppression)
    for subscription in store.subscriptions("pending"):
        if subscription.address not in seen:
            seen.add(subscription.address)
            suppression = excluded(subscription.address)
            yield ReaderState(Reader(subscription.address, subscription.name), State.SUPPRESSED if suppression else State.PENDING,
                              "serve", suppression)
    for address, suppression in excluded.suppressed.items():
        if address not in seen:
            yield ReaderState(Reader(address), State.SUPPRESSED, "", suppression)


def settle_token_opt_outs(config: Config, store: Store, now: datetime) -> int:
    """Match the opt-outs an older digest recorded by token to today's readers and keep them by address;
    the number that still match nobody (kept as they are, and reported by `digest status`)."""
    wanted = store.token_opt_outs()
    if not wanted:
        return 0
    matched = dict(_match_token(_everyone(config, store), wanted, token_keys(config)))
    if matched:
        store.settle_token_opt_outs(matched, "an opt-out recorded by token before suppressions", now)
    return len(wanted) - len(matched)
