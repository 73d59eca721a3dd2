"""An organizer opens a voting round, members vote (with htmx and without
JavaScript), nobody sees a count, and after the deadline the result shows;
the backlog of a club that weighs votes shows what each vote counts."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from papers.models import Ballot, BallotMark, VotingRound
from papers.voting.options import options_save
from tests.browser.conftest import screenshot, sign_in
from tests.factories import (
    AttendanceFactory,
    ClubFactory,
    MembershipFactory,
    NominationFactory,
    PaperFactory,
    VoteFactory,
    session_at,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TITLES = ["Attention Is All You Need", "Scaling Laws for Neural Language Models", "LoRA"]


def _both_widths(page, name):
    for width in (375, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        screenshot(page, f"{name}-{width}")


def test_open_a_round_vote_and_read_the_result_after_the_deadline(new_page):
    club = ClubFactory(slug="round-club", name="Round Club", time_zone="Europe/London")
    organizer = MembershipFactory(club=club, role="organizer").user
    member = MembershipFactory(club=club).user
    papers = [
        NominationFactory(club=club, paper=PaperFactory(club=club, title=title)) for title in TITLES
    ]

    page = new_page()
    sign_in(page, organizer.email)
    page.goto("/c/round-club/rounds/new/")
    page.get_by_label("Name").fill("December's paper")
    page.get_by_label("Approval (tick every paper you would read)").check()
    closes = timezone.localtime(timezone.now(), club.tzinfo) + timedelta(days=3)
    page.get_by_label("Closes on").fill(closes.date().isoformat())
    page.get_by_label("at", exact=True).fill("18:00")
    for title in TITLES[:2]:
        page.get_by_label(title).check()
    page.get_by_role("button", name="Open the round").click()
    page.wait_for_url(re.compile(r"/c/round-club/rounds/\d+/$"))
    voting_round = VotingRound.objects.get(club=club)
    assert page.get_by_text("The counts are hidden until the round closes").is_visible()

    # A member votes with htmx: the ballot is saved in place.
    voter = new_page()
    sign_in(voter, member.email)
    voter.goto(f"/c/round-club/rounds/{voting_round.pk}/")
    voter.get_by_label(TITLES[1]).check()
    _both_widths(voter, "round-ballot")
    voter.get_by_role("button", name="Cast my ballot").click()
    voter.get_by_text("Your ballot is saved.").wait_for()
    assert voter.url.endswith(f"/rounds/{voting_round.pk}/")
    # Without JavaScript the same form posts and comes back to the page.
    plain = new_page(javascript=False)
    sign_in(plain, organizer.email)
    plain.goto(f"/c/round-club/rounds/{voting_round.pk}/")
    plain.get_by_label(TITLES[0]).check()
    plain.get_by_label(TITLES[1]).check()
    plain.get_by_role("button", name="Cast my ballot").click()
    plain.get_by_text("Your ballot is saved.").wait_for()
    assert Ballot.objects.filter(round=voting_round).count() == 2
    assert BallotMark.objects.filter(ballot__round=voting_round).count() == 3

    # The organizer sees no count while the round is open.
    page.reload()
    text = page.locator("main").inner_text()
    assert re.findall(r"\d+ (?:approvals?|ballots?)|Winner", text) == []
    _both_widths(page, "round-hidden-tally-organizer")

    # The deadline passes (set in the database): the result is published.
    past = timezone.now() - timedelta(minutes=1)
    VotingRound.objects.filter(pk=voting_round.pk).update(
        created_at=past - timedelta(days=3), closes_at=past
    )
    page.reload()
    result = page.locator(".round-result")
    assert "2 ballots cast." in result.inner_text()
    winner = page.locator(".round-result__item--winner")
    assert winner.count() == 1
    assert TITLES[1] in winner.inner_text()
    assert "2 approvals" in winner.inner_text()
    _both_widths(page, "round-result")
    assert papers[2].pk not in [c.nomination_id for c in voting_round.candidates.all()]


def test_a_weighted_club_shows_what_each_vote_counts(new_page):
    club = ClubFactory(slug="weighted-club", name="Weighted Club")
    organizer = MembershipFactory(club=club, role="organizer").user
    member = MembershipFactory(club=club).user
    options_save(club=club, by=organizer, vote_budget=5, weighted_votes=True)
    for weeks, people in ((1, [member]), (2, [member, organizer]), (3, [organizer])):
        week = session_at(
            club,
            starts_in=-timedelta(days=7 * weeks),
            state="done",
            attendance_taken_at=timezone.now(),
        )
        for person in people:
            AttendanceFactory(session=week, user=person)
    paper = NominationFactory(
        club=club, paper=PaperFactory(club=club, title=TITLES[0]), vote_count=2
    )
    VoteFactory(nomination=paper, user=member)
    VoteFactory(nomination=paper, user=organizer)
    page = new_page()
    sign_in(page, member.email)
    page.goto("/c/weighted-club/backlog/")
    assert page.get_by_text("Your vote counts 1.67× here.").is_visible()
    assert page.get_by_text("You have 4 of 5 open votes left.").is_visible()
    assert page.get_by_text("weighs 3.33").is_visible()
    _both_widths(page, "backlog-weighted-vote")
