"""Readers who asked never to be sent to again."""
from __future__ import annotations

from datetime import datetime

from digest.store.base import Base, reads


class Readers(Base):
    # opt-outs: a normalised address or a token, never sent to again

    def opt_out(self, key: str, now: datetime) -> bool:
        """Record an opt-out; False when it was already recorded."""
        with self.transaction() as db:
            return db.execute("INSERT OR IGNORE INTO opt_outs (key, created) VALUES (?, ?)", (key, now.isoformat())).rowcount == 1

    @reads
    def opt_outs(self) -> frozenset[str]:
        return frozenset(key for (key,) in self.db.execute("SELECT key FROM opt_outs"))
