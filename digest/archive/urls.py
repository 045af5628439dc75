"""Where each archive file lives, and its public URL: one rule for the pages, the feed and the email."""
from __future__ import annotations

from datetime import date

from digest.config import Config

INDEX = "index.html"
FEED = "feed.xml"


def edition_folder(day: date) -> str:
    """"2026/05/14/": a date says where its edition is, so the address never changes."""
    return f"{day:%Y/%m/%d}/"


def index_folder(page: int) -> str:
    """The index's page 1 is the archive's front page; page N is page/N/."""
    return "" if page == 1 else f"page/{page}/"


def edition_url(config: Config, day: date) -> str | None:
    """The public address of `day`'s edition, or None when no archive is configured."""
    return config.archive.root_url + edition_folder(day) if config.archive else None


def relative(from_folder: str, to_folder: str, name: str = INDEX) -> str:
    """A link from a page in `from_folder` to `name` in `to_folder`, both relative to the archive's root.

    Links name the file (…/index.html), not the folder, so the archive also reads from disk (file://)
    and from object stores that serve no folder index.
    """
    return "../" * from_folder.count("/") + to_folder + name
