"""Feeds: parsed back with independent parsers, at the right local time; their
secret tokens; what a person's feed holds."""

import itertools
from datetime import timedelta

import pytest
from django.urls import reverse

from sessions.calendars import feeds, tokens
from sessions.models import FeedToken, MailPreferences
from tests.factories import ClubFactory, MembershipFactory
from tests.sessions.ics import parse_everywhere, planned_club
from tests.unchanged import unchanged

pytestmark = pytest.mark.django_db


def test_feed_keeps_noon_across_both_dst_changes():
    club, _ = planned_club()
    ics = feeds.club_feed(club=club)
    calendar = parse_everywhere(ics)
    assert calendar["METHOD"] == "PUBLISH"
    starts = [event.decoded("DTSTART") for event in calendar.walk("VEVENT")]
    assert len(starts) >= 52
    assert {(s.hour, s.minute, s.weekday()) for s in starts} == {(12, 0, 2)}
    offsets = [s.utcoffset() for s in starts]
    changes = [(a, b) for a, b in itertools.pairwise(offsets) if a != b]
    assert sorted(changes) == sorted(
        [(timedelta(hours=-8), timedelta(hours=-7)), (timedelta(hours=-7), timedelta(hours=-8))]
    )
    assert b"BEGIN:VTIMEZONE" in ics
    # Shared feeds never carry the meeting link.
    assert b"meet.example.com" not in ics


# --- Tokens and feeds over HTTP ------------------------------------------------------


def test_private_club_feed_token_regenerated_old_url_404(client):
    club = ClubFactory(visibility="private", join_policy="invite")
    token = tokens.club_feed_token(club=club).token
    url = reverse("calendars:club_private", args=[token])
    assert client.get(url).status_code == 200
    tokens.feed_token_regenerate(club=club)
    with unchanged():
        assert client.get(url).status_code == 404
    new = FeedToken.objects.get(club=club).token
    assert client.get(reverse("calendars:club_private", args=[new])).status_code == 200


def test_wrong_feed_token_is_404(client):
    tokens.club_feed_token(club=ClubFactory(visibility="private", join_policy="invite"))
    tokens.personal_feed_token(user=MembershipFactory().user)
    with unchanged():
        assert client.get(reverse("calendars:personal", args=["nope"])).status_code == 404
        assert client.get(reverse("calendars:club_private", args=["nope"])).status_code == 404


def test_private_club_has_no_public_feed(client):
    club = ClubFactory(visibility="private", join_policy="invite")
    member = MembershipFactory(club=club).user
    client.force_login(member)
    with unchanged():
        assert client.get(reverse("calendars:club_public", args=[club.slug])).status_code == 404


def test_personal_feed_has_meeting_link_and_scope():
    club, _ = planned_club()
    member = MembershipFactory(club=club).user
    all_feed = parse_everywhere(feeds.personal_feed(user=member))
    assert b"meet.example.com" in feeds.personal_feed(user=member)
    MailPreferences.objects.create(user=member, feed_scope="mine")
    mine = parse_everywhere(feeds.personal_feed(user=member))
    assert len(all_feed.walk("VEVENT")) > 0
    assert mine.walk("VEVENT") == []
