"""Writes for clubs, memberships, invitations and profiles.

Every function is atomic, keyword-only, and raises ClubError with a sentence a
person can act on when the change is not allowed; views show that sentence.
"""

import secrets
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from . import membership_hooks
from .activity import kinds as activity_kinds
from .activity import snapshots
from .activity.services import activity_record, person
from .mail import invitation_owe
from .models import Club, Invitation, Membership, Profile


class ClubError(Exception):
    """A change that the rules do not allow; str(error) is shown to the person."""


# --- Profiles -------------------------------------------------------------------


def profile_ensure(*, user: User) -> Profile:
    profile, _ = Profile.objects.get_or_create(user=user)
    return profile


@transaction.atomic
def profile_update(
    *,
    user: User,
    display_name: str,
    time_zone: str,
    hide_reading_from_facilitators: bool | None = None,
) -> Profile:
    """Save what the person typed; `hide_reading_from_facilitators` None keeps it."""
    profile = profile_ensure(user=user)
    profile.display_name = display_name.strip()
    profile.time_zone = time_zone
    fields = ["display_name", "time_zone"]
    if hide_reading_from_facilitators is not None:
        profile.hide_reading_from_facilitators = hide_reading_from_facilitators
        fields.append("hide_reading_from_facilitators")
    profile.full_clean()
    profile.save(update_fields=fields)
    return profile


# --- Clubs ----------------------------------------------------------------------


@transaction.atomic
def club_create(
    *,
    creator: User,
    name: str,
    slug: str,
    description: str = "",
    visibility: str = Club.Visibility.PUBLIC,
    join_policy: str = Club.JoinPolicy.OPEN,
    time_zone: str = "UTC",
) -> Club:
    club = Club(
        name=name.strip(),
        slug=slug,
        description=description,
        visibility=visibility,
        join_policy=_policy_for(visibility, join_policy),
        time_zone=time_zone,
        created_by=creator,
    )
    club.full_clean(validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            club.save()
    except IntegrityError as error:
        raise ClubError(f"The address “{slug}” is already taken: choose another.") from error
    now = timezone.now()
    Membership.objects.create(
        club=club,
        user=creator,
        role=Membership.Role.ORGANIZER,
        state=Membership.State.ACTIVE,
        joined_at=now,
    )
    return club


@transaction.atomic
def club_update(
    *,
    club: Club,
    name: str,
    description: str,
    visibility: str,
    join_policy: str,
    time_zone: str,
    by: User | None = None,
) -> Club:
    before = {f: getattr(club, f) for f in ("name", "visibility", "join_policy", "time_zone")}
    club.name = name.strip()
    club.description = description
    club.visibility = visibility
    club.join_policy = _policy_for(visibility, join_policy)
    club.time_zone = time_zone
    club.full_clean(validate_unique=False, validate_constraints=False)
    club.save()
    changed = [f.replace("_", " ") for f, value in before.items() if getattr(club, f) != value]
    activity_record(
        club=club,
        actor=by,
        kind="club.settings",
        summary="changed the club's settings" + (f" ({', '.join(changed)})" if changed else ""),
        data={"before": before},
        subject=club,
    )
    return club


def _policy_for(visibility: str, join_policy: str) -> str:
    # Outsiders cannot find a private club, so invitations are its only door.
    return Club.JoinPolicy.INVITE if visibility == Club.Visibility.PRIVATE else join_policy


# --- Joining and leaving ------------------------------------------------------------


@transaction.atomic
def club_join(*, club: Club, user: User) -> Membership:
    """Join an open club, or ask to join one that approves requests."""
    if club.join_policy == Club.JoinPolicy.INVITE:
        raise ClubError("This club is by invitation only: ask an organizer for a link.")
    state = (
        Membership.State.ACTIVE
        if club.join_policy == Club.JoinPolicy.OPEN
        else Membership.State.PENDING
    )
    membership = _membership_locked(club=club, user=user)
    if membership is not None:
        if membership.state == Membership.State.ACTIVE:
            raise ClubError("You are already a member of this club.")
        if membership.state == Membership.State.PENDING:
            raise ClubError("You have already asked to join; an organizer will answer soon.")
        if membership.state == Membership.State.REMOVED:
            raise ClubError(
                "The organizers removed you from this club; only an invitation lets you back."
            )
        return _membership_set(membership, state=state, role=Membership.Role.MEMBER)
    return _membership_create(club=club, user=user, state=state)


@transaction.atomic
def club_leave(*, club: Club, user: User) -> Membership:
    """Leave a club, or withdraw a request to join it."""
    membership = _membership_locked(club=club, user=user)
    if membership is None or membership.state in (
        Membership.State.LEFT,
        Membership.State.REMOVED,
    ):
        raise ClubError("You are not a member of this club.")
    if membership.is_organizer:
        _ensure_another_organizer(club=club, apart_from=membership)
    return _membership_set(membership, state=Membership.State.LEFT, role=Membership.Role.MEMBER)


@transaction.atomic
def membership_approve(*, membership: Membership, by: User | None = None) -> Membership:
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.state != Membership.State.PENDING:
        raise ClubError("That request has already been answered.")
    membership = _membership_set(
        membership, state=Membership.State.ACTIVE, role=Membership.Role.MEMBER
    )
    _log_membership(membership, by, "members.approve", "approved {name}'s request to join")
    return membership


@transaction.atomic
def membership_decline(*, membership: Membership, by: User | None = None) -> None:
    """Decline a request; the person may ask again later."""
    deleted, _ = Membership.objects.filter(
        pk=membership.pk, state=Membership.State.PENDING
    ).delete()
    if not deleted:
        raise ClubError("That request has already been answered.")
    _log_membership(membership, by, "members.decline", "declined {name}'s request to join")


@transaction.atomic
def membership_set_role(*, membership: Membership, role: str, by: User | None = None) -> Membership:
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.state != Membership.State.ACTIVE:
        raise ClubError("Only active members can be organizers.")
    if membership.role == role:
        return membership
    if role == Membership.Role.MEMBER:
        _ensure_another_organizer(club=membership.club, apart_from=membership)
    before = membership.role
    membership = _membership_set(membership, state=membership.state, role=role)
    _log_membership(
        membership,
        by,
        "members.role",
        "made {name} an organizer" if role == Membership.Role.ORGANIZER else "made {name} a member",
        data={"before": before, "after": role},
    )
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership, by: User | None = None) -> Membership:
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.state != Membership.State.ACTIVE:
        raise ClubError("That person is not an active member.")
    if membership.is_organizer:
        _ensure_another_organizer(club=membership.club, apart_from=membership)
    before = snapshots.rows([membership])
    membership = _membership_set(
        membership, state=Membership.State.REMOVED, role=Membership.Role.MEMBER
    )
    activity_kinds.membership_removed(membership=membership, before=before, by=by)
    return membership


def _log_membership(
    membership: Membership, by, kind: str, summary: str, data: dict | None = None
) -> None:
    activity_record(
        club=membership.club_id,
        actor=by,
        kind=kind,
        summary=summary.format(name=person(membership.user)),
        data={"membership": membership.pk, **(data or {})},
        subject=membership,
    )


def _ensure_another_organizer(*, club: Club, apart_from: Membership) -> None:
    # Lock every organizer row of the club, so two organizers stepping down at
    # once cannot both pass this check and leave the club with none.
    organizers = list(
        Membership.objects.select_for_update()
        .filter(club=club, role=Membership.Role.ORGANIZER, state=Membership.State.ACTIVE)
        .values_list("pk", flat=True)
    )
    if not [pk for pk in organizers if pk != apart_from.pk]:
        raise ClubError("You are the club's last organizer: make someone else an organizer first.")


def _membership_locked(*, club: Club, user: User) -> Membership | None:
    return Membership.objects.select_for_update().filter(club=club, user=user).first()


def _membership_create(*, club: Club, user: User, state: str) -> Membership:
    now = timezone.now()
    try:
        with transaction.atomic():
            return Membership.objects.create(
                club=club,
                user=user,
                state=state,
                role=Membership.Role.MEMBER,
                joined_at=now if state == Membership.State.ACTIVE else None,
                updated_at=now,
            )
    except IntegrityError as error:
        # Two requests from one person at once: the other one got in first.
        raise ClubError("You are already in this club (or have asked to join).") from error


def _membership_set(membership: Membership, *, state: str, role: str) -> Membership:
    now = timezone.now()
    if state == Membership.State.ACTIVE and membership.state != Membership.State.ACTIVE:
        membership.joined_at = now
    ended = membership.state == Membership.State.ACTIVE and state != Membership.State.ACTIVE
    membership.state = state
    membership.role = role
    membership.updated_at = now
    membership.save(update_fields=["state", "role", "joined_at", "updated_at"])
    if ended:
        membership_hooks.membership_ended(membership)
    return membership


# --- Invitations --------------------------------------------------------------------


def _new_invitation(*, club: Club, by: User, days: int, email: str = "") -> Invitation:
    if not 1 <= days <= 90:
        raise ClubError("An invitation lasts between 1 and 90 days.")
    now = timezone.now()
    return Invitation.objects.create(
        club=club,
        token=secrets.token_urlsafe(24),
        email=email,
        created_by=by,
        created_at=now,
        expires_at=now + timedelta(days=days),
    )


@transaction.atomic
def invitation_link_create(
    *, club: Club, by: User, days: int = settings.INVITATION_DEFAULT_DAYS
) -> Invitation:
    invitation = _new_invitation(club=club, by=by, days=days)
    activity_record(
        club=club,
        actor=by,
        kind="invitations.create",
        summary=f"made an invitation link that lasts {days} day{'s' if days != 1 else ''}",
        subject=invitation,
    )
    return invitation


@transaction.atomic
def invitation_emails_create(
    *,
    club: Club,
    by: User,
    emails: list[str],
    days: int = settings.INVITATION_DEFAULT_DAYS,
) -> list[Invitation]:
    """One single-use invitation per address; each one's mail is owed in the
    outbox in this transaction (clubs.mail), and sent by a worker after commit."""
    invitations = []
    for email in dict.fromkeys(address.strip().lower() for address in emails if address.strip()):
        invitation = _new_invitation(club=club, by=by, days=days, email=email)
        invitation_owe(invitation=invitation)
        invitations.append(invitation)
    if not invitations:
        raise ClubError("Give at least one email address.")
    activity_record(
        club=club,
        actor=by,
        kind="invitations.create",
        summary=f"invited {len(invitations)} "
        + ("address" if len(invitations) == 1 else "addresses")
        + " by email",
        data={"invitations": [invitation.pk for invitation in invitations]},
    )
    return invitations


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, by: User | None = None) -> Invitation:
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        activity_record(
            club=invitation.club_id,
            actor=by,
            kind="invitations.revoke",
            summary="revoked the invitation "
            + (f"for {invitation.email}" if invitation.email else "link"),
            subject=invitation,
        )
    return invitation


@transaction.atomic
def invitation_accept(*, token: str, user: User) -> Membership:
    invitation = (
        Invitation.objects.select_for_update().select_related("club").filter(token=token).first()
    )
    if invitation is None:
        raise ClubError("This invitation link is not valid. Ask an organizer for a new one.")
    status = invitation.status()
    if status == "revoked":
        raise ClubError("This invitation was withdrawn by the club's organizers.")
    if status == "expired":
        raise ClubError("This invitation has expired. Ask an organizer for a new one.")
    if status == "used" and invitation.accepted_by_id != user.pk:
        raise ClubError("This invitation has already been used.")
    if invitation.email and not invitation_is_for(invitation=invitation, user=user):
        raise ClubError(
            f"This invitation was sent to {mask_address(invitation.email)}. Sign in with that "
            "address, or add it to your account and confirm it, to accept."
        )
    club = invitation.club
    membership = _membership_locked(club=club, user=user)
    if membership is not None and membership.state == Membership.State.ACTIVE:
        raise ClubError("You are already a member of this club.")
    if membership is None:
        membership = _membership_create(club=club, user=user, state=Membership.State.ACTIVE)
    else:
        membership = _membership_set(
            membership, state=Membership.State.ACTIVE, role=Membership.Role.MEMBER
        )
    invitation.use_count += 1
    if invitation.email:
        invitation.accepted_by = user
        invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["use_count", "accepted_by", "accepted_at"])
    return membership


def invitation_is_for(*, invitation: Invitation, user: User) -> bool:
    """An emailed invitation is only for the account that owns its address: one
    with that address confirmed. (Forwarded, the link lets nobody else in; link
    invitations, with no address, are for whoever holds them.)"""
    if not invitation.email:
        return True
    return EmailAddress.objects.filter(
        user=user, email__iexact=invitation.email, verified=True
    ).exists()


def mask_address(address: str) -> str:
    """a•••@example.org: enough for its owner to recognise, little for anyone else."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}•••@{domain}"
