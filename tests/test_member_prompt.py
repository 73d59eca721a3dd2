"""Wherever a visitor sees vote, RSVP or question counts, the page says how to take
part (templates/includes/member_prompt.html): signed out, "Sign in to ..." with next=
back to the page; signed in but not a member, "Join the club to ..."; members see
the controls instead."""

from urllib.parse import quote

import pytest
from django.urls import reverse

from tests.factories import MembershipFactory, NominationFactory, SessionFactory

pytestmark = pytest.mark.django_db


def _pages(club):
    nomination = NominationFactory(club=club)
    session = SessionFactory(club=club)
    return {
        "backlog": (reverse("papers:backlog", args=[club.slug]), ["vote"]),
        "paper": (reverse("papers:nomination", args=[club.slug, nomination.pk]), ["vote"]),
        "session": (
            reverse("sessions:session", args=[club.slug, session.pk]),
            ["RSVP", "ask a question"],
        ),
        "rota": (reverse("sessions:rota", args=[club.slug]), ["RSVP or facilitate"]),
    }


@pytest.mark.parametrize("page", ["backlog", "paper", "session", "rota"])
def test_signed_out_visitor_is_asked_to_sign_in_and_comes_back(client, club, page):
    url, actions = _pages(club)[page]
    body = client.get(url).content.decode()
    for action in actions:
        login = reverse("account_login") + "?next=" + quote(url)
        assert f'<a href="{login}">Sign in to {action}</a>' in body


@pytest.mark.parametrize("page", ["backlog", "paper", "session", "rota"])
def test_signed_in_outsider_is_asked_to_join(client, club, outsider, page):
    url, actions = _pages(club)[page]
    client.force_login(outsider)
    body = client.get(url).content.decode()
    for action in actions:
        assert f"Join the club to {action}</a>" in body
    assert "Sign in to" not in body


@pytest.mark.parametrize("page", ["backlog", "paper", "session", "rota"])
def test_member_sees_no_prompt(client, club, member, page):
    url, _ = _pages(club)[page]
    client.force_login(member)
    body = client.get(url).content.decode()
    assert 'class="member-prompt' not in body


def test_pending_member_is_told_what_approval_brings(client, club, outsider):
    MembershipFactory(club=club, user=outsider, state="pending")
    url, _ = _pages(club)["backlog"]
    client.force_login(outsider)
    body = client.get(url).content.decode()
    assert "Once an organizer approves your request to join, you can vote here." in body


def test_cancelled_week_offers_no_rsvp(client, club):
    session = SessionFactory(club=club, state="cancelled")
    body = client.get(reverse("sessions:session", args=[club.slug, session.pk])).content.decode()
    assert "Sign in to RSVP" not in body
