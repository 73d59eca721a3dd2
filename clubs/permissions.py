"""Who may do what in a club: the one place every club view asks.

A viewer's standing in a club is a `Role`, ordered from least to most trusted.
A view declares the least role it needs with `@club_view(needs=...)`; the
decorator loads the club and the viewer's membership once and enforces:

- a private club does not exist (404) for anyone below PENDING;
- an anonymous viewer who needs more is sent to sign in;
- a signed-in viewer who needs more gets 403.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone

from .models import Club, Membership
from .reconfirm.services import membership_reactivate, reconfirm_ask_shown
from .reconfirm.tokens import keep_token
from .selectors import membership_with_club


class Role(IntEnum):
    ANONYMOUS = 0
    OUTSIDER = 1  # signed in; never joined, left, or removed
    PENDING = 2  # asked to join, not yet approved
    MEMBER = 3
    ORGANIZER = 4


# Readable names for what a view needs, used by the views of every app.
ANYONE = Role.ANONYMOUS  # anyone who can see the club
SIGNED_IN = Role.OUTSIDER
PENDING = Role.PENDING
MEMBER = Role.MEMBER
ORGANIZER = Role.ORGANIZER


def role_for(membership: Membership | None, *, is_authenticated: bool) -> Role:
    if not is_authenticated:
        return Role.ANONYMOUS
    if membership is None:
        return Role.OUTSIDER
    if membership.state == Membership.State.PENDING:
        return Role.PENDING
    if membership.state != Membership.State.ACTIVE:
        return Role.OUTSIDER
    if membership.role == Membership.Role.ORGANIZER:
        return Role.ORGANIZER
    return Role.MEMBER


def can_see_club(club: Club, role: Role) -> bool:
    return club.is_public or role >= Role.PENDING


@dataclass(frozen=True)
class ReconfirmQuestion:
    """ "Still reading with us?" asked on the club's pages, for a member who
    takes no email (clubs.reconfirm); `token` is the signed "keep me" link's."""

    ask_id: int
    token: str
    answer_by: datetime | None


@dataclass(frozen=True)
class ClubAccess:
    """The club a request is about and the viewer's standing in it."""

    club: Club
    role: Role
    membership: Membership | None
    reconfirm: ReconfirmQuestion | None = None

    @property
    def is_member(self) -> bool:
        return self.role >= Role.MEMBER

    @property
    def is_organizer(self) -> bool:
        return self.role >= Role.ORGANIZER


def club_access_for(request: HttpRequest, slug: str) -> ClubAccess:
    membership = None
    if request.user.is_authenticated:
        # One query for anyone who has a membership row (with its club)...
        membership = membership_with_club(slug=slug, user_id=request.user.pk)
    # ...and the club alone for everyone else.
    club = membership.club if membership is not None else get_object_or_404(Club, slug=slug)
    if membership is not None and membership.state == Membership.State.INACTIVE:
        # An inactive member (clubs.reconfirm) who comes back signed in is active
        # again: one UPDATE, only for them.
        membership_reactivate(membership=membership, how="visited the club")
    role = role_for(membership, is_authenticated=request.user.is_authenticated)
    return ClubAccess(
        club=club, role=role, membership=membership, reconfirm=_question_on_site(membership)
    )


def _question_on_site(membership: Membership | None) -> ReconfirmQuestion | None:
    """The open question whether to stay that this member is asked on the site
    (membership_with_club read it); seeing it first starts their days to answer."""
    ask_id = getattr(membership, "reconfirm_on_site", None)
    if membership is None or not ask_id or membership.state != Membership.State.ACTIVE:
        return None
    answer_by = getattr(membership, "reconfirm_answer_by", None)
    if answer_by is None:
        answer_by = reconfirm_ask_shown(ask_id=ask_id)
    return ReconfirmQuestion(ask_id=ask_id, token=keep_token(ask_id), answer_by=answer_by)


class NeedsSignIn(Exception):
    pass


def enforce(access: ClubAccess, needs: Role) -> None:
    """Raise Http404, NeedsSignIn or PermissionDenied unless `access` meets `needs`."""
    if not can_see_club(access.club, access.role):
        raise Http404("No such club.")
    if access.role >= needs:
        return
    if access.role == Role.ANONYMOUS:
        raise NeedsSignIn
    if access.role == Role.PENDING:
        raise PermissionDenied("Your request to join is waiting for an organizer's approval.")
    if needs >= Role.ORGANIZER and access.role == Role.MEMBER:
        raise PermissionDenied("Only the club's organizers can do that.")
    raise PermissionDenied("Only members of this club can do that.")


def club_view(needs: Role) -> Callable:
    """Decorate a view taking (request, access, ...) and routed with a `slug`."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, slug: str, *args, **kwargs) -> HttpResponse:
            access = club_access_for(request, slug)
            try:
                enforce(access, needs)
            except NeedsSignIn:
                return redirect_to_login(request.get_full_path())
            if not request.user.is_authenticated:
                # Anonymous viewers read times in the club's own zone.
                timezone.activate(access.club.tzinfo)
            return view(request, access, *args, **kwargs)

        wrapper.club_needs = needs  # type: ignore[attr-defined]  # read by the permission matrix test
        return wrapper

    return decorator
