"""Weekly sessions keep their local wall-clock time across daylight saving changes."""

import itertools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from sessions.models import ClubSchedule, Session, Weekday
from sessions.rota.common import occurrence_dates
from sessions.rota.planning import sessions_plan
from sessions.rota.weeks import session_add_one_off, session_move
from tests.factories import ClubFactory, MembershipFactory

# A Tuesday at noon UTC is Tuesday in all three zones, so every plan's "today"
# is the same local date and the first Wednesday is 1 January 2025.
FIRST_PLAN = datetime(2024, 12, 31, 12, 0, tzinfo=UTC)
FIRST_WEDNESDAY = date(2025, 1, 1)
WEEKS = 104  # two full years of Wednesdays: 2025-01-01 … 2026-12-23
HORIZON = 8

# zone: (UTC offsets the sessions must show, the pairs of consecutive Wednesdays
# between which the clocks changed)
ZONES = {
    # DST starts 2025-03-09 and 2026-03-08, ends 2025-11-02 and 2026-11-01.
    "America/Los_Angeles": (
        {timedelta(hours=-8), timedelta(hours=-7)},
        [
            (date(2025, 3, 5), date(2025, 3, 12)),
            (date(2025, 10, 29), date(2025, 11, 5)),
            (date(2026, 3, 4), date(2026, 3, 11)),
            (date(2026, 10, 28), date(2026, 11, 4)),
        ],
    ),
    # BST starts 2025-03-30 and 2026-03-29, ends 2025-10-26 and 2026-10-25.
    "Europe/London": (
        {timedelta(0), timedelta(hours=1)},
        [
            (date(2025, 3, 26), date(2025, 4, 2)),
            (date(2025, 10, 22), date(2025, 10, 29)),
            (date(2026, 3, 25), date(2026, 4, 1)),
            (date(2026, 10, 21), date(2026, 10, 28)),
        ],
    ),
    # India has no daylight saving.
    "Asia/Kolkata": ({timedelta(hours=5, minutes=30)}, []),
}


def _weekly_noon_club(zone: str, *, weekday: int = Weekday.WEDNESDAY, at=time(12, 0), length=60):
    club = ClubFactory(time_zone=zone)
    ClubSchedule.objects.create(
        club=club,
        weekday=weekday,
        start_time=at,
        duration_minutes=length,
        weeks_ahead=HORIZON,
        first_date=date(2024, 1, 1),
    )
    return club


def _plan_week_by_week(club, *, start: datetime, weeks: int) -> list:
    """What the daily beat job would do, one step a week: a rolling horizon."""
    return [
        sessions_plan(club=club, now=start + timedelta(weeks=step)) for step in range(weeks + 1)
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("zone", ZONES)
def test_weekly_noon_stays_noon_local_for_two_years(zone):
    club = _weekly_noon_club(zone)

    results = _plan_week_by_week(club, start=FIRST_PLAN, weeks=WEEKS - HORIZON)

    tz = ZoneInfo(zone)
    sessions = list(Session.objects.filter(club=club).order_by("starts_at"))
    local_starts = [s.starts_at.astimezone(tz) for s in sessions]
    expected_dates = [FIRST_WEDNESDAY + timedelta(weeks=k) for k in range(WEEKS)]
    assert [s.series_date for s in sessions] == expected_dates
    assert [start.date() for start in local_starts] == expected_dates
    assert {(start.weekday(), start.time()) for start in local_starts} == {
        (Weekday.WEDNESDAY, time(12, 0))
    }
    assert {s.ends_at - s.starts_at for s in sessions} == {timedelta(minutes=60)}
    # The rolling horizon adds one week per week and never moves a planned one.
    assert [r.created for r in results] == [HORIZON] + [1] * (WEEKS - HORIZON)
    assert {(r.updated, r.removed, len(r.misfits)) for r in results} == {(0, 0, 0)}


@pytest.mark.django_db
@pytest.mark.parametrize(("zone", "offsets", "changes"), [(z, *v) for z, v in ZONES.items()])
def test_weekly_noon_crosses_each_dst_change(zone, offsets, changes):
    club = _weekly_noon_club(zone)

    _plan_week_by_week(club, start=FIRST_PLAN, weeks=WEEKS - HORIZON)

    tz = ZoneInfo(zone)
    starts = list(
        Session.objects.filter(club=club).order_by("starts_at").values_list("starts_at", flat=True)
    )
    local = {start.astimezone(tz).date(): start.astimezone(tz) for start in starts}
    assert {start.utcoffset() for start in local.values()} == offsets
    # The UTC instant moves with the offset: that is what keeps the local time.
    assert {start.astimezone(UTC).time() for start in starts} == {
        (datetime.combine(FIRST_WEDNESDAY, time(12, 0)) - offset).time() for offset in offsets
    }
    days = sorted(local)
    flips = [
        (before, after)
        for before, after in itertools.pairwise(days)
        if local[before].utcoffset() != local[after].utcoffset()
    ]
    assert flips == changes
    # The week before and the week after each change: noon on a Wednesday.
    assert [(local[day].weekday(), local[day].time()) for pair in flips for day in pair] == [
        (Weekday.WEDNESDAY, time(12, 0))
    ] * (2 * len(changes))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("zone", "night"),
    [
        ("America/Los_Angeles", date(2026, 3, 8)),  # clocks spring forward at 02:00
        ("America/Los_Angeles", date(2026, 11, 1)),  # clocks fall back at 02:00
        ("Europe/London", date(2026, 3, 29)),  # 01:00 GMT -> 02:00 BST
        ("Europe/London", date(2026, 10, 25)),  # 02:00 BST -> 01:00 GMT
    ],
)
def test_session_spanning_the_dst_change_lasts_the_scheduled_length(zone, night):
    # A late-night club that meets across the change: 00:45 for 90 minutes.
    club = _weekly_noon_club(zone, weekday=Weekday.SUNDAY, at=time(0, 45), length=90)

    sessions_plan(club=club, now=datetime.combine(night, time(0, 0), tzinfo=ZoneInfo(zone)))

    session = Session.objects.get(club=club, series_date=night)
    assert session.starts_at.astimezone(ZoneInfo(zone)).time() == time(0, 45)
    assert session.ends_at - session.starts_at == timedelta(minutes=90)


# --- occurrence_dates ------------------------------------------------------------------


def _schedule(*, first: date, last: date | None = None, weekday: int = Weekday.WEDNESDAY):
    return ClubSchedule(weekday=weekday, first_date=first, last_date=last)


@pytest.mark.parametrize(
    ("first", "last", "start", "end", "expected"),
    [
        # The first date is a Thursday: the series begins the Wednesday after.
        (
            date(2025, 1, 2),
            None,
            date(2024, 12, 1),
            date(2025, 1, 31),
            [date(2025, 1, 8), date(2025, 1, 15), date(2025, 1, 22), date(2025, 1, 29)],
        ),
        # The first date is on the weekday: it is the first session.
        (
            date(2025, 1, 1),
            None,
            date(2024, 12, 1),
            date(2025, 1, 15),
            [date(2025, 1, 1), date(2025, 1, 8), date(2025, 1, 15)],
        ),
        # The window starts after the first date, on a Saturday.
        (
            date(2024, 1, 3),
            None,
            date(2025, 1, 4),
            date(2025, 1, 22),
            [date(2025, 1, 8), date(2025, 1, 15), date(2025, 1, 22)],
        ),
        # A last date on the weekday is the last session.
        (
            date(2025, 1, 1),
            date(2025, 1, 15),
            date(2025, 1, 1),
            date(2025, 3, 1),
            [date(2025, 1, 1), date(2025, 1, 8), date(2025, 1, 15)],
        ),
        # A last date on a Tuesday stops the series the Wednesday before.
        (
            date(2025, 1, 1),
            date(2025, 1, 14),
            date(2025, 1, 1),
            date(2025, 3, 1),
            [date(2025, 1, 1), date(2025, 1, 8)],
        ),
        # A one-session run.
        (
            date(2025, 1, 8),
            date(2025, 1, 8),
            date(2025, 1, 1),
            date(2025, 3, 1),
            [date(2025, 1, 8)],
        ),
        # The run ended before the window.
        (date(2024, 1, 3), date(2024, 6, 26), date(2025, 1, 1), date(2025, 3, 1), []),
        # The run starts after the window.
        (date(2025, 6, 4), None, date(2025, 1, 1), date(2025, 3, 1), []),
        # The window is shorter than a week and holds no Wednesday.
        (date(2025, 1, 1), None, date(2025, 1, 2), date(2025, 1, 7), []),
    ],
)
def test_occurrence_dates_window_and_run_limits(first, last, start, end, expected):
    assert occurrence_dates(_schedule(first=first, last=last), start=start, end=end) == expected


@pytest.mark.parametrize("weekday", list(Weekday))
def test_occurrence_dates_fall_on_the_weekday(weekday):
    dates = occurrence_dates(
        _schedule(first=date(2025, 1, 1), weekday=weekday),
        start=date(2025, 1, 1),
        end=date(2025, 1, 28),
    )
    assert [d.weekday() for d in dates] == [weekday] * 4
    assert dates[0] - date(2025, 1, 1) == timedelta(days=(weekday - Weekday.WEDNESDAY) % 7)


def _next_dst_change(zone: ZoneInfo) -> date:
    """The next local date on which the zone's offset changes (within a year)."""
    day = datetime.now(zone).date() + timedelta(days=2)
    for _ in range(400):
        midnight = datetime.combine(day, time(0, 0), tzinfo=zone)
        if midnight.utcoffset() != datetime.combine(day, time(23, 0), tzinfo=zone).utcoffset():
            return day
        day += timedelta(days=1)
    raise AssertionError(f"{zone} has no DST change within a year")


@pytest.mark.django_db
@pytest.mark.parametrize("zone", ["America/Los_Angeles", "Europe/London"])
@pytest.mark.parametrize("how", ["move", "one_off"])
def test_hand_placed_session_spanning_the_dst_change_lasts_its_length(zone, how):
    club = _weekly_noon_club(zone)
    organizer = MembershipFactory(club=club, role="organizer").user
    tz = ZoneInfo(zone)
    # 00:45 local on the night the clocks change, as a form in the club's zone gives it.
    starts_at = datetime.combine(_next_dst_change(tz), time(0, 45), tzinfo=tz)

    if how == "move":
        sessions_plan(club=club)
        session = session_move(
            session=Session.objects.filter(club=club).first(),
            by=organizer,
            starts_at=starts_at,
            duration_minutes=90,
        )
    else:
        session = session_add_one_off(
            club=club, by=organizer, starts_at=starts_at, duration_minutes=90
        )

    session.refresh_from_db()
    assert session.starts_at == starts_at
    assert session.ends_at - session.starts_at == timedelta(minutes=90)
