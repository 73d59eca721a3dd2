"""The write-up's pages: read it (anyone who may see the session), edit it (its
attendees, facilitators and organizers; the service decides, NotAllowed is a
403), its history, and one revision's diff (members).

A save based on an old revision comes back as the editor again with 409
Conflict: the version saved meanwhile, a diff from it to the person's text, and
the person's text still in the box, now based on the newest revision."""

from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from clubs.permissions import ANYONE, MEMBER, ClubAccess, club_view

from ..errors import NotAllowed, SessionError
from ..models import Session
from ..rota.selectors import session_detail
from . import selectors
from .forms import WriteupForm
from .services import WriteupConflict, writeup_save


def _session(access: ClubAccess, session_id: int) -> Session:
    try:
        session = session_detail(club=access.club, session_id=session_id, user=None)
    except Session.DoesNotExist as error:
        raise Http404("No such session in this club.") from error
    session.club = access.club
    return session


def _render_page(
    request: HttpRequest,
    access: ClubAccess,
    session: Session,
    *,
    form: WriteupForm | None = None,
    conflict: WriteupConflict | None = None,
    status: int = 200,
) -> HttpResponse:
    writeup = selectors.writeup_of(session=session)
    can_edit = selectors.viewer_may_edit(access, session, request.user)
    context = {
        "club": access.club,
        "access": access,
        "session": session,
        "writeup": writeup,
        "can_edit_writeup": can_edit,
        "conflict": conflict,
    }
    if conflict is not None and form is not None:
        context["conflict_hunks"] = selectors.conflict_hunks(
            theirs=conflict.current.text, mine=form.data.get("text", "")
        )
    if can_edit:
        context["form"] = form or WriteupForm(
            initial={
                "text": writeup.text if writeup else "",
                "base": writeup.revision if writeup else 0,
            }
        )
    return render(request, "sessions/writeups/page.html", context, status=status)


@club_view(needs=ANYONE)
def page(request: HttpRequest, access: ClubAccess, session_id: int) -> HttpResponse:
    session = _session(access, session_id)
    if session.state == Session.State.CANCELLED:
        raise Http404("A cancelled week has no write-up.")
    return _render_page(request, access, session)


@require_POST
@club_view(needs=MEMBER)
def save(request: HttpRequest, access: ClubAccess, session_id: int) -> HttpResponse:
    session = _session(access, session_id)
    assert isinstance(request.user, User)  # @club_view(needs=MEMBER) signed them in
    form = WriteupForm(request.POST)
    if not form.is_valid():
        return _render_page(request, access, session, form=form)
    try:
        revision = writeup_save(
            session=session,
            by=request.user,
            text=form.cleaned_data["text"],
            base=form.cleaned_data["base"],
        )
    except NotAllowed as error:
        raise PermissionDenied(str(error)) from error
    except WriteupConflict as conflict:
        # The person's text stays; the next save is based on the version that won.
        data = request.POST.copy()
        data["base"] = str(conflict.current.revision)
        return _render_page(
            request, access, session, form=WriteupForm(data), conflict=conflict, status=409
        )
    except SessionError as error:
        messages.error(request, str(error))
        return redirect(reverse("sessions:session", args=[access.club.slug, session.pk]))
    if revision is None:
        messages.info(request, "Nothing changed in the write-up.")
    else:
        messages.success(request, f"Write-up saved (revision {revision.number}).")
    return redirect(reverse("writeups:page", args=[access.club.slug, session.pk]))


@club_view(needs=MEMBER)
def history(request: HttpRequest, access: ClubAccess, session_id: int) -> HttpResponse:
    session = _session(access, session_id)
    rows, lines = selectors.writeup_history(session=session)
    return render(
        request,
        "sessions/writeups/history.html",
        {"club": access.club, "access": access, "session": session, "rows": rows, "lines": lines},
    )


@club_view(needs=MEMBER)
def revision(
    request: HttpRequest, access: ClubAccess, session_id: int, number: int
) -> HttpResponse:
    session = _session(access, session_id)
    against = request.GET.get("against")
    try:
        against_number = int(against) if against else None
    except ValueError as error:
        raise Http404("No such revision of this write-up.") from error
    diff = selectors.writeup_diff(session=session, number=number, against=against_number)
    return render(
        request,
        "sessions/writeups/revision.html",
        {"club": access.club, "access": access, "session": session, "diff": diff},
    )
