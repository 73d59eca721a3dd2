"""The clubs app's own kinds of change, and the undo of a member's removal."""

from django.contrib.auth.models import User

from ..models import ActivityEntry, Membership
from . import snapshots
from .registry import Kind, Undo, register
from .services import activity_record, person

MEMBERS, CLUB, LOG = "Members", "Club", "Log"


def _removal_blockers(entry: ActivityEntry) -> list[str]:
    membership = Membership.objects.select_for_update().filter(pk=entry.data["membership"]).first()
    if membership is None:
        return ["That membership no longer exists."]
    if membership.state != Membership.State.REMOVED:
        now = {"active": "is a member again", "pending": "has asked to join again"}.get(
            membership.state, "has left the club"
        )
        return [f"{entry.data['name']} {now} since, so there is nothing to undo."]
    return []


def _removal_undo(entry: ActivityEntry, by: User) -> str:
    snapshots.restore(entry.data["before"])
    return f"undid the removal of {entry.data['name']}: they are back as {entry.data['role']}"


def _removal_explain(entry: ActivityEntry) -> str:
    return (
        f"{entry.data['name']} becomes an active {entry.data['role']} again, "
        "with the role and join date they had."
    )


def register_club_kinds() -> None:
    register(
        Kind(
            "members.remove",
            "Member removed",
            MEMBERS,
            Undo(blockers=_removal_blockers, apply=_removal_undo, explain=_removal_explain),
        ),
        Kind("members.role", "Role changed", MEMBERS),
        Kind("members.approve", "Request approved", MEMBERS),
        Kind("members.decline", "Request declined", MEMBERS),
        Kind("invitations.create", "Invitation made", MEMBERS),
        Kind("invitations.revoke", "Invitation revoked", MEMBERS),
        Kind("club.settings", "Club settings changed", CLUB),
        Kind(ActivityEntry.UNDO_KIND, "Undo", LOG),
    )


def membership_removed(*, membership: Membership, before: list, by: User | None):
    """Log a removal with the row as it was, so undo gives back role and dates."""
    return activity_record(
        club=membership.club_id,
        actor=by,
        kind="members.remove",
        summary=f"removed {person(membership.user)} from the club",
        data={
            "membership": membership.pk,
            "name": person(membership.user),
            "role": before[0]["fields"]["role"],
            "before": before,
        },
        subject=membership,
    )
