"""Every club URL, for every kind of viewer, in a public and a private club.

Private data that could leak is created first; responses that refuse must not
contain it, and the matrix must cover every URL the clubs app routes.
"""

import pytest
from django.urls import reverse

from clubs.models import Club, Membership
from tests.factories import InvitationFactory, MembershipFactory, UserFactory

SECRET_NAME = "Zebra Secret Society"
SECRET_MEMBER = "Quentin Hidden-Member"
SECRET_TOKEN = "leaky-token-0123456789abcdefghij"

ROLES = ["anonymous", "outsider", "pending", "member", "organizer"]

# url name -> (method, expected outcome per role) for a PUBLIC club.
# "login": redirect to sign in; "redirect": handled, sent back to a club page.
PUBLIC = {
    "home": ("get", [200, 200, 200, 200, 200]),
    "settings": ("get", ["login", 403, 403, 403, 200]),
    "members": ("get", ["login", 403, 403, 200, 200]),
    "invitations": ("get", ["login", 403, 403, 403, 200]),
    "join": ("post", ["login", "redirect", "redirect", "redirect", "redirect"]),
    "leave": ("post", ["login", 403, "redirect", "redirect", "redirect"]),
    "membership_action": ("post", ["login", 403, 403, 403, "redirect"]),
    "invitation_revoke": ("post", ["login", 403, 403, 403, "redirect"]),
}


def _private_expectations():
    expected = {}
    for name, (method, outcomes) in PUBLIC.items():
        # Anonymous people and outsiders cannot know a private club exists.
        expected[name] = (method, [404, 404, *outcomes[2:]])
    return expected


PRIVATE = _private_expectations()


@pytest.fixture
def scene(db):
    club = Club.objects.create(
        name=SECRET_NAME,
        slug="zebra",
        description="Our secret agenda",
        visibility=Club.Visibility.PUBLIC,
        join_policy=Club.JoinPolicy.REQUEST,
        time_zone="Europe/London",
    )
    people = {
        "outsider": UserFactory(),
        "pending": MembershipFactory(club=club, state="pending").user,
        "member": MembershipFactory(club=club).user,
        "organizer": MembershipFactory(club=club, role="organizer").user,
    }
    MembershipFactory(club=club, role="organizer")  # so the organizer may leave
    hidden = MembershipFactory(club=club, user=UserFactory(profile__display_name=SECRET_MEMBER))
    requester = MembershipFactory(club=club, state="pending")
    invitation = InvitationFactory(club=club, token=SECRET_TOKEN)
    return club, people, hidden, requester, invitation


def _url(name, club, requester, invitation):
    args = {
        "membership_action": [club.slug, requester.pk, "approve"],
        "invitation_revoke": [club.slug, invitation.pk],
    }.get(name, [club.slug])
    return reverse(f"clubs:{name}", args=args)


def _check(client, people, role, method, url, expected):
    if role != "anonymous":
        client.force_login(people[role])
    response = getattr(client, method)(url)
    if expected == "login":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
    elif expected == "redirect":
        assert response.status_code == 302
        assert not response["Location"].startswith(reverse("account_login"))
    else:
        assert response.status_code == expected
    return response


@pytest.mark.parametrize("role_index,role", list(enumerate(ROLES)))
@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_public_club_url_outcome_for_role(client, scene, name, role_index, role):
    club, people, hidden, requester, invitation = scene
    method, outcomes = PUBLIC[name]
    url = _url(name, club, requester, invitation)
    response = _check(client, people, role, method, url, outcomes[role_index])
    if outcomes[role_index] in (403, 404):
        body = response.content.decode()
        assert SECRET_MEMBER not in body
        assert SECRET_TOKEN not in body


@pytest.mark.parametrize("role_index,role", list(enumerate(ROLES)))
@pytest.mark.parametrize("name", sorted(PRIVATE))
def test_private_club_url_outcome_for_role(client, scene, name, role_index, role):
    club, people, hidden, requester, invitation = scene
    Club.objects.filter(pk=club.pk).update(visibility="private", join_policy="invite")
    method, outcomes = PRIVATE[name]
    url = _url(name, club, requester, invitation)
    response = _check(client, people, role, method, url, outcomes[role_index])
    if outcomes[role_index] in (403, 404):
        body = response.content.decode()
        assert SECRET_NAME not in body if outcomes[role_index] == 404 else True
        assert SECRET_MEMBER not in body
        assert SECRET_TOKEN not in body


def test_matrix_covers_every_club_url():
    from clubs.urls import urlpatterns

    club_urls = {p.name for p in urlpatterns if "<slug:slug>" in str(p.pattern)}
    assert club_urls == set(PUBLIC)


def test_every_club_view_declares_who_may_use_it():
    from clubs import views

    club_views = [
        views.club_home,
        views.club_settings,
        views.club_join,
        views.club_leave,
        views.club_members,
        views.membership_action,
        views.invitations,
        views.invitation_revoke,
    ]
    assert all(hasattr(view, "club_needs") for view in club_views)


def test_directory_hides_private_clubs(client, scene):
    club, *_ = scene
    Club.objects.filter(pk=club.pk).update(visibility="private", join_policy="invite")
    response = client.get(reverse("clubs:directory"))
    assert response.status_code == 200
    assert SECRET_NAME not in response.content.decode()


def test_members_page_shows_members_to_members_only(client, scene):
    club, people, hidden, *_ = scene
    client.force_login(people["member"])
    response = client.get(reverse("clubs:members", args=[club.slug]))
    assert SECRET_MEMBER in response.content.decode()


def test_pending_member_cannot_approve_others(client, scene):
    club, people, hidden, requester, invitation = scene
    client.force_login(people["pending"])
    url = reverse("clubs:membership_action", args=[club.slug, requester.pk, "approve"])
    assert client.post(url).status_code == 403
    requester.refresh_from_db()
    assert requester.state == Membership.State.PENDING


def test_organizer_cannot_act_on_another_clubs_membership(client, scene):
    club, people, *_ = scene
    other = MembershipFactory(state="pending")
    client.force_login(people["organizer"])
    url = reverse("clubs:membership_action", args=[club.slug, other.pk, "approve"])
    assert client.post(url).status_code == 404
    other.refresh_from_db()
    assert other.state == Membership.State.PENDING
