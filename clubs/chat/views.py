"""The organizers' chat page: Discord and Slack webhooks (masked, a test
message, removal) and which events are posted. Organizers only."""

from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from ..confirming import Ask, confirm_first
from ..outbox.models import OutboxMessage
from ..permissions import ORGANIZER, ClubAccess, club_view
from ..ratelimits import RateLimited, rate_limit_take
from . import services
from .forms import EventsForm, WebhookForm
from .models import ChatWebhook
from .outbox import KIND
from .webhooks import LABELS

SERVICES = list(LABELS)


def _organizer(access: ClubAccess) -> User:
    """The organizer acting (club_view let only an organizer's membership in)."""
    assert access.membership is not None
    return access.membership.user


def _page(request: HttpRequest, access: ClubAccess, forms: dict | None = None, status=200):
    club = access.club
    hooks = {w.service: w for w in ChatWebhook.objects.filter(club=club)}
    chat = services.chat_settings_of(club)
    forms = forms or {}
    failed = (
        OutboxMessage.objects.filter(club=club, kind=KIND, state=OutboxMessage.State.FAILED)
        .order_by("-created_at")
        .first()
    )
    context = {
        "club": club,
        "access": access,
        "webhooks": [
            {
                "service": s,
                "label": LABELS[s],
                "hook": hooks.get(s),
                "form": forms.get(s) or WebhookForm(service=s),
            }
            for s in SERVICES
        ],
        "events_form": forms.get("events")
        or EventsForm(
            initial={"events": chat.events, "share_meeting_link": chat.share_meeting_link}
        ),
        "last_failure": failed,
    }
    return render(request, "clubs/chat.html", context, status=status)


@club_view(needs=ORGANIZER)
def chat_page(request: HttpRequest, access: ClubAccess) -> HttpResponse:
    here = reverse("clubs:chat", args=[access.club.slug])
    if request.method != "POST":
        return _page(request, access)
    what = request.POST.get("what", "")
    if what in SERVICES:
        form = WebhookForm(request.POST, service=what)
        if form.is_valid():
            try:
                services.chat_webhook_save(
                    club=access.club,
                    service=what,
                    url=form.cleaned_data["url"],
                    by=_organizer(access),
                )
            except ValidationError as error:  # pragma: no cover - the form checked it
                form.add_error("url", error)
            else:
                messages.success(request, f"{LABELS[what]} webhook saved. Send a test message?")
                return redirect(here)
        return _page(request, access, {what: form}, status=400)
    if what == "events":
        events = EventsForm(request.POST)
        if events.is_valid():
            services.chat_settings_save(
                club=access.club,
                events=events.cleaned_data["events"],
                share_meeting_link=events.cleaned_data["share_meeting_link"],
                by=_organizer(access),
            )
            messages.success(request, "Saved what is posted in chat.")
            return redirect(here)
        return _page(request, access, {"events": events}, status=400)
    return _page(request, access, status=400)


def _known(service: str) -> str:
    if service not in SERVICES:
        raise Http404("No such chat service.")
    return service


@require_POST
@club_view(needs=ORGANIZER)
def chat_test(request: HttpRequest, access: ClubAccess, service: str) -> HttpResponse:
    service = _known(service)
    try:
        # Each press posts to the club's chat server: a flood of them is spam there.
        rate_limit_take(action="chat_tests", scope=f"club:{access.club.pk}")
    except RateLimited as error:
        response = render(
            request,
            "429.html",
            {
                "reason": str(error),
                "back_url": reverse("clubs:chat", args=[access.club.slug]),
                "back_label": "Back to the chat settings",
            },
            status=429,
        )
        response["Retry-After"] = str(error.retry_after)
        return response
    url = request.build_absolute_uri(reverse("clubs:home", args=[access.club.slug]))
    if services.chat_test_send(club=access.club, service=service, by=_organizer(access), url=url):
        messages.success(
            request,
            f"A test message is on its way to {LABELS[service]}; "
            "if it does not arrive, this page and the outbox say why.",
        )
    else:
        messages.error(request, f"Paste a {LABELS[service]} webhook URL first.")
    return redirect("clubs:chat", access.club.slug)


def _ask_remove(request: HttpRequest, access: ClubAccess, service: str) -> Ask:
    label = LABELS.get(service, "chat")
    return Ask(
        question=f"Remove the {label} webhook?",
        consequence=f"Nothing more is posted to {label}, including posts still waiting. "
        "You can paste a URL again at any time.",
        button="Yes, remove it",
        back=reverse("clubs:chat", args=[access.club.slug]),
    )


@require_POST
@club_view(needs=ORGANIZER)
@confirm_first(_ask_remove)
def chat_remove(request: HttpRequest, access: ClubAccess, service: str) -> HttpResponse:
    service = _known(service)
    if services.chat_webhook_remove(club=access.club, service=service, by=_organizer(access)):
        messages.success(request, f"{LABELS[service]} webhook removed.")
    return redirect("clubs:chat", access.club.slug)
