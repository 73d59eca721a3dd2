"""Who may do what through the API: the site's own rules (`clubs.permissions`),
with what a token's scope adds (its one club; reading only, or writing too)."""

from dataclasses import dataclass

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from rest_framework import exceptions
from rest_framework.permissions import SAFE_METHODS, BasePermission

from clubs.permissions import ClubAccess, NeedsSignIn, Role, club_access_for, enforce

from .models import PersonalToken


def request_token(request) -> PersonalToken | None:
    return request.auth if isinstance(request.auth, PersonalToken) else None


class TokenScope(BasePermission):
    """A read token reads; writing needs a read-and-write token (or the session)."""

    message = "This token may only read: make a read-and-write token to do that."

    def has_permission(self, request, view) -> bool:
        token = request_token(request)
        return request.method in SAFE_METHODS or token is None or token.may_write


@dataclass(frozen=True)
class ApiAccess:
    access: ClubAccess
    viewer: User | None  # who reads: None for anonymous callers and other clubs' tokens

    @property
    def club(self):
        return self.access.club


def api_access(request, slug: str, needs: Role) -> ApiAccess:
    """The club `slug` and the caller's standing in it, enforced as the site does:
    a private club is a 404 below pending; a caller without credentials who needs
    more gets 401; a signed-in caller who needs more gets 403."""
    access = club_access_for(request, slug)
    token = request_token(request)
    viewer = request.user if request.user.is_authenticated else None
    if token is not None and token.club_id != access.club.pk:
        # A token made for another club carries no standing here.
        access = ClubAccess(club=access.club, role=Role.ANONYMOUS, membership=None)
        viewer = None
        if needs > Role.ANONYMOUS and access.club.is_public:
            raise PermissionDenied(f"This token is for another club, not {access.club.name}.")
    try:
        enforce(access, needs)
    except NeedsSignIn as error:
        raise exceptions.NotAuthenticated() from error
    return ApiAccess(access=access, viewer=viewer)
