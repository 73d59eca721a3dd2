"""Votes under real concurrency, on PostgreSQL: the counts end exact."""

import pytest

from papers import services
from papers.models import Nomination, Vote
from tests.concurrency import run_at_once
from tests.factories import ClubFactory, MembershipFactory
from tests.services import need_postgres

THREADS = 20


@pytest.fixture
def nomination(transactional_db):
    need_postgres()
    club = ClubFactory()
    proposer = MembershipFactory(club=club).user
    return services.papers_propose(club=club, user=proposer, text="1706.03762").added[0]


@pytest.mark.django_db(transaction=True)
def test_twenty_threads_toggling_one_persons_vote_end_consistent(nomination):
    voter = MembershipFactory(club=nomination.club).user
    _, errors = run_at_once(
        lambda _: services.nomination_vote_toggle(nomination=nomination, user=voter),
        THREADS,
    )
    assert errors == []
    nomination.refresh_from_db()
    votes = Vote.objects.filter(nomination=nomination).count()
    assert Vote.objects.filter(nomination=nomination, user=voter).count() in (0, 1)
    assert nomination.vote_count == votes


@pytest.mark.django_db(transaction=True)
def test_twenty_members_voting_at_once_count_exactly(nomination):
    voters = [MembershipFactory(club=nomination.club).user for _ in range(THREADS)]
    _, errors = run_at_once(
        lambda i: services.nomination_vote_toggle(nomination=nomination, user=voters[i]),
        THREADS,
    )
    assert errors == []
    nomination.refresh_from_db()
    assert nomination.vote_count == THREADS + 1
    assert Vote.objects.filter(nomination=nomination).count() == THREADS + 1


@pytest.mark.django_db(transaction=True)
def test_twenty_threads_proposing_the_same_paper_make_one_nomination(transactional_db):
    need_postgres()
    club = ClubFactory()
    people = [MembershipFactory(club=club).user for _ in range(THREADS)]
    _, errors = run_at_once(
        lambda i: services.papers_propose(club=club, user=people[i], text="2106.09685"),
        THREADS,
    )
    assert errors == []
    nomination = Nomination.objects.get(club=club)
    assert nomination.vote_count == THREADS
    assert Vote.objects.filter(nomination=nomination).count() == THREADS
