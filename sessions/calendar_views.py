"""Calendar feeds, mail preferences, unsubscribe and the organizers' outbox.

Who may use each view is stated on it: club pages through @club_view, the
token feeds by their secret (a wrong or revoked token is a 404), unsubscribe
by its signature (no sign-in), preferences by signing in.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from clubs.permissions import ANYONE, ORGANIZER, ClubAccess, club_view

from . import feeds, mailing
from .models import ClubReminders, Delivery, MailPreferences, Session

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
    owner = feeds.token_owner(token=token)
    if owner is None or owner.club is None:
        raise Http404("No such calendar.")
    return _ics(feeds.club_feed(club=owner.club), f"{owner.club.slug}.ics")


def personal_feed(request: HttpRequest, token: str) -> HttpResponse:
    """Whoever holds a person's secret feed URL (meant for their calendar app)."""
    owner = feeds.token_owner(token=token)
    if owner is None or owner.user is None:
        raise Http404("No such calendar.")
    return _ics(feeds.personal_feed(user=owner.user), "paper-club.ics")


@club_view(needs=ANYONE)
def session_ics(request: HttpRequest, access: ClubAccess, session_id: int) -> HttpResponse:
    """Anyone who can see the club; members' copies include the meeting link."""
    session = get_object_or_404(Session, club=access.club, pk=session_id)
    content = feeds.session_ics(session=session, with_link=access.is_member)
    response = _ics(content, f"{access.club.slug}-{session.local_start:%Y-%m-%d}.ics")
    response["Content-Disposition"] = response["Content-Disposition"].replace(
        "inline", "attachment"
    )
    return response


class RemindersForm(forms.ModelForm):
    class Meta:
        model = ClubReminders
        fields = [
            "volunteer_needed_days",
            "facilitator_prep_days",
            "preread_nudge_hours",
            "starting_soon_minutes",
            "follow_up",
        ]
        labels = {
            "volunteer_needed_days": "“Volunteer needed”: days before a week with no facilitator",
            "facilitator_prep_days": "Facilitator preparation: days before",
            "preread_nudge_hours": "Pre-read nudge: hours before (to those going, not started)",
            "starting_soon_minutes": "“Starting soon”: minutes before (with the meeting link)",
            "follow_up": "Follow-up once slides or a recording are linked",
        }
        help_texts = {"volunteer_needed_days": "0 turns a reminder off."}


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
            form.save()
            messages.success(request, "Reminder settings saved.")
            return redirect("calendars:club", club.slug)
        context["reminders_form"] = form
    elif request.method == "POST":
        raise Http404
    return render(request, "sessions/calendar/club.html", context)


@require_POST
@club_view(needs=ORGANIZER)
def club_feed_regenerate(request: HttpRequest, access: ClubAccess) -> HttpResponse:
    feeds.feed_token_regenerate(club=access.club)
    messages.success(request, "New calendar link made; the old one no longer works.")
    return redirect("calendars:club", access.club.slug)


@club_view(needs=ORGANIZER)
def session_outbox(request: HttpRequest, access: ClubAccess, session_id: int) -> HttpResponse:
    """Organizers: what was sent for a session, to how many, and what failed and why."""
    session = get_object_or_404(Session, club=access.club, pk=session_id)
    box = mailing.outbox(session=session)
    kinds = dict(Delivery.Kind.choices)
    rows: dict[str, dict] = {}
    for row in box["counts"]:
        rows.setdefault(row["kind"], {"label": kinds.get(row["kind"], row["kind"])})[
            row["state"]
        ] = row["n"]
    return render(
        request,
        "sessions/calendar/outbox.html",
        {
            "club": access.club,
            "access": access,
            "session": session,
            "rows": rows,
            "failures": box["failures"],
        },
    )


class PreferencesForm(forms.Form):
    invites = forms.BooleanField(
        required=False, label="Send me calendar invites by email for scheduled sessions"
    )
    no_email = forms.BooleanField(required=False, label="No email from Paper Club at all")
    reminders = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Reminders I want",
        choices=[
            (kind, label) for kind, label in Delivery.Kind.choices if kind in mailing.REMINDER_KINDS
        ],
    )
    feed_scope = forms.ChoiceField(
        choices=MailPreferences.FeedScope.choices,
        widget=forms.RadioSelect,
        label="My calendar feed shows",
    )


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    """The signed-in person's own mail and calendar settings."""
    prefs = mailing.preferences_for(user=request.user)
    initial = {
        "invites": prefs.invites,
        "no_email": prefs.no_email,
        "reminders": [k for k in mailing.REMINDER_KINDS if k not in prefs.muted_kinds],
        "feed_scope": prefs.feed_scope,
    }
    form = PreferencesForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        prefs.invites = data["invites"]
        prefs.no_email = data["no_email"]
        prefs.muted_kinds = [k for k in mailing.REMINDER_KINDS if k not in data["reminders"]]
        prefs.feed_scope = data["feed_scope"]
        prefs.save()
        messages.success(request, "Mail and calendar settings saved.")
        return redirect("calendars:preferences")
    url = feeds.personal_feed_url(user=request.user)
    return render(
        request,
        "sessions/calendar/preferences.html",
        {
            "form": form,
            "personal_url": url,
            "personal_webcal": feeds.webcal(url),
            "personal_google": feeds.google_subscribe(url),
        },
    )


@login_required
@require_POST
def personal_feed_regenerate(request: HttpRequest) -> HttpResponse:
    feeds.feed_token_regenerate(user=request.user)
    messages.success(request, "New calendar link made; the old one no longer works.")
    return redirect("calendars:preferences")


@csrf_exempt  # mail clients POST the one-click unsubscribe; the signature is the check
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """Anyone holding a signed link from one of our emails; no sign-in needed.

    GET asks (mail scanners follow links); POST, or a mail client's one-click
    List-Unsubscribe-Post, does it."""
    try:
        request_data = mailing.unsubscribe_read(token=token)
    except signing.BadSignature:
        return render(request, "sessions/calendar/unsubscribe.html", {"invalid": True}, status=400)
    label = dict(Delivery.Kind.choices).get(request_data.kind, "all email")
    if request.method == "POST":
        mailing.unsubscribe_apply(token=token)
        return render(request, "sessions/calendar/unsubscribe.html", {"done": True, "label": label})
    return render(request, "sessions/calendar/unsubscribe.html", {"label": label, "token": token})
