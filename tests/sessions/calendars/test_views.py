"""Calendar pages over HTTP: query budgets for every feed (a literal count, the
same at one session as at three)."""

import pytest
from django.urls import reverse

from sessions.calendars import tokens
from sessions.models import Session
from tests.factories import ClubFactory, MembershipFactory, SessionFactory, SessionPaperFactory

pytestmark = pytest.mark.django_db

ROWS = [1, 3]


def _weeks(club, count: int) -> None:
    """`count` scheduled weeks, each with a facilitator and a paper."""
    for _ in range(count):
        facilitator = MembershipFactory(club=club).user
        session = SessionFactory(club=club, state=Session.State.SCHEDULED, facilitator=facilitator)
        SessionPaperFactory(session=session)


def _events(response) -> int:
    return response.content.count(b"BEGIN:VEVENT")


@pytest.mark.parametrize("rows", ROWS)
def test_public_club_feed_queries(client, django_assert_num_queries, rows):
    club = ClubFactory()
    _weeks(club, rows)
    with django_assert_num_queries(4):
        response = client.get(reverse("calendars:club_public", args=[club.slug]))
    assert _events(response) == rows


@pytest.mark.parametrize("rows", ROWS)
def test_private_club_feed_queries(client, django_assert_num_queries, rows):
    club = ClubFactory(visibility="private", join_policy="invite")
    _weeks(club, rows)
    token = tokens.club_feed_token(club=club).token
    with django_assert_num_queries(4):
        response = client.get(reverse("calendars:club_private", args=[token]))
    assert _events(response) == rows


@pytest.mark.parametrize("rows", ROWS)
def test_personal_feed_queries(client, django_assert_num_queries, rows):
    member = MembershipFactory().user
    for _ in range(rows):  # a week in each of `rows` clubs
        _weeks(MembershipFactory(user=member).club, 1)
    token = tokens.personal_feed_token(user=member).token
    with django_assert_num_queries(5):
        response = client.get(reverse("calendars:personal", args=[token]))
    assert _events(response) == rows
