"""The planner (sessions.rota.planning): weeks from the schedule, schedule edits and re-planning."""

import logging
import zoneinfo
from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.db import IntegrityError, transaction

from sessions.errors import NotAllowed, SessionError
from sessions.models import ClubSchedule, Session, Weekday
from sessions.rota.facilitators import (
    session_claim,
    session_papers_set,
)
from sessions.rota.planning import (
    PlanResult,
    schedule_save,
    sessions_plan,
    sessions_plan_all,
)
from sessions.rota.weeks import (
    SessionDetails,
    session_details_update,
    session_move,
    session_skip,
)
from tests.factories import ClubFactory, MembershipFactory, UserFactory
from tests.sessions.rota.helpers import (
    CANCELLED,
    DONE,
    LA,
    LINK,
    OPEN,
    SCHEDULED,
    local_today,
    nomination_titled,
    schedule_input,
    session_in,
    sessions_snapshot,
)

pytestmark = pytest.mark.django_db

# A Tuesday at noon UTC: the planner's clock for tests that do not need real time.
TUESDAY = datetime(2025, 1, 7, 12, 0, tzinfo=UTC)


def _schedule(club, **fields) -> ClubSchedule:
    values = {
        "weekday": Weekday.WEDNESDAY,
        "start_time": time(12, 0),
        "duration_minutes": 60,
        "meeting_link": LINK,
        "weeks_ahead": 4,
        "first_date": date(2024, 1, 1),
    }
    return ClubSchedule.objects.create(club=club, **(values | fields))


def _weeks(club) -> list[date]:
    return list(
        Session.objects.filter(club=club)
        .order_by("starts_at")
        .values_list("series_date", flat=True)
    )


# --- The planner ----------------------------------------------------------------------------


def test_plan_twice_creates_nothing_new(club):
    _schedule(club)
    first = sessions_plan(club=club, now=TUESDAY)
    before = sessions_snapshot(club)

    second = sessions_plan(club=club, now=TUESDAY)

    assert first.created == 4
    assert second == PlanResult()
    assert sessions_snapshot(club) == before
    assert _weeks(club) == [date(2025, 1, 8) + timedelta(weeks=k) for k in range(4)]


def test_database_refuses_a_second_session_for_one_week(club):
    _schedule(club)
    sessions_plan(club=club, now=TUESDAY)
    week = Session.objects.filter(club=club).first()

    with pytest.raises(IntegrityError), transaction.atomic():
        Session.objects.create(
            club=club, series_date=week.series_date, starts_at=week.starts_at, ends_at=week.ends_at
        )


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"weeks_ahead": 1}, [date(2025, 1, 8)]),
        ({"weeks_ahead": 3}, [date(2025, 1, 8), date(2025, 1, 15), date(2025, 1, 22)]),
        # The series starts on a Thursday: its first Wednesday is the week after.
        ({"first_date": date(2025, 1, 16)}, [date(2025, 1, 22), date(2025, 1, 29)]),
        ({"first_date": date(2025, 1, 22)}, [date(2025, 1, 22), date(2025, 1, 29)]),
        ({"last_date": date(2025, 1, 21)}, [date(2025, 1, 8), date(2025, 1, 15)]),
        ({"last_date": date(2025, 1, 8)}, [date(2025, 1, 8)]),
        ({"first_date": date(2024, 1, 3), "last_date": date(2024, 12, 25)}, []),
        ({"first_date": date(2025, 3, 5)}, []),
    ],
)
def test_plan_respects_first_date_last_date_and_horizon(club, fields, expected):
    _schedule(club, **fields)

    result = sessions_plan(club=club, now=TUESDAY)

    assert _weeks(club) == expected
    assert result.created == len(expected)


@pytest.mark.parametrize(
    ("local_now", "first_week"),
    [
        (time(11, 59), date(2025, 1, 8)),  # today's session is still ahead
        (time(12, 0), date(2025, 1, 15)),  # it is starting: too late to plan
        (time(18, 0), date(2025, 1, 15)),
    ],
)
def test_plan_never_creates_a_past_session(club, local_now, first_week):
    _schedule(club, weeks_ahead=2)
    now = datetime.combine(date(2025, 1, 8), local_now, tzinfo=LA)  # a Wednesday

    sessions_plan(club=club, now=now)

    assert _weeks(club)[0] == first_week
    assert Session.objects.filter(club=club, starts_at__lte=now).count() == 0


def test_plan_leaves_past_weeks_alone_when_the_schedule_changes(club):
    schedule = _schedule(club)
    sessions_plan(club=club, now=TUESDAY)
    before = sessions_snapshot(club)
    schedule.weekday = Weekday.THURSDAY
    schedule.save()

    # Five weeks on, every planned Wednesday is in the past.
    result = sessions_plan(club=club, now=TUESDAY + timedelta(weeks=5))

    assert result.removed == 0
    assert sessions_snapshot(club)[:4] == before
    assert _weeks(club)[4:] == [date(2025, 2, 13) + timedelta(weeks=k) for k in range(4)]


def test_plan_after_todays_session_started_does_not_count_it_again(club):
    schedule = _schedule(club)
    wednesday = date(2025, 1, 8)
    sessions_plan(club=club, now=datetime.combine(wednesday, time(8), tzinfo=LA))
    schedule.start_time = time(18, 0)
    schedule.save()
    # Today's noon session has started; the new 18:00 slot is still ahead.
    later = datetime.combine(wednesday, time(13), tzinfo=LA)
    sessions_plan(club=club, now=later)
    before = sessions_snapshot(club)

    again = sessions_plan(club=club, now=later)

    assert again == PlanResult()
    assert sessions_snapshot(club) == before
    today = Session.objects.get(club=club, series_date=wednesday)
    assert today.starts_at.astimezone(LA).time() == time(12, 0)


def test_plan_without_a_schedule_does_nothing(club):
    assert sessions_plan(club=club, now=TUESDAY) == PlanResult()
    assert Session.objects.count() == 0


def test_plan_all_fills_every_scheduled_clubs_horizon(club):
    _schedule(club)
    _schedule(ClubFactory(), weeks_ahead=2)
    ClubFactory()  # no schedule

    assert sessions_plan_all(now=TUESDAY) == 6
    assert sessions_plan_all(now=TUESDAY) == 0


def test_plan_all_logs_a_club_that_fails_and_plans_the_others(club, caplog):
    caplog.set_level(logging.INFO, logger="sessions.rota.planning")
    broken = ClubFactory(slug="broken")
    _schedule(broken)
    # A zone this machine's tz database no longer has (written past the form).
    type(broken).objects.filter(pk=broken.pk).update(time_zone="Mars/Olympus_Mons")
    _schedule(club)

    assert sessions_plan_all(now=TUESDAY) == 4

    assert Session.objects.filter(club=broken).count() == 0
    assert Session.objects.filter(club=club).count() == 4
    errors = [r for r in caplog.records if r.name == "sessions.rota.planning"]
    assert [(r.levelname, r.getMessage()) for r in errors] == [
        ("ERROR", f"planner: club {broken.pk} (broken) could not be planned"),
        ("INFO", "planner: 4 new weeks; 1 clubs failed"),
    ]
    assert errors[0].exc_info[0] is zoneinfo.ZoneInfoNotFoundError


# --- Schedule edits and re-planning ---------------------------------------------------------


def test_schedule_save_creates_the_schedule_and_plans_it(club, organizer):
    schedule, result = schedule_save(
        club=club, by=organizer, data=schedule_input(), based_on_version=None
    )

    first = local_today() + timedelta(days=2)
    assert (schedule.version, schedule.weekday) == (1, first.weekday())
    assert result == PlanResult(created=4)
    sessions = list(Session.objects.filter(club=club))
    assert [s.series_date for s in sessions] == [first + timedelta(weeks=k) for k in range(4)]
    assert {(s.state, s.meeting_link, s.change_count) for s in sessions} == {(OPEN, LINK, 0)}
    assert {s.starts_at.astimezone(LA).time() for s in sessions} == {time(12, 0)}


def test_new_time_replans_unclaimed_weeks_and_reports_claimed_ones(
    planned, weeks, organizer, member
):
    session_claim(session=weeks[1], user=member)

    _, result = schedule_save(
        club=planned.club,
        by=organizer,
        data=schedule_input(start_time=time(18)),
        based_on_version=1,
    )

    assert (result.created, result.updated, result.removed) == (0, 3, 0)
    assert [s.pk for s in result.misfits] == [weeks[1].pk]
    after = {s.pk: s for s in Session.objects.filter(club=planned.club)}
    assert [after[w.pk].starts_at.astimezone(LA).time() for w in weeks] == [
        time(18, 0),
        time(12, 0),
        time(18, 0),
        time(18, 0),
    ]
    assert [after[w.pk].change_count for w in weeks] == [1, 1, 1, 1]  # the claim counts too
    assert (after[weeks[1].pk].state, after[weeks[1].pk].facilitator) == (SCHEDULED, member)


def test_replanning_leaves_a_week_with_papers_alone(planned, weeks, organizer):
    nomination = nomination_titled(planned.club, "Attention")
    session_papers_set(session=weeks[0], by=organizer, picks=[(nomination.pk, None)])

    _, result = schedule_save(
        club=planned.club,
        by=organizer,
        data=schedule_input(start_time=time(18)),
        based_on_version=1,
    )

    assert [s.pk for s in result.misfits] == [weeks[0].pk]
    weeks[0].refresh_from_db()
    assert weeks[0].starts_at.astimezone(LA).time() == time(12, 0)


@pytest.mark.parametrize("change", ["time", "weekday"])
def test_replanning_leaves_a_moved_week_where_it_was_moved(planned, weeks, organizer, change):
    # A day later in the same club-week (Monday to Sunday): a Sunday week moves
    # to the Saturday before, since the Monday after is the next week's.
    day = timedelta(days=1 if weeks[1].series_date.weekday() < Weekday.SUNDAY else -1)
    moved_to = datetime.combine(weeks[1].series_date + day, time(15), tzinfo=LA)
    session_move(session=weeks[1], by=organizer, starts_at=moved_to, duration_minutes=90)
    data = (
        schedule_input(start_time=time(18))
        if change == "time"
        else schedule_input(weekday=moved_to.weekday())
    )

    _, result = schedule_save(club=planned.club, by=organizer, data=data, based_on_version=1)

    weeks[1].refresh_from_db()
    assert (weeks[1].starts_at, weeks[1].ends_at) == (moved_to, moved_to + timedelta(minutes=90))
    assert (weeks[1].moved, weeks[1].change_count) == (True, 1)
    # Placed by hand: left alone either way, and not offered to move.
    assert result.misfits == []


def test_replanning_keeps_a_skipped_week_cancelled(planned, weeks, organizer):
    session_skip(session=weeks[2], by=organizer, reason="  Holiday ")

    _, result = schedule_save(
        club=planned.club,
        by=organizer,
        data=schedule_input(start_time=time(18)),
        based_on_version=1,
    )

    # Skipped weeks follow the schedule too (still skipped, at the new time).
    weeks[2].refresh_from_db()
    assert (weeks[2].state, weeks[2].cancel_reason, weeks[2].change_count) == (
        CANCELLED,
        "Holiday",
        2,
    )
    assert weeks[2].starts_at.astimezone(LA).time() == time(18)
    assert (result.updated, result.created, result.misfits) == (4, 0, [])


def test_shorter_horizon_removes_unclaimed_weeks_beyond_it(planned, weeks, organizer, member):
    session_claim(session=weeks[3], user=member)

    _, result = schedule_save(
        club=planned.club, by=organizer, data=schedule_input(weeks_ahead=2), based_on_version=1
    )

    assert (result.removed, [s.pk for s in result.misfits]) == (1, [weeks[3].pk])
    assert list(Session.objects.filter(club=planned.club).values_list("pk", flat=True)) == [
        weeks[0].pk,
        weeks[1].pk,
        weeks[3].pk,
    ]


def test_new_link_follows_weeks_that_used_the_old_one(planned, weeks, organizer, member):
    club = planned.club
    past = session_in(club, starts_in=-timedelta(days=7), meeting_link=LINK, state=DONE)
    session_details_update(
        session=weeks[1],
        by=organizer,
        details=SessionDetails(
            title="",
            format=Session.Format.SINGLE,
            notes="",
            meeting_link="https://meet.example.com/special",
            location="",
            slides_url="",
            recording_url="",
            co_facilitator_id=None,
        ),
    )
    session_skip(session=weeks[2], by=organizer, reason="Holiday")
    new_link = "https://meet.example.com/new"

    schedule_save(
        club=club, by=organizer, data=schedule_input(meeting_link=new_link), based_on_version=1
    )

    after = {s.pk: s for s in Session.objects.filter(club=club)}
    assert [(after[w.pk].meeting_link, after[w.pk].change_count) for w in weeks] == [
        (new_link, 1),
        ("https://meet.example.com/special", 1),
        (LINK, 1),  # cancelled: left as it was
        (new_link, 1),
    ]
    assert (after[past.pk].meeting_link, after[past.pk].change_count) == (LINK, 0)
    assert ClubSchedule.objects.get(club=club).meeting_link == new_link


def test_schedule_save_on_a_stale_version_is_refused_and_changes_nothing(planned, organizer):
    schedule_save(
        club=planned.club, by=organizer, data=schedule_input(start_time=time(9)), based_on_version=1
    )
    before = sessions_snapshot(planned.club)

    with pytest.raises(SessionError) as error:
        schedule_save(
            club=planned.club,
            by=organizer,
            data=schedule_input(start_time=time(18)),
            based_on_version=1,
        )

    assert str(error.value) == (
        "Another organizer changed the schedule while you were editing it. "
        "Here it is as they left it: make your change again."
    )
    schedule = ClubSchedule.objects.get(club=planned.club)
    assert (schedule.version, schedule.start_time) == (2, time(9))
    assert sessions_snapshot(planned.club) == before


def test_schedule_save_creating_over_an_existing_schedule_is_refused(planned, organizer):
    with pytest.raises(SessionError, match=r"^Another organizer changed the schedule"):
        schedule_save(
            club=planned.club,
            by=organizer,
            data=schedule_input(weeks_ahead=8),
            based_on_version=None,
        )
    assert ClubSchedule.objects.get(club=planned.club).weeks_ahead == 4


@pytest.mark.parametrize("existing", [False, True])
def test_schedule_last_date_before_first_is_refused_and_changes_nothing(club, organizer, existing):
    version = None
    if existing:
        schedule_save(club=club, by=organizer, data=schedule_input(), based_on_version=None)
        version = 1
    before = (sessions_snapshot(club), list(ClubSchedule.objects.values()))
    today = local_today()

    with pytest.raises(SessionError) as error:
        schedule_save(
            club=club,
            by=organizer,
            data=schedule_input(
                first_date=today, last_date=today - timedelta(days=1), weeks_ahead=8
            ),
            based_on_version=version,
        )

    assert str(error.value) == "The last date must be on or after the first date."
    assert (sessions_snapshot(club), list(ClubSchedule.objects.values())) == before


@pytest.mark.parametrize("who", ["member", "pending", "outsider"])
def test_schedule_save_by_a_non_organizer_is_not_allowed(club, who):
    person = (
        UserFactory()
        if who == "outsider"
        else MembershipFactory(club=club, state="active" if who == "member" else "pending").user
    )

    with pytest.raises(NotAllowed) as error:
        schedule_save(club=club, by=person, data=schedule_input(), based_on_version=None)

    assert str(error.value) == "Only the club's organizers can do that."
    assert (ClubSchedule.objects.count(), Session.objects.count()) == (0, 0)
