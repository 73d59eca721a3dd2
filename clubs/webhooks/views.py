"""The organizers' webhook pages: the list with "add a webhook", and one
webhook's page (its events, its secret rotated, on and off, a test delivery,
removal, and the delivery log with "redeliver"). Organizers only; another
club's webhook is a 404."""

from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from ..confirming import Ask, confirm_first
from ..permissions import ORGANIZER, ClubAccess, club_view
from . import selectors, services, signing
from .events import Event
from .forms import WebhookForm
from .models import Webhook, WebhookDelivery


def _organizer(access: ClubAccess) -> User:
    """The organizer acting (club_view let only an organizer's membership in)."""
    assert access.membership is not None
    return access.membership.user


def _webhook(access: ClubAccess, webhook_id: int) -> Webhook:
    try:
        return selectors.webhook_of(club=access.club, webhook_id=webhook_id)
    except Webhook.DoesNotExist as missing:
        raise Http404("No such webhook in this club.") from missing


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"  # the secret is on this page only
    return response


@club_view(needs=ORGANIZER)
def webhooks_page(request: HttpRequest, access: ClubAccess) -> HttpResponse:
    form = WebhookForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            webhook, secret = services.webhook_create(
                club=access.club,
                name=form.cleaned_data["name"],
                url=form.cleaned_data["url"],
                events=form.cleaned_data["events"],
                by=_organizer(access),
            )
        except ValidationError as error:  # the address changed since the form checked it
            form.add_error("url", error)
        else:
            messages.success(request, f"Webhook “{webhook.name}” added.")
            return _no_store(_detail(request, access, webhook, secret=secret))
    context = {
        "club": access.club,
        "access": access,
        "webhooks": list(selectors.webhooks_of(club=access.club)),
        "form": form,
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "clubs/webhooks.html", context, status=status)


def _detail(
    request: HttpRequest,
    access: ClubAccess,
    webhook: Webhook,
    *,
    form: WebhookForm | None = None,
    secret: str = "",
    status: int = 200,
) -> HttpResponse:
    form = form or WebhookForm(
        editing=True, initial={"name": webhook.name, "events": webhook.events}
    )
    context = {
        "club": access.club,
        "access": access,
        "webhook": webhook,
        "event_labels": [Event(e).label for e in webhook.events if e in Event.values],
        "form": form,
        "secret": secret,
        "deliveries": selectors.delivery_log(webhook=webhook),
        "headers": {
            "delivery": signing.DELIVERY_HEADER,
            "event": signing.EVENT_HEADER,
            "timestamp": signing.TIMESTAMP_HEADER,
            "signature": signing.SIGNATURE_HEADER,
        },
    }
    return render(request, "clubs/webhook.html", context, status=status)


@club_view(needs=ORGANIZER)
def webhook_page(request: HttpRequest, access: ClubAccess, webhook_id: int) -> HttpResponse:
    webhook = _webhook(access, webhook_id)
    if request.method != "POST":
        return _detail(request, access, webhook)
    form = WebhookForm(request.POST, editing=True)
    if form.is_valid():
        try:
            services.webhook_update(
                webhook=webhook,
                name=form.cleaned_data["name"],
                url=form.cleaned_data["url"],
                events=form.cleaned_data["events"],
                by=_organizer(access),
            )
        except ValidationError as error:
            form.add_error("url", error)
        else:
            messages.success(request, f"Webhook “{webhook.name}” saved.")
            return redirect("clubs:webhook", access.club.slug, webhook.pk)
    return _detail(request, access, webhook, form=form, status=400)


def _ask_rotate(request: HttpRequest, access: ClubAccess, webhook_id: int) -> Ask:
    return Ask(
        question="Make a new secret?",
        consequence="Every delivery from now on is signed with the new secret; receivers "
        "that still check the old one refuse them until you give them the new one.",
        button="Yes, make a new secret",
        back=reverse("clubs:webhook", args=[access.club.slug, webhook_id]),
    )


@require_POST
@club_view(needs=ORGANIZER)
@confirm_first(_ask_rotate)
def webhook_rotate(request: HttpRequest, access: ClubAccess, webhook_id: int) -> HttpResponse:
    webhook = _webhook(access, webhook_id)
    secret = services.webhook_secret_rotate(webhook=webhook, by=_organizer(access))
    messages.success(request, "New secret made. Copy it now: it is shown only this once.")
    return _no_store(_detail(request, access, webhook, secret=secret))


@require_POST
@club_view(needs=ORGANIZER)
def webhook_enable(request: HttpRequest, access: ClubAccess, webhook_id: int) -> HttpResponse:
    webhook = _webhook(access, webhook_id)
    on = request.POST.get("on") == "1"
    services.webhook_enable(webhook=webhook, on=on, by=_organizer(access))
    if on:
        messages.success(
            request,
            "Webhook turned on. Deliveries that failed while it was off can be "
            "delivered again from the log.",
        )
    else:
        messages.success(request, "Webhook turned off: nothing is delivered to it.")
    return redirect("clubs:webhook", access.club.slug, webhook.pk)


@require_POST
@club_view(needs=ORGANIZER)
def webhook_ping(request: HttpRequest, access: ClubAccess, webhook_id: int) -> HttpResponse:
    webhook = _webhook(access, webhook_id)
    try:
        services.webhook_ping(webhook=webhook, by=_organizer(access))
    except services.WebhookError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "A test delivery is on its way; the log below shows how it went.")
    return redirect("clubs:webhook", access.club.slug, webhook.pk)


def _ask_remove(request: HttpRequest, access: ClubAccess, webhook_id: int) -> Ask:
    return Ask(
        question="Remove this webhook?",
        consequence="Nothing more is delivered to it, including deliveries still waiting, "
        "and its delivery log goes with it.",
        button="Yes, remove it",
        back=reverse("clubs:webhook", args=[access.club.slug, webhook_id]),
    )


@require_POST
@club_view(needs=ORGANIZER)
@confirm_first(_ask_remove)
def webhook_remove(request: HttpRequest, access: ClubAccess, webhook_id: int) -> HttpResponse:
    webhook = _webhook(access, webhook_id)
    services.webhook_remove(webhook=webhook, by=_organizer(access))
    messages.success(request, f"Webhook “{webhook.name}” removed.")
    return redirect("clubs:webhooks", access.club.slug)


@require_POST
@club_view(needs=ORGANIZER)
def webhook_redeliver(
    request: HttpRequest, access: ClubAccess, webhook_id: int, delivery_id: int
) -> HttpResponse:
    webhook = _webhook(access, webhook_id)
    delivery = (
        WebhookDelivery.objects.filter(webhook=webhook, pk=delivery_id)
        .select_related("webhook")
        .first()
    )
    if delivery is None:
        raise Http404("No such delivery of this webhook.")
    try:
        services.webhook_redeliver(delivery=delivery, by=_organizer(access))
    except services.WebhookError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request, f"Delivering {delivery.delivery_id} again (the same delivery id)."
        )
    return redirect("clubs:webhook", access.club.slug, webhook.pk)
