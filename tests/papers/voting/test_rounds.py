"""Voting rounds (papers.voting.rounds): opening, ballots, the deadline, the
published result, and the faults the issue names."""

import random
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from clubs.models import ActivityEntry
from papers.errors import PaperError
from papers.models import Ballot, BallotMark, VotingRound
from papers.tasks import close_rounds
from papers.voting import rounds
from tests.factories import MembershipFactory, NominationFactory, SessionFactory
from tests.unchanged import unchanged


def _open(club, organizer, papers, method="approval", days=7):
    return rounds.round_open(
        club=club,
        by=organizer,
        title="December",
        method=method,
        closes_at=timezone.now() + timedelta(days=days),
        nomination_ids=[p.pk for p in papers],
    )


def _past_deadline(voting_round):
    """Move the round's deadline into the past in the database (and its opening
    before it), as if its week had gone by: no lock or timeout is shortened."""
    past = timezone.now() - timedelta(minutes=5)
    VotingRound.objects.filter(pk=voting_round.pk).update(
        created_at=past - timedelta(days=7), closes_at=past
    )
    voting_round.refresh_from_db()


@pytest.fixture
def papers(club):
    return [NominationFactory(club=club) for _ in range(3)]


def test_a_round_with_no_candidates_is_refused(club, organizer):
    with unchanged(), pytest.raises(PaperError, match="at least one candidate"):
        rounds.round_open(
            club=club,
            by=organizer,
            title="Empty",
            method="approval",
            closes_at=timezone.now() + timedelta(days=1),
            top=5,  # the backlog has no proposed papers
        )


def test_the_new_round_page_refuses_a_round_with_no_candidates(client, club, organizer):
    client.force_login(organizer)
    day = (timezone.now() + timedelta(days=3)).date().isoformat()
    data = {"title": "Empty", "method": "approval", "closes_on": day, "closes_time": "18:00"}
    with unchanged():
        response = client.post(reverse("voting:round_new", args=[club.slug]), data)
    assert response.status_code == 400
    assert "A round needs at least one candidate" in response.content.decode()


def test_a_round_over_the_top_n_takes_the_backlogs_order(club, organizer, papers):
    papers[2].vote_count = 5
    papers[2].save()
    papers[0].vote_count = 3
    papers[0].save()
    voting_round = rounds.round_open(
        club=club,
        by=organizer,
        title="Top two",
        method="score",
        closes_at=timezone.now() + timedelta(days=1),
        top=2,
    )
    got = [c.nomination_id for c in rounds.round_candidates(voting_round=voting_round)]
    assert got == [papers[2].pk, papers[0].pk]
    entry = ActivityEntry.objects.get(kind="papers.round_open")
    assert entry.summary.startswith("opened the round “Top two” over 2 papers (scores")


def test_a_member_changes_their_ballot_until_the_deadline(club, organizer, member, papers):
    voting_round = _open(club, organizer, papers)
    rounds.ballot_cast(voting_round=voting_round, user=member, marks={papers[0].pk: 1})
    rounds.ballot_cast(voting_round=voting_round, user=member, marks={papers[1].pk: 1})
    assert Ballot.objects.filter(round=voting_round).count() == 1
    assert rounds.my_marks(voting_round=voting_round, user=member) == {papers[1].pk: 1}


def test_a_ballot_after_the_deadline_is_refused_and_changes_nothing(
    client, club, organizer, member, papers
):
    voting_round = _open(club, organizer, papers)
    rounds.ballot_cast(voting_round=voting_round, user=member, marks={papers[0].pk: 1})
    _past_deadline(voting_round)
    before = list(BallotMark.objects.values_list("candidate__nomination_id", "score"))
    with pytest.raises(rounds.RoundClosed, match="ballots are no longer taken"):
        rounds.ballot_cast(voting_round=voting_round, user=member, marks={papers[1].pk: 1})
    client.force_login(member)
    url = reverse("voting:ballot", args=[club.slug, voting_round.pk])
    response = client.post(url, {"approve": [str(papers[1].pk)]})
    assert response.status_code == 409
    assert "ballots are no longer taken, and yours was not changed" in response.content.decode()
    after = list(BallotMark.objects.values_list("candidate__nomination_id", "score"))
    assert after == before == [(papers[0].pk, 1)]


@pytest.mark.parametrize("score", ["0", "6", "-1", "2.5", "many"])
def test_a_score_outside_one_to_five_is_a_400(client, club, organizer, member, papers, score):
    voting_round = _open(club, organizer, papers, method="score")
    client.force_login(member)
    url = reverse("voting:ballot", args=[club.slug, voting_round.pk])
    with unchanged():
        response = client.post(url, {f"score-{papers[0].pk}": score})
    assert response.status_code == 400
    assert "A score is a whole number from 1 to 5." in response.content.decode()


def test_a_candidate_not_in_the_round_is_a_400(client, club, organizer, member, papers):
    voting_round = _open(club, organizer, papers[:2])
    client.force_login(member)
    url = reverse("voting:ballot", args=[club.slug, voting_round.pk])
    with unchanged():
        response = client.post(url, {"approve": [str(papers[2].pk)]})
    assert response.status_code == 400
    assert f"Paper {papers[2].pk} is not a candidate in this round" in response.content.decode()


def test_the_open_round_page_hides_the_counts_and_the_closed_one_shows_them(
    client, club, organizer, member, papers
):
    voting_round = _open(club, organizer, papers, method="score")
    rounds.ballot_cast(voting_round=voting_round, user=member, marks={papers[1].pk: 4})
    client.force_login(organizer)
    url = reverse("voting:round", args=[club.slug, voting_round.pk])
    page = client.get(url).content.decode()
    assert "The counts are hidden until the round closes" in page
    assert "4 points" not in page
    assert "1 ballot" not in page
    with pytest.raises(rounds.TallyHidden):
        rounds.round_result(voting_round=voting_round)
    _past_deadline(voting_round)
    page = client.get(url).content.decode()
    assert "1 ballot cast" in page
    assert "4 points from 1 score, mean 4.0" in page
    assert "Winner" in page


def test_the_close_is_logged_once_by_the_first_reader_or_the_beat_job(
    client, club, organizer, member, papers
):
    voting_round = _open(club, organizer, papers)
    rounds.ballot_cast(voting_round=voting_round, user=member, marks={papers[2].pk: 1})
    close_rounds()  # before the deadline: nothing to close
    assert not ActivityEntry.objects.filter(kind="papers.round_close").exists()
    _past_deadline(voting_round)
    client.force_login(member)
    client.get(reverse("voting:round", args=[club.slug, voting_round.pk]))
    close_rounds()
    entry = ActivityEntry.objects.get(kind="papers.round_close")
    title = papers[2].paper.display_title
    assert entry.summary == (
        f"closed the round “December” with 1 ballot: won by “{title}” (1 approval)"
    )


def test_the_result_counts_equal_the_ballots(club, organizer, papers):
    """Random ballots of many members: each candidate's total and count are the
    sums of the ballots as cast (the last of each member's)."""
    rng = random.Random(17)
    voting_round = _open(club, organizer, papers, method="score")
    members = [MembershipFactory(club=club).user for _ in range(12)]
    cast = {}
    for _ in range(30):
        voter = rng.choice(members)
        marks = {p.pk: rng.randint(1, 5) for p in papers if rng.random() < 0.6}
        rounds.ballot_cast(voting_round=voting_round, user=voter, marks=marks)
        cast[voter.pk] = marks
    _past_deadline(voting_round)
    result = rounds.round_result(voting_round=voting_round)
    assert result.ballots == len(cast)
    for counted in result.candidates:
        scores = [m[counted.nomination.pk] for m in cast.values() if counted.nomination.pk in m]
        assert (counted.total, counted.marked) == (sum(scores), len(scores))
    best = max(sum(m.get(p.pk, 0) for m in cast.values()) for p in papers)
    assert {w.nomination.pk for w in result.winners} == {
        p.pk for p in papers if sum(m.get(p.pk, 0) for m in cast.values()) == best
    }


def test_the_winners_are_offered_first_to_the_weeks_facilitator(
    client, club, organizer, member, papers
):
    voting_round = _open(club, organizer, papers)
    rounds.ballot_cast(voting_round=voting_round, user=member, marks={papers[2].pk: 1})
    _past_deadline(voting_round)
    session = SessionFactory(club=club, state="scheduled", facilitator=member)
    client.force_login(member)
    page = client.get(reverse("sessions:session", args=[club.slug, session.pk])).content.decode()
    assert "Won the round “December”" in page
    picker = page[page.index('class="candidates"') :]
    assert picker.index(papers[2].paper.display_title) < picker.index(papers[0].paper.display_title)


def test_the_api_refuses_a_bad_ballot_and_a_late_one(club, organizer, member, papers):
    voting_round = _open(club, organizer, papers, method="score")
    client = APIClient()
    client.force_login(member)
    url = reverse("api:ballot", args=[club.slug, voting_round.pk])
    with unchanged():
        for marks, words in (
            ({str(papers[0].pk): 7}, "A score is a whole number from 1 to 5."),
            ({str(papers[0].pk): "4"}, "A mark is 1 (approved) or a score from 1 to 5."),
            ({"paper": 3}, "'paper' is not a candidate in this round."),
        ):
            answer = client.put(url, {"marks": marks}, format="json")
            assert (answer.status_code, words) == (400, words)
            assert words in answer.content.decode()
    assert client.put(url, {"marks": {str(papers[0].pk): 4}}, format="json").status_code == 200
    _past_deadline(voting_round)
    with unchanged():
        late = client.put(url, {"marks": {str(papers[0].pk): 5}}, format="json")
    assert late.status_code == 400
    assert "ballots are no longer taken" in late.json()["detail"]
