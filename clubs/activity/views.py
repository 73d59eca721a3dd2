"""The organizers' activity log and its undo (a confirmation page, then a POST)."""

from typing import cast

from django.contrib import messages
from django.contrib.auth.models import User
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from ..models import ActivityEntry
from ..permissions import ORGANIZER, ClubAccess, club_view
from . import selectors, services
from .forms import LogFilterForm
from .registry import kind_for

PAGE_SIZE = 50


@club_view(needs=ORGANIZER)
def activity_log(request: HttpRequest, access: ClubAccess) -> HttpResponse:
    """Organizers: every change to the club, newest first, filtered and paged."""
    form = LogFilterForm(request.GET or None, people=selectors.log_actors(club=access.club))
    entries = selectors.club_log(club=access.club, options=form.to_filter())
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "clubs/activity.html",
        {"club": access.club, "access": access, "form": form, "page": page},
    )


def _entry(access: ClubAccess, entry_id: int) -> ActivityEntry:
    try:
        return selectors.club_entry(club=access.club, entry_id=entry_id)
    except ActivityEntry.DoesNotExist as error:
        raise Http404("No such entry in this club's log.") from error


@club_view(needs=ORGANIZER)
def activity_undo(request: HttpRequest, access: ClubAccess, entry_id: int) -> HttpResponse:
    """GET: what undoing would do, or what stops it. POST: undo it."""
    entry = _entry(access, entry_id)
    if request.method == "POST":
        try:
            # An organizer (club_view), so signed in.
            services.activity_undo(entry=entry, by=cast(User, request.user))
        except services.UndoBlocked as error:
            messages.error(request, f"Not undone: {error}")
            return redirect("clubs:activity_undo", access.club.slug, entry.pk)
        messages.success(request, f"Undone: {entry.summary}.")
        return redirect("clubs:activity", access.club.slug)
    kind = kind_for(entry.kind)
    blockers = services.undo_blockers(entry=entry)
    explain = kind.undo.explain(entry) if kind and kind.undo and kind.undo.explain else ""
    return render(
        request,
        "clubs/activity_undo.html",
        {
            "club": access.club,
            "access": access,
            "entry": entry,
            "blockers": blockers,
            "explain": explain,
        },
    )
