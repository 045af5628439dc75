"""The SQLite store, in one file: items seen, the summary cache, fetch state, editions, each reader's
delivery, suppressions and subscriptions, public pages and the run log.

One module per concern, each a mixin over one connection (`base.Base`) and one migration list
(`schema.MIGRATIONS`): `Store` is all of them together.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from digest.store.base import StoreBusy, StoreError
from digest.store.cache import CLUSTERS_KEPT, Cache, FetchState
from digest.store.deliveries import Deliveries, Delivery, DeliveryStatus
from digest.store.desk import Approval, Desk
from digest.store.editions import EditionRecord, Editions, EditionStatus
from digest.store.pages import PageRecord, Pages
from digest.store.readers import Readers, Subscription, Suppression
from digest.store.runs import RunRecord, Runs
from digest.store.schema import MIGRATIONS
from digest.store.sent import CorrectionRecord, SentText, SentTexts

if TYPE_CHECKING:
    from digest.config import Config


class Store(Editions, Deliveries, Readers, Pages, Cache, Runs, Desk, SentTexts):
    """One SQLite file; every write is one transaction."""

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_store(config: Config) -> Store:
    """The store the config names: `store.path` (relative to the config file), waiting up to
    `store.wait` seconds for another process's write. The commands, `digest serve` and bounce intake
    all open it here."""
    return Store(config.resolve(config.store.path), timeout=config.store.wait)


__all__ = [
    "CLUSTERS_KEPT", "Approval", "CorrectionRecord", "MIGRATIONS", "Delivery", "DeliveryStatus", "EditionRecord", "EditionStatus", "FetchState",
    "PageRecord", "RunRecord", "SentText", "Store", "StoreBusy", "StoreError", "Subscription", "Suppression", "open_store",
]
