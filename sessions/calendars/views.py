"""Calendar feeds and the club's calendar page (with the organizers' reminder settings).

Who may use each view is stated on it: club pages through @club_view, the
token feeds by their secret (a wrong or revoked token is a 404).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from clubs.activity.services import activity_record
from clubs.confirming import Ask, confirm_first
from clubs.permissions import ANYONE, ORGANIZER, ClubAccess, club_view

from ..mail.forms import RemindersForm
from ..models import ClubReminders, Session
from . import feeds, tokens

ICS = "text/calendar; charset=utf-8"


def _ics(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=ICS)
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, max-age=300"
    return response


@club_view(needs=ANYONE)
def club_public_feed(request: HttpRequest, access: ClubAccess) -> HttpResponse:
    """Anyone, for a public club; a private club's feed lives only behind its token."""
    if not access.club.is_public:
        raise Http404("This club's calendar is private.")
    return _ics(feeds.club_feed(club=access.club), f"{access.club.slug}.ics")


def club_private_feed(request: HttpRequest, token: str) -> HttpResponse:
    """Whoever holds the club's secret feed URL."""
    owner = tokens.token_owner(token=token)
    if owner is None or owner.club is None:
        raise Http404("No such calendar.")
    return _ics(feeds.club_feed(club=owner.club), f"{owner.club.slug}.ics")


def personal_feed(request: HttpRequest, token: str) -> HttpResponse:
    """Whoever holds a person's secret feed URL (meant for their calendar app)."""
    owner = tokens.token_owner(token=token)
    if owner is None or owner.user is None:
        raise Http404("No such calendar.")
    return _ics(feeds.personal_feed(user=owner.user), "paper-club.ics")


@club_view(needs=ANYONE)
def session_ics(request: HttpRequest, access: ClubAccess, session_id: int) -> HttpResponse:
    """Anyone who can see the club; members' copies include the meeting link and
    are their own (a week they said they're not going to is cancelled in it)."""
    session = get_object_or_404(Session, club=access.club, pk=session_id)
    content = feeds.session_ics(
        session=session,
        with_link=access.is_member,
        user=request.user if access.is_member else None,
    )
    response = _ics(content, f"{access.club.slug}-{session.local_start:%Y-%m-%d}.ics")
    response["Content-Disposition"] = response["Content-Disposition"].replace(
        "inline", "attachment"
    )
    if access.is_member:
        # Their own copy follows their answer: never an old one from the cache.
        response["Cache-Control"] = "private, no-cache"
    return response


@club_view(needs=ANYONE)
def club_calendar(request: HttpRequest, access: ClubAccess) -> HttpResponse:
    """Anyone who can see the club: how to subscribe. Organizers also set reminders."""
    club = access.club
    context = {"club": club, "access": access}
    if club.is_public or access.is_member:
        url = feeds.club_feed_url(club=club)
        context.update(
            feed_url=url, webcal_url=feeds.webcal(url), google_url=feeds.google_subscribe(url)
        )
    if request.user.is_authenticated and access.is_member:
        personal = feeds.personal_feed_url(user=request.user)
        context.update(
            personal_url=personal,
            personal_webcal=feeds.webcal(personal),
            personal_google=feeds.google_subscribe(personal),
        )
    if access.is_organizer:
        rules = ClubReminders.objects.filter(club=club).first() or ClubReminders(club=club)
        form = RemindersForm(request.POST or None, instance=rules)
        if request.method == "POST" and form.is_valid():
            with transaction.atomic():
                form.save()
                activity_record(
                    club=club,
                    actor=request.user,
                    kind="calendar.reminders",
                    summary="changed the club's reminder settings",
                    data={
                        "settings": {name: form.cleaned_data[name] for name in form.changed_data}
                    },
                )
            messages.success(request, "Reminder settings saved.")
            return redirect("calendars:club", club.slug)
        context["reminders_form"] = form
    elif request.method == "POST":
        raise Http404
    return render(request, "sessions/calendar/club.html", context)


def _ask_regenerate(*, subscribers: str, back: str) -> Ask:
    return Ask(
        question="Make a new calendar link?",
        consequence=(
            f"The old link stops working at once: {subscribers} with it stop getting "
            "updates until they subscribe with the new one."
        ),
        button="Yes, make a new link",
        back=back,
    )


@require_POST
@club_view(needs=ORGANIZER)
@confirm_first(
    lambda request, access: _ask_regenerate(
        subscribers="everyone subscribed", back=reverse("calendars:club", args=[access.club.slug])
    )
)
def club_feed_regenerate(request: HttpRequest, access: ClubAccess) -> HttpResponse:
    tokens.feed_token_regenerate(club=access.club, by=request.user)
    messages.success(request, "New calendar link made; the old one no longer works.")
    return redirect("calendars:club", access.club.slug)


@login_required
@require_POST
@confirm_first(
    lambda request: _ask_regenerate(
        subscribers="calendars subscribed", back=reverse("calendars:preferences")
    )
)
def personal_feed_regenerate(request: HttpRequest) -> HttpResponse:
    tokens.feed_token_regenerate(user=request.user)
    messages.success(request, "New calendar link made; the old one no longer works.")
    return redirect("calendars:preferences")
