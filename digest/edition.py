"""The edition: which items a day's newsletter covers, and how its stories fall into sections.

The window is measured on the newsletter's wall clock: the edition of day D ends at its cut-off on D
and starts `edition.window_hours` earlier on the same clock. The cut-off is `edition.cutoff`, else
the first `schedule.at` time: the edition dated D is the morning newsletter sent on D and covers the
24 hours before it ("24:00" makes an end-of-day edition of D instead). On the days clocks change a
24-hour window is then 23 or 25 real hours, and consecutive daily editions meet exactly: no item
falls between two editions and none is in both.

Sections read like Ukraine Daily: the top story, then the `sections:` rules of config.yaml in their
order (a story goes to the first rule whose keywords, tags or sources it matches, or whose key is
its section; once a rule's `limit` is reached, the next stories it matches go where unmatched ones
go), then the other stories, then the News Feed of briefs; every section in rank order. Stories are chosen by rank
up to `edition.max_stories`; a story already sent in an earlier edition (its id or any of its
items') is never sent again.
"""
from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from digest.config import Config, SectionConfig
from digest.i18n import N_
from digest.model import DatedItem, Edition, Section, Story
from digest.rank import found_phrases, phrase_pattern, ranked

# Their titles are English here and in `digest explain`; the email shows them in the newsletter's language.
TOP = SectionConfig(key="top", title=N_("Top story"))
STORIES = SectionConfig(key="stories", title=N_("More stories"))
FEED = SectionConfig(key="feed", title=N_("News Feed"), layout="feed")


def cutoff_time(config: Config) -> str:
    """The editions' cut-off as HH:MM: `edition.cutoff`, else the first send time of the day."""
    return config.edition.cutoff or min(config.schedule.at)


def window(config: Config, day: date) -> tuple[datetime, datetime]:
    """The edition's (start, cut-off), both aware, in the newsletter's time zone."""
    hours, minutes = map(int, cutoff_time(config).split(":"))
    cutoff = datetime.combine(day, time()) + timedelta(hours=hours, minutes=minutes)
    start = cutoff - timedelta(hours=config.edition.window_hours)
    return on_clock(start, config.newsletter.tz), on_clock(cutoff, config.newsletter.tz)


def issue_number(config: Config, day: date) -> int | None:
    """The number the email of `day` shows: with `email.first_issue`, counted in days from that date's
    edition, No. 1 (so a preview knows it, and a day skipped leaves a gap, as a paper's numbering does);
    None without it or before it. `shown_number` says it everywhere else."""
    if not config.email.first_issue:
        return None
    number = (day - date.fromisoformat(config.email.first_issue)).days + 1
    return number if number > 0 else None


def shown_number(config: Config, day: date, counted: int) -> int:
    """The edition's number as `send`, `status` and their logs say it: the one its email shows, else
    (no `email.first_issue`) `counted`, the store's count of the editions recorded, which only a send
    knows, so an email, built before it is sent, shows none."""
    return issue_number(config, day) or counted


def describe_window(config: Config, day: date) -> str:
    """One line for a person: which items the edition of `day` holds, on the newsletter's clock."""
    start, cutoff = window(config, day)
    shown = "%Y-%m-%d %H:%M %Z"
    return (f"the edition of {day} holds the items published from {start.strftime(shown)} to {cutoff.strftime(shown)}"
            f" ({config.newsletter.timezone})")


def latest_due(config: Config, now: datetime) -> date:
    """The date of the latest edition whose cut-off has passed at `now`: the one a send delivers."""
    today = now.astimezone(config.newsletter.tz).date()
    return next(day for day in _days_around(today, reverse=True) if window(config, day)[1].timestamp() <= now.timestamp())


def next_due(config: Config, now: datetime) -> date:
    """The date of the edition whose cut-off comes next after `now`: the one a preview shows."""
    today = now.astimezone(config.newsletter.tz).date()
    return next(day for day in _days_around(today) if window(config, day)[1].timestamp() > now.timestamp())


def _days_around(today: date, reverse: bool = False) -> list[date]:
    """Today and the days either side, in order: a cut-off (00:00 to 24:00 on its day) is within them."""
    days = [today + timedelta(days=offset) for offset in range(-2, 3)]
    return days[::-1] if reverse else days


def on_clock(wall_time: datetime, tz: tzinfo) -> datetime:
    """The instant a naive wall-clock time happens in `tz`, once a day whatever DST does: a time the
    clock repeats is its first occurrence, a time it skips is the end of the gap (03:30 on a spring
    change at 03:00 is 04:00). Cut-offs and send times both use it, so a send finds its edition due."""
    first = wall_time.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if first.astimezone(tz).replace(tzinfo=None) == wall_time:
        return first.astimezone(tz)
    # in a gap: fold=1 reads it with the offset after the change, an instant before the change; fold=0
    # with the one before, an instant after it. The change is the first second with the new offset.
    before = int(wall_time.replace(tzinfo=tz, fold=1).timestamp())
    after = int(first.timestamp())
    old_offset = datetime.fromtimestamp(before, tz).utcoffset()
    while after - before > 1:
        middle = (before + after) // 2
        if datetime.fromtimestamp(middle, tz).utcoffset() == old_offset:
            before = middle
        else:
            after = middle
    return datetime.fromtimestamp(after, tz)


def in_window(item: DatedItem, start: datetime, cutoff: datetime) -> bool:
    """Published at or after the start and before the cut-off (an undated item was dated by the moment
    it was read, so it is in the edition of that moment).

    Compared as instants: Python compares two datetimes of one zone on the wall clock, which is wrong
    in the hour a DST change repeats.
    """
    return start.timestamp() <= item.published.timestamp() < cutoff.timestamp()


def build_edition(
    stories: Iterable[Story], config: Config, day: date, *, sent_story_ids: Collection[str] = frozenset(),
    chosen: list[Story] | None = None,
) -> Edition:
    """Lay scored stories out as one day's edition: top story, rule sections, other stories, News Feed.

    `chosen`: the stories the edition holds, in reading order, as the editor's ledger arranged them
    (digest.desk.apply); default: the best-ranked not sent before, up to `edition.max_stories`. A
    story the editor pinned first is the top story; one the editor gave a section goes there."""
    stories = ranked(stories)
    for story in stories:
        story.section = None  # left out, unless placed below
    if chosen is None:
        chosen = [story for story in stories if not was_sent(story, sent_story_ids)][: config.edition.max_stories]
    rules = [(rule, phrase_pattern(rule.keywords)) for rule in config.sections]
    source_sections = {source.name: source.section for source in config.sources}
    layouts = {rule.key: rule for rule in (TOP, *config.sections, STORIES, FEED)}
    placed: dict[str, list[Story]] = {key: [] for key in layouts}

    pinned_first = chosen and chosen[0].desk and chosen[0].desk.pin == 1
    top = chosen[0] if pinned_first else next((story for story in chosen if story.kind == "story"), chosen[0] if chosen else None)
    for story in chosen:
        if story is top:
            key = TOP.key
        elif story.desk and story.desk.section in layouts:
            key = story.desk.section
        else:
            rule = next((rule for rule, pattern in rules if _matches(story, rule, pattern, source_sections)), None)
            fits = rule and (rule.limit is None or len(placed[rule.key]) < rule.limit)
            key = rule.key if rule and fits else (STORIES.key if story.kind == "story" else FEED.key)
        story.section = key
        placed[key].append(story)

    sections = []
    for key, members in placed.items():
        if not members:
            continue
        rule = layouts[key]
        layout = "top" if rule is TOP else rule.layout
        sections.append(Section(key=key, title=rule.title, layout=layout, stories=members))
    cutoff = window(config, day)[1]
    return Edition(date=day, cutoff=cutoff, title=config.newsletter.title, sections=sections)


def was_sent(story: Story, sent_ids: Collection[str]) -> bool:
    """Was the story, or any of its items, in an earlier edition?"""
    return story.id in sent_ids or any(item_id in sent_ids for item_id in story.item_ids)


def _matches(story: Story, rule: SectionConfig, keywords: re.Pattern[str] | None, source_sections: dict[str, str | None]) -> bool:
    """Does any member of the story fall under the rule: its section, source, tags, or a keyword in the lead?"""
    tags = {tag.casefold() for tag in rule.tags}
    for member in story.members:
        if rule.key in (member.section, source_sections.get(member.configured_source)):
            return True
        if {member.source, member.configured_source} & set(rule.sources) or tags & {tag.casefold() for tag in member.tags}:
            return True
    return bool(found_phrases(keywords, f"{story.lead.title}\n{story.lead.body}"))
