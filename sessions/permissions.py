"""Who may do what to a club's sessions, beyond the club role @club_view checks.

Who runs a session (edits it, picks its papers, marks questions answered, sees
its dashboard): its facilitator or co-facilitator while an active member, or an
organizer. `session_may_run` is that rule; the services enforce it with
`require_runner` (and `require_member`, `require_organizer` for the rest), and
views ask `viewer_may_run` to decide what to show.
"""

from django.contrib.auth.models import User

from clubs.models import Club, Membership
from clubs.permissions import ClubAccess

from .errors import NotAllowed
from .models import Session


def active_membership(club: Club, user: User) -> Membership | None:
    return Membership.objects.filter(club=club, user=user, state=Membership.State.ACTIVE).first()


def require_member(club: Club, user: User) -> Membership:
    membership = active_membership(club, user)
    if membership is None:
        raise NotAllowed("Only active members of this club can do that.")
    return membership


def require_organizer(club: Club, user: User) -> None:
    membership = active_membership(club, user)
    if membership is None or membership.role != Membership.Role.ORGANIZER:
        raise NotAllowed("Only the club's organizers can do that.")


def session_runners(session: Session) -> tuple:
    """The ids of the session's facilitator and co-facilitator (either may be None)."""
    return (session.facilitator_id, session.co_facilitator_id)


def session_may_run(
    *, session: Session, user_id: int | None, is_member: bool, is_organizer: bool
) -> bool:
    """Who runs a session: its facilitator or co-facilitator while an active
    member, or an organizer."""
    if is_organizer:
        return True
    return is_member and user_id is not None and user_id in session_runners(session)


def require_runner(session: Session, user: User) -> None:
    membership = active_membership(session.club, user)
    is_organizer = membership is not None and membership.role == Membership.Role.ORGANIZER
    if session_may_run(
        session=session,
        user_id=user.pk,
        is_member=membership is not None,
        is_organizer=is_organizer,
    ):
        return
    if user.pk in session_runners(session):
        raise NotAllowed("Only active members of this club can do that.")
    raise NotAllowed("Only the club's organizers can do that.")


def viewer_may_run(access: ClubAccess, session: Session, user) -> bool:
    """Whether to show `user` the facilitator's tools (display only: the services
    decide). `user` may be None or anonymous."""
    return session_may_run(
        session=session,
        user_id=getattr(user, "pk", None),
        is_member=access.is_member,
        is_organizer=access.is_organizer,
    )
