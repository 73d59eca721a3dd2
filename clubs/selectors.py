"""Reads for clubs: each returns a query shaped so templates never query again."""

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Prefetch, Q, QuerySet, Value
from django.db.models.functions import Coalesce, Lower, NullIf

from .models import Club, Invitation, Membership

_ACTIVE = Q(memberships__state=Membership.State.ACTIVE)


def clubs_public_directory() -> QuerySet[Club]:
    return (
        Club.objects.filter(visibility=Club.Visibility.PUBLIC)
        .annotate(member_count=Count("memberships", filter=_ACTIVE))
        .order_by("-member_count", "name")
    )


def memberships_of_user(*, user: AbstractBaseUser) -> QuerySet[Membership]:
    """The clubs a person is in or has asked to join, for "my clubs"."""
    return (
        Membership.objects.filter(
            user=user, state__in=[Membership.State.ACTIVE, Membership.State.PENDING]
        )
        .select_related("club")
        .annotate(
            member_count=Count(
                "club__memberships",
                filter=Q(club__memberships__state=Membership.State.ACTIVE),
            )
        )
        .order_by("club__name")
    )


def club_members(*, club: Club) -> QuerySet[Membership]:
    """Organizers first, then everyone by the name they show."""
    shown_name = Lower(Coalesce(NullIf("user__profile__display_name", Value("")), "user__email"))
    return (
        Membership.objects.filter(club=club, state=Membership.State.ACTIVE)
        .select_related("user__profile")
        .order_by("-role", shown_name, "pk")  # "organizer" sorts after "member"
    )


def club_pending_requests(*, club: Club) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(club=club, state=Membership.State.PENDING)
        .select_related("user__profile")
        .order_by("created_at")
    )


def club_with_organizers(*, slug: str) -> Club:
    """The club with its member count and its organizers (with profiles) in two queries."""
    organizers = Membership.objects.filter(
        role=Membership.Role.ORGANIZER, state=Membership.State.ACTIVE
    ).select_related("user__profile")
    return (
        Club.objects.annotate(member_count=Count("memberships", filter=_ACTIVE))
        .prefetch_related(Prefetch("memberships", queryset=organizers, to_attr="organizers"))
        .get(slug=slug)
    )


def club_invitations(*, club: Club) -> QuerySet[Invitation]:
    return Invitation.objects.filter(club=club).select_related("accepted_by__profile")


def invitation_by_token(*, token: str) -> Invitation | None:
    return Invitation.objects.select_related("club").filter(token=token).first()
