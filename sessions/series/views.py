"""The series form: "I'll come every week", or no longer. Members only
(@club_view); a plain POST that goes back to the page it came from, so it
works without JavaScript."""

from typing import cast

from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.decorators.http import require_POST

from clubs.permissions import MEMBER, ClubAccess, club_view
from clubs.redirects import redirect_back

from ..calendars.feeds import calendar_prompt_mark
from ..errors import NotAllowed
from ..models import Session
from .selectors import series_clubs
from .services import series_join, series_leave


def _weeks(count: int) -> str:
    return "1 week to come counts" if count == 1 else f"{count} weeks to come count"


def _answer(request: HttpRequest, access: ClubAccess, back: str) -> HttpResponse:
    choice = request.POST.get("every_week")
    if choice not in ("yes", "no"):
        messages.error(request, "Say whether you'll come every week (yes or no).")
        return redirect_back(request, back)
    user = cast(User, request.user)  # @club_view(needs=MEMBER) signed them in
    try:
        if choice == "yes":
            weeks = series_join(club=access.club, user=user)
        else:
            series_leave(club=access.club, user=user)
    except NotAllowed as error:
        raise PermissionDenied(str(error)) from error
    if choice == "yes":
        messages.success(
            request,
            f"You're coming every week: {_weeks(weeks)} you as going, and new weeks will too. "
            "Can't make one? Answer “Not this week” on it and it leaves your calendar.",
        )
    else:
        messages.success(
            request,
            "You no longer come every week. Weeks you answered yourself keep your answer.",
        )
    return redirect_back(request, back)


@require_POST
@club_view(needs=MEMBER)
def series(request: HttpRequest, access: ClubAccess, session_id: int) -> HttpResponse:
    """Join or leave the club's series from one of its weeks (which the page goes back to)."""
    session = get_object_or_404(Session, club=access.club, pk=session_id)
    back = reverse("sessions:session", args=[access.club.slug, session.pk])
    response = _answer(request, access, back)
    if request.POST.get("every_week") == "yes":
        calendar_prompt_mark(request, session, series=True)
    return response


@require_POST
@club_view(needs=MEMBER)
def every_week(request: HttpRequest, access: ClubAccess) -> HttpResponse:
    """Join or leave the club's series from the rota or the profile (back to `next`)."""
    return _answer(request, access, reverse("sessions:rota", args=[access.club.slug]))


def profile_series_section(request: HttpRequest) -> dict:
    """The profile page's "every week" section (registered with clubs.profile_sections)."""
    if not isinstance(request.user, User):  # the profile page is for signed-in people
        return {"clubs": []}
    return {"clubs": series_clubs(user=request.user)}
