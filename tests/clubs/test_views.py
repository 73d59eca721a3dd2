from datetime import timedelta

import pytest
from django.test import Client
from django.test.signals import template_rendered
from django.urls import reverse
from django.utils import timezone

from clubs import selectors
from clubs.models import Club, Invitation, Membership
from sessions.models import PreRead
from sessions.reading import services as reading
from tests.factories import (
    ClubFactory,
    InvitationFactory,
    MembershipFactory,
    RsvpFactory,
    SessionPaperFactory,
    UserFactory,
    session_at,
)
from tests.unchanged import unchanged

pytestmark = pytest.mark.django_db


def _create_form(**overrides):
    data = {
        "name": "Robots Reading",
        "slug": "robots",
        "description": "We read <script>alert(1)</script> **robots**",
        "visibility": "public",
        "join_policy": "open",
        "time_zone": "Europe/London",
    }
    return data | overrides


def test_create_club_page_creates_club_and_renders_sanitised_description(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post(reverse("clubs:create"), _create_form())
    assert response.status_code == 302
    assert response["Location"] == reverse("clubs:home", args=["robots"])
    home = client.get(response["Location"]).content.decode()
    assert "<strong>robots</strong>" in home
    assert "<script>alert(1)</script>" not in home


def test_create_club_with_taken_slug_shows_error_and_changes_nothing(client):
    ClubFactory(slug="robots")
    client.force_login(UserFactory())
    response = client.post(reverse("clubs:create"), _create_form())
    assert response.status_code == 200
    assert response.context["form"].errors["slug"] == [
        "The address “robots” is already taken: choose another."
    ]
    assert Club.objects.count() == 1


def test_create_club_with_unknown_time_zone_shows_error(client):
    client.force_login(UserFactory())
    response = client.post(reverse("clubs:create"), _create_form(time_zone="Mars/Olympus"))
    assert response.status_code == 200
    assert response.context["form"].errors["time_zone"] == [
        "“Mars/Olympus” is not a time zone we know. Pick one such as Europe/London."
    ]
    assert Club.objects.count() == 0


def test_create_club_requires_sign_in(client):
    response = client.post(reverse("clubs:create"), _create_form())
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert Club.objects.count() == 0


def test_join_private_club_without_invitation_is_404(client):
    club = ClubFactory(visibility="private", join_policy="invite")
    user = UserFactory()
    client.force_login(user)
    with unchanged():
        assert client.post(reverse("clubs:join", args=[club.slug])).status_code == 404
    assert not Membership.objects.filter(user=user).exists()


def test_join_invitation_only_public_club_says_why(client):
    club = ClubFactory(join_policy="invite")
    client.force_login(UserFactory())
    response = client.post(reverse("clubs:join", args=[club.slug]), follow=True)
    assert "by invitation only" in response.content.decode()


def test_last_organizer_leaving_gets_a_message_and_stays(client, club, organizer):
    client.force_login(organizer)
    response = client.post(
        reverse("clubs:leave", args=[club.slug]), {"confirmed": "1"}, follow=True
    )
    assert "last organizer" in response.content.decode()
    assert Membership.objects.get(club=club, user=organizer).is_organizer


def test_last_organizer_demoting_themself_gets_a_message(client, club, organizer):
    client.force_login(organizer)
    membership = Membership.objects.get(club=club, user=organizer)
    url = reverse("clubs:membership_action", args=[club.slug, membership.pk, "demote"])
    response = client.post(url, {"confirmed": "1"}, follow=True)
    assert "last organizer" in response.content.decode()
    membership.refresh_from_db()
    assert membership.role == "organizer"


def test_organizer_approves_request(client, club, organizer):
    request = MembershipFactory(club=club, state="pending")
    client.force_login(organizer)
    url = reverse("clubs:membership_action", args=[club.slug, request.pk, "approve"])
    client.post(url)
    request.refresh_from_db()
    assert request.state == "active"


def test_invitation_accept_page_and_join(client):
    club = ClubFactory(visibility="private", join_policy="invite", name="Hidden Reading")
    invitation = InvitationFactory(club=club)
    url = reverse("clubs:invitation_accept", args=[invitation.token])
    anonymous = client.get(url)
    assert anonymous.status_code == 200
    assert "Hidden Reading" in anonymous.content.decode()
    user = UserFactory()
    client.force_login(user)
    response = client.post(url)
    assert response.status_code == 302
    assert response["Location"] == reverse("clubs:home", args=[club.slug])
    assert Membership.objects.get(club=club, user=user).state == "active"


@pytest.mark.parametrize(
    ("change", "status", "text"),
    [
        ({"revoked_at": timezone.now()}, 410, "withdrawn"),
        ({"expires_at": timezone.now() - timedelta(minutes=1)}, 410, "expired"),
    ],
)
def test_unusable_invitation_page_says_why_and_joins_nobody(client, change, status, text):
    club = ClubFactory(visibility="private", join_policy="invite")
    invitation = InvitationFactory(club=club, created_at=timezone.now() - timedelta(days=8))
    Invitation.objects.filter(pk=invitation.pk).update(**change)
    user = UserFactory()
    client.force_login(user)
    url = reverse("clubs:invitation_accept", args=[invitation.token])
    response = client.post(url, follow=True)
    assert response.status_code == status
    assert text in response.content.decode()
    assert not Membership.objects.filter(user=user).exists()


def test_email_invitation_page_for_another_account_says_so_and_offers_no_join(client):
    club = ClubFactory(visibility="private", join_policy="invite", name="Hidden Reading")
    invitation = InvitationFactory(club=club, email="ada@example.org")
    client.force_login(UserFactory(email="eve@example.org"))
    url = reverse("clubs:invitation_accept", args=[invitation.token])

    body = client.get(url).content.decode()

    assert "<strong>This invitation is for a•••@example.org</strong>" in body
    assert "you are signed in as eve@example.org" in body
    assert "Join Hidden Reading</button>" not in body
    assert "ada@example.org" not in body


def test_unknown_invitation_is_404(client):
    InvitationFactory(token="yes-this-one-exists-0123456789")
    with unchanged():
        response = client.get(reverse("clubs:invitation_accept", args=["nope"]))
    assert response.status_code == 404


def test_organizer_revokes_invitation(client, club, organizer):
    invitation = InvitationFactory(club=club)
    client.force_login(organizer)
    client.post(
        reverse("clubs:invitation_revoke", args=[club.slug, invitation.pk]), {"confirmed": "1"}
    )
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None


def test_forged_post_without_csrf_token_is_refused(club):
    user = UserFactory()
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    with unchanged():
        response = client.post(reverse("clubs:join", args=[club.slug]))
    assert response.status_code == 403
    assert not Membership.objects.filter(club=club, user=user).exists()


def test_profile_sets_time_zone_and_times_follow_it(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post(reverse("profile"), {"display_name": "Ada", "time_zone": "Asia/Kolkata"})
    assert response.status_code == 302
    user.profile.refresh_from_db()
    assert (user.profile.display_name, user.profile.time_zone) == ("Ada", "Asia/Kolkata")


def test_club_page_renders_in_club_zone_for_anonymous_and_own_zone_for_member(client):
    seen = {}

    def capture(sender, **kwargs):
        seen["zone"] = timezone.get_current_timezone_name()

    club = ClubFactory(time_zone="Asia/Kolkata")
    template_rendered.connect(capture)
    try:
        client.get(reverse("clubs:home", args=[club.slug]))
        assert seen["zone"] == "Asia/Kolkata"
        member = MembershipFactory(club=club, user=UserFactory(profile__time_zone="Europe/Paris"))
        client.force_login(member.user)
        client.get(reverse("clubs:home", args=[club.slug]))
        assert seen["zone"] == "Europe/Paris"
    finally:
        template_rendered.disconnect(capture)


# --- Query budgets: a literal count, the same at one row as at three ------------------

ROWS = [1, 3]


@pytest.mark.parametrize("rows", ROWS)
def test_directory_queries(client, django_assert_num_queries, rows):
    for _ in range(rows):
        MembershipFactory.create_batch(2, club=ClubFactory())
    with django_assert_num_queries(2):
        response = client.get(reverse("clubs:directory"))
    assert len(response.context["page"].object_list) == rows


@pytest.mark.parametrize("rows", ROWS)
def test_member_list_queries(client, django_assert_num_queries, club, organizer, rows):
    MembershipFactory.create_batch(rows, club=club)
    MembershipFactory.create_batch(rows, club=club, state="pending")
    MembershipFactory.create_batch(rows, club=club, state="inactive")  # shown apart (reconfirm)
    client.force_login(organizer)
    with django_assert_num_queries(8):
        response = client.get(reverse("clubs:members", args=[club.slug]))
    assert response.context["member_count"] == rows + 1  # and the organizer
    assert len(response.context["pending"]) == rows
    assert len(response.context["inactive"]) == response.context["inactive_count"] == rows


@pytest.mark.parametrize("rows", ROWS)
def test_home_queries(client, django_assert_num_queries, rows):
    user = UserFactory()
    MembershipFactory.create_batch(rows, user=user)
    client.force_login(user)
    with django_assert_num_queries(5):
        response = client.get(reverse("home"))
    assert len(response.context["my_memberships"]) == rows


@pytest.mark.parametrize("rows", ROWS)
def test_invitations_queries(client, django_assert_num_queries, club, organizer, rows):
    InvitationFactory.create_batch(rows, club=club, created_by=organizer)
    client.force_login(organizer)
    with django_assert_num_queries(5):
        response = client.get(reverse("clubs:invitations", args=[club.slug]))
    assert len(response.context["invitations"]) == rows


def _members_named(club, names, **fields):
    return [
        MembershipFactory(club=club, user=UserFactory(profile__display_name=name, **fields)).user
        for name in names
    ]


def test_members_come_fifty_to_a_page_organizers_first(client, club, organizer, member):
    _members_named(club, [f"Zoe {n:02d}" for n in range(58)])
    client.force_login(member)
    url = reverse("clubs:members", args=[club.slug])
    first = client.get(url)
    second = client.get(url, {"page": 2})
    listed = list(first.context["page"].object_list) + list(second.context["page"].object_list)
    assert len(first.context["page"].object_list) == 50
    assert [m.user_id for m in listed] == [m.user_id for m in selectors.club_members(club=club)]
    assert listed[0].user_id == organizer.pk
    body = first.content.decode()
    assert "60 members of" in body
    assert "1–50 of 60" in body


def test_members_search_names_and_organizers_also_emails(client, club, organizer, member):
    ada, _ = _members_named(club, ["Ada Lovelace", "Alan Turing"])
    hidden = MembershipFactory(
        club=club, user=UserFactory(email="grace@navy.example", profile__display_name="G. H.")
    ).user
    url = reverse("clubs:members", args=[club.slug])

    client.force_login(member)
    found = client.get(url, {"q": "love"}).context["page"].object_list
    assert [m.user_id for m in found] == [ada.pk]
    # Members see names only: an address is not searchable by them.
    response = client.get(url, {"q": "navy.example"})
    assert list(response.context["page"].object_list) == []
    assert "Nobody matches" in response.content.decode()

    client.force_login(organizer)
    found = client.get(url, {"q": "NAVY.example"}).context["page"].object_list
    assert [m.user_id for m in found] == [hidden.pk]


def test_profile_offers_hide_my_reading_and_the_dashboard_respects_it(client):
    """The dashboard promised a setting nobody could reach: it is on the profile now."""
    club = ClubFactory()
    facilitator = MembershipFactory(club=club, role="organizer").user
    shy = MembershipFactory(club=club, user=UserFactory(profile__display_name="Shy Reader")).user
    session = session_at(club, starts_in=timedelta(days=2), facilitator=facilitator)
    SessionPaperFactory(session=session)
    RsvpFactory(session=session, user=shy, answer="going")
    reading.preread_set(session=session, user=shy, level=PreRead.Level.DEEP)
    dashboard = reverse("reading:dashboard", args=[club.slug, session.pk])

    client.force_login(shy)
    page = client.get(reverse("profile")).content.decode()
    assert 'name="hide_reading_from_facilitators"' in page
    assert "Hide my reading from facilitators" in page
    response = client.post(
        reverse("profile"),
        {"display_name": "Shy Reader", "time_zone": "UTC", "hide_reading_from_facilitators": "on"},
    )
    assert response.status_code == 302
    shy.profile.refresh_from_db()
    assert shy.profile.hide_reading_from_facilitators is True
    assert (
        "checked"
        in client.get(reverse("profile"))
        .content.decode()
        .split('name="hide_reading_from_facilitators"')[1]
        .split(">")[0]
    )

    client.force_login(facilitator)
    body = client.get(dashboard).content.decode()
    # Named as coming (as on the session page), not in how far people have read.
    assert "Shy Reader" not in body.split('id="dash-levels"')[1]
    assert "1</span> deep-read" in body  # counted, not named

    client.force_login(shy)
    client.post(reverse("profile"), {"display_name": "Shy Reader", "time_zone": "UTC"})
    shy.profile.refresh_from_db()
    assert shy.profile.hide_reading_from_facilitators is False
    client.force_login(facilitator)
    assert "Shy Reader: deep-read" in client.get(dashboard).content.decode()


def test_club_home_counts_active_members_and_names_organizers(client, club, organizer):
    MembershipFactory(club=club, user__profile__display_name="Grace Hopper", role="organizer")
    MembershipFactory(club=club, user__profile__display_name="Gone Member", state="left")
    MembershipFactory(club=club, state="pending")
    MembershipFactory(club=ClubFactory())  # another club's member
    client.force_login(organizer)

    body = client.get(reverse("clubs:home", args=[club.slug])).content.decode()

    assert "<span>2 members</span>" in body
    assert "Grace Hopper</li>" in body
    assert "Gone Member" not in body
    assert '<h2 id="organizers-title">Organizers</h2>' in body
