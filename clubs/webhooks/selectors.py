"""What the organizers' webhook pages read (a fixed number of queries)."""

from django.db.models import Prefetch, QuerySet

from ..models import Club
from ..outbox.models import OutboxMessage
from .models import Webhook, WebhookAttempt, WebhookDelivery
from .outbox import KIND

LOG_LENGTH = 25


def webhooks_of(*, club: Club) -> QuerySet[Webhook]:
    return Webhook.objects.filter(club=club).order_by("created_at", "pk")


def webhook_of(*, club: Club, webhook_id: int) -> Webhook:
    """Raises Webhook.DoesNotExist when it is not this club's."""
    return Webhook.objects.select_related("club").get(club=club, pk=webhook_id)


def delivery_log(*, webhook: Webhook, limit: int = LOG_LENGTH) -> list[WebhookDelivery]:
    """The newest deliveries, each with its attempts (`attempts.all`) and its
    outbox row (`row`: state, attempts, when it is due again), in three queries."""
    deliveries = list(
        WebhookDelivery.objects.filter(webhook=webhook)
        .select_related("event")
        .prefetch_related(
            Prefetch("attempts", queryset=WebhookAttempt.objects.order_by("at", "pk"))
        )
        .order_by("-created_at", "-pk")[:limit]
    )
    rows = {
        row.sequence: row
        for row in OutboxMessage.objects.filter(
            kind=KIND, topic=webhook.outbox_ref, sequence__in=[d.pk for d in deliveries]
        )
    }
    for delivery in deliveries:
        delivery.row = rows.get(delivery.pk)  # type: ignore[attr-defined]
    return deliveries
