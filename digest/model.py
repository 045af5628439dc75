"""The one data model that travels through every stage: Item -> DatedItem -> Story -> Edition.

A loader reads its input into Items, leaving `published` None when the input gives no date;
digest.sources.normalise turns each into a DatedItem, and every stage after it takes only those,
so "every item has a date" is a type that mypy checks, not a branch each stage writes again."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from typing import Any, Literal

Kind = Literal["story", "brief"]


def stable_id(*parts: str) -> str:
    """A short id that is the same on every machine and every run for the same parts."""
    digest = hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()
    return digest[:16]


@dataclass(frozen=True)
class Image:
    """A picture the source gives for an item (see digest.images): a link, never downloaded."""

    url: str  # http(s) only
    alt: str = ""  # its caption or credit; "" when the source gives none
    width: int | None = None  # pixels, when the source says
    height: int | None = None


@dataclass
class Item:
    """One story or one feed brief as ingested, its text already clean."""

    id: str
    source: str
    kind: Kind
    title: str
    body: str = ""
    url: str | None = None
    published: datetime | None = None  # always timezone-aware when set
    author: str | None = None
    section: str | None = None
    tags: tuple[str, ...] = ()
    breaking: bool = False
    priority: int = 0
    lang: str = "en"
    via: str | None = None  # the configured source it came through, when `source` names another outlet
    image: Image | None = None  # the lead picture the source gives (feeds, pages, exports)
    page: str | None = None  # the page it was read from (a feed's site, a scraped page): its link when it has none
    undated: bool = False  # the input gave no date: shown without a time of day, ranked as old as its edition's window
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def configured_source(self) -> str:
        """The name of the config's source entry, whose weight, priority and categories apply."""
        return self.via or self.source

    @cached_property
    def suspect(self) -> str | None:
        """Why the body looks degenerate (a run-on, one word repeated), or None: worked out once, as
        ranking and the summaries both ask (the body is final once the source has loaded it)."""
        from digest.summarize.prepare import suspect  # here: the summarizer's imports are not every command's

        return suspect(self.body)


@dataclass(kw_only=True)
class DatedItem(Item):
    """An item as every stage after loading takes it: with its date (aware), the source's own or,
    when it gave none or one in the future, the moment it was read (digest.sources.normalise)."""

    published: datetime

    @classmethod
    def of(cls, item: Item, published: datetime) -> DatedItem:
        """`item`, dated `published` (a new object: what the loader made stays as it was). Its fields
        are copied as they are, not passed through __init__ (a tenth of the time, at 10,000 items)."""
        dated = object.__new__(cls)
        dated.__dict__.update(item.__dict__)
        dated.published = published
        return dated


@dataclass
class DeskEdits:
    """What the editor's ledger did to a story (digest.desk.apply): each field set only when it did."""

    pin: int | None = None  # the position the editor gave it, 1 = the top story
    drop: str | None = None  # why it is kept out of the email
    title: str | None = None  # the headline the editor wrote
    blurb: str | None = None  # the text the editor wrote, in place of the summary
    section: str | None = None  # the section the editor put it in
    key: str | None = None  # the editor's one line for key developments
    added: bool = False  # a story the feeds do not carry, added by the editor
    notes: list[str] = field(default_factory=list)  # what `digest explain` says of each edit


@dataclass(frozen=True)
class Update:
    """What is new in an item the readers were sent before (digest.developing): it comes back as news."""

    previous: date  # the last edition that sent it
    text: str  # only the sentences new since then, in their paragraphs: what its blurb is made from
    retitled: bool  # its headline changed


@dataclass(frozen=True)
class Correction:
    """A correction to an item an earlier edition sent (digest.developing), carried once by the next edition."""

    item: str
    key: str  # the correction's text, normalised: the same correction is carried once
    corrects: date  # the last edition that sent the item
    title: str  # the item's headline as it reads now
    url: str | None
    text: str  # "Correction: ..." as the source words it ("" when only a category says it was corrected)


@dataclass
class Story:
    """Items that report the same thing; the lead item speaks for the cluster."""

    lead: DatedItem
    members: list[DatedItem]
    summary: list[str] = field(default_factory=list)
    score: float = 0.0
    components: dict[str, float] = field(default_factory=dict)
    section: str | None = None
    desk: DeskEdits | None = None  # the editor's edits, when the ledger names the story
    update: Update | None = None  # what is new, when its lead was sent before and has moved on

    @property
    def id(self) -> str:
        return self.lead.id

    @property
    def kind(self) -> Kind:
        return self.lead.kind

    @property
    def title(self) -> str:
        """The editor's headline when the ledger gives one, else the lead's."""
        return self.desk.title if self.desk and self.desk.title else self.lead.title

    @property
    def key(self) -> str | None:
        """The editor's line for key developments (the ledger's `key:`), or None."""
        return self.desk.key if self.desk else None

    @property
    def text(self) -> str:
        """What its blurb is made from: for a story sent before, only what is new since; else the lead's body."""
        return self.update.text if self.update else self.lead.body

    @property
    def url(self) -> str | None:
        """The lead's link, else the first member's: a scraped copy without one still gets "Read more"."""
        return self.lead.url or next((member.url for member in self.members if member.url), None)

    @property
    def breaking(self) -> bool:
        """Breaking when any copy says so (one outlet may flag what another files as routine)."""
        return any(member.breaking for member in self.members)

    @property
    def coverage(self) -> int:
        """How many distinct sources carry the story."""
        return len({member.source for member in self.members})

    @property
    def item_ids(self) -> list[str]:
        return [member.id for member in self.members]


@dataclass
class Section:
    """A titled run of stories; `layout` tells the templates how to show it."""

    key: str
    title: str
    layout: Literal["top", "stories", "feed"]
    stories: list[Story] = field(default_factory=list)


@dataclass
class Edition:
    """One day's newsletter, ready to render."""

    date: date
    cutoff: datetime
    title: str
    sections: list[Section]
    subject: str = ""
    preheader: str = ""
    number: int | None = None
    note: str | None = None
    corrections: list[Correction] = field(default_factory=list)  # to stories earlier editions sent, shown at its end

    def stories(self) -> list[Story]:
        """Every story in reading order."""
        return [story for section in self.sections for story in section.stories]


@dataclass
class Problem:
    """Something that went wrong but did not stop the build: a source down, a bad line."""

    where: str
    reason: str
    source_failed: bool = False  # the whole source gave nothing; --strict turns this into exit 1
    ledger: bool = False  # an entry of the editor's ledger that did nothing; --strict turns this into exit 1

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"
