"""The Suggested pages: the club's (organizers keep its watches) and each member's own."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django_htmx.middleware import HtmxDetails

from clubs import ratelimits
from clubs.confirming import Ask, confirm_first
from clubs.permissions import MEMBER, ClubAccess, club_view

from ..errors import NotAllowed, PaperError
from ..models import Suggestion, Watch
from . import selectors, services
from .forms import WatchForm
from .queries import WatchInvalid


class SignedInRequest(HttpRequest):
    """What these views get: @club_view(needs=MEMBER) has signed the person in,
    and django-htmx's middleware adds `htmx`."""

    htmx: HtmxDetails
    user: User


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # club_view(needs=MEMBER) signed them in
    return user


def _page(
    request: HttpRequest, access: ClubAccess, *, own: bool, form=None, status: int = 200
) -> HttpResponse:
    owner_id = _user(request).pk if own else None
    watches = selectors.watches_of(club_id=access.club.pk, owner_id=owner_id)
    may_add = own or access.is_organizer
    return render(
        request,
        "papers/watch/suggested.html",
        {
            "club": access.club,
            "access": access,
            "own": own,
            "watches": watches,
            "suggestions": list(
                selectors.suggestions_open(club_id=access.club.pk, owner_id=owner_id)
            ),
            "form": (form or WatchForm()) if may_add else None,
            "may_decide": own or access.is_organizer,
            "cap": settings.WATCH_MAX_PER_RUN,
        },
        status=status,
    )


@club_view(needs=MEMBER)
def suggested(request: HttpRequest, access: ClubAccess) -> HttpResponse:
    return _page(request, access, own=False)


@club_view(needs=MEMBER)
def mine(request: HttpRequest, access: ClubAccess) -> HttpResponse:
    return _page(request, access, own=True)


def _back(access: ClubAccess, *, own: bool) -> str:
    return reverse("watch:mine" if own else "watch:suggested", args=[access.club.slug])


@require_POST
@club_view(needs=MEMBER)
def add(request: HttpRequest, access: ClubAccess) -> HttpResponse:
    own = request.POST.get("scope") != "club"
    if not own and not access.is_organizer:
        raise PermissionDenied("Only the club's organizers keep the club's watches.")
    form = WatchForm(request.POST)
    if form.is_valid():
        try:
            watch = services.watch_add(
                club=access.club,
                by=_user(request),
                for_club=not own,
                is_organizer=access.is_organizer,
                kind=form.cleaned_data["kind"],
                value=form.cleaned_data["value"],
                within=form.cleaned_data["within"],
            )
        except WatchInvalid as error:
            form.add_error("value", str(error))
        else:
            messages.success(
                request,
                f"Watching {watch.label}. The daily run looks at arXiv within a few minutes, "
                "then once a day.",
            )
            return redirect(_back(access, own=own))
    return _page(request, access, own=own, form=form, status=400)


def _watch(request: HttpRequest, access: ClubAccess, watch_id: int) -> Watch:
    try:
        return selectors.watch_for(
            club_id=access.club.pk, watch_id=watch_id, user_id=_user(request).pk
        )
    except Watch.DoesNotExist as error:
        raise Http404("No such watch here.") from error


@require_POST
@club_view(needs=MEMBER)
@confirm_first(
    lambda request, access, watch_id: Ask(
        question=f"Stop watching {_watch(request, access, watch_id).label}?",
        consequence="Its suggestions nobody proposed or muted go with it.",
        button="Yes, stop watching",
        back=_back(access, own=_watch(request, access, watch_id).owner_id is not None),
    )
)
def remove(request: HttpRequest, access: ClubAccess, watch_id: int) -> HttpResponse:
    watch = _watch(request, access, watch_id)
    own = watch.owner_id is not None
    try:
        services.watch_remove(watch=watch, user=_user(request), is_organizer=access.is_organizer)
    except NotAllowed as error:
        raise PermissionDenied(str(error)) from error
    messages.success(request, f"No longer watching {watch.label}.")
    return redirect(_back(access, own=own))


def _suggestion(request: HttpRequest, access: ClubAccess, suggestion_id: int) -> Suggestion:
    try:
        return selectors.suggestion_for(
            club_id=access.club.pk, suggestion_id=suggestion_id, user_id=_user(request).pk
        )
    except Suggestion.DoesNotExist as error:
        raise Http404("No such suggestion here.") from error


def _item(request, access, suggestion, *, note: str, nomination=None) -> HttpResponse:
    """htmx: the list item, as it is after the click."""
    return render(
        request,
        "papers/watch/_decided.html",
        {"club": access.club, "s": suggestion, "note": note, "nomination": nomination},
    )


@require_POST
@club_view(needs=MEMBER)
def propose(request: SignedInRequest, access: ClubAccess, suggestion_id: int) -> HttpResponse:
    suggestion = _suggestion(request, access, suggestion_id)
    own = suggestion.owner_id is not None
    try:
        ratelimits.rate_limit_take(action="proposals", scope=f"user:{_user(request).pk}")
        outcome = services.suggestion_propose(suggestion=suggestion, user=_user(request))
    except NotAllowed as error:
        raise PermissionDenied(str(error)) from error
    except (PaperError, ratelimits.RateLimited) as error:
        if request.htmx:
            return HttpResponse(str(error), status=409)
        messages.error(request, str(error))
        return redirect(_back(access, own=own))
    if outcome.covered:
        note = "The club has read this paper already: propose it again from the backlog."
        messages.info(request, note)
        return redirect(_back(access, own=own))
    nomination = outcome.nominations[0]
    title = suggestion.title
    note = (
        f"Proposed “{title}”: it is on the backlog with your vote."
        if outcome.added
        else f"“{title}” was already on the backlog: your vote is counted."
    )
    if request.htmx:
        return _item(request, access, suggestion, note=note, nomination=nomination)
    messages.success(request, note)
    return redirect(_back(access, own=own))


@require_POST
@club_view(needs=MEMBER)
def mute(request: SignedInRequest, access: ClubAccess, suggestion_id: int) -> HttpResponse:
    suggestion = _suggestion(request, access, suggestion_id)
    own = suggestion.owner_id is not None
    try:
        services.suggestion_mute(
            suggestion=suggestion, user=_user(request), is_organizer=access.is_organizer
        )
    except NotAllowed as error:
        raise PermissionDenied(str(error)) from error
    note = (
        f"Muted “{suggestion.title}”: it will not be suggested again."
        if own
        else f"Muted “{suggestion.title}” for the club: later runs will not suggest it again."
    )
    if request.htmx:
        return _item(request, access, suggestion, note=note)
    messages.success(request, note)
    return redirect(_back(access, own=own))
