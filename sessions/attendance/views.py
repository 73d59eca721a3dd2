"""Attendance on the session page: the facilitator's sheet and a member's check-in.

Both are members-only POSTs (@club_view(needs=MEMBER)); the services decide the
rest (the sheet is for the facilitators and organizers, NotAllowed becomes a
403) and refuse with a message what the week does not allow. With htmx each
answers with the attendance section; without it, a redirect to the page.
"""

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST
from django_htmx.middleware import HtmxDetails

from clubs.permissions import MEMBER, ClubAccess, club_view

from ..errors import NotAllowed, SessionError
from ..models import Attendance, Session
from ..permissions import viewer_may_run
from . import selectors, services


class SignedInRequest(HttpRequest):
    """What these views get: @club_view(needs=MEMBER) has signed the person in,
    and django-htmx's middleware adds `htmx` (the typing django-htmx documents)."""

    htmx: HtmxDetails
    user: User


def attendance_context(request: HttpRequest, access: ClubAccess, session: Session) -> dict:
    """What the session page shows of attendance (used by the session page view)."""
    now = timezone.now()
    shown = session.state != Session.State.CANCELLED and now >= services.attendance_opens(session)
    context: dict = {"attendance_shown": shown}
    if not shown or not access.is_member:
        return context
    can_take = viewer_may_run(access, session, request.user)
    context.update(
        can_take_attendance=can_take,
        check_in_open=services.check_in_open(session, now),
        attendance_opens=services.attendance_opens(session),
    )
    if can_take:
        context["sheet"] = selectors.attendance_sheet(session=session)
        mine = [row for row in context["sheet"].rows if row.user.pk == request.user.pk]
        context["i_attended"] = any(row.present for row in mine)
        context["i_checked_in"] = any(row.checked_in for row in mine)
    else:
        came = selectors.attendees(session=session)
        context["attendees"] = came
        mine_rows = [row for row in came if row.user_id == request.user.pk]
        context["i_attended"] = bool(mine_rows)
        context["i_checked_in"] = any(row.source == Attendance.Source.CHECK_IN for row in mine_rows)
    return context


def _session(access: ClubAccess, session_id: int) -> Session:
    session = get_object_or_404(Session, club=access.club, pk=session_id)
    session.club = access.club
    return session


def _ids(request: SignedInRequest, name: str) -> set[int]:
    try:
        return {int(value) for value in request.POST.getlist(name)}
    except ValueError as error:
        raise SessionError(
            "The sheet was not understood; reload the page and tick again."
        ) from error


def _apply(
    request: SignedInRequest, access: ClubAccess, session: Session, change: Callable[[], str]
) -> HttpResponse:
    """Run one change: NotAllowed is a 403, other refusals a message; htmx gets
    the attendance section back, a plain POST a redirect to it."""
    problem = None
    try:
        done = change()
    except NotAllowed as error:
        raise PermissionDenied(str(error)) from error
    except SessionError as error:
        problem = str(error)
    if request.htmx:
        context = {
            "club": access.club,
            "access": access,
            "session": session,
            "attendance_error": problem,
            **attendance_context(request, access, session),
        }
        return render(request, "sessions/attendance/_attendance.html", context)
    if problem:
        messages.error(request, problem)
    else:
        messages.success(request, done)
    url = reverse("sessions:session", args=[access.club.slug, session.pk])
    return redirect(url + "#attendance")


@require_POST
@club_view(needs=MEMBER)
def take(request: SignedInRequest, access: ClubAccess, session_id: int) -> HttpResponse:
    """The facilitator's sheet: who of those it lists came."""
    session = _session(access, session_id)

    def change() -> str:
        changed = services.attendance_set(
            session=session,
            by=request.user,
            shown=_ids(request, "shown"),
            was_present=_ids(request, "was"),
            present=_ids(request, "present"),
        )
        if not changed:
            return "Attendance unchanged."
        return f"Attendance saved: {Attendance.objects.filter(session=session).count()} came."

    return _apply(request, access, session, change)


@require_POST
@club_view(needs=MEMBER)
def check_in(request: SignedInRequest, access: ClubAccess, session_id: int) -> HttpResponse:
    """A member checks themselves in while the session runs (or undoes it)."""
    session = _session(access, session_id)
    present = request.POST.get("present", "1") == "1"

    def change() -> str:
        services.attendance_check_in(session=session, user=request.user, present=present)
        return "You're checked in. Enjoy the session." if present else "Check-in undone."

    return _apply(request, access, session, change)


def profile_streaks_section(request: HttpRequest) -> dict:
    """The profile page's attendance section (registered with clubs.profile_sections)."""
    if not isinstance(request.user, User):  # the profile page is for signed-in people
        return {"streaks": []}
    return {"streaks": selectors.club_streaks(user=request.user)}
