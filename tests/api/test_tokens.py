"""The profile's API tokens page: made, shown once, stored hashed, revoked."""

import hashlib

from django.urls import reverse

from api.models import PersonalToken
from clubs.confirming import CONFIRM_FIELD
from tests.api.conftest import bearer
from tests.factories import ClubFactory, MembershipFactory
from tests.unchanged import unchanged


def test_a_token_is_shown_once_and_stored_only_as_a_hash(client, api, club, member):
    client.force_login(member)
    response = client.post(
        reverse("tokens"), {"name": "club website", "club": club.pk, "scope": "read"}
    )
    assert response.status_code == 200
    secret = response.context["secret"]
    assert secret in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    token = PersonalToken.objects.get()
    assert (token.club, token.scope, token.name) == (club, "read", "club website")
    assert token.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(PersonalToken.objects.values().get())
    # Shown once: the page again names it by its first characters only.
    again = client.get(reverse("tokens")).content.decode()
    assert secret not in again
    assert token.prefix in again
    assert api.get(reverse("api:backlog", args=[club.slug]), **bearer(secret)).status_code == 200


def test_a_token_is_only_for_a_club_one_is_in(client, member):
    elsewhere = ClubFactory()
    client.force_login(member)
    with unchanged():
        response = client.post(
            reverse("tokens"), {"name": "x", "club": elsewhere.pk, "scope": "write"}
        )
    assert response.status_code == 200
    assert "club" in response.context["form"].errors


def test_revoke_asks_first_then_the_token_stops_working(client, api, club, member, make_token):
    secret = make_token(member, club)
    token = PersonalToken.objects.get()
    client.force_login(member)
    url = reverse("token_revoke", args=[token.pk])
    with unchanged():
        asked = client.post(url)
    assert asked.status_code == 200
    assert "Revoke this token?" in asked.content.decode()
    response = client.post(url, {CONFIRM_FIELD: "1"})
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert api.get(reverse("api:my_rsvps"), **bearer(secret)).status_code == 401
    assert "Revoked" in client.get(reverse("tokens")).content.decode()


def test_nobody_revokes_another_persons_token(client, club, member, make_token):
    make_token(member, club)
    other = MembershipFactory(club=club).user
    client.force_login(other)
    with unchanged():
        response = client.post(
            reverse("token_revoke", args=[PersonalToken.objects.get().pk]), {CONFIRM_FIELD: "1"}
        )
    assert response.status_code == 404


def test_the_tokens_page_needs_signing_in(client):
    response = client.get(reverse("tokens"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_the_profile_links_to_the_tokens(client, club, member, make_token):
    make_token(member, club)
    client.force_login(member)
    body = client.get(reverse("profile")).content.decode()
    assert "You have 1 active token." in body
    assert reverse("tokens") in body
