"""seed_scale at tiny sizes: the rows it promises, and counters that match their rows."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from clubs.models import Club, Membership
from paperclub.seeding.scale import BIG_CLUB_SLUG, ScaleSpec, scale_seed
from papers.models import Nomination, Vote
from sessions.models import ClubSchedule, MailPreferences, PreRead, Question, Rsvp, Session

pytestmark = pytest.mark.django_db

TINY = ["--members", "12", "--nominations", "30", "--votes", "150", "--weeks", "12"]


def _seed(*extra: str) -> None:
    call_command("seed_scale", *TINY, "--other-clubs", "1", *extra, stdout=io.StringIO())


def test_seed_scale_makes_the_sizes_asked_for():
    _seed()
    club = Club.objects.get(slug=BIG_CLUB_SLUG)
    members = Membership.objects.filter(club=club, state=Membership.State.ACTIVE)
    assert members.count() == 12
    ready = members.filter(user__emailaddress__verified=True, user__profile__isnull=False)
    assert ready.count() == 12
    assert Nomination.objects.filter(club=club).count() == 30
    assert Vote.objects.filter(nomination__club=club).count() == 150
    sessions = Session.objects.filter(club=club)
    assert sessions.count() == 12
    assert sessions.filter(starts_at__gt=timezone.now()).count() == 3
    assert ClubSchedule.objects.filter(club=club).exists()
    assert Rsvp.objects.filter(session__club=club).exists()
    assert PreRead.objects.filter(session__club=club).exists()
    assert MailPreferences.objects.filter(user__memberships__club=club, invites=True).count() == 12
    assert Club.objects.count() == 2


def test_seed_scale_counters_match_their_rows():
    _seed()
    assert not Nomination.objects.annotate(n=Count("votes")).exclude(vote_count=F("n")).exists()
    assert not Question.objects.annotate(n=Count("votes")).exclude(vote_count=F("n")).exists()
    # Each proposer voted for their own paper, as proposing does.
    assert not Nomination.objects.exclude(votes__user=F("proposed_by")).exists()


def test_seed_scale_sessions_are_consistent():
    _seed()
    now = timezone.now()
    sessions = Session.objects.filter(club__slug=BIG_CLUB_SLUG)
    # Done weeks had a facilitator; covered papers were read on a past week.
    assert not sessions.filter(state="done", facilitator__isnull=True).exists()
    assert not sessions.filter(state="done", starts_at__gt=now).exists()
    covered = Nomination.objects.filter(club__slug=BIG_CLUB_SLUG, state="covered")
    assert covered.exists()
    assert not covered.filter(Q(session_links__isnull=True) | Q(covered_on__isnull=True)).exists()


def _seeded_facts(spec: ScaleSpec, moment) -> tuple[list, list]:
    """Seed, read back who voted for what and the titles, then undo the seed."""
    with transaction.atomic():
        scale_seed(spec, now=moment)
        votes = list(
            Vote.objects.order_by("pk").values_list("user__email", "nomination__paper__arxiv_id")
        )
        titles = list(Nomination.objects.order_by("pk").values_list("paper__title", flat=True))
        transaction.set_rollback(True)
    return votes, titles


def test_seed_scale_is_deterministic():
    moment = timezone.now()
    spec = ScaleSpec(seed=3, members=8, nominations=10, votes=40, weeks=8, other_clubs=0)
    first = _seeded_facts(spec, moment)
    assert first[0]
    assert _seeded_facts(spec, moment) == first
    other = ScaleSpec(seed=4, members=8, nominations=10, votes=40, weeks=8, other_clubs=0)
    assert _seeded_facts(other, moment) != first


def test_seed_scale_if_missing_skips_the_same_sizes_and_refuses_others():
    _seed()
    _seed("--if-missing")  # nothing to do
    assert Club.objects.filter(slug=BIG_CLUB_SLUG).count() == 1
    with pytest.raises(CommandError, match="exists already"):
        call_command("seed_scale", "--members", "13", "--if-missing", stdout=io.StringIO())
