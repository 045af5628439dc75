"""Items whose input gives no date: which edition they are in, and how old they count.

An undated item is news of the moment it was first seen, so it lands in the first edition built
after that, whatever the clock says of that edition's window (read at 07:05, it still makes the
07:00 edition sent at 07:10, not the next morning's). The store remembers which edition it went to,
so it is in that one alone. In its edition it counts as old as the window's start (no recency
advantage over any dated item) and is shown without a time of day (`Item.undated`).
"""
from __future__ import annotations

from datetime import date, datetime

from digest import edition as editions
from digest.config import Config
from digest.model import DatedItem, Problem
from digest.store import Store


def in_edition(items: list[DatedItem], config: Config, day: date, now: datetime,
               store: Store | None) -> tuple[list[DatedItem], list[Problem]]:
    """The items in the edition of `day`: the dated ones in its window, and the undated ones it is the
    first edition built for (without a store: those read within its window). A warning names them."""
    start, cutoff = editions.window(config, day)
    dated = [item for item in items if not item.undated and editions.in_window(item, start, cutoff)]
    undated = [item for item in items if item.undated]
    if not undated:
        return dated, []
    if store is None:
        ours = [item for item in undated if editions.in_window(item, start, cutoff)]
    else:
        given = store.undated_editions(item.id for item in undated)
        fresh = [item.id for item in undated if item.id not in given]
        if fresh and _takes_new(config, store, day, now):
            store.give_undated(fresh, day, now)
            given.update(dict.fromkeys(fresh, day))
        ours = [item for item in undated if given.get(item.id) == day]
    if not ours:
        return dated, []
    titles = ", ".join(f"'{item.title[:60]}'" for item in ours[:3]) + (" ..." if len(ours) > 3 else "")
    many = len(ours) > 1
    problem = Problem("edition", f"{len(ours)} item{'s' * many} without a date ({titles}) {'go' if many else 'goes'} in the edition of {day},"
                                 " the first built since seen, without a time of day")
    return dated + [DatedItem.of(item, start) for item in ours], [problem]


def _takes_new(config: Config, store: Store, day: date, now: datetime) -> bool:
    """Whether a build of `day` takes undated items not yet in an edition: not when it is already
    recorded (a rebuild of what was sent), nor when it is older than the edition a send delivers now
    (a look at last week's edition must not swallow today's news)."""
    if store.edition(day) is not None:
        return False
    return config.edition.date == day.isoformat() or day >= editions.latest_due(config, now)
