"""Key developments: the day in a few lines above the stories, one sentence for each top story.

Ukraine Daily's signature: a reader skims the day in five lines, then reads what matters to them.
Which stories: the editor's pins first (in their order), then the best-scored stories of the
edition, briefs only when there are not enough stories. Each line is the ledger's `key:` when the
editor wrote one, else the story's lead as its summary opens it (for an updated story, what is new),
within KEY_WORDS words by the summariser's own budget (`summarize.fit_words`): compressed first
(asides, a closing attribution), then ended with a full stop where a clause ends. A sentence that
could only be cut at a word, or that leans on one left out, gives way to the headline.
"""
from __future__ import annotations

from math import inf

from digest.model import Edition, Story
from digest.summarize.budget import fit_words
from digest.summarize.prepare import leans_on_context

KEY_WORDS = 25  # one sentence a reader takes in at a glance; Ukraine Daily's lines run 15 to 25 words


def key_stories(edition: Edition, count: int) -> list[Story]:
    """The edition's `count` most important stories, most important first (none when `count` is 0)."""
    if count <= 0:
        return []
    reading = edition.stories()
    position = {id(story): index for index, story in enumerate(reading)}
    stories = [story for story in reading if story.kind == "story"]
    briefs = [story for story in reading if story.kind != "story"]

    def importance(story: Story) -> tuple[float, float, int]:
        pin = story.desk.pin if story.desk and story.desk.pin else (1 if story.section == "top" else inf)
        return (pin, -story.score, position[id(story)])

    return (sorted(stories, key=importance) + sorted(briefs, key=importance))[:count]


def key_line(story: Story) -> str:
    """The story's one line: the editor's `key:`, else the summary's first sentence within KEY_WORDS
    words. When that sentence can only be cut short ("…") or leans on what the line leaves out ("Such
    a move would…", "…, he said."), the headline says it better: it was written to stand alone."""
    if story.key:
        return story.key
    if not story.summary:
        return story.title
    line = shortened(story.summary[0], story.lead.lang)
    if line.endswith("…") or leans_on_context(line, story.lead.lang, story.title):
        return story.title
    return line


def shortened(sentence: str, lang: str = "en") -> str:
    """`sentence` within KEY_WORDS words, compressed as a blurb is (`summarize.fit_words`)."""
    fitted = fit_words([sentence], KEY_WORDS, lang)
    return fitted[0] if fitted else sentence
