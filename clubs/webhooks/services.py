"""Saving a club's webhooks, owing their events, and delivering again.

`webhook_event_owe` is what the apps above call (papers/webhooks.py,
sessions/webhooks.py), inside the change's own transaction: if a webhook of
the club that is on listens for the event, one WebhookEvent (once per club and
key) and one WebhookDelivery and outbox row per such webhook. Nothing is sent
in the request: a worker sends after commit."""

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from ..activity.registry import Kind, register
from ..activity.services import activity_record
from ..chat import secrets
from ..limits import clip
from ..models import Club
from ..outbox.errors import OutboxError
from ..outbox.kinds import Recipient
from ..outbox.models import OutboxMessage
from ..outbox.services import outbox_enqueue, outbox_redeliver
from . import addresses, signing
from .events import SUBJECT, Event
from .models import Webhook, WebhookDelivery, WebhookEvent
from .outbox import KIND

WEBHOOKS = "Webhooks"


class WebhookError(Exception):
    """What an organizer asked cannot be done; the words say why."""


def register_activity_kinds() -> None:
    register(
        Kind("webhooks.webhook", "Webhook changed", WEBHOOKS),
        Kind("webhooks.disabled", "Webhook turned off", WEBHOOKS),
    )


def _chosen(events: list[str]) -> list[str]:
    wanted = set(events)
    return [e for e in Event.values if e in wanted and e != Event.PING]


@transaction.atomic
def webhook_create(
    *, club: Club, name: str, url: str, events: list[str], by: User
) -> tuple[Webhook, str]:
    """A new webhook and its secret (the only time the secret is returned)."""
    url = addresses.clean_url(url)
    secret = signing.new_secret()
    webhook = Webhook.objects.create(
        club=club,
        name=clip(name.strip(), 80) or addresses.masked(url),
        url_sealed=secrets.seal(url, purpose=signing.URL_PURPOSE),
        url_masked=addresses.masked(url),
        secret_sealed=secrets.seal(secret, purpose=signing.PURPOSE),
        events=_chosen(events),
        created_by=by,
    )
    activity_record(
        club=club,
        actor=by,
        kind="webhooks.webhook",
        summary=clip(f"added the webhook “{webhook.name}” ({webhook.url_masked})", 500),
    )
    return webhook, secret


@transaction.atomic
def webhook_update(
    *, webhook: Webhook, name: str, url: str, events: list[str], by: User
) -> Webhook:
    """Rename it, choose its events, and (when `url` is given) replace its URL."""
    if url:
        url = addresses.clean_url(url)
        webhook.url_sealed = secrets.seal(url, purpose=signing.URL_PURPOSE)
        webhook.url_masked = addresses.masked(url)
    webhook.name = clip(name.strip(), 80) or webhook.name
    webhook.events = _chosen(events)
    webhook.save(update_fields=["name", "url_sealed", "url_masked", "events"])
    chosen = ", ".join(Event(e).label.lower() for e in webhook.events) or "no events"
    activity_record(
        club=webhook.club_id,
        actor=by,
        kind="webhooks.webhook",
        summary=clip(f"changed the webhook “{webhook.name}”: {chosen}", 500),
    )
    return webhook


@transaction.atomic
def webhook_secret_rotate(*, webhook: Webhook, by: User) -> str:
    """A new secret, at once: every later attempt is signed with it."""
    secret = signing.new_secret()
    webhook.secret_sealed = secrets.seal(secret, purpose=signing.PURPOSE)
    webhook.secret_rotated_at = timezone.now()
    webhook.save(update_fields=["secret_sealed", "secret_rotated_at"])
    activity_record(
        club=webhook.club_id,
        actor=by,
        kind="webhooks.webhook",
        summary=clip(f"made a new secret for the webhook “{webhook.name}”", 500),
    )
    return secret


@transaction.atomic
def webhook_enable(*, webhook: Webhook, on: bool, by: User) -> Webhook:
    webhook.enabled = on
    webhook.failures_in_a_row = 0
    if on:
        webhook.disabled_reason, webhook.disabled_at = "", None
    else:
        webhook.disabled_reason = f"turned off by an organizer on {timezone.now():%d %b %Y}"
        webhook.disabled_at = timezone.now()
    webhook.save(update_fields=["enabled", "failures_in_a_row", "disabled_reason", "disabled_at"])
    activity_record(
        club=webhook.club_id,
        actor=by,
        kind="webhooks.webhook",
        summary=clip(f"turned {'on' if on else 'off'} the webhook “{webhook.name}”", 500),
    )
    return webhook


@transaction.atomic
def webhook_remove(*, webhook: Webhook, by: User) -> None:
    """The webhook, its log and what it was still owed (its outbox rows too)."""
    OutboxMessage.objects.filter(topic=webhook.outbox_ref, kind=KIND).delete()
    activity_record(
        club=webhook.club_id,
        actor=by,
        kind="webhooks.webhook",
        summary=clip(f"removed the webhook “{webhook.name}”", 500),
    )
    webhook.delete()


def _owe(event: WebhookEvent, webhooks: list[Webhook]) -> int:
    owed = 0
    for webhook in webhooks:
        delivery = WebhookDelivery.objects.create(webhook=webhook, event=event)
        owed += outbox_enqueue(
            kind=KIND,
            topic=webhook.outbox_ref,
            recipients=[Recipient(address=f"webhook “{webhook.name}”", ref=webhook.outbox_ref)],
            sequence=delivery.pk,
            club=webhook.club,
            subject_id=delivery.pk,
        )
    return owed


def webhooks_listening(*, club_ids: set[int], event: str) -> set[int]:
    """Of these clubs, those with a webhook that is on and listens for `event`
    (one query; the events are filtered here, as SQLite has no JSON contains)."""
    if not club_ids:
        return set()
    rows = Webhook.objects.filter(club_id__in=club_ids, enabled=True).values_list(
        "club_id", "events"
    )
    return {club_id for club_id, events in rows if event in (events or [])}


def webhook_events_of(*, club_ids: set[int]) -> dict[int, set[str]]:
    """The events each of these clubs' webhooks that are on listen for (one query)."""
    found: dict[int, set[str]] = {}
    if not club_ids:
        return found
    rows = Webhook.objects.filter(club_id__in=club_ids, enabled=True).values_list(
        "club_id", "events"
    )
    for club_id, events in rows:
        found.setdefault(club_id, set()).update(events or [])
    return found


def webhook_event_owe(
    *, club: Club, event: str, key: str, subject_id: int | None, occurred_at=None
) -> int:
    """Owe `event` to each of the club's webhooks that are on and listen for it,
    once per `key` (asked again, it adds nothing). Call it inside the change's
    transaction. Returns how many deliveries are newly owed."""
    webhooks = [
        w
        for w in Webhook.objects.filter(club=club, enabled=True).select_related("club")
        if event in (w.events or [])
    ]
    if not webhooks:
        return 0
    try:
        with transaction.atomic():
            owed = WebhookEvent.objects.create(
                club=club,
                event=event,
                key=key[:160],
                subject_type=SUBJECT[Event(event)],
                subject_id=subject_id,
                occurred_at=occurred_at or timezone.now(),
            )
    except IntegrityError:
        return 0  # owed already
    return _owe(owed, webhooks)


@transaction.atomic
def webhook_ping(*, webhook: Webhook, by: User) -> int:
    """Owe a test delivery ("ping") to one webhook, whatever its events."""
    if not webhook.enabled:
        raise WebhookError("Turn the webhook on first.")
    owed = WebhookEvent.objects.create(
        club_id=webhook.club_id,
        event=Event.PING,
        key=f"ping:{webhook.pk}:{timezone.now().timestamp()}",
        subject_type="club",
        subject_id=webhook.club_id,
    )
    return _owe(owed, [webhook])


@transaction.atomic
def webhook_redeliver(*, delivery: WebhookDelivery, by: User) -> None:
    """The same delivery (same id, same body) once more, as a new attempt."""
    if not delivery.webhook.enabled:
        raise WebhookError("Turn the webhook on first; then deliver it again.")
    row = OutboxMessage.objects.filter(
        kind=KIND, topic=delivery.webhook.outbox_ref, sequence=delivery.pk
    ).first()
    if row is None:
        raise WebhookError("This delivery is no longer in the outbox.")
    who = getattr(getattr(by, "profile", None), "display_name", "") or by.get_username()
    try:
        outbox_redeliver(message=row, note=f"Delivered again by {who}.")
    except OutboxError as error:
        raise WebhookError(str(error)) from error


def form_error(error: ValidationError) -> str:
    return " ".join(error.messages)
