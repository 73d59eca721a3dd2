"""Pre-read progress, questions and their votes, and who sees what."""

from datetime import timedelta

import pytest

from papers.models import Paper, PaperNote
from papers.services import paper_note_save
from sessions.errors import NotAllowed, SessionError
from sessions.models import PreRead, Question, Rsvp, Session
from sessions.reading import selectors, services
from tests.factories import (
    ClubFactory,
    MembershipFactory,
    SessionPaperFactory,
    UserFactory,
    session_at,
)

pytestmark = pytest.mark.django_db


def _session(club, *, hours_from_now=48, state=Session.State.OPEN, facilitator=None):
    """A week with a paper to pre-read."""
    session = session_at(
        club, starts_in=timedelta(hours=hours_from_now), state=state, facilitator=facilitator
    )
    SessionPaperFactory(session=session)
    return session


def test_preread_on_a_week_without_a_paper_is_refused(club, member):
    session = session_at(club, starts_in=timedelta(hours=48), state=Session.State.OPEN)
    with pytest.raises(SessionError, match="no paper yet"):
        services.preread_set(session=session, user=member, level=PreRead.Level.DEEP)
    assert PreRead.objects.count() == 0


def test_preread_set_and_change(club, member):
    session = _session(club)
    services.preread_set(session=session, user=member, level=PreRead.Level.SKIMMED)
    services.preread_set(session=session, user=member, level=PreRead.Level.READ)
    assert PreRead.objects.get(session=session, user=member).level == PreRead.Level.READ
    assert selectors.my_preread_level(session=session, user=member) == PreRead.Level.READ


@pytest.mark.parametrize("state", ["pending", "removed", "left"])
def test_preread_refused_for_non_members(club, state):
    session = _session(club)
    person = MembershipFactory(club=club, state=state).user
    with pytest.raises(NotAllowed):
        services.preread_set(session=session, user=person, level=1)
    assert PreRead.objects.count() == 0


def test_preread_on_another_clubs_session_refused(club, member):
    other_session = _session(ClubFactory())
    with pytest.raises(NotAllowed):
        services.preread_set(session=other_session, user=member, level=1)
    assert PreRead.objects.count() == 0


def test_preread_level_out_of_range_refused(club, member):
    with pytest.raises(SessionError, match="Choose not started"):
        services.preread_set(session=_session(club), user=member, level=7)


def test_preread_counts_include_going_but_not_started(club, member):
    session = _session(club)
    readers = [MembershipFactory(club=club).user for _ in range(3)]
    for user in [member, *readers]:
        Rsvp.objects.create(session=session, user=user, answer="going")
    services.preread_set(session=session, user=readers[0], level=1)
    services.preread_set(session=session, user=readers[1], level=3)
    services.preread_set(session=session, user=readers[2], level=0)
    # Someone who is not going read it deeply: not one of the counts "of those going".
    services.preread_set(session=session, user=MembershipFactory(club=club).user, level=3)
    counts = [(c.level, c.count) for c in selectors.preread_counts(session=session)]
    assert counts == [(0, 2), (1, 1), (2, 0), (3, 1)]
    assert [r.user for r in selectors.going_not_started(session=session)] == [member, readers[2]]


def test_roster_leaves_out_people_who_hide_their_reading(club, member):
    session = _session(club)
    shy = MembershipFactory(club=club).user
    shy.profile.hide_reading_from_facilitators = True
    shy.profile.save()
    for user in (member, shy):
        Rsvp.objects.create(session=session, user=user, answer="going")
    services.preread_set(session=session, user=member, level=2)
    services.preread_set(session=session, user=shy, level=3)
    assert [p.user for p in selectors.preread_roster(session=session)] == [member]
    # Counts still include everyone going.
    assert [c.count for c in selectors.preread_counts(session=session)][1:] == [0, 1, 1]


def test_question_ask_vote_once_and_answer(club, member, organizer):
    session = _session(club, facilitator=None)
    question = services.question_ask(session=session, user=member, text="  Why sparse?  ")
    assert question.text == "Why sparse?"
    voter = MembershipFactory(club=club).user
    assert services.question_vote(question=question, user=voter) == 1
    with pytest.raises(SessionError, match="already voted"):
        services.question_vote(question=question, user=voter)
    question.refresh_from_db()
    assert question.vote_count == 1
    assert services.question_vote(question=question, user=voter, up=False) == 0
    services.question_mark_answered(question=question, by=organizer)
    question.refresh_from_db()
    assert question.answered_at is not None


def test_the_asker_cannot_vote_for_their_own_question(client, club, member):
    session = _session(club, facilitator=None)
    question = services.question_ask(session=session, user=member, text="Why sparse?")
    with pytest.raises(SessionError, match="You asked this question"):
        services.question_vote(question=question, user=member)
    question.refresh_from_db()
    assert question.vote_count == 0
    assert not question.votes.exists()


def test_only_runners_mark_answered(club, member):
    question = services.question_ask(session=_session(club), user=member, text="Q?")
    with pytest.raises(NotAllowed):
        services.question_mark_answered(question=question, by=MembershipFactory(club=club).user)


def test_facilitator_marks_answered(club, member):
    facilitator = MembershipFactory(club=club).user
    session = _session(club, state=Session.State.SCHEDULED, facilitator=facilitator)
    question = services.question_ask(session=session, user=member, text="Q?")
    services.question_mark_answered(question=question, by=facilitator)
    question.refresh_from_db()
    assert question.answered_at is not None


@pytest.mark.parametrize(
    ("text", "message"),
    [("", "Write your question first."), ("   ", "Write your question first.")],
)
def test_empty_question_refused(club, member, text, message):
    with pytest.raises(SessionError, match=message):
        services.question_ask(session=_session(club), user=member, text=text)
    assert Question.objects.count() == 0


def test_too_long_question_refused(club, member):
    with pytest.raises(SessionError, match="at most 1,000 characters \\(yours has 10,000\\)"):
        services.question_ask(session=_session(club), user=member, text="x" * 10_000)
    assert Question.objects.count() == 0


@pytest.mark.parametrize(
    ("hours", "state", "message"),
    [
        (48, Session.State.CANCELLED, "cancelled"),
        (-5, Session.State.OPEN, "over"),
        (-5, Session.State.DONE, "over"),
    ],
)
def test_question_on_cancelled_or_finished_session_refused(club, member, hours, state, message):
    session = _session(club, hours_from_now=hours, state=state)
    with pytest.raises(SessionError, match=message):
        services.question_ask(session=session, user=member, text="Late?")
    assert Question.objects.count() == 0


def test_anonymous_asker_visible_only_to_organizers_and_themself(club, member, organizer):
    question = services.question_ask(
        session=_session(club), user=member, text="Is it novel?", anonymous=True
    )
    other = MembershipFactory(club=club).user

    def visible(viewer, is_organizer=False):
        return selectors.question_author_visible(
            question=question, viewer=viewer, viewer_is_organizer=is_organizer
        )

    assert (visible(other), visible(member), visible(organizer, True), visible(None)) == (
        False,
        True,
        True,
        False,
    )


def test_question_delete_by_asker_or_organizer_only(club, member, organizer):
    session = _session(club)
    first = services.question_ask(session=session, user=member, text="One")
    second = services.question_ask(session=session, user=member, text="Two")
    with pytest.raises(NotAllowed):
        services.question_delete(question=first, by=MembershipFactory(club=club).user)
    services.question_delete(question=first, by=member)
    services.question_delete(question=second, by=organizer)
    assert Question.objects.count() == 0


def test_private_notes_belong_to_their_author(club, member):
    paper = Paper.objects.create(club=club, title="P", metadata_state="ready")
    paper_note_save(paper=paper, user=member, text="my *secret* take")
    paper_note_save(paper=paper, user=UserFactory(), text="someone else's")
    assert PaperNote.objects.get(paper=paper, user=member).text == "my *secret* take"
    assert PaperNote.objects.filter(paper=paper).count() == 2
