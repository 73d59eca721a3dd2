from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.utils import timezone

from clubs import services
from clubs.models import Club, Invitation, Membership, Profile
from clubs.outbox.sending import outbox_drain
from tests.factories import ClubFactory, InvitationFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_club_create_makes_creator_the_organizer():
    user = UserFactory()
    club = services.club_create(
        creator=user, name="  Robots  ", slug="robots", time_zone="Asia/Kolkata"
    )
    assert club.name == "Robots"
    membership = Membership.objects.get(club=club, user=user)
    assert (membership.role, membership.state) == ("organizer", "active")


def test_club_create_duplicate_slug_is_refused_and_creates_nothing():
    ClubFactory(slug="robots")
    user = UserFactory()
    with pytest.raises(services.ClubError, match="“robots” is already taken"):
        services.club_create(creator=user, name="Other", slug="robots")
    assert Club.objects.count() == 1
    assert not Membership.objects.filter(user=user).exists()


def test_club_create_unknown_time_zone_is_refused():
    with pytest.raises(ValidationError) as error:
        services.club_create(creator=UserFactory(), name="X", slug="x", time_zone="Mars/Olympus")
    assert error.value.message_dict["time_zone"] == [
        "“Mars/Olympus” is not a time zone we know. Pick one such as Europe/London."
    ]
    assert Club.objects.count() == 0


def test_private_club_is_always_invitation_only():
    club = services.club_create(
        creator=UserFactory(), name="P", slug="p", visibility="private", join_policy="open"
    )
    assert club.join_policy == "invite"


def test_database_refuses_an_open_private_club():
    with pytest.raises(IntegrityError):
        Club.objects.create(name="P", slug="p", visibility="private", join_policy="open")


def test_join_open_club_makes_an_active_member(club):
    user = UserFactory()
    membership = services.club_join(club=club, user=user)
    assert (membership.state, membership.role) == ("active", "member")
    assert membership.joined_at is not None


def test_join_request_club_waits_for_approval():
    club = ClubFactory(join_policy="request")
    membership = services.club_join(club=club, user=UserFactory())
    assert membership.state == "pending"
    approved = services.membership_approve(membership=membership)
    assert approved.state == "active"


def test_join_twice_is_refused(club, member):
    with pytest.raises(services.ClubError, match="already a member"):
        services.club_join(club=club, user=member)
    assert Membership.objects.filter(club=club, user=member).count() == 1


def test_join_invitation_only_club_is_refused():
    club = ClubFactory(join_policy="invite")
    user = UserFactory()
    with pytest.raises(services.ClubError, match="by invitation only"):
        services.club_join(club=club, user=user)
    assert not Membership.objects.filter(user=user).exists()


def test_removed_member_cannot_rejoin_without_invitation(club):
    membership = MembershipFactory(club=club, state="removed")
    with pytest.raises(services.ClubError, match="removed you"):
        services.club_join(club=club, user=membership.user)


def test_left_member_can_rejoin_open_club(club, member):
    services.club_leave(club=club, user=member)
    assert Membership.objects.get(club=club, user=member).state == "left"
    assert services.club_join(club=club, user=member).state == "active"


def test_decline_lets_the_person_ask_again():
    club = ClubFactory(join_policy="request")
    user = UserFactory()
    services.membership_decline(membership=services.club_join(club=club, user=user))
    assert not Membership.objects.filter(club=club, user=user).exists()
    assert services.club_join(club=club, user=user).state == "pending"


def test_last_organizer_cannot_leave(club, organizer):
    with pytest.raises(services.ClubError, match="last organizer"):
        services.club_leave(club=club, user=organizer)
    assert Membership.objects.get(club=club, user=organizer).is_organizer


def test_last_organizer_cannot_demote_themself(club, organizer):
    membership = Membership.objects.get(club=club, user=organizer)
    with pytest.raises(services.ClubError, match="last organizer"):
        services.membership_set_role(membership=membership, role="member")
    membership.refresh_from_db()
    assert membership.role == "organizer"


def test_organizer_can_leave_once_someone_else_organizes(club, organizer, member):
    services.membership_set_role(
        membership=Membership.objects.get(club=club, user=member), role="organizer"
    )
    services.club_leave(club=club, user=organizer)
    left = Membership.objects.get(club=club, user=organizer)
    assert (left.state, left.role) == ("left", "member")


def test_remove_member(club, member):
    membership = services.membership_remove(
        membership=Membership.objects.get(club=club, user=member)
    )
    assert membership.state == "removed"


def test_invitation_link_accept_joins_private_club():
    club = ClubFactory(visibility="private", join_policy="invite")
    invitation = services.invitation_link_create(club=club, by=UserFactory(), days=3)
    first, second = UserFactory(), UserFactory()
    services.invitation_accept(token=invitation.token, user=first)
    services.invitation_accept(token=invitation.token, user=second)
    assert set(club.memberships.filter(state="active").values_list("user", flat=True)) == {
        first.pk,
        second.pk,
    }
    invitation.refresh_from_db()
    assert invitation.use_count == 2


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"revoked_at": timezone.now()}, "withdrawn by the club's organizers"),
        ({"expires_at": timezone.now() - timedelta(minutes=1)}, "has expired"),
    ],
)
def test_unusable_invitation_is_refused(change, message):
    invitation = InvitationFactory(created_at=timezone.now() - timedelta(days=8))
    Invitation.objects.filter(pk=invitation.pk).update(**change)
    user = UserFactory()
    with pytest.raises(services.ClubError, match=message):
        services.invitation_accept(token=invitation.token, user=user)
    assert not Membership.objects.filter(user=user).exists()


def test_unknown_invitation_token_is_refused():
    with pytest.raises(services.ClubError, match="not valid"):
        services.invitation_accept(token="nope", user=UserFactory())


def test_email_invitation_is_single_use():
    invitation = InvitationFactory(email="a@example.org")
    services.invitation_accept(token=invitation.token, user=UserFactory(email="a@example.org"))
    with pytest.raises(services.ClubError, match="already been used"):
        services.invitation_accept(token=invitation.token, user=UserFactory())


def test_email_invitation_is_only_for_the_account_that_owns_the_address():
    invitation = InvitationFactory(email="ada@example.org")
    forwarded_to = UserFactory(email="eve@example.org")
    unconfirmed = UserFactory(email="other@example.org")
    EmailAddress.objects.create(user=unconfirmed, email="ada@example.org", verified=False)

    for user in (forwarded_to, unconfirmed):
        with pytest.raises(services.ClubError, match=r"sent to a•••@example\.org\. Sign in with"):
            services.invitation_accept(token=invitation.token, user=user)

    owner = UserFactory(email="ADA@example.org")
    services.invitation_accept(token=invitation.token, user=owner)
    assert Membership.objects.filter(club=invitation.club, state="active").get().user == owner
    assert not Membership.objects.filter(user__in=[forwarded_to, unconfirmed]).exists()


def test_link_invitation_is_for_whoever_holds_it():
    invitation = InvitationFactory()
    user = UserFactory()
    EmailAddress.objects.filter(user=user).update(verified=False)

    services.invitation_accept(token=invitation.token, user=user)

    assert Membership.objects.get(user=user).state == "active"


def test_invitation_accept_brings_a_removed_member_back():
    membership = MembershipFactory(state="removed")
    invitation = InvitationFactory(club=membership.club)
    services.invitation_accept(token=invitation.token, user=membership.user)
    membership.refresh_from_db()
    assert membership.state == "active"


def test_invitation_days_out_of_range_is_refused(club):
    with pytest.raises(services.ClubError, match="between 1 and 90 days"):
        services.invitation_link_create(club=club, by=UserFactory(), days=0)


def test_email_invitations_are_mailed_once_each(
    club, organizer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invitations = services.invitation_emails_create(
            club=club, by=organizer, emails=["a@example.org", "A@example.org ", "b@example.org"]
        )
    assert [i.email for i in invitations] == ["a@example.org", "b@example.org"]
    assert sorted(m.to[0] for m in mail.outbox) == ["a@example.org", "b@example.org"]
    link = f"http://testserver/invite/{invitations[0].token}/"
    assert link in next(m.body for m in mail.outbox if m.to == ["a@example.org"])
    # A retried task, or a second doorbell, must not mail the same invitation again.
    assert outbox_drain().sent == 0
    assert len(mail.outbox) == 2


def test_profile_update_rejects_unknown_time_zone():
    user = UserFactory()
    with pytest.raises(ValidationError):
        services.profile_update(user=user, display_name="A", time_zone="Nowhere/Land")
    assert Profile.objects.get(user=user).time_zone == "UTC"
