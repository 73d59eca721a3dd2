"""The club's options for everyday votes (papers.voting): a vote budget and
attendance-weighted votes, both off by default."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from clubs.models import ActivityEntry
from papers import services
from papers.models import BacklogOptions, Nomination, Vote
from papers.selectors import BacklogFilter, backlog, backlog_lists
from papers.voting import options as vote_options
from papers.voting.budget import OverBudget
from sessions.attendance.services import attendance_set
from tests.concurrency import run_at_once
from tests.factories import (
    AttendanceFactory,
    ClubFactory,
    MembershipFactory,
    NominationFactory,
    session_at,
)
from tests.services import need_postgres
from tests.unchanged import unchanged


def _budget(club, organizer, k):
    vote_options.options_save(club=club, by=organizer, vote_budget=k, weighted_votes=False)


def _vote(club, nomination, user):
    return services.nomination_vote_toggle_by_id(club=club, nomination_id=nomination.pk, user=user)


def test_every_option_is_off_by_default(club, member):
    options = vote_options.options_for(club_id=club.pk)
    assert (options.vote_budget, options.weighted_votes) == (None, False)
    papers = [NominationFactory(club=club) for _ in range(30)]
    for nomination in papers:
        _vote(club, nomination, member)
    assert Vote.objects.filter(user=member).count() == 30


def test_saving_the_options_is_logged(club, organizer):
    _budget(club, organizer, 3)
    entry = ActivityEntry.objects.get(kind="papers.vote_options")
    assert entry.summary == (
        "changed how backlog votes count: at most 3 open votes per member, every vote equal "
        "(was: no vote budget, every vote equal)"
    )


def test_a_vote_over_the_budget_is_refused_naming_the_oldest_open_vote(
    client, club, organizer, member
):
    _budget(club, organizer, 2)
    papers = [NominationFactory(club=club) for _ in range(3)]
    _vote(club, papers[1], member)
    _vote(club, papers[0], member)
    with unchanged(), pytest.raises(OverBudget) as refused:
        _vote(club, papers[2], member)
    assert refused.value.oldest.nomination_id == papers[1].pk
    assert str(refused.value) == (
        "You have used all 2 of your open votes. Take one back first: your oldest is for "
        f"“{papers[1].paper.display_title}”."
    )
    client.force_login(member)
    url = reverse("papers:vote", args=[club.slug, papers[2].pk])
    with unchanged():
        page = client.post(url)
    assert page.status_code == 409
    text = page.content.decode()
    take_back = reverse("papers:vote", args=[club.slug, papers[1].pk])
    assert f'action="{take_back}"' in text
    assert "Take back my vote for" in text
    # With htmx: the button as it was, and the refusal with its button beside it.
    with unchanged():
        fragment = client.post(url, HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200
    assert f'action="{take_back}"' in fragment.content.decode()
    # Taking the oldest back makes room.
    client.post(take_back)
    _vote(club, papers[2], member)
    assert set(Vote.objects.filter(user=member).values_list("nomination_id", flat=True)) == {
        papers[0].pk,
        papers[2].pk,
    }


def test_a_vote_comes_back_when_its_paper_is_covered(club, organizer, member):
    _budget(club, organizer, 1)
    first, second = NominationFactory(club=club), NominationFactory(club=club)
    _vote(club, first, member)
    with pytest.raises(OverBudget):
        _vote(club, second, member)
    services.nominations_set_state(
        nominations=[first], state=Nomination.State.COVERED, covered_on=timezone.now().date()
    )
    _vote(club, second, member)
    assert Vote.objects.filter(user=member).count() == 2  # the covered vote stays, uncounted


@pytest.mark.django_db(transaction=True)
def test_concurrent_votes_of_one_member_never_pass_the_budget(transactional_db):
    need_postgres()
    club = ClubFactory()
    organizer = MembershipFactory(club=club, role="organizer").user
    member = MembershipFactory(club=club).user
    _budget(club, organizer, 3)
    papers = [NominationFactory(club=club) for _ in range(12)]
    results, errors = run_at_once(lambda i: _vote(club, papers[i], member), len(papers))
    assert len(results) == 3
    assert len(errors) == 9
    assert all(isinstance(error, OverBudget) for error in errors)
    assert Vote.objects.filter(user=member).count() == 3
    for nomination in papers:
        nomination.refresh_from_db()
        assert nomination.vote_count == Vote.objects.filter(nomination=nomination).count()


def _weighted(club, organizer):
    vote_options.options_save(club=club, by=organizer, vote_budget=None, weighted_votes=True)


def _came(club, people, sessions_ago, taken=True):
    """A past week (attendance taken, unless `taken` is False) that these people came to."""
    session = session_at(
        club,
        starts_in=-timedelta(days=7 * sessions_ago),
        state="done",
        attendance_taken_at=timezone.now() if taken else None,
    )
    for person in people:
        AttendanceFactory(session=session, user=person)
    return session


def test_weighted_votes_rank_the_regulars_paper_first(club, organizer, member):
    regular, newcomer = MembershipFactory(club=club).user, MembershipFactory(club=club).user
    for weeks in (1, 2):
        _came(club, [regular], weeks)
    by_regular, by_newcomers = NominationFactory(club=club), NominationFactory(club=club)
    _vote(club, by_regular, regular)  # counts 1 + 2/2 = 2
    _vote(club, by_newcomers, newcomer)
    _vote(club, by_newcomers, member)  # 1 + 1 = 2 as well: a tie, then the newest first
    third = MembershipFactory(club=club).user
    _vote(club, by_regular, third)  # 3 against 2
    ids, _ = backlog_lists(club=club, options=BacklogFilter())
    assert ids.index(by_newcomers.pk) < ids.index(by_regular.pk)  # equal votes: 2 v 2 by count
    _weighted(club, organizer)
    ids, _ = backlog_lists(club=club, options=BacklogFilter())
    assert ids.index(by_regular.pk) < ids.index(by_newcomers.pk)
    top = backlog(club=club, user=None, options=BacklogFilter(sort="trending"))
    assert [n.pk for n in top][:2] == [by_regular.pk, by_newcomers.pk]


def test_the_order_follows_an_attendance_change(client, club, organizer, member):
    _weighted(club, organizer)
    other = MembershipFactory(club=club).user
    mine, theirs = NominationFactory(club=club), NominationFactory(club=club)
    _vote(club, mine, member)
    _vote(club, theirs, other)
    session = _came(club, [], 1, taken=False)
    session.facilitator = organizer
    session.save()
    first = backlog_lists(club=club, options=BacklogFilter())[0]  # cached now
    attendance_set(
        session=session, by=organizer, shown={member.pk}, was_present=set(), present={member.pk}
    )
    again = backlog_lists(club=club, options=BacklogFilter())[0]
    assert again.index(mine.pk) < again.index(theirs.pk)
    assert first != again


def test_the_backlog_tells_a_member_what_their_vote_counts(client, club, organizer, member):
    _weighted(club, organizer)
    for weeks in (1, 2, 3):
        _came(club, [member] if weeks != 2 else [], weeks)
    nomination = NominationFactory(club=club)
    _vote(club, nomination, member)
    client.force_login(member)
    page = client.get(reverse("papers:backlog", args=[club.slug])).content.decode()
    assert "Your vote counts 1.67× here." in page
    assert "You came to 2 of the club&#x27;s last 3 sessions with attendance taken" in page
    assert "weighs 1.67" in page


def test_the_api_top_order_honours_the_weights(client, club, organizer, member):
    regular = MembershipFactory(club=club).user
    _came(club, [regular], 1)
    by_regular, by_two = NominationFactory(club=club), NominationFactory(club=club)
    _vote(club, by_regular, regular)
    _vote(club, by_regular, MembershipFactory(club=club).user)  # 2 + 1 = 3
    for voter in (member, organizer):
        _vote(club, by_two, voter)  # 1 + 1 = 2
    _vote(club, NominationFactory(club=club), member)
    _weighted(club, organizer)
    client.force_login(member)
    answer = client.get(reverse("api:backlog", args=[club.slug]), {"sort": "top"}).json()
    assert [row["id"] for row in answer["results"]][:2] == [by_regular.pk, by_two.pk]
    assert BacklogOptions.objects.get(club=club).weighted_votes
