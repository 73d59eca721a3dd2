"""Streaks: how many club-weeks in a row a member came. Pure functions, no ORM.

A club-week (Monday to Sunday in the club's zone) counts for a member as

- **attended** when they were at any session of that week;
- **missed** when a session of that week was held (not cancelled, over) and its
  attendance was taken (its sheet was saved, or somebody checked in), and they
  were at none;
- **not counted** otherwise: a week with no session, a skipped or cancelled week,
  a week still to come or running, a held week whose attendance nobody took.

A streak is a run of attended weeks among the counted ones: weeks that are not
counted neither break nor extend it. The current streak is the run that ends at
the latest counted week (0 when that week was missed); the longest is the
longest run.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class SessionRecord:
    """What the streak needs to know of one session, for one member."""

    week: date  # the Monday of its club-week, in the club's zone
    cancelled: bool
    over: bool  # it has ended
    taken: bool  # its sheet was saved, or anybody's attendance was recorded
    attended: bool  # this member's was


@dataclass(frozen=True)
class Streaks:
    weeks_attended: int
    current: int
    longest: int


def week_outcomes(records: Iterable[SessionRecord]) -> list[bool]:
    """The counted weeks, oldest first: True attended, False missed."""
    weeks: dict[date, bool] = {}
    for record in records:
        if record.cancelled:
            continue
        if record.attended:
            weeks[record.week] = True
        elif record.over and record.taken:
            weeks.setdefault(record.week, False)
    return [weeks[week] for week in sorted(weeks)]


def streaks_of(outcomes: Sequence[bool]) -> Streaks:
    current = longest = 0
    for attended in outcomes:
        current = current + 1 if attended else 0
        longest = max(longest, current)
    return Streaks(weeks_attended=sum(outcomes), current=current, longest=longest)


def member_streaks(records: Iterable[SessionRecord]) -> Streaks:
    return streaks_of(week_outcomes(records))
