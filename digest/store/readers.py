"""Readers: suppressions by address, opt-outs still known only by token, soft bounces, subscriptions."""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from digest.store.base import Base, reads

_SUBSCRIPTION_COLUMNS = "address, name, status, requested, expires, confirmed"


@dataclass(frozen=True)
class Suppression:
    """Why an address gets nothing more: the reason (digest.readers.Reason), when, and where it came from."""

    address: str
    reason: str
    source: str
    since: datetime


@dataclass(frozen=True)
class Subscription:
    """A reader who asked through `digest serve`: pending until they confirm, then a reader."""

    address: str
    name: str
    status: str  # pending | confirmed
    requested: datetime
    expires: datetime | None
    confirmed: datetime | None


def _stamp(moment: datetime) -> str:
    """One spelling of a moment (UTC, ISO 8601), so stored moments compare as text."""
    return moment.astimezone(UTC).isoformat()


def _suppression(row: tuple) -> Suppression:
    return Suppression(row[0], row[1], row[2], datetime.fromisoformat(row[3]))


def _subscription(row: tuple) -> Subscription:
    address, name, status, requested, expires, confirmed = row
    return Subscription(address, name, status, datetime.fromisoformat(requested), datetime.fromisoformat(expires) if expires else None,
                        datetime.fromisoformat(confirmed) if confirmed else None)



class Readers(Base):
    # readers: suppressions by address, opt-outs still known only by token, soft bounces, subscriptions

    def suppress(self, address: str, reason: str, source: str, now: datetime, *, stronger: Iterable[str] = ()) -> bool:
        """Record that `address` (normalised) gets nothing more; True when it was not suppressed before.
        An existing suppression keeps its reason unless it is replaced by one of `stronger`."""
        with self.transaction() as db:
            row = db.execute("SELECT reason FROM suppressions WHERE address = ?", (address,)).fetchone()
            if row is None or (row[0] != reason and reason in set(stronger)):
                db.execute("INSERT OR REPLACE INTO suppressions (address, reason, source, created) VALUES (?, ?, ?, ?)",
                           (address, reason, source, _stamp(now)))
            return row is None

    def unsuppress(self, address: str, *, reasons: Iterable[str] | None = None) -> str | None:
        """Lift the address's suppression (only if its reason is among `reasons`, when given) and forget its
        soft bounces; the reason lifted, or None."""
        with self.transaction() as db:
            row = db.execute("SELECT reason FROM suppressions WHERE address = ?", (address,)).fetchone()
            if row is None or (reasons is not None and row[0] not in set(reasons)):
                return None
            db.execute("DELETE FROM suppressions WHERE address = ?", (address,))
            db.execute("DELETE FROM soft_bounces WHERE address = ?", (address,))
            return row[0]

    @reads
    def suppression(self, address: str) -> Suppression | None:
        row = self.db.execute("SELECT address, reason, source, created FROM suppressions WHERE address = ?", (address,)).fetchone()
        return _suppression(row) if row else None

    @reads
    def suppressions(self) -> dict[str, Suppression]:
        """Every suppression by address, in the order they were recorded."""
        rows = self.db.execute("SELECT address, reason, source, created FROM suppressions ORDER BY created, address")
        return {row[0]: _suppression(row) for row in rows}

    @reads
    def token_opt_outs(self) -> dict[str, datetime]:
        """Opt-outs an older digest recorded by token, not yet matched to a reader's address: {token: when}."""
        return {key: datetime.fromisoformat(created) for key, created in self.db.execute("SELECT key, created FROM opt_outs")}

    def settle_token_opt_outs(self, matched: dict[str, str], source: str, now: datetime) -> None:
        """Turn token opt-outs into suppressions of the addresses they were found to belong to ({token: address})."""
        with self.transaction() as db:
            for key, address in matched.items():
                created = db.execute("SELECT created FROM opt_outs WHERE key = ?", (key,)).fetchone()
                db.execute("INSERT OR IGNORE INTO suppressions (address, reason, source, created) VALUES (?, 'unsubscribed', ?, ?)",
                           (address, source, created[0] if created else _stamp(now)))
                db.execute("DELETE FROM opt_outs WHERE key = ?", (key,))

    def record_soft_bounce(self, address: str, source: str, now: datetime) -> int:
        """Count a soft bounce and return the count in a row. An edition delivered between two bounces
        breaks the row: bounces come after the edition they are about, so two or more editions accepted
        for the address since its last bounce mean one of them arrived, and the count starts again."""
        with self.transaction() as db:
            row = db.execute("SELECT count, last FROM soft_bounces WHERE address = ?", (address,)).fetchone()
            count = 1
            if row is not None:
                delivered = db.execute("SELECT COUNT(*) FROM deliveries WHERE address = ? AND status = 'sent' AND sent > ?",
                                       (address, row[1])).fetchone()[0]
                count = 1 if delivered >= 2 else row[0] + 1
            db.execute("INSERT OR REPLACE INTO soft_bounces (address, count, last, source) VALUES (?, ?, ?, ?)",
                       (address, count, _stamp(now), source))
            return count

    @reads
    def soft_bounces(self, address: str) -> int:
        row = self.db.execute("SELECT count FROM soft_bounces WHERE address = ?", (address,)).fetchone()
        return row[0] if row else 0

    def request_subscription(self, address: str, name: str, token_hash: str, now: datetime, expires: datetime) -> None:
        """Keep a pending subscription; a new request replaces an earlier pending one (and its link)."""
        with self.transaction() as db:
            db.execute("INSERT INTO subscriptions (address, name, status, token, requested, expires) VALUES (?, ?, 'pending', ?, ?, ?)"
                       " ON CONFLICT (address) DO UPDATE SET name = excluded.name, status = 'pending', token = excluded.token,"
                       " requested = excluded.requested, expires = excluded.expires, confirmed = NULL",
                       (address, name, token_hash, _stamp(now), _stamp(expires)))

    def confirm_subscription(self, token_hash: str, now: datetime, *, lift: Iterable[str]) -> tuple[str, str] | None:
        """Confirm the pending subscription whose link carries `token_hash`, unless it expired; lift a suppression
        whose reason is in `lift` (confirming is consent again). (address, name), or None. A link works once."""
        with self.transaction() as db:
            row = db.execute("SELECT address, name FROM subscriptions WHERE token = ? AND status = 'pending' AND expires > ?",
                             (token_hash, _stamp(now))).fetchone()
            if row is None:
                return None
            address = row[0]
            suppressed = db.execute("SELECT reason FROM suppressions WHERE address = ?", (address,)).fetchone()
            if suppressed and suppressed[0] not in set(lift):
                return None
            db.execute("UPDATE subscriptions SET status = 'confirmed', token = NULL, expires = NULL, confirmed = ? WHERE address = ?",
                       (_stamp(now), address))
            db.execute("DELETE FROM suppressions WHERE address = ?", (address,))
            return row[0], row[1]

    @reads
    def subscription(self, address: str) -> Subscription | None:
        row = self.db.execute(f"SELECT {_SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE address = ?", (address,)).fetchone()
        return _subscription(row) if row else None

    def subscriptions(self, status: str | None = None) -> Iterator[Subscription]:
        """Subscriptions (or those with `status`) in the order they were asked for, read in chunks."""
        where, args = ("AND status = ?", (status,)) if status else ("", ())
        return map(_subscription, self._paged("subscriptions", _SUBSCRIPTION_COLUMNS, where, args))

    @reads
    def token_address(self, token: str, secrets: list[str]) -> str | None:
        """The address whose token, made with one of `secrets` (their ids), is `token`."""
        marks = ",".join("?" * len(secrets))
        row = self.db.execute(f"SELECT address FROM reader_tokens WHERE token = ? AND secret IN ({marks})", (token, *secrets)).fetchone()
        return row[0] if row else None

    @reads
    def token_index_signature(self) -> str | None:
        row = self.db.execute("SELECT signature FROM token_index WHERE id = 1").fetchone()
        return row[0] if row else None

    def index_tokens(self, tokens: Iterable[tuple[str, str, str]], secrets: list[str], signature: str) -> None:
        """Keep (token, address, secret id) for every reader, forget tokens of secrets no longer in use, and
        remember what the index was made from."""
        with self.transaction() as db:
            marks = ",".join("?" * len(secrets))
            db.execute(f"DELETE FROM reader_tokens WHERE secret NOT IN ({marks})", secrets)
            db.executemany("INSERT OR IGNORE INTO reader_tokens (token, address, secret) VALUES (?, ?, ?)", tokens)
            db.execute("INSERT OR REPLACE INTO token_index (id, signature) VALUES (1, ?)", (signature,))

    @reads
    def readers_mark(self) -> str:
        """Changes whenever the store learns of a reader (a subscription, a delivery, a suppression)."""
        return ":".join(str(value) for value in self.db.execute(
            "SELECT (SELECT COUNT(*) FROM subscriptions), (SELECT IFNULL(MAX(rowid), 0) FROM subscriptions),"
            " (SELECT IFNULL(MAX(rowid), 0) FROM deliveries), (SELECT COUNT(*) FROM suppressions)").fetchone())

    @reads
    def delivered_addresses(self) -> list[str]:
        """Every address an edition was ever addressed to: who may hold an unsubscribe link."""
        return [address for (address,) in self.db.execute("SELECT DISTINCT address FROM deliveries")]
