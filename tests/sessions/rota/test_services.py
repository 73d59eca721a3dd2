"""The rota's services: the planner, schedule edits, claims, papers, done, RSVP."""

import logging
import zoneinfo
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from papers.models import Nomination
from sessions.errors import NotAllowed, SessionError
from sessions.models import ClubSchedule, Rsvp, Session, SessionPaper, Weekday
from sessions.rota.common import AUTO_DONE_AFTER
from sessions.rota.facilitators import (
    session_assign,
    session_claim,
    session_papers_set,
    session_withdraw,
)
from sessions.rota.planning import (
    PlanResult,
    ScheduleInput,
    schedule_save,
    sessions_plan,
    sessions_plan_all,
)
from sessions.rota.weeks import (
    SessionDetails,
    rsvp_set,
    session_add_one_off,
    session_details_update,
    session_mark_done,
    session_move,
    session_restore,
    session_skip,
    sessions_close_finished,
)
from tests.factories import (
    ClubFactory,
    MembershipFactory,
    NominationFactory,
    SessionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

LA = ZoneInfo("America/Los_Angeles")
LINK = "https://meet.example.com/club"
# A Tuesday at noon UTC: the planner's clock for tests that do not need real time.
TUESDAY = datetime(2025, 1, 7, 12, 0, tzinfo=UTC)

OPEN, SCHEDULED = Session.State.OPEN, Session.State.SCHEDULED
CANCELLED, DONE = Session.State.CANCELLED, Session.State.DONE
PROPOSED = Nomination.State.PROPOSED


# --- Helpers -----------------------------------------------------------------------------


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


def _local_today() -> date:
    return timezone.now().astimezone(LA).date()


def _input(**fields) -> ScheduleInput:
    """A schedule on the weekday two days from now, so the horizon holds exactly
    `weeks_ahead` weeks whatever day and hour the suite runs."""
    today = _local_today()
    values = {
        "weekday": (today + timedelta(days=2)).weekday(),
        "start_time": time(12, 0),
        "duration_minutes": 60,
        "meeting_link": LINK,
        "weeks_ahead": 4,
        "first_date": today,
        "last_date": None,
    }
    return ScheduleInput(**(values | fields))


def _snapshot(club) -> list[tuple]:
    return list(
        Session.objects.filter(club=club)
        .order_by("pk")
        .values_list(
            "pk",
            "series_date",
            "starts_at",
            "ends_at",
            "state",
            "facilitator_id",
            "meeting_link",
            "change_count",
        )
    )


def _session(club, *, starts_in=timedelta(days=7), minutes=60, **fields) -> Session:
    starts = timezone.now() + starts_in
    return SessionFactory(
        club=club, starts_at=starts, ends_at=starts + timedelta(minutes=minutes), **fields
    )


def _nomination(club, title, *, state=PROPOSED) -> Nomination:
    return NominationFactory(club=club, paper__title=title, state=state)


def _state(nomination) -> str:
    nomination.refresh_from_db()
    return nomination.state


@pytest.fixture
def planned(club, organizer):
    """A schedule saved by the organizer: four open weeks, two days apart from today."""
    schedule, result = schedule_save(club=club, by=organizer, data=_input(), based_on_version=None)
    assert result.created == 4
    return schedule


@pytest.fixture
def weeks(planned):
    return list(Session.objects.filter(club=planned.club).order_by("starts_at"))


@pytest.fixture
def open_week(club):
    return _session(club)


# --- The planner ----------------------------------------------------------------------------


def test_plan_twice_creates_nothing_new(club):
    _schedule(club)
    first = sessions_plan(club=club, now=TUESDAY)
    before = _snapshot(club)

    second = sessions_plan(club=club, now=TUESDAY)

    assert first.created == 4
    assert second == PlanResult()
    assert _snapshot(club) == before
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
    before = _snapshot(club)
    schedule.weekday = Weekday.THURSDAY
    schedule.save()

    # Five weeks on, every planned Wednesday is in the past.
    result = sessions_plan(club=club, now=TUESDAY + timedelta(weeks=5))

    assert result.removed == 0
    assert _snapshot(club)[:4] == before
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
    before = _snapshot(club)

    again = sessions_plan(club=club, now=later)

    assert again == PlanResult()
    assert _snapshot(club) == before
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
    schedule, result = schedule_save(club=club, by=organizer, data=_input(), based_on_version=None)

    first = _local_today() + timedelta(days=2)
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
        club=planned.club, by=organizer, data=_input(start_time=time(18)), based_on_version=1
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
    nomination = _nomination(planned.club, "Attention")
    session_papers_set(session=weeks[0], by=organizer, picks=[(nomination.pk, None)])

    _, result = schedule_save(
        club=planned.club, by=organizer, data=_input(start_time=time(18)), based_on_version=1
    )

    assert [s.pk for s in result.misfits] == [weeks[0].pk]
    weeks[0].refresh_from_db()
    assert weeks[0].starts_at.astimezone(LA).time() == time(12, 0)


@pytest.mark.parametrize("change", ["time", "weekday"])
def test_replanning_leaves_a_moved_week_where_it_was_moved(planned, weeks, organizer, change):
    moved_to = datetime.combine(weeks[1].series_date + timedelta(days=1), time(15), tzinfo=LA)
    session_move(session=weeks[1], by=organizer, starts_at=moved_to, duration_minutes=90)
    data = (
        _input(start_time=time(18))
        if change == "time"
        else _input(weekday=(_local_today() + timedelta(days=3)).weekday())
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
        club=planned.club, by=organizer, data=_input(start_time=time(18)), based_on_version=1
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
        club=planned.club, by=organizer, data=_input(weeks_ahead=2), based_on_version=1
    )

    assert (result.removed, [s.pk for s in result.misfits]) == (1, [weeks[3].pk])
    assert list(Session.objects.filter(club=planned.club).values_list("pk", flat=True)) == [
        weeks[0].pk,
        weeks[1].pk,
        weeks[3].pk,
    ]


def test_new_link_follows_weeks_that_used_the_old_one(planned, weeks, organizer, member):
    club = planned.club
    past = _session(club, starts_in=-timedelta(days=7), meeting_link=LINK, state=DONE)
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

    schedule_save(club=club, by=organizer, data=_input(meeting_link=new_link), based_on_version=1)

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
        club=planned.club, by=organizer, data=_input(start_time=time(9)), based_on_version=1
    )
    before = _snapshot(planned.club)

    with pytest.raises(SessionError) as error:
        schedule_save(
            club=planned.club, by=organizer, data=_input(start_time=time(18)), based_on_version=1
        )

    assert str(error.value) == (
        "Another organizer changed the schedule while you were editing it. "
        "Here it is as they left it: make your change again."
    )
    schedule = ClubSchedule.objects.get(club=planned.club)
    assert (schedule.version, schedule.start_time) == (2, time(9))
    assert _snapshot(planned.club) == before


def test_schedule_save_creating_over_an_existing_schedule_is_refused(planned, organizer):
    with pytest.raises(SessionError, match=r"^Another organizer changed the schedule"):
        schedule_save(
            club=planned.club, by=organizer, data=_input(weeks_ahead=8), based_on_version=None
        )
    assert ClubSchedule.objects.get(club=planned.club).weeks_ahead == 4


@pytest.mark.parametrize("existing", [False, True])
def test_schedule_last_date_before_first_is_refused_and_changes_nothing(club, organizer, existing):
    version = None
    if existing:
        schedule_save(club=club, by=organizer, data=_input(), based_on_version=None)
        version = 1
    before = (_snapshot(club), list(ClubSchedule.objects.values()))
    today = _local_today()

    with pytest.raises(SessionError) as error:
        schedule_save(
            club=club,
            by=organizer,
            data=_input(first_date=today, last_date=today - timedelta(days=1), weeks_ahead=8),
            based_on_version=version,
        )

    assert str(error.value) == "The last date must be on or after the first date."
    assert (_snapshot(club), list(ClubSchedule.objects.values())) == before


@pytest.mark.parametrize("who", ["member", "pending", "outsider"])
def test_schedule_save_by_a_non_organizer_is_not_allowed(club, who):
    person = (
        UserFactory()
        if who == "outsider"
        else MembershipFactory(club=club, state="active" if who == "member" else "pending").user
    )

    with pytest.raises(NotAllowed) as error:
        schedule_save(club=club, by=person, data=_input(), based_on_version=None)

    assert str(error.value) == "Only the club's organizers can do that."
    assert (ClubSchedule.objects.count(), Session.objects.count()) == (0, 0)


# --- Claims and facilitators ------------------------------------------------------------------


def test_claim_an_open_week_schedules_it(open_week, member):
    session = session_claim(session=open_week, user=member)

    session.refresh_from_db()
    assert (session.state, session.facilitator, session.change_count) == (SCHEDULED, member, 1)


@pytest.mark.parametrize(
    ("arrange", "message"),
    [
        ("cancelled", "This week is cancelled, so nobody facilitates it."),
        ("done", "This session has already happened."),
        ("started", "This session has already happened."),
        ("taken", "Someone just took this week. Pick another open week."),
        ("mine", "You are already facilitating this week."),
    ],
)
def test_claim_refused_with_a_message_and_changes_nothing(club, member, arrange, message):
    someone = MembershipFactory(club=club).user
    session = {
        "cancelled": lambda: _session(club, state=CANCELLED, cancel_reason="Holiday"),
        "done": lambda: _session(
            club, starts_in=-timedelta(days=7), state=DONE, facilitator=someone
        ),
        # Started half an hour ago and nobody took it.
        "started": lambda: _session(club, starts_in=-timedelta(minutes=30)),
        "taken": lambda: _session(club, state=SCHEDULED, facilitator=someone),
        "mine": lambda: _session(club, state=SCHEDULED, facilitator=member),
    }[arrange]()
    before = _snapshot(club)

    with pytest.raises(SessionError) as error:
        session_claim(session=session, user=member)

    assert str(error.value) == message
    assert type(error.value) is SessionError
    assert _snapshot(club) == before


@pytest.mark.parametrize("state", ["pending", "removed", "left"])
def test_claim_by_a_non_active_member_is_not_allowed(club, open_week, state):
    person = MembershipFactory(club=club, state=state).user

    with pytest.raises(NotAllowed):
        session_claim(session=open_week, user=person)

    open_week.refresh_from_db()
    assert (open_week.state, open_week.facilitator, open_week.change_count) == (OPEN, None, 0)


def test_claim_by_an_outsider_is_not_allowed(open_week, outsider):
    with pytest.raises(NotAllowed):
        session_claim(session=open_week, user=outsider)


def test_withdraw_reopens_the_week(open_week, member):
    session_claim(session=open_week, user=member)

    session = session_withdraw(session=open_week, user=member)

    session.refresh_from_db()
    assert (session.state, session.facilitator, session.change_count) == (OPEN, None, 2)


@pytest.mark.parametrize("who", ["other_member", "organizer"])
def test_withdraw_by_someone_other_than_the_facilitator_is_refused(
    club, open_week, member, organizer, who
):
    session_claim(session=open_week, user=member)
    person = organizer if who == "organizer" else MembershipFactory(club=club).user

    with pytest.raises(SessionError) as error:
        session_withdraw(session=open_week, user=person)

    assert str(error.value) == "You are not facilitating an upcoming week here."
    open_week.refresh_from_db()
    assert (open_week.state, open_week.facilitator, open_week.change_count) == (
        SCHEDULED,
        member,
        1,
    )


def test_withdraw_from_a_past_week_is_refused(club, member):
    session = _session(club, starts_in=-timedelta(minutes=30), state=SCHEDULED, facilitator=member)

    with pytest.raises(SessionError, match=r"^You are not facilitating an upcoming week here\.$"):
        session_withdraw(session=session, user=member)


def test_organizer_assigns_reassigns_and_clears(club, open_week, organizer, member):
    other = MembershipFactory(club=club).user

    steps = [member, other, None]
    seen = []
    for facilitator in steps:
        session = session_assign(session=open_week, by=organizer, facilitator=facilitator)
        session.refresh_from_db()
        seen.append((session.state, session.facilitator, session.change_count))

    assert seen == [(SCHEDULED, member, 1), (SCHEDULED, other, 2), (OPEN, None, 3)]


def test_assigning_the_same_facilitator_again_changes_nothing(open_week, organizer, member):
    session_assign(session=open_week, by=organizer, facilitator=member)
    session_assign(session=open_week, by=organizer, facilitator=member)

    open_week.refresh_from_db()
    assert open_week.change_count == 1


@pytest.mark.parametrize("state", ["pending", "removed", "left", "outsider"])
def test_assign_a_non_member_is_refused(club, open_week, organizer, state):
    person = (
        UserFactory() if state == "outsider" else MembershipFactory(club=club, state=state).user
    )

    with pytest.raises(SessionError) as error:
        session_assign(session=open_week, by=organizer, facilitator=person)

    assert str(error.value) == "Only an active member of the club can facilitate."
    open_week.refresh_from_db()
    assert (open_week.state, open_week.facilitator, open_week.change_count) == (OPEN, None, 0)


def test_assign_by_a_member_is_not_allowed(club, open_week, member):
    with pytest.raises(NotAllowed):
        session_assign(session=open_week, by=member, facilitator=member)


@pytest.mark.parametrize(
    ("arrange", "message"),
    [
        ("cancelled", "This week is cancelled; restore it first."),
        ("past", "This session has already happened, so it cannot be reassigned."),
    ],
)
def test_assign_on_a_cancelled_or_past_week_is_refused(club, organizer, member, arrange, message):
    session = (
        _session(club, state=CANCELLED)
        if arrange == "cancelled"
        else _session(club, starts_in=-timedelta(hours=2))
    )

    with pytest.raises(SessionError) as error:
        session_assign(session=session, by=organizer, facilitator=member)

    assert str(error.value) == message


# --- Skip, restore, move, one-offs -------------------------------------------------------------


def test_skip_cancels_the_week_and_releases_its_papers(club, open_week, organizer, member):
    session_claim(session=open_week, user=member)
    first, second = _nomination(club, "A"), _nomination(club, "B")
    Session.objects.filter(pk=open_week.pk).update(format=Session.Format.SURVEY)
    session_papers_set(session=open_week, by=member, picks=[(first.pk, 30), (second.pk, 30)])

    session = session_skip(session=open_week, by=organizer, reason="Thanksgiving")

    session.refresh_from_db()
    assert (session.state, session.cancel_reason, session.change_count) == (
        CANCELLED,
        "Thanksgiving",
        3,
    )
    assert [_state(first), _state(second)] == [PROPOSED, PROPOSED]


def test_skip_twice_is_refused(open_week, organizer):
    session_skip(session=open_week, by=organizer, reason="Holiday")

    with pytest.raises(SessionError, match=r"^This week is already cancelled\.$"):
        session_skip(session=open_week, by=organizer, reason="Holiday")


def test_skip_by_a_member_is_not_allowed(open_week, member):
    with pytest.raises(NotAllowed):
        session_skip(session=open_week, by=member, reason="Holiday")
    open_week.refresh_from_db()
    assert open_week.state == OPEN


def test_restore_reopens_a_skipped_week(open_week, organizer):
    session_skip(session=open_week, by=organizer, reason="Holiday")

    session = session_restore(session=open_week, by=organizer)

    assert (session.state, session.cancel_reason, session.change_count) == (OPEN, "", 2)


def test_move_sets_the_new_time_and_marks_the_week_moved(open_week, organizer):
    to = (timezone.now() + timedelta(days=9)).replace(microsecond=0)

    session = session_move(session=open_week, by=organizer, starts_at=to, duration_minutes=45)

    session.refresh_from_db()
    assert (session.starts_at, session.ends_at, session.moved, session.change_count) == (
        to,
        to + timedelta(minutes=45),
        True,
        1,
    )


@pytest.mark.parametrize(
    ("starts_in", "minutes", "message"),
    [
        (-timedelta(hours=1), 60, "A session cannot be moved into the past."),
        (timedelta(days=1), 10, "A session lasts between 15 minutes and 10 hours."),
        (timedelta(days=1), 601, "A session lasts between 15 minutes and 10 hours."),
    ],
)
def test_move_refused_changes_nothing(club, open_week, organizer, starts_in, minutes, message):
    before = _snapshot(club)

    with pytest.raises(SessionError) as error:
        session_move(
            session=open_week,
            by=organizer,
            starts_at=timezone.now() + starts_in,
            duration_minutes=minutes,
        )

    assert str(error.value) == message
    assert _snapshot(club) == before


def test_move_a_past_session_is_refused(club, organizer):
    session = _session(club, starts_in=-timedelta(days=1))

    with pytest.raises(SessionError) as error:
        session_move(
            session=session,
            by=organizer,
            starts_at=timezone.now() + timedelta(days=1),
            duration_minutes=60,
        )

    assert str(error.value) == "This session has already happened, so it cannot be moved."


def test_one_off_session_takes_the_club_link_and_a_location(planned, organizer):
    at = (timezone.now() + timedelta(days=10)).replace(microsecond=0)

    session = session_add_one_off(
        club=planned.club,
        by=organizer,
        starts_at=at,
        duration_minutes=120,
        title="  Summer meetup ",
        location=" The Library ",
    )

    assert (session.series_date, session.state, session.title, session.location) == (
        None,
        OPEN,
        "Summer meetup",
        "The Library",
    )
    assert (session.meeting_link, session.ends_at - session.starts_at) == (
        LINK,
        timedelta(hours=2),
    )


def test_one_off_session_in_the_past_is_refused(club, organizer):
    with pytest.raises(SessionError) as error:
        session_add_one_off(
            club=club,
            by=organizer,
            starts_at=timezone.now() - timedelta(minutes=1),
            duration_minutes=60,
        )

    assert str(error.value) == "A new session must be in the future."
    assert Session.objects.count() == 0


def test_one_off_session_by_a_member_is_not_allowed(club, member):
    with pytest.raises(NotAllowed):
        session_add_one_off(
            club=club,
            by=member,
            starts_at=timezone.now() + timedelta(days=1),
            duration_minutes=60,
        )
    assert Session.objects.count() == 0


# --- Papers -----------------------------------------------------------------------------


@pytest.fixture
def facilitated(open_week, member):
    return session_claim(session=open_week, user=member)


def _picks(session) -> list[tuple[int, int | None]]:
    return list(
        SessionPaper.objects.filter(session=session)
        .order_by("position")
        .values_list("nomination_id", "minutes")
    )


def test_papers_set_schedules_the_picks_in_order(club, facilitated, member):
    first, second, third = (_nomination(club, t) for t in ("A", "B", "C"))
    Session.objects.filter(pk=facilitated.pk).update(format=Session.Format.SURVEY)

    session = session_papers_set(
        session=facilitated, by=member, picks=[(third.pk, 20), (first.pk, 40)]
    )

    assert _picks(session) == [(third.pk, 20), (first.pk, 40)]
    assert [_state(first), _state(second), _state(third)] == [
        Nomination.State.SCHEDULED,
        PROPOSED,
        Nomination.State.SCHEDULED,
    ]
    session.refresh_from_db()
    assert session.change_count == 2  # the claim and the papers


def test_papers_set_dropping_a_paper_returns_it_to_the_backlog(club, facilitated, member):
    first, second = _nomination(club, "A"), _nomination(club, "B")
    Session.objects.filter(pk=facilitated.pk).update(format=Session.Format.SURVEY)
    session_papers_set(session=facilitated, by=member, picks=[(first.pk, 30), (second.pk, 30)])

    session = session_papers_set(session=facilitated, by=member, picks=[(second.pk, None)])

    assert _picks(session) == [(second.pk, None)]
    assert [_state(first), _state(second)] == [PROPOSED, Nomination.State.SCHEDULED]
    session.refresh_from_db()
    assert session.change_count == 3


def test_papers_set_with_the_same_picks_changes_nothing(club, facilitated, member):
    first = _nomination(club, "A")
    session_papers_set(session=facilitated, by=member, picks=[(first.pk, None)])

    session = session_papers_set(session=facilitated, by=member, picks=[(first.pk, None)])

    session.refresh_from_db()
    assert (session.change_count, _state(first)) == (2, Nomination.State.SCHEDULED)


@pytest.mark.parametrize(
    ("arrange", "message"),
    [
        ("other_club", "That paper is not in this club's backlog."),
        ("archived", "“Paper X” is archived; choose a paper that is still proposed."),
        ("covered", "“Paper X” is covered; choose a paper that is still proposed."),
        ("elsewhere", "“Paper X” is scheduled; choose a paper that is still proposed."),
        ("twice", "Each paper can be chosen once."),
    ],
)
def test_papers_set_refused_changes_nothing(club, facilitated, member, arrange, message):
    kept = _nomination(club, "Kept")
    session_papers_set(session=facilitated, by=member, picks=[(kept.pk, None)])
    if arrange == "other_club":
        picked = _nomination(ClubFactory(), "Paper X")
    elif arrange == "elsewhere":
        picked = _nomination(club, "Paper X")
        other_week = _session(club, state=SCHEDULED, facilitator=member)
        session_papers_set(session=other_week, by=member, picks=[(picked.pk, None)])
    else:
        state = {"archived": "archived", "covered": "covered"}.get(arrange, PROPOSED)
        picked = _nomination(club, "Paper X", state=state)
    picks = [(picked.pk, None)] if arrange != "twice" else [(picked.pk, 10), (picked.pk, 20)]
    picked_state = _state(picked)

    with pytest.raises(SessionError) as error:
        session_papers_set(session=facilitated, by=member, picks=picks)

    assert str(error.value) == message
    assert _picks(facilitated) == [(kept.pk, None)]
    assert (_state(kept), _state(picked)) == (Nomination.State.SCHEDULED, picked_state)
    facilitated.refresh_from_db()
    assert facilitated.change_count == 2


def test_papers_set_by_an_organizer_is_allowed(club, facilitated, organizer):
    first = _nomination(club, "A")

    session = session_papers_set(session=facilitated, by=organizer, picks=[(first.pk, None)])

    assert _picks(session) == [(first.pk, None)]


@pytest.mark.parametrize("who", ["member", "outsider"])
def test_papers_set_by_someone_else_is_not_allowed(club, facilitated, who):
    first = _nomination(club, "A")
    person = MembershipFactory(club=club).user if who == "member" else UserFactory()

    with pytest.raises(NotAllowed):
        session_papers_set(session=facilitated, by=person, picks=[(first.pk, None)])

    assert (_picks(facilitated), _state(first)) == ([], PROPOSED)


def test_papers_set_on_a_cancelled_week_is_refused(club, open_week, organizer):
    session_skip(session=open_week, by=organizer, reason="Holiday")
    first = _nomination(club, "A")

    with pytest.raises(SessionError, match=r"^This week is cancelled; restore it first\.$"):
        session_papers_set(session=open_week, by=organizer, picks=[(first.pk, None)])


def _past_session_with_paper(club, facilitator, *, local_start: datetime):
    nomination = _nomination(club, "A", state=Nomination.State.SCHEDULED)
    session = Session.objects.create(
        club=club,
        starts_at=local_start,
        ends_at=local_start + timedelta(hours=1),
        state=SCHEDULED,
        facilitator=facilitator,
    )
    SessionPaper.objects.create(session=session, nomination=nomination)
    return session, nomination


def test_mark_done_covers_papers_on_the_clubs_local_date(club, member):
    # 20:00 on Wednesday in Los Angeles is 04:00 on Thursday in UTC.
    evening = datetime(2026, 11, 18, 20, 0, tzinfo=LA)
    session, nomination = _past_session_with_paper(club, member, local_start=evening)
    assert session.starts_at.astimezone(UTC).date() == date(2026, 11, 19)

    done = session_mark_done(session=session, by=member)

    nomination.refresh_from_db()
    assert (done.state, nomination.state, nomination.covered_on) == (
        DONE,
        Nomination.State.COVERED,
        date(2026, 11, 18),
    )
    assert done.done_at is not None


@pytest.mark.parametrize(
    ("arrange", "message"),
    [
        ("future", "This session has not started yet."),
        ("cancelled", "A cancelled week cannot be marked done."),
    ],
)
def test_mark_done_refused(club, organizer, member, arrange, message):
    if arrange == "future":
        session = _session(club, state=SCHEDULED, facilitator=member)
    else:
        session = _session(club, starts_in=-timedelta(days=1), state=CANCELLED)

    state_before = session.state

    with pytest.raises(SessionError) as error:
        session_mark_done(session=session, by=organizer)

    assert str(error.value) == message
    session.refresh_from_db()
    assert (session.state, session.done_at) == (state_before, None)


def test_mark_done_by_a_member_who_did_not_facilitate_is_not_allowed(club, member):
    session, nomination = _past_session_with_paper(
        club, member, local_start=timezone.now() - timedelta(hours=3)
    )
    other = MembershipFactory(club=club).user

    with pytest.raises(NotAllowed):
        session_mark_done(session=session, by=other)

    assert _state(nomination) == Nomination.State.SCHEDULED


def test_close_finished_marks_done_six_hours_after_the_end_and_cancels_open_weeks(club, member):
    now = timezone.now()
    six_hours = AUTO_DONE_AFTER
    minute = timedelta(minutes=1)

    def ended(ago, **fields):
        return _session(club, starts_in=-(ago + timedelta(hours=1)), **fields)

    due = ended(six_hours + minute, state=SCHEDULED, facilitator=member)
    nomination = _nomination(club, "A", state=Nomination.State.SCHEDULED)
    SessionPaper.objects.create(session=due, nomination=nomination)
    not_yet = ended(six_hours - minute, state=SCHEDULED, facilitator=member)
    nobody = ended(six_hours + minute)
    nobody_recent = ended(six_hours - minute)
    upcoming = _session(club, state=SCHEDULED, facilitator=member)

    assert sessions_close_finished(now=now) == 1

    states = {s.pk: (s.state, s.cancel_reason, s.change_count) for s in Session.objects.all()}
    assert states == {
        due.pk: (DONE, "", 0),
        not_yet.pk: (SCHEDULED, "", 0),
        nobody.pk: (CANCELLED, "Nobody facilitated this week.", 1),
        nobody_recent.pk: (OPEN, "", 0),
        upcoming.pk: (SCHEDULED, "", 0),
    }
    nomination.refresh_from_db()
    assert (nomination.state, nomination.covered_on) == (
        Nomination.State.COVERED,
        due.starts_at.astimezone(LA).date(),
    )
    assert sessions_close_finished(now=now) == 0


# --- RSVP ----------------------------------------------------------------------------------


def test_rsvp_set_then_change_keeps_one_answer(open_week, member):
    rsvp_set(session=open_week, user=member, answer="going")
    rsvp = rsvp_set(session=open_week, user=member, answer="maybe")

    assert rsvp.answer == Rsvp.Answer.MAYBE
    assert list(Rsvp.objects.values_list("user_id", "answer")) == [(member.pk, "maybe")]


@pytest.mark.parametrize(
    ("arrange", "answer", "message"),
    [
        ("open", "perhaps", "Answer going, maybe or not going."),
        ("cancelled", "going", "This week is cancelled."),
        ("done", "going", "This session is over."),
        ("ended", "going", "This session is over."),
    ],
)
def test_rsvp_refused_with_a_message(club, member, arrange, answer, message):
    session = {
        "open": lambda: _session(club),
        "cancelled": lambda: _session(club, state=CANCELLED),
        "done": lambda: _session(club, starts_in=-timedelta(minutes=10), state=DONE),
        "ended": lambda: _session(club, starts_in=-timedelta(hours=2)),
    }[arrange]()

    with pytest.raises(SessionError) as error:
        rsvp_set(session=session, user=member, answer=answer)

    assert str(error.value) == message
    assert Rsvp.objects.count() == 0


def test_rsvp_during_the_session_is_allowed(club, member):
    session = _session(club, starts_in=-timedelta(minutes=10))

    assert rsvp_set(session=session, user=member, answer="going").answer == "going"


@pytest.mark.parametrize("state", ["pending", "removed", "outsider"])
def test_rsvp_by_a_non_member_is_not_allowed(club, open_week, state):
    person = (
        UserFactory() if state == "outsider" else MembershipFactory(club=club, state=state).user
    )

    with pytest.raises(NotAllowed):
        rsvp_set(session=open_week, user=person, answer="going")

    assert Rsvp.objects.count() == 0
