"""What was sent of each item (its headline and sentences), and the corrections carried since.

A story that moves on is told by comparing what a source says now with what the readers were sent
(digest.developing); a correction is carried once, by the first edition sent after it, and named
on the page of the edition it corrects (digest.archive.site).
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from digest.model import Correction
from digest.store.base import Base, reads


@dataclass(frozen=True)
class SentText:
    """One item as an edition sent it."""

    edition: date
    title: str
    sentences: tuple[str, ...]


@dataclass(frozen=True)
class CorrectionRecord:
    """A correction, the edition that carried it and when that edition was sent."""

    correction: Correction
    carried_by: date
    sent: datetime | None


class SentTexts(Base):
    def keep_sent(self, day: date, sent: Iterable[tuple[str, str, list[str]]]) -> None:
        """Keep (item id, headline, sentences) of each item the edition of `day` holds; a --force copy replaces them."""
        with self.transaction() as db:
            db.execute("DELETE FROM sent_texts WHERE edition = ?", (day.isoformat(),))
            db.executemany("INSERT OR REPLACE INTO sent_texts (item, edition, title, sentences) VALUES (?, ?, ?, ?)",
                           ((item, day.isoformat(), title, json.dumps(sentences, ensure_ascii=False)) for item, title, sentences in sent))

    @reads
    def last_sent(self, item_ids: Iterable[str], before: date) -> dict[str, SentText]:
        """Each of these items as the last edition before `before` that sent it; items never sent are absent."""
        rows = self._rows_in("SELECT item, edition, title, sentences FROM sent_texts WHERE edition < ? AND item IN ({marks})"
                             " ORDER BY edition", sorted(set(item_ids)), before.isoformat())
        return {item: SentText(date.fromisoformat(day), title, tuple(json.loads(sentences))) for item, day, title, sentences in rows}

    def keep_corrections(self, day: date, corrections: Iterable[Correction]) -> None:
        """Keep the corrections the edition of `day` carries; a --force copy replaces its own."""
        with self.transaction() as db:
            db.execute("DELETE FROM corrections WHERE carried_by = ?", (day.isoformat(),))
            db.executemany(
                "INSERT OR IGNORE INTO corrections (item, key, corrects, carried_by, title, url, text) VALUES (?, ?, ?, ?, ?, ?, ?)",
                ((c.item, c.key, c.corrects.isoformat(), day.isoformat(), c.title, c.url, c.text) for c in corrections))

    @reads
    def corrections_carried(self, before: date) -> frozenset[tuple[str, str]]:
        """(item, key) of every correction an edition before `before` carried: those are not carried again."""
        rows = self.db.execute("SELECT item, key FROM corrections WHERE carried_by < ?", (before.isoformat(),))
        return frozenset((item, key) for item, key in rows)

    @reads
    def published_corrections(self) -> list[CorrectionRecord]:
        """The corrections carried by editions sent, by the edition they correct, then the one that carried them."""
        rows = self.db.execute(
            "SELECT c.item, c.key, c.corrects, c.carried_by, c.title, c.url, c.text, e.sent FROM corrections c"
            " JOIN editions e ON e.date = c.carried_by WHERE e.status = 'sent' ORDER BY c.corrects, c.carried_by, c.item")
        return [CorrectionRecord(Correction(item, key, date.fromisoformat(corrects), title, url, text), date.fromisoformat(carried),
                                 datetime.fromisoformat(sent) if sent else None)
                for item, key, corrects, carried, title, url, text, sent in rows]
