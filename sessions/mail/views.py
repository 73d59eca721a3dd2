"""Mail pages: a person's mail and calendar settings, one-click unsubscribe, and
the organizers' outbox for a session.

Who may use each view is stated on it: unsubscribe by its signature (no
sign-in), preferences by signing in, the outbox through @club_view.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_exempt

from clubs.outbox.views import outbox_context
from clubs.permissions import ORGANIZER, ClubAccess, club_view

from ..calendars import feeds
from ..models import Session
from . import preferences as mail_preferences
from .forms import PreferencesForm
from .kinds import Kind
from .reminders import REMINDER_KINDS


@club_view(needs=ORGANIZER)
def session_outbox(request: HttpRequest, access: ClubAccess, session_id: int) -> HttpResponse:
    """Organizers: every message for a session, to whom, how it went; resend failures."""
    session = get_object_or_404(Session, club=access.club, pk=session_id)
    context = outbox_context(request, access, subject_type="session", subject_id=session.pk)
    context["session"] = session
    return render(request, "sessions/calendar/outbox.html", context)


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    """The signed-in person's own mail and calendar settings."""
    prefs = mail_preferences.preferences_for(user=request.user)
    initial = {
        "invites": prefs.invites,
        "no_email": prefs.no_email,
        "reminders": [k for k in REMINDER_KINDS if k not in prefs.muted_kinds],
        "feed_scope": prefs.feed_scope,
    }
    form = PreferencesForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        prefs.invites = data["invites"]
        prefs.no_email = data["no_email"]
        # Kinds muted from a mail's own link (not on this form) stay muted.
        kept = [k for k in prefs.muted_kinds if k not in REMINDER_KINDS]
        prefs.muted_kinds = kept + [k for k in REMINDER_KINDS if k not in data["reminders"]]
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


@csrf_exempt  # mail clients POST the one-click unsubscribe; the signature is the check
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """Anyone holding a signed link from one of our emails; no sign-in needed.

    GET asks (mail scanners follow links); POST, or a mail client's one-click
    List-Unsubscribe-Post, does it."""
    try:
        request_data = mail_preferences.unsubscribe_read(token=token)
    except signing.BadSignature:
        return render(request, "sessions/calendar/unsubscribe.html", {"invalid": True}, status=400)
    label = dict(Kind.choices).get(request_data.kind, "all email")
    if request.method == "POST":
        mail_preferences.unsubscribe_apply(token=token)
        return render(request, "sessions/calendar/unsubscribe.html", {"done": True, "label": label})
    return render(request, "sessions/calendar/unsubscribe.html", {"label": label, "token": token})
