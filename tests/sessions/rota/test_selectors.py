"""Reads: the fairness panel, whom to ask, the next session, the archive, paper candidates."""

from datetime import timedelta

import pytest
from django.utils import timezone

from clubs.templatetags.paperclub import display_name
from papers.models import Nomination
from sessions.models import PreRead, Rsvp, Session
from sessions.reading.selectors import preread_summary
from sessions.rota import selectors
from sessions.rota.facilitators import session_assign, session_claim, session_papers_set
from tests.factories import (
    ClubFactory,
    MembershipFactory,
    NominationFactory,
    PreReadFactory,
    RsvpFactory,
    SessionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

OPEN, SCHEDULED = Session.State.OPEN, Session.State.SCHEDULED
CANCELLED, DONE = Session.State.CANCELLED, Session.State.DONE


def _session(club, *, days: float, **fields) -> Session:
    return SessionFactory(club=club, starts_at=timezone.now() + timedelta(days=days), **fields)


def _member(club, name: str, **fields):
    return MembershipFactory(club=club, user__profile__display_name=name, **fields).user


def _nomination(club, title, *, votes=0, state=Nomination.State.PROPOSED, pinned_days_ago=None):
    return NominationFactory(
        club=club,
        paper__title=title,
        state=state,
        vote_count=votes,
        pinned_at=(
            timezone.now() - timedelta(days=pinned_days_ago)
            if pinned_days_ago is not None
            else None
        ),
    )


@pytest.fixture
def people():
    """A club whose members facilitated at different times, plus people who must not show."""
    club = ClubFactory()
    names = ["Ada", "Ben", "Cleo", "Dev", "Eve"]
    ada, ben, cleo, dev, eve = (_member(club, name) for name in names)
    _member(club, "Organizer Olu", role="organizer")
    pending = _member(club, "Pending Pat", state="pending")
    removed = _member(club, "Removed Rae", state="removed")
    # Cleo facilitated twice, most recently a week ago; Ben five weeks ago.
    _session(club, days=-7, state=DONE, facilitator=cleo)
    _session(club, days=-21, state=DONE, facilitator=cleo)
    _session(club, days=-35, state=DONE, facilitator=ben)
    # A week that started an hour ago counts as held while it is still "scheduled".
    _session(club, days=-1 / 24, state=SCHEDULED, facilitator=dev)
    # These do not count: a cancelled week, another club, people no longer active.
    _session(club, days=-14, state=CANCELLED, facilitator=ada)
    other_club = ClubFactory()
    MembershipFactory(club=other_club, user=eve)
    _session(other_club, days=-3, state=DONE, facilitator=eve)
    _session(club, days=-28, state=DONE, facilitator=removed)
    _session(club, days=-42, state=DONE, facilitator=pending)
    # Eve has booked a week ahead.
    _session(club, days=6, state=SCHEDULED, facilitator=eve)
    return club


def _rows(fairness) -> list[tuple]:
    return [
        (
            person.profile.display_name,
            person.times,
            (timezone.now() - person.last_facilitated).days if person.last_facilitated else None,
            person.next_up is not None,
        )
        for person in fairness
    ]


def test_fairness_lists_never_facilitated_first_then_least_recent(people):
    fairness = selectors.facilitation_fairness(club=people)

    assert _rows(fairness) == [
        ("Ada", 0, None, False),
        ("Eve", 0, None, True),
        ("Organizer Olu", 0, None, False),
        ("Ben", 1, 35, False),
        ("Cleo", 2, 7, False),
        ("Dev", 1, 0, False),
    ]


def test_suggested_facilitators_skip_people_already_booked(people):
    fairness = selectors.facilitation_fairness(club=people)

    suggested = selectors.suggested_facilitators(fairness=fairness, limit=4)

    assert [p.profile.display_name for p in suggested] == ["Ada", "Organizer Olu", "Ben", "Cleo"]


def test_next_session_skips_cancelled_weeks():
    club = ClubFactory()
    _session(club, days=-7, state=DONE)
    _session(club, days=1, state=CANCELLED, cancel_reason="Holiday")
    expected = _session(club, days=8)
    _session(club, days=15)

    assert selectors.next_session(club=club) == expected


def test_next_session_includes_one_under_way():
    club = ClubFactory()
    under_way = _session(club, days=-0.5 / 24)
    _session(club, days=7)

    assert selectors.next_session(club=club) == under_way


def test_next_session_is_none_when_every_week_is_cancelled():
    club = ClubFactory()
    _session(club, days=1, state=CANCELLED)

    assert selectors.next_session(club=club) is None


def test_each_coming_week_counts_its_own_answers():
    club = ClubFactory()
    first, second, empty = (_session(club, days=days) for days in (1, 8, 15))
    for session, answers in [
        (first, ("going", "going", "maybe", "not_going")),
        (second, ("maybe", "maybe", "maybe")),
        (_session(ClubFactory(), days=1), ("going",)),  # another club's
    ]:
        for answer in answers:
            session.rsvps.create(user=MembershipFactory(club=session.club).user, answer=answer)

    counts = [
        (s.pk, s.going_count, s.maybe_count, s.not_going_count)
        for s in selectors.upcoming_sessions(club=club)
    ]

    assert counts == [(first.pk, 2, 1, 1), (second.pk, 0, 3, 0), (empty.pk, 0, 0, 0)]


def test_archive_lists_only_done_sessions_newest_first():
    club = ClubFactory()
    oldest = _session(club, days=-21, state=DONE)
    newest = _session(club, days=-7, state=DONE)
    middle = _session(club, days=-14, state=DONE)
    _session(club, days=-28, state=CANCELLED)
    _session(club, days=-0.5, state=OPEN)
    _session(club, days=7, state=SCHEDULED, facilitator=MembershipFactory(club=club).user)
    _session(ClubFactory(), days=-10, state=DONE)

    assert list(selectors.archive(club=club)) == [newest, middle, oldest]


def test_candidate_papers_pinned_then_top_voted_then_the_sessions_own(club, organizer):
    facilitator = MembershipFactory(club=club).user
    week = _session(club, days=7)
    session_claim(session=week, user=facilitator)
    own = _nomination(club, "Own pick", votes=1)
    session_papers_set(session=week, by=facilitator, picks=[(own.pk, None)])
    low = _nomination(club, "Few votes", votes=1)
    top = _nomination(club, "Most votes", votes=9)
    middle = _nomination(club, "Some votes", votes=4)
    pinned_earlier = _nomination(club, "Pinned long ago", votes=0, pinned_days_ago=10)
    pinned_recent = _nomination(club, "Pinned yesterday", votes=2, pinned_days_ago=1)
    # Not candidates: papers covered, archived, scheduled elsewhere, other clubs'.
    _nomination(club, "Covered", votes=20, state=Nomination.State.COVERED)
    _nomination(club, "Archived", votes=20, state=Nomination.State.ARCHIVED)
    elsewhere = _nomination(club, "Elsewhere", votes=20)
    other_week = _session(club, days=14)
    session_assign(session=other_week, by=organizer, facilitator=facilitator)
    session_papers_set(session=other_week, by=facilitator, picks=[(elsewhere.pk, None)])
    _nomination(ClubFactory(), "Other club", votes=20)
    loaded = selectors.session_detail(club=club, session_id=week.pk, user=facilitator)

    candidates = selectors.candidate_papers(session=loaded, user=facilitator)

    assert [n.paper.title for n in candidates] == [
        own.paper.title,
        pinned_recent.paper.title,
        pinned_earlier.paper.title,
        top.paper.title,
        middle.paper.title,
        low.paper.title,
    ]


def test_goers_name_everyone_going_as_display_name_does_with_their_reading():
    session = _session(ClubFactory(), days=7)
    named = UserFactory(profile__display_name="Ada")
    unnamed = UserFactory(profile__display_name="", email="bo@example.org")
    profileless = UserFactory(profile=False, email="cy@example.org")
    no_address = UserFactory(profile=False, email="", username="dee")
    for level, person in enumerate([named, unnamed, profileless, no_address]):
        RsvpFactory(session=session, user=person)
        if level:
            PreReadFactory(session=session, user=person, level=level)
    # Not going: their reading and their answer are not listed.
    maybe = RsvpFactory(session=session, answer=Rsvp.Answer.MAYBE).user
    PreReadFactory(session=session, user=maybe, level=PreRead.Level.DEEP)
    RsvpFactory(session=_session(ClubFactory(), days=7))

    goers = selectors.goers(session=session)

    people = [named, unnamed, profileless, no_address]
    assert [(g.user_id, g.name, g.preread_level) for g in goers] == [
        (person.pk, display_name(type(person).objects.get(pk=person.pk)), level)
        for level, person in enumerate(people)
    ]
    assert [g.name for g in goers] == ["Ada", "bo", "cy", "dee"]


@pytest.mark.parametrize("viewer_reads", [None, PreRead.Level.NONE, PreRead.Level.DEEP])
@pytest.mark.parametrize("viewer_going", [False, True])
def test_preread_counts_from_the_goers_equal_the_counting_query(viewer_going, viewer_reads):
    """The session page counts those going by level from the names it lists
    (and takes the viewer's level from session_detail): the same figures as
    preread_summary's own query."""
    club = ClubFactory()
    session = _session(club, days=7)
    viewer = MembershipFactory(club=club).user
    for level in [None, 0, 1, 1, 2, 3, 3, 3]:
        person = RsvpFactory(session=session).user
        if level is not None:
            PreReadFactory(session=session, user=person, level=level)
    reader_not_going = RsvpFactory(session=session, answer=Rsvp.Answer.NOT_GOING).user
    PreReadFactory(session=session, user=reader_not_going, level=PreRead.Level.READ)
    PreReadFactory(session=session, level=PreRead.Level.SKIMMED)  # no answer at all
    if viewer_going:
        RsvpFactory(session=session, user=viewer)
    if viewer_reads is not None:
        PreReadFactory(session=session, user=viewer, level=viewer_reads)
    PreReadFactory(session=_session(club, days=14), user=viewer, level=PreRead.Level.SKIMMED)
    loaded = selectors.session_detail(club=club, session_id=session.pk, user=viewer)
    levels = [goer.preread_level for goer in selectors.goers(session=session)]

    from_goers = preread_summary(session=loaded, user=viewer, going_levels=levels)

    counted = preread_summary(session=loaded, user=viewer)
    assert from_goers == counted
    assert from_goers[1] == (viewer_reads or PreRead.Level.NONE)
    assert [row.count for row in from_goers[0]] == (
        [2 + viewer_going * (not viewer_reads), 2, 1, 3 + (viewer_going and bool(viewer_reads))]
    )


def test_the_viewers_answer_comes_with_the_weeks_and_is_empty_without_a_viewer():
    club = ClubFactory()
    viewer = MembershipFactory(club=club).user
    answered, unanswered = _session(club, days=7), _session(club, days=14)
    RsvpFactory(session=answered, user=viewer, answer=Rsvp.Answer.MAYBE)
    RsvpFactory(session=unanswered, answer=Rsvp.Answer.GOING)  # someone else's

    mine = list(selectors.upcoming_sessions(club=club, user=viewer))
    nobodys = list(selectors.upcoming_sessions(club=club, user=None))

    assert [(s.my_answer, s.in_series) for s in mine] == [("maybe", False), (None, False)]
    assert [(s.my_answer, s.in_series) for s in nobodys] == [(None, False), (None, False)]
    detail = selectors.session_detail(club=club, session_id=answered.pk, user=viewer)
    assert detail.my_answer == "maybe"


def test_fairness_counted_says_how_many_it_lists_and_pages_past_the_end():
    club = ClubFactory()
    nameless = MembershipFactory(club=club, user__profile=False, user__email="zed@example.org")
    ada = _member(club, "Ada")
    blank = _member(club, "")  # sorted by address, as "user…@example.org"
    _member(club, "Gone", state="removed")
    _session(club, days=-7, state=DONE, facilitator=ada)

    people, listed = selectors.facilitation_fairness_counted(club=club, limit=2)
    past_the_end = selectors.facilitation_fairness_counted(club=club, offset=5, limit=2)

    assert [p.pk for p in people] == [blank.pk, nameless.user.pk]
    assert listed == 3
    assert past_the_end == ([], 3)
    assert [p.pk for p in selectors.facilitation_fairness(club=club, offset=2)] == [ada.pk]
    assert selectors.facilitation_fairness_counted(club=ClubFactory(), limit=2) == ([], 0)
