"""The ledger applied to a ranked day: drops, edits, additions, then pins, in that order.

It runs after ranking and before the edition is laid out in sections: the stories it returns are in
the order the edition reads them (a pin places a story at that position, 1 being the top story), and
each story the ledger touched carries `story.desk` with what was done and why, which `digest explain`
shows. An entry that matches nothing is a Problem naming it (an error with --strict).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from digest.desk.ledger import Addition, Ledger, StoryEdit
from digest.model import DatedItem, DeskEdits, Problem, Story, stable_id

EDITOR = "the editor"  # the source an added story is credited to


@dataclass
class Arranged:
    """The edition's stories in reading order, and every story of the day in the order `explain` shows."""

    chosen: list[Story]
    everything: list[Story]
    problems: list[Problem] = field(default_factory=list)


def arrange(available: list[Story], everything: list[Story], ledger: Ledger | None, *, limit: int, day: date,
            cutoff: datetime) -> Arranged:
    """`available` (ranked, none sent before) as the editor's ledger arranges them, at most `limit`
    plus those the editor pinned or added; `everything` is the day's ranked stories, sent ones too."""
    if ledger is None or not (ledger.stories or ledger.add):
        chosen = available[:limit]
        return Arranged(chosen, _then_the_rest(chosen, everything))
    problems: list[Problem] = []
    rank = {id(story): position for position, story in enumerate(available, start=1)}
    for entry in ledger.stories:
        story = find(available, entry.match)
        if story is None:
            sent = find(everything, entry.match) is not None
            why = "a story already sent in an earlier edition, which is not sent again" if sent else f"nothing in the edition of {day}"
            problems.append(Problem(entry.where, f"match '{entry.match[:80]}' matches {why}; the entry does nothing", ledger=True))
            continue
        _edit(story, entry)
    kept = [story for story in available if not (story.desk and story.desk.drop)]
    added = [_added(addition, day, cutoff) for addition in ledger.add]
    pinned = sorted((story for story in kept if story.desk and story.desk.pin), key=lambda story: (story.desk.pin, rank[id(story)]))  # type: ignore[union-attr]
    unpinned = [story for story in kept if not (story.desk and story.desk.pin)]
    room = max(0, limit - len(pinned) - len(added))
    chosen = unpinned[:room] + added
    for story in pinned:
        edits = story.desk
        assert edits is not None and edits.pin is not None
        if edits.pin > len(chosen) + 1:
            problems.append(Problem(_where(ledger, story), f"pin: {edits.pin} is beyond the edition's {len(pinned) + len(chosen)} stories;"
                                    " the story goes last", ledger=True))
        chosen.insert(min(edits.pin, len(chosen) + 1) - 1, story)
        edits.notes.insert(0, f"pinned by the editor, was #{rank[id(story)]}" if edits.pin != rank[id(story)] else "pinned by the editor")
    return Arranged(chosen, _then_the_rest(chosen, everything), problems)


def find(stories: list[Story], match: str) -> Story | None:
    """The story `match` names: its id, a member's id, or a member's link (a trailing slash aside)."""
    wanted = match.strip()
    link = wanted.rstrip("/")
    for story in stories:
        if story.id == wanted or wanted in story.item_ids:
            return story
        if any(member.url and member.url.rstrip("/") == link for member in story.members):
            return story
    return None


def _edit(story: Story, entry: StoryEdit) -> None:
    edits = story.desk or DeskEdits()
    story.desk = edits
    if entry.drop:
        edits.drop = entry.drop
        edits.notes.append(f"dropped: {entry.drop}")
        return
    if entry.pin:
        edits.pin = entry.pin
    if entry.title:
        edits.notes.append(f"retitled by the editor (was '{story.lead.title[:80]}')")
        edits.title = entry.title
    if entry.blurb:
        edits.blurb = entry.blurb
        edits.notes.append("blurb by the editor")
    if entry.section:
        edits.section = entry.section
        edits.notes.append(f"put in section '{entry.section}' by the editor")
    if entry.key:
        edits.key = entry.key
        edits.notes.append("key development line by the editor")


def _added(addition: Addition, day: date, cutoff: datetime) -> Story:
    """A story the feeds do not carry, dated by the edition (it is shown without a time of day)."""
    item = DatedItem(
        id=stable_id("desk", day.isoformat(), addition.url, addition.title), source=EDITOR, kind=addition.kind,
        title=addition.title, body=addition.blurb, url=addition.url, published=cutoff - timedelta(microseconds=1), undated=True,
    )
    edits = DeskEdits(section=addition.section, blurb=addition.blurb or None, added=True, notes=["added by the editor"])
    return Story(lead=item, members=[item], summary=[addition.blurb] if addition.blurb else [], desk=edits)


def _where(ledger: Ledger, story: Story) -> str:
    return next((entry.where for entry in ledger.stories if find([story], entry.match) is story and entry.pin), ledger.name)


def _then_the_rest(chosen: list[Story], everything: list[Story]) -> list[Story]:
    """`chosen` in its order, then every other story of the day in rank order (what `explain` lists)."""
    picked = {id(story) for story in chosen}
    return chosen + [story for story in everything if id(story) not in picked]
