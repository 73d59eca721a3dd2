"""Every material change sends the week to the calendars of those who hold it."""

from datetime import date, time, timedelta

import pytest
from django.core import mail
from django.utils import timezone

from papers import services as papers_services
from sessions.errors import SessionError
from sessions.models import MailPreferences, Session, SessionPaper
from sessions.rota.facilitators import session_claim, session_papers_set
from sessions.rota.planning import ScheduleInput, schedule_save
from sessions.rota.weeks import session_move, session_restore, session_skip
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def week(club):
    starts = timezone.now() + timedelta(days=5)
    return Session.objects.create(club=club, starts_at=starts, ends_at=starts + timedelta(hours=1))


def _methods():
    return [
        next(m for _, m in message.alternatives if m.startswith("text/calendar"))
        for message in mail.outbox
    ]


def test_claim_then_move_then_skip_reach_the_calendar(
    club, organizer, week, django_capture_on_commit_callbacks
):
    member = MembershipFactory(club=club).user
    MailPreferences.objects.create(user=member, invites=True)
    with django_capture_on_commit_callbacks(execute=True):
        session_claim(session=week, user=member)
    with django_capture_on_commit_callbacks(execute=True):
        session_move(
            session=week,
            by=organizer,
            starts_at=week.starts_at + timedelta(hours=2),
            duration_minutes=60,
        )
    with django_capture_on_commit_callbacks(execute=True):
        session_skip(session=week, by=organizer, reason="Holiday")
    assert _methods() == [
        "text/calendar; method=REQUEST",
        "text/calendar; method=REQUEST",
        "text/calendar; method=CANCEL",
    ]


def test_no_invites_for_open_weeks_nobody_was_invited_to(
    club, organizer, week, django_capture_on_commit_callbacks
):
    MailPreferences.objects.create(user=organizer, invites=True)
    with django_capture_on_commit_callbacks(execute=True):
        session_skip(session=week, by=organizer, reason="Holiday")
    assert mail.outbox == []


def test_restore_leaves_papers_another_week_took(club, organizer, member):
    nomination = papers_services.papers_propose(club=club, user=member, text="1706.03762").added[0]
    starts = timezone.now() + timedelta(days=3)
    first = Session.objects.create(club=club, starts_at=starts, ends_at=starts + timedelta(hours=1))
    second = Session.objects.create(
        club=club, starts_at=starts + timedelta(days=7), ends_at=starts + timedelta(days=7, hours=1)
    )
    session_papers_set(session=first, by=organizer, picks=[(nomination.pk, None)])
    session_skip(session=first, by=organizer, reason="Holiday")
    session_papers_set(session=second, by=organizer, picks=[(nomination.pk, None)])
    session_restore(session=first, by=organizer)
    assert list(SessionPaper.objects.values_list("session", flat=True)) == [second.pk]
    nomination.refresh_from_db()
    assert nomination.state == "scheduled"


def test_schedule_out_of_range_value_is_a_clear_error(club, organizer):
    data = ScheduleInput(
        weekday=2,
        start_time=time(12),
        duration_minutes=60,
        meeting_link="",
        weeks_ahead=0,
        first_date=date(2026, 1, 7),
        last_date=None,
    )
    with pytest.raises(SessionError, match="greater than or equal to 1"):
        schedule_save(club=club, by=organizer, data=data, based_on_version=None)
