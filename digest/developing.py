"""Stories that move on: an item the readers were sent, compared with what its source says now.

The store keeps what each edition sent of every item: its headline and its sentences (store.sent).
When a source carries that item again, its sentences are compared with those sent:

- A sentence is new unless one sent has the same words, or differs from it by at most NEAR_WORDS
  words none of which holds a digit: a typo fixed or a word changed is not news; "12 dead" where
  "5 dead" was sent is.
- The item is *updated* when its headline's words changed, or its new sentences hold at least
  MIN_NEW_WORDS words: about the shortest sentence that carries a fact ("The death toll has risen to
  12, police said" is 9), and more than a "Last updated 10:30 on 15 May" line (6) or a credit. Below
  it, a republished item stays out, as any item sent before does. An updated item comes back as a
  story of its own: its blurb made from the new sentences alone, ranked on this edition's clock.
- A *correction* is a `correction` field (a JSON line), a paragraph that opens "Correction:",
  "Clarification:" or "Editor's note:" not in what was sent, or a feed category "correction". It is
  carried once, in the next edition's Corrections, and never counts as new text for an update.
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from digest.model import Correction, DatedItem, Story, Update, stable_id
from digest.store import SentText, Store
from digest.text.sentences import split_sentences

MIN_NEW_WORDS = 8
NEAR_WORDS = 2
CORRECTION_CHARS = 1000  # a correction is a line or two; the rest of a longer one is not shown
_CORRECTION = re.compile(r"^\W*(?:correction|clarification|editor[’']s note)\s*:", re.IGNORECASE)
_PARAGRAPHS = re.compile(r"\n\s*\n")
_REDUNDANT = re.compile(r"^\W*correction\s*:\s*", re.IGNORECASE)


@dataclass
class Developments:
    """What a day's items say that their earlier editions did not."""

    updates: dict[str, Update] = field(default_factory=dict)  # by item id
    corrections: list[Correction] = field(default_factory=list)
    redated: list[DatedItem] = field(default_factory=list)  # updated items from before the window, dated into it


def find(items: list[DatedItem], store: Store | None, day: date, start: datetime, cutoff: datetime) -> Developments:
    """The updates and corrections among `items`, against the editions sent before `day`; updated
    items published before the window `start`..`cutoff` come back dated into it (see `dated`)."""
    found = Developments()
    if store is None:
        return found
    sent = store.last_sent((item.id for item in items), before=day)
    if not sent:
        return found
    carried = store.corrections_carried(before=day)
    for item in items:
        was = sent.get(item.id)
        if was is None or item.id in found.updates:
            continue
        update, correction = compare(item, was)
        if correction is not None and (correction.item, correction.key) not in carried:
            found.corrections.append(correction)
        if update is not None:
            found.updates[item.id] = update
            if item.published.timestamp() < start.timestamp():
                found.redated.append(DatedItem.of(item, dated(item, start, cutoff)))
    found.corrections.sort(key=lambda correction: (correction.corrects, correction.title, correction.item))
    return found


def dated(item: DatedItem, start: datetime, cutoff: datetime) -> datetime:
    """An update's date: the source's `updated` time when it falls in the window; else the window's
    start, as an undated item is: it competes with the day's news, with no head start on it."""
    stamp = item.extra.get("updated")
    if isinstance(stamp, str):
        try:
            moment = datetime.fromisoformat(stamp)
        except ValueError:
            moment = None
        if moment is not None:
            moment = moment if moment.tzinfo else moment.replace(tzinfo=start.tzinfo)
            if start.timestamp() <= moment.timestamp() < cutoff.timestamp():
                return moment
    return start


def compare(item: DatedItem, was: SentText) -> tuple[Update | None, Correction | None]:
    """What `item` says now that `was` (what an edition sent of it) did not: an Update when it is
    material, a Correction when it has one."""
    sent = [_words(sentence) for sentence in was.sentences]
    exact = {tuple(words) for words in sent}
    counted = [Counter(words) for words in sent]
    paragraphs: list[list[str]] = []
    corrections: list[str] = []
    for paragraph in _PARAGRAPHS.split(item.body):
        sentences = split_sentences(paragraph, item.lang)
        if not sentences:
            continue
        if _CORRECTION.match(paragraph):
            if not all(_seen(_words(sentence), exact, counted) for sentence in sentences):
                corrections.append(" ".join(sentences))
            continue
        new = [sentence for sentence in sentences if not _seen(_words(sentence), exact, counted)]
        if new:
            paragraphs.append(new)
    retitled = _words(item.title) != _words(was.title)
    new_words = sum(len(_words(sentence)) for paragraph in paragraphs for sentence in paragraph)
    update = None
    if retitled or new_words >= MIN_NEW_WORDS:
        update = Update(previous=was.edition, text="\n\n".join(" ".join(paragraph) for paragraph in paragraphs), retitled=retitled)
    return update, _correction(item, was, corrections, paragraphs)


def _correction(item: DatedItem, was: SentText, paragraphs: list[str], new: list[list[str]]) -> Correction | None:
    given = item.extra.get("correction")
    if isinstance(given, str) and given.strip():
        text = given
    elif paragraphs:
        text = "\n\n".join(paragraphs)
    elif any(tag.casefold() == "correction" for tag in item.tags):
        text = " ".join(new[0]) if new else ""
    else:
        return None
    text = _REDUNDANT.sub("", " ".join(text.split()))[:CORRECTION_CHARS]  # the section says "Corrections" already
    return Correction(item=item.id, key=stable_id(" ".join(_words(text)) or "corrected"), corrects=was.edition,
                      title=item.title, url=item.url, text=text)


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.casefold())


def _seen(words: list[str], exact: set[tuple[str, ...]], sent: list[Counter[str]]) -> bool:
    """Was this sentence sent, word for word or but for a few words with no figure among them?"""
    if tuple(words) in exact:
        return True
    counted = Counter(words)
    for old in sent:
        if abs(sum(old.values()) - len(words)) > NEAR_WORDS:
            continue
        changed = list(((counted - old) + (old - counted)).elements())
        if len(changed) <= NEAR_WORDS and not any(char.isdigit() for word in changed for char in word):
            return True
    return False


def sent_texts(stories: Iterable[Story]) -> list[tuple[str, str, list[str]]]:
    """(item id, headline, sentences) of every item of these stories, as the store keeps what was sent:
    the whole of each item as read (an update's too), so the next comparison starts from all of it."""
    return [(member.id, member.title, split_sentences(member.body, member.lang)) for story in stories for member in story.members]

