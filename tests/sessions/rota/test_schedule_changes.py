"""Schedule changes without duplicates (issue 13, item 4) and withdrawing that
gives the papers back (item 5).

The planner runs at a fixed moment (a Monday 09:00 in the club's zone, at
least a week from now), so which weeks exist does not depend on the day the
suite runs; claims and moves still happen in the real future.
"""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.urls import reverse

from clubs.models import ActivityEntry
from papers import services as papers_services
from papers.models import Nomination, Vote
from sessions.errors import SessionError
from sessions.models import ClubSchedule, MailPreferences, Session, SessionPaper, Weekday
from sessions.rota.common import week_start
from sessions.rota.facilitators import (
    session_assign,
    session_claim,
    session_papers_set,
    session_withdraw,
)
from sessions.rota.planning import (
    ScheduleInput,
    schedule_misfits,
    schedule_save,
    session_slot_replan,
    sessions_keep,
    sessions_plan,
    sessions_refit,
    vacated_slots,
)
from sessions.rota.weeks import session_move, session_restore, session_skip
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

LA = ZoneInfo("America/Los_Angeles")  # the club fixture's zone
CANCELLED = Session.State.CANCELLED


def _monday() -> date:
    today = datetime.now(LA).date()
    return today + timedelta(days=14 - today.weekday())


MONDAY = _monday()
NOW = datetime.combine(MONDAY, time(9), tzinfo=LA)


def _plan(club, **schedule_fields):
    if schedule_fields:
        ClubSchedule.objects.filter(club=club).update(**schedule_fields)
    return sessions_plan(club=club, now=NOW)


@pytest.fixture
def wednesdays(club):
    """Four open Wednesdays at noon: MONDAY+2, +9, +16, +23."""
    ClubSchedule.objects.create(
        club=club,
        weekday=Weekday.WEDNESDAY,
        start_time=time(12),
        duration_minutes=60,
        weeks_ahead=4,
        first_date=MONDAY - timedelta(days=7),
    )
    assert _plan(club).created == 4
    return list(Session.objects.filter(club=club).order_by("starts_at"))


def _live_series_per_week(club) -> dict[date, list[date]]:
    weeks: dict[date, list[date]] = {}
    for session in Session.objects.filter(club=club, series_date__isnull=False).exclude(
        state=CANCELLED
    ):
        day = session.starts_at.astimezone(LA).date()
        weeks.setdefault(week_start(day), []).append(day)
    return weeks


def _local(session) -> tuple[date, time]:
    session.refresh_from_db()
    local = session.starts_at.astimezone(LA)
    return local.date(), local.time()


def _methods():
    return [
        next(m for _, m in message.alternatives if m.startswith("text/calendar"))
        for message in mail.outbox
    ]


# --- Wednesday to Thursday -------------------------------------------------------------


def test_wednesday_to_thursday_with_a_claimed_week_leaves_one_session_per_week(
    club, wednesdays, member
):
    claimed = wednesdays[1]
    session_claim(session=claimed, user=member)

    result = _plan(club, weekday=Weekday.THURSDAY)

    weeks = _live_series_per_week(club)
    assert {week: len(days) for week, days in weeks.items()} == {
        MONDAY + timedelta(weeks=k): 1 for k in range(4)
    }
    assert _local(claimed) == (MONDAY + timedelta(days=9), time(12))  # kept its Wednesday
    assert sorted(d for days in weeks.values() for d in days) == [
        MONDAY + timedelta(days=3),
        MONDAY + timedelta(days=9),
        MONDAY + timedelta(days=17),
        MONDAY + timedelta(days=24),
    ]
    assert [s.pk for s in result.misfits] == [claimed.pk]


def test_open_weeks_keep_their_identity_when_they_follow_the_new_day(club, wednesdays):
    result = _plan(club, weekday=Weekday.THURSDAY)

    assert (result.created, result.updated, result.removed) == (0, 4, 0)
    assert [_local(s) for s in wednesdays] == [
        (MONDAY + timedelta(days=3 + 7 * k), time(12)) for k in range(4)
    ]


def test_a_skipped_week_stays_skipped_on_the_new_day(club, wednesdays, organizer):
    christmas = wednesdays[2]
    session_skip(session=christmas, by=organizer, reason="Christmas")

    _plan(club, weekday=Weekday.THURSDAY)

    christmas.refresh_from_db()
    assert (christmas.state, christmas.cancel_reason) == (CANCELLED, "Christmas")
    assert _local(christmas) == (MONDAY + timedelta(days=17), time(12))
    # Nothing open was planned beside it in that week.
    week = MONDAY + timedelta(weeks=2)
    assert week not in _live_series_per_week(club)


def test_misfits_are_offered_with_the_new_slot_of_their_week(club, wednesdays, member):
    session_claim(session=wednesdays[1], user=member)
    _plan(club, weekday=Weekday.THURSDAY, start_time=time(18))

    [misfit] = schedule_misfits(club=club, now=NOW)

    assert misfit.session.pk == wednesdays[1].pk
    assert misfit.target == MONDAY + timedelta(days=10)
    assert misfit.starts_at == datetime.combine(misfit.target, time(18), tzinfo=LA)


def test_move_these_puts_each_claimed_week_on_the_new_slot_and_updates_its_invitees(
    club, wednesdays, organizer, member, django_capture_on_commit_callbacks
):
    other = MembershipFactory(club=club).user
    MailPreferences.objects.create(user=member, invites=True)
    session_claim(session=wednesdays[1], user=member)
    session_claim(session=wednesdays[3], user=other)
    _plan(club, weekday=Weekday.THURSDAY)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        moved = sessions_refit(
            club=club, by=organizer, session_ids=[wednesdays[1].pk, wednesdays[3].pk]
        )

    assert [s.pk for s in moved] == [wednesdays[1].pk, wednesdays[3].pk]
    assert _local(wednesdays[1]) == (MONDAY + timedelta(days=10), time(12))
    assert _local(wednesdays[3]) == (MONDAY + timedelta(days=24), time(12))
    wednesdays[1].refresh_from_db()
    assert (wednesdays[1].facilitator, wednesdays[1].moved) == (member, False)
    assert wednesdays[1].series_date == MONDAY + timedelta(days=10)
    assert schedule_misfits(club=club, now=NOW) == []
    # The member asked for invites: an update for each moved week.
    assert _methods() == ["text/calendar; method=REQUEST"] * 2
    assert {tuple(m.to) for m in mail.outbox} == {(member.email,)}
    assert {w: len(d) for w, d in _live_series_per_week(club).items()} == {
        MONDAY + timedelta(weeks=k): 1 for k in range(4)
    }
    entry = ActivityEntry.objects.get(club=club, kind="schedule.refit")
    assert entry.actor == organizer
    assert entry.summary.startswith("moved 2 weeks to the new day and time")


def test_keep_them_leaves_the_weeks_and_stops_offering_them(club, wednesdays, organizer, member):
    session_claim(session=wednesdays[1], user=member)
    _plan(club, weekday=Weekday.THURSDAY)

    sessions_keep(club=club, by=organizer, session_ids=[wednesdays[1].pk])

    assert schedule_misfits(club=club, now=NOW) == []
    assert _plan(club).misfits == []
    assert _local(wednesdays[1]) == (MONDAY + timedelta(days=9), time(12))
    assert ActivityEntry.objects.filter(club=club, kind="schedule.keep").count() == 1


# --- Moving one week by hand -----------------------------------------------------------


def test_moving_a_week_onto_a_week_that_has_a_session_is_refused_with_its_name(
    club, wednesdays, organizer, member
):
    session_claim(session=wednesdays[1], user=member)
    before = _local(wednesdays[0])
    thursday = datetime.combine(MONDAY + timedelta(days=10), time(12), tzinfo=LA)

    with pytest.raises(SessionError) as refused:
        session_move(session=wednesdays[0], by=organizer, starts_at=thursday, duration_minutes=60)

    message = str(refused.value)
    assert "That week already has a session: Wed" in message
    assert f"{MONDAY + timedelta(days=9):%-d %b %Y}, 12:00" in message
    assert "facilitated by Person " in message
    assert _local(wednesdays[0]) == before


def test_moving_within_its_own_week_is_fine(club, wednesdays, organizer):
    friday = datetime.combine(MONDAY + timedelta(days=4), time(15), tzinfo=LA)
    session_move(session=wednesdays[0], by=organizer, starts_at=friday, duration_minutes=60)
    assert _local(wednesdays[0]) == (MONDAY + timedelta(days=4), time(15))
    assert vacated_slots(club=club, now=NOW) == []


def test_the_slot_a_week_left_shows_moved_to_and_is_planned_only_when_asked(
    club, wednesdays, organizer
):
    away = datetime.combine(MONDAY + timedelta(days=30), time(12), tzinfo=LA)  # week 5
    session_move(session=wednesdays[0], by=organizer, starts_at=away, duration_minutes=60)

    [slot] = vacated_slots(club=club, now=NOW)
    assert slot.session.pk == wednesdays[0].pk
    assert slot.starts_at == datetime.combine(MONDAY + timedelta(days=2), time(12), tzinfo=LA)
    # Re-planning, even a week later with a longer horizon, leaves both weeks alone.
    assert _plan(club).created == 0
    assert sessions_plan(club=club, now=NOW + timedelta(days=7)).created == 0
    assert MONDAY not in _live_series_per_week(club)

    session_slot_replan(session=wednesdays[0], by=organizer, now=NOW)

    assert vacated_slots(club=club, now=NOW) == []
    weeks = _live_series_per_week(club)
    assert weeks[MONDAY] == [MONDAY + timedelta(days=2)]
    assert weeks[MONDAY + timedelta(weeks=4)] == [MONDAY + timedelta(days=30)]
    wednesdays[0].refresh_from_db()
    assert (wednesdays[0].series_date, wednesdays[0].moved) == (MONDAY + timedelta(days=30), True)


def test_restoring_a_skipped_week_whose_week_has_another_session_is_refused(
    club, wednesdays, organizer
):
    session_skip(session=wednesdays[1], by=organizer, reason="Holiday")
    into = datetime.combine(MONDAY + timedelta(days=10), time(12), tzinfo=LA)
    session_move(session=wednesdays[0], by=organizer, starts_at=into, duration_minutes=60)

    with pytest.raises(SessionError, match="Its week already has a session"):
        session_restore(session=wednesdays[1], by=organizer)

    wednesdays[1].refresh_from_db()
    assert wednesdays[1].state == CANCELLED


# --- Withdrawing gives the papers back ---------------------------------------------------


@pytest.fixture
def picked(club, wednesdays, member):
    """The member facilitates the first week and picked two papers with votes."""
    voter = MembershipFactory(club=club).user
    nominations = papers_services.papers_propose(
        club=club, user=member, text="1706.03762 2106.09685"
    ).added
    for nomination in nominations:
        papers_services.vote_add(nomination=nomination, user=voter)
    session = wednesdays[0]
    Session.objects.filter(pk=session.pk).update(format=Session.Format.SURVEY)
    session_claim(session=session, user=member)
    session_papers_set(session=session, by=member, picks=[(n.pk, None) for n in nominations])
    return session, nominations


def _states(nominations):
    return [Nomination.objects.values_list("state", "vote_count").get(pk=n.pk) for n in nominations]


def test_withdraw_returns_the_papers_to_the_backlog_with_their_votes(picked, member):
    session, nominations = picked
    assert {s for s, _ in _states(nominations)} == {"scheduled"}

    session_withdraw(session=session, user=member)

    assert _states(nominations) == [("proposed", 2), ("proposed", 2)]
    assert Vote.objects.filter(nomination__in=nominations).count() == 4
    assert not SessionPaper.objects.filter(session=session).exists()
    entry = ActivityEntry.objects.get(kind="rota.withdraw")
    assert entry.summary.endswith("2 papers went back to the backlog")


def test_withdrawn_papers_can_be_picked_for_another_week(club, picked, wednesdays, member):
    session, nominations = picked
    session_withdraw(session=session, user=member)
    session_claim(session=wednesdays[1], user=member)
    session_papers_set(session=wednesdays[1], by=member, picks=[(nominations[0].pk, None)])
    assert list(SessionPaper.objects.values_list("session", flat=True)) == [wednesdays[1].pk]


@pytest.mark.parametrize("keep", [False, True])
def test_organizer_unassign_returns_the_papers_unless_kept(picked, organizer, keep):
    session, nominations = picked

    session_assign(session=session, by=organizer, facilitator=None, keep_papers=keep)

    state = "scheduled" if keep else "proposed"
    assert _states(nominations) == [(state, 2), (state, 2)]
    assert SessionPaper.objects.filter(session=session).count() == (2 if keep else 0)


def test_organizer_reassign_returns_the_papers_unless_kept(club, picked, organizer):
    session, nominations = picked
    other = MembershipFactory(club=club).user
    session_assign(session=session, by=organizer, facilitator=other, keep_papers=True)
    assert _states(nominations) == [("scheduled", 2), ("scheduled", 2)]
    session_assign(session=session, by=organizer, facilitator=organizer)
    assert _states(nominations) == [("proposed", 2), ("proposed", 2)]


# --- The pages ----------------------------------------------------------------------------


def test_schedule_page_offers_move_these_and_moves_them(client, club, organizer, member):
    today = datetime.now(LA).date()
    data = ScheduleInput(
        weekday=Weekday.WEDNESDAY,
        start_time=time(12),
        duration_minutes=60,
        meeting_link="",
        weeks_ahead=4,
        first_date=today,
        last_date=None,
    )
    schedule_save(club=club, by=organizer, data=data, based_on_version=None)
    later = [
        s
        for s in Session.objects.filter(club=club).order_by("starts_at")
        if s.local_start.weekday() == 2
    ]
    claimed = later[-1]
    session_claim(session=claimed, user=member)
    client.force_login(organizer)
    url = reverse("sessions:schedule", args=[club.slug])
    post = {
        "weekday": Weekday.THURSDAY,
        "start_time": "12:00",
        "duration_minutes": 60,
        "meeting_link": "",
        "weeks_ahead": 4,
        "first_date": today.isoformat(),
        "last_date": "",
        "version": 1,
    }

    page = client.post(url, post, follow=True).content.decode()

    assert "1 claimed week no longer fits the schedule" in page
    assert "Move this week to the new day and time" in page
    assert f'name="session" value="{claimed.pk}" checked' in page
    response = client.post(
        reverse("sessions:misfits", args=[club.slug]),
        {"session": claimed.pk, "action": "move"},
        follow=True,
    )
    assert "Moved 1 week to the new day and time" in response.content.decode()
    claimed.refresh_from_db()
    assert claimed.local_start.weekday() == 3
    assert "no longer fit" not in response.content.decode()


def test_rota_shows_the_slot_a_week_left_and_plans_it_again_on_request(
    client, club, wednesdays, organizer
):
    away = datetime.combine(MONDAY + timedelta(days=30), time(12), tzinfo=LA)
    session_move(session=wednesdays[0], by=organizer, starts_at=away, duration_minutes=60)
    client.force_login(organizer)
    rota = client.get(reverse("sessions:rota", args=[club.slug])).content.decode()
    assert "This week&#x27;s session moved to" in rota or "This week's session moved to" in rota
    replan = reverse("sessions:replan", args=[club.slug, wednesdays[0].pk])
    assert f'action="{replan}"' in rota
