"""Streaks over random attendance histories (sessions/attendance/streaks.py).

A history is a run of club-weeks; each week holds no session, or one or two
sessions (a series week and a one-off) that are cancelled, still to come, held
without attendance taken, held and attended, or held and missed. The reference
model writes each week as a letter (A attended, M missed, nothing for a week
that does not count) and reads the streaks off the string; the invariants:

- the function agrees with the reference model;
- 0 <= current <= longest <= weeks attended <= weeks with a session;
- adding weeks that do not count (cancelled, no session, untaken, to come)
  anywhere changes nothing;
- a history ending in a missed week has no current streak; attending one more
  week raises the current streak by one.
"""

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from sessions.attendance.streaks import SessionRecord, member_streaks

MONDAY = date(2026, 1, 5)
KINDS = ["cancelled", "upcoming", "untaken", "attended", "missed"]
NEUTRAL = ["cancelled", "upcoming", "untaken"]

# A week: the kinds of its sessions (none, one, or a series week and a one-off).
weeks_strategy = st.lists(
    st.lists(st.sampled_from(KINDS), min_size=0, max_size=2), min_size=0, max_size=40
)


def _record(week: date, kind: str) -> SessionRecord:
    return SessionRecord(
        week=week,
        cancelled=kind == "cancelled",
        over=kind != "upcoming",
        taken=kind in ("attended", "missed"),
        attended=kind == "attended",
    )


def _records(weeks: list[list[str]]) -> list[SessionRecord]:
    records = [
        _record(MONDAY + timedelta(weeks=index), kind)
        for index, kinds in enumerate(weeks)
        for kind in kinds
    ]
    return records[::-1]  # the function must not rely on the order it is given


def _reference(weeks: list[list[str]]) -> tuple[int, int, int]:
    letters = ""
    for kinds in weeks:
        if "attended" in kinds:
            letters += "A"
        elif "missed" in kinds:
            letters += "M"
    runs = [len(run) for run in letters.split("M")]
    return letters.count("A"), runs[-1], max(runs)


@settings(max_examples=200, deadline=None)
@given(weeks_strategy)
def test_streaks_agree_with_the_reference_model(weeks):
    result = member_streaks(_records(weeks))
    attended, current, longest = _reference(weeks)
    assert (result.weeks_attended, result.current, result.longest) == (attended, current, longest)
    assert 0 <= result.current <= result.longest <= result.weeks_attended <= len(weeks)


@settings(max_examples=100, deadline=None)
@given(weeks_strategy, st.data())
def test_weeks_that_do_not_count_change_nothing(weeks, data):
    before = member_streaks(_records(weeks))
    padded = list(weeks)
    for _ in range(data.draw(st.integers(min_value=1, max_value=5))):
        at = data.draw(st.integers(min_value=0, max_value=len(padded)))
        padded.insert(at, data.draw(st.lists(st.sampled_from(NEUTRAL), max_size=2)))
    assert member_streaks(_records(padded)) == before


@settings(max_examples=100, deadline=None)
@given(weeks_strategy)
def test_a_missed_week_ends_the_streak_and_an_attended_one_extends_it(weeks):
    missed = member_streaks(_records([*weeks, ["missed"]]))
    assert missed.current == 0
    assert missed.longest == member_streaks(_records(weeks)).longest
    attended = member_streaks(_records([*weeks, ["attended"]]))
    assert attended.current == member_streaks(_records(weeks)).current + 1


def test_a_week_with_an_attended_and_a_missed_session_counts_as_attended():
    # A series week missed but its one-off attended: the member came that week.
    records = [_record(MONDAY, "missed"), _record(MONDAY, "attended")]
    assert member_streaks(records).current == 1
