"""Reads for clubs: each returns a query shaped so templates never query again."""

import re

from django.contrib.auth.models import User
from django.db.models import Count, F, FilteredRelation, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Lower, NullIf

from .mail import INVITATION
from .models import Club, Invitation, Membership, OutboxMessage, ReconfirmAsk

_ACTIVE = Q(memberships__state=Membership.State.ACTIVE)


def clubs_public_directory() -> QuerySet[Club]:
    return (
        Club.objects.filter(visibility=Club.Visibility.PUBLIC)
        .annotate(member_count=Count("memberships", filter=_ACTIVE))
        .order_by("-member_count", "name")
    )


def memberships_of_user(*, user: User) -> QuerySet[Membership]:
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


def club_members(*, club: Club, search: str = "", by_email: bool = False) -> QuerySet[Membership]:
    """Organizers first, then everyone by the name they show.

    `search` keeps those whose shown name contains it (any case), or whose
    email does when `by_email` (organizers search by email; members see names)."""
    shown_name = Lower(Coalesce(NullIf("user__profile__display_name", Value("")), "user__email"))
    members = Membership.objects.filter(club=club, state=Membership.State.ACTIVE)
    search = search.strip()
    if search:
        found = Q(user__profile__display_name__icontains=search)
        if by_email:
            found |= Q(user__email__icontains=search)
        else:
            # Without a display name the shown name is the address's local part.
            found |= Q(user__profile__display_name="", user__email__iregex=_local_part(search))
        members = members.filter(found)
    return members.select_related("user__profile").order_by(
        "-role", shown_name, "pk"
    )  # "organizer" sorts after "member"


def _local_part(search: str) -> str:
    """A regex matching addresses whose part before the @ contains `search`."""
    return rf"^[^@]*{re.escape(search)}[^@]*@"


def club_pending_requests(*, club: Club) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(club=club, state=Membership.State.PENDING)
        .select_related("user__profile")
        .order_by("created_at")
    )


def club_with_organizers(*, club: Club) -> Club:
    """The club as the page already read it, given its member count and its
    organizers (with profiles): a plain count and one statement. Reading the
    club again annotated with a join to its memberships took PostgreSQL 0.8 ms
    on the bench's club of 2,000 (the count alone 0.3 ms), and built the club
    a second time."""
    club.member_count = Membership.objects.filter(  # type: ignore[attr-defined]
        club=club, state=Membership.State.ACTIVE
    ).count()
    club.organizers = list(  # type: ignore[attr-defined]
        Membership.objects.filter(
            club=club, role=Membership.Role.ORGANIZER, state=Membership.State.ACTIVE
        ).select_related("user__profile")
    )
    return club


def club_invitations(*, club: Club) -> QuerySet[Invitation]:
    """The club's invitations, each with how its mail went (its outbox row's
    state, error, attempts, time sent and id, for "Send again"), in one statement."""
    mail = OutboxMessage.objects.filter(
        kind=INVITATION, club=club, subject_id=OuterRef("pk")
    ).order_by("-pk")
    return (
        Invitation.objects.filter(club=club)
        .select_related("accepted_by__profile")
        .annotate(
            **{
                f"mail_{field}": Subquery(mail.values(field)[:1])
                for field in ("id", "state", "error", "attempts", "sent_at")
            }
        )
    )


def invitation_by_token(*, token: str) -> Invitation | None:
    return Invitation.objects.select_related("club").filter(token=token).first()


def membership_with_club(*, slug: str, user_id: int) -> Membership | None:
    """The person's membership in the club with this slug (any state), with its
    club, in one statement; None if they have none. Every club page runs this
    (clubs.permissions)."""
    # A question whether to stay asked on the site (clubs.reconfirm) rides along
    # in the same statement, so the pages show it without a query of their own:
    # a join, since at most one question is open per member (the constraint
    # reconfirm_one_open_ask), not two subqueries, which cost 0.7 ms more of CPU
    # to build on every club page (2.2 against 1.4 ms, bench database, 5 Dec 2026).
    open_on_site = FilteredRelation(
        "reconfirm_asks",
        condition=Q(
            reconfirm_asks__outcome=ReconfirmAsk.Outcome.OPEN, reconfirm_asks__by_mail=False
        ),
    )
    try:
        # One row at most: a person has one membership per club (a constraint).
        return (
            Membership.objects.select_related("club")
            .annotate(on_site=open_on_site)
            .annotate(
                reconfirm_on_site=F("on_site__pk"), reconfirm_answer_by=F("on_site__answer_by")
            )
            .get(club__slug=slug, user_id=user_id)
        )
    except Membership.DoesNotExist:
        return None


_ADDRESS = re.compile(r"<([^<>@\s]+@[^<>\s]+)>|^([^<>@\s]+@[^<>\s]+)$")


def active_members_named(*, club: Club, text: str, limit: int = 5) -> list[Membership]:
    """The active members a typed name or address points at (for pickers that
    must not list a big club): an address (alone or as "Name <address>") finds
    its owner; otherwise an exact shown name (any case), else names containing
    the text. At most `limit`, with profiles."""
    text = text.strip()
    members = Membership.objects.filter(club=club, state=Membership.State.ACTIVE).select_related(
        "user__profile"
    )
    address = _ADDRESS.search(text)
    if address:
        return list(
            members.filter(user__email__iexact=address.group(1) or address.group(2))[:limit]
        )
    exact = list(members.filter(user__profile__display_name__iexact=text)[:limit])
    if exact:
        return exact
    return list(members.filter(user__profile__display_name__icontains=text)[:limit])
