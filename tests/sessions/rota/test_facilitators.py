"""Claims, withdrawals, assignments and the week's papers (sessions.rota.facilitators)."""

from datetime import timedelta

import pytest

from papers.models import Nomination
from sessions.errors import NotAllowed, SessionError
from sessions.models import Session, SessionPaper
from sessions.rota.facilitators import (
    session_assign,
    session_claim,
    session_papers_set,
    session_withdraw,
)
from sessions.rota.weeks import (
    session_skip,
)
from tests.factories import ClubFactory, MembershipFactory, UserFactory
from tests.sessions.rota.helpers import (
    CANCELLED,
    DONE,
    OPEN,
    PROPOSED,
    SCHEDULED,
    nomination_titled,
    session_in,
    sessions_snapshot,
    state_of,
)

pytestmark = pytest.mark.django_db

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
        "cancelled": lambda: session_in(club, state=CANCELLED, cancel_reason="Holiday"),
        "done": lambda: session_in(
            club, starts_in=-timedelta(days=7), state=DONE, facilitator=someone
        ),
        # Started half an hour ago and nobody took it.
        "started": lambda: session_in(club, starts_in=-timedelta(minutes=30)),
        "taken": lambda: session_in(club, state=SCHEDULED, facilitator=someone),
        "mine": lambda: session_in(club, state=SCHEDULED, facilitator=member),
    }[arrange]()
    before = sessions_snapshot(club)

    with pytest.raises(SessionError) as error:
        session_claim(session=session, user=member)

    assert str(error.value) == message
    assert type(error.value) is SessionError
    assert sessions_snapshot(club) == before


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
    session = session_in(
        club, starts_in=-timedelta(minutes=30), state=SCHEDULED, facilitator=member
    )

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
        session_in(club, state=CANCELLED)
        if arrange == "cancelled"
        else session_in(club, starts_in=-timedelta(hours=2))
    )

    with pytest.raises(SessionError) as error:
        session_assign(session=session, by=organizer, facilitator=member)

    assert str(error.value) == message


# --- Papers -----------------------------------------------------------------------------


def _picks(session) -> list[tuple[int, int | None]]:
    return list(
        SessionPaper.objects.filter(session=session)
        .order_by("position")
        .values_list("nomination_id", "minutes")
    )


def test_papers_set_schedules_the_picks_in_order(club, facilitated, member):
    first, second, third = (nomination_titled(club, t) for t in ("A", "B", "C"))
    Session.objects.filter(pk=facilitated.pk).update(format=Session.Format.SURVEY)

    session = session_papers_set(
        session=facilitated, by=member, picks=[(third.pk, 20), (first.pk, 40)]
    )

    assert _picks(session) == [(third.pk, 20), (first.pk, 40)]
    assert [state_of(first), state_of(second), state_of(third)] == [
        Nomination.State.SCHEDULED,
        PROPOSED,
        Nomination.State.SCHEDULED,
    ]
    session.refresh_from_db()
    assert session.change_count == 2  # the claim and the papers


def test_papers_set_dropping_a_paper_returns_it_to_the_backlog(club, facilitated, member):
    first, second = nomination_titled(club, "A"), nomination_titled(club, "B")
    Session.objects.filter(pk=facilitated.pk).update(format=Session.Format.SURVEY)
    session_papers_set(session=facilitated, by=member, picks=[(first.pk, 30), (second.pk, 30)])

    session = session_papers_set(session=facilitated, by=member, picks=[(second.pk, None)])

    assert _picks(session) == [(second.pk, None)]
    assert [state_of(first), state_of(second)] == [PROPOSED, Nomination.State.SCHEDULED]
    session.refresh_from_db()
    assert session.change_count == 3


def test_papers_set_with_the_same_picks_changes_nothing(club, facilitated, member):
    first = nomination_titled(club, "A")
    session_papers_set(session=facilitated, by=member, picks=[(first.pk, None)])

    session = session_papers_set(session=facilitated, by=member, picks=[(first.pk, None)])

    session.refresh_from_db()
    assert (session.change_count, state_of(first)) == (2, Nomination.State.SCHEDULED)


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
    kept = nomination_titled(club, "Kept")
    session_papers_set(session=facilitated, by=member, picks=[(kept.pk, None)])
    if arrange == "other_club":
        picked = nomination_titled(ClubFactory(), "Paper X")
    elif arrange == "elsewhere":
        picked = nomination_titled(club, "Paper X")
        other_week = session_in(club, state=SCHEDULED, facilitator=member)
        session_papers_set(session=other_week, by=member, picks=[(picked.pk, None)])
    else:
        state = {"archived": "archived", "covered": "covered"}.get(arrange, PROPOSED)
        picked = nomination_titled(club, "Paper X", state=state)
    picks = [(picked.pk, None)] if arrange != "twice" else [(picked.pk, 10), (picked.pk, 20)]
    picked_state = state_of(picked)

    with pytest.raises(SessionError) as error:
        session_papers_set(session=facilitated, by=member, picks=picks)

    assert str(error.value) == message
    assert _picks(facilitated) == [(kept.pk, None)]
    assert (state_of(kept), state_of(picked)) == (Nomination.State.SCHEDULED, picked_state)
    facilitated.refresh_from_db()
    assert facilitated.change_count == 2


def test_papers_set_by_an_organizer_is_allowed(club, facilitated, organizer):
    first = nomination_titled(club, "A")

    session = session_papers_set(session=facilitated, by=organizer, picks=[(first.pk, None)])

    assert _picks(session) == [(first.pk, None)]


@pytest.mark.parametrize("who", ["member", "outsider"])
def test_papers_set_by_someone_else_is_not_allowed(club, facilitated, who):
    first = nomination_titled(club, "A")
    person = MembershipFactory(club=club).user if who == "member" else UserFactory()

    with pytest.raises(NotAllowed):
        session_papers_set(session=facilitated, by=person, picks=[(first.pk, None)])

    assert (_picks(facilitated), state_of(first)) == ([], PROPOSED)


def test_papers_set_on_a_cancelled_week_is_refused(club, open_week, organizer):
    session_skip(session=open_week, by=organizer, reason="Holiday")
    first = nomination_titled(club, "A")

    with pytest.raises(SessionError, match=r"^This week is cancelled; restore it first\.$"):
        session_papers_set(session=open_week, by=organizer, picks=[(first.pk, None)])
