"""One week's life (sessions.rota.weeks): skip, restore, move, one-offs, done, RSVP."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone

from papers.models import Nomination
from sessions.errors import NotAllowed, SessionError
from sessions.models import Rsvp, Session, SessionPaper
from sessions.rota.common import AUTO_DONE_AFTER
from sessions.rota.facilitators import (
    session_claim,
    session_papers_set,
)
from sessions.rota.weeks import (
    rsvp_set,
    session_add_one_off,
    session_mark_done,
    session_move,
    session_restore,
    session_skip,
    sessions_close_finished,
)
from tests.factories import MembershipFactory, UserFactory
from tests.sessions.rota.helpers import (
    CANCELLED,
    DONE,
    LA,
    LINK,
    OPEN,
    PROPOSED,
    SCHEDULED,
    nomination_titled,
    session_in,
    sessions_snapshot,
    state_of,
)

pytestmark = pytest.mark.django_db

# --- Skip, restore, move, one-offs -------------------------------------------------------------


def test_skip_cancels_the_week_and_releases_its_papers(club, open_week, organizer, member):
    session_claim(session=open_week, user=member)
    first, second = nomination_titled(club, "A"), nomination_titled(club, "B")
    Session.objects.filter(pk=open_week.pk).update(format=Session.Format.SURVEY)
    session_papers_set(session=open_week, by=member, picks=[(first.pk, 30), (second.pk, 30)])

    session = session_skip(session=open_week, by=organizer, reason="Thanksgiving")

    session.refresh_from_db()
    assert (session.state, session.cancel_reason, session.change_count) == (
        CANCELLED,
        "Thanksgiving",
        3,
    )
    assert [state_of(first), state_of(second)] == [PROPOSED, PROPOSED]


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
    before = sessions_snapshot(club)

    with pytest.raises(SessionError) as error:
        session_move(
            session=open_week,
            by=organizer,
            starts_at=timezone.now() + starts_in,
            duration_minutes=minutes,
        )

    assert str(error.value) == message
    assert sessions_snapshot(club) == before


def test_move_a_past_session_is_refused(club, organizer):
    session = session_in(club, starts_in=-timedelta(days=1))

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


# --- Done ------------------------------------------------------------------------------------


def _past_session_with_paper(club, facilitator, *, local_start: datetime):
    nomination = nomination_titled(club, "A", state=Nomination.State.SCHEDULED)
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
        session = session_in(club, state=SCHEDULED, facilitator=member)
    else:
        session = session_in(club, starts_in=-timedelta(days=1), state=CANCELLED)

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

    assert state_of(nomination) == Nomination.State.SCHEDULED


def test_close_finished_marks_done_six_hours_after_the_end_and_cancels_open_weeks(club, member):
    now = timezone.now()
    six_hours = AUTO_DONE_AFTER
    minute = timedelta(minutes=1)

    def ended(ago, **fields):
        return session_in(club, starts_in=-(ago + timedelta(hours=1)), **fields)

    due = ended(six_hours + minute, state=SCHEDULED, facilitator=member)
    nomination = nomination_titled(club, "A", state=Nomination.State.SCHEDULED)
    SessionPaper.objects.create(session=due, nomination=nomination)
    not_yet = ended(six_hours - minute, state=SCHEDULED, facilitator=member)
    nobody = ended(six_hours + minute)
    nobody_recent = ended(six_hours - minute)
    upcoming = session_in(club, state=SCHEDULED, facilitator=member)

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
        "open": lambda: session_in(club),
        "cancelled": lambda: session_in(club, state=CANCELLED),
        "done": lambda: session_in(club, starts_in=-timedelta(minutes=10), state=DONE),
        "ended": lambda: session_in(club, starts_in=-timedelta(hours=2)),
    }[arrange]()

    with pytest.raises(SessionError) as error:
        rsvp_set(session=session, user=member, answer=answer)

    assert str(error.value) == message
    assert Rsvp.objects.count() == 0


def test_rsvp_during_the_session_is_allowed(club, member):
    session = session_in(club, starts_in=-timedelta(minutes=10))

    assert rsvp_set(session=session, user=member, answer="going").answer == "going"


@pytest.mark.parametrize("state", ["pending", "removed", "outsider"])
def test_rsvp_by_a_non_member_is_not_allowed(club, open_week, state):
    person = (
        UserFactory() if state == "outsider" else MembershipFactory(club=club, state=state).user
    )

    with pytest.raises(NotAllowed):
        rsvp_set(session=open_week, user=person, answer="going")

    assert Rsvp.objects.count() == 0
