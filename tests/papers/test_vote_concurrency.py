"""Votes under real concurrency, on PostgreSQL: the counts end exact."""

import threading

import pytest
from django.db import connection

from papers import services
from papers.models import Nomination, Vote
from tests.factories import ClubFactory, MembershipFactory
from tests.services import need_postgres

THREADS = 20


def _run_at_once(work) -> list[BaseException]:
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            barrier.wait()
            work(index)
        except BaseException as error:  # collected and asserted on below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


@pytest.fixture
def nomination(transactional_db):
    need_postgres()
    club = ClubFactory()
    proposer = MembershipFactory(club=club).user
    return services.papers_propose(club=club, user=proposer, text="1706.03762").added[0]


@pytest.mark.django_db(transaction=True)
def test_twenty_threads_toggling_one_persons_vote_end_consistent(nomination):
    voter = MembershipFactory(club=nomination.club).user
    errors = _run_at_once(
        lambda _: services.nomination_vote_toggle(nomination=nomination, user=voter)
    )
    assert errors == []
    nomination.refresh_from_db()
    votes = Vote.objects.filter(nomination=nomination).count()
    assert Vote.objects.filter(nomination=nomination, user=voter).count() in (0, 1)
    assert nomination.vote_count == votes


@pytest.mark.django_db(transaction=True)
def test_twenty_members_voting_at_once_count_exactly(nomination):
    voters = [MembershipFactory(club=nomination.club).user for _ in range(THREADS)]
    errors = _run_at_once(
        lambda i: services.nomination_vote_toggle(nomination=nomination, user=voters[i])
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
    errors = _run_at_once(
        lambda i: services.papers_propose(club=club, user=people[i], text="2106.09685")
    )
    assert errors == []
    nomination = Nomination.objects.get(club=club)
    assert nomination.vote_count == THREADS
    assert Vote.objects.filter(nomination=nomination).count() == THREADS
