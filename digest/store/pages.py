"""Each sent edition's public page, for the web archive (rebuilt from here, byte for byte)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from digest.store.base import Base, reads


@dataclass
class PageRecord:
    """An edition's public page: its HTML without anything about one reader, and what the index shows."""

    date: date
    subject: str
    description: str  # the preheader: the top stories' headlines
    headline: str  # the top story's
    issue: int | None  # the number the email shows, if it shows one
    html: str
    sent: datetime | None = None  # when it was sent, filled by `Store.published_pages`


class Pages(Base):
    def put_page(self, page: PageRecord) -> None:
        """Keep the page of an edition about to be recorded; a --force copy replaces the earlier one."""
        with self.transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO pages (date, subject, description, headline, issue, html) VALUES (?, ?, ?, ?, ?, ?)",
                (page.date.isoformat(), page.subject, page.description, page.headline, page.issue, page.html),
            )

    @reads
    def published_pages(self) -> list[PageRecord]:
        """The pages of the editions sent, oldest first: what the archive shows. A pending edition's
        page waits until its delivery is accepted."""
        rows = self.db.execute(
            "SELECT p.date, p.subject, p.description, p.headline, p.issue, p.html, e.sent FROM pages p"
            " JOIN editions e ON e.date = p.date WHERE e.status = 'sent' ORDER BY p.date"
        )
        return [PageRecord(date.fromisoformat(day), subject, description, headline, issue, html,
                           datetime.fromisoformat(sent) if sent else None)
                for day, subject, description, headline, issue, html, sent in rows]
