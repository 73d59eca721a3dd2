"""Webhook deliveries as a kind of outbox message (clubs/outbox): channel
"http", one queued stream per webhook (topic and recipient "webhook:<id>",
sequence the delivery's id), so a webhook's deliveries arrive in the order
they were owed, each once, whatever the retries. Registered from
ClubsConfig.ready.

render() runs before every attempt: it refuses a webhook that is off or whose
address is now refused, fixes the body at the first attempt and signs it
afresh each time; attempted() writes the delivery log and counts failures.
"""

import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import F
from django.utils import timezone

from ..activity.services import activity_record
from ..chat import secrets
from ..limits import clip
from ..outbox import kinds
from ..outbox.channels import HttpPost, Refused
from ..outbox.models import OutboxMessage
from . import addresses, payloads, signing
from .models import Webhook, WebhookAttempt, WebhookDelivery

log = logging.getLogger(__name__)

KIND = "clubs.webhook"


class WebhookKind(kinds.MessageKind):
    name = KIND
    label = "Webhook delivery"
    channel = "http"
    queued = True
    subject_type = "webhook"

    def prepare(self, batch: list[OutboxMessage], memo: dict):
        return WebhookDelivery.objects.select_related("webhook", "event", "webhook__club").in_bulk(
            {m.subject_id for m in batch}
        )

    def message_id(self, message: OutboxMessage, context) -> str:
        delivery = context.get(message.subject_id)
        return str(delivery.delivery_id) if delivery else super().message_id(message, context)

    def render(self, message: OutboxMessage, context) -> HttpPost | None:
        delivery = context.get(message.subject_id)
        if delivery is None:
            return None  # the webhook (or the club) was removed: nothing to deliver to
        webhook = Webhook.objects.get(pk=delivery.webhook_id)  # fresh: turned off a moment ago?
        if not webhook.enabled:
            raise Refused(f"Not delivered: the webhook is off ({webhook.disabled_reason}).")
        url = secrets.unseal(webhook.url_sealed, purpose=signing.URL_PURPOSE)
        secret = secrets.unseal(webhook.secret_sealed, purpose=signing.PURPOSE)
        if url is None or secret is None:
            raise Refused(
                "Not delivered: the webhook's URL or secret cannot be read since the site's "
                "secret key changed; enter the URL again and rotate the secret."
            )
        try:
            addresses.check_destination(url)
        except ValidationError as refused:
            words = f"Not delivered: {' '.join(refused.messages)}"
            self._log(delivery, WebhookAttempt.Outcome.FAILED, error=words)
            self._count_failure(webhook, message, words)
            raise Refused(words) from refused
        if not delivery.body:
            delivery.body = payloads.body_of(
                delivery_id=str(delivery.delivery_id), event=delivery.event, club=webhook.club
            )
            WebhookDelivery.objects.filter(pk=delivery.pk).update(body=delivery.body)
        body = delivery.body.encode()
        return HttpPost(
            url=url,
            body=body,
            name=webhook.name,
            headers=signing.headers(secret=secret, event=delivery.event.event, body=body),
            delivery_header=signing.DELIVERY_HEADER,
            timeout=settings.WEBHOOK_TIMEOUT_SECONDS,
        )

    def attempted(self, message: OutboxMessage, sent, *, outcome: str, error: str = "") -> None:
        if not isinstance(sent, HttpPost) or message.subject_id is None:
            return
        delivery = WebhookDelivery.objects.filter(pk=message.subject_id).first()
        if delivery is None:
            return
        self._log(
            delivery, outcome, error=error, status_code=sent.status, response_ms=sent.elapsed_ms
        )
        webhook = Webhook.objects.filter(pk=delivery.webhook_id).first()
        if webhook is None:
            return
        if outcome == WebhookAttempt.Outcome.SENT:
            Webhook.objects.filter(pk=webhook.pk).update(failures_in_a_row=0)
        elif outcome == WebhookAttempt.Outcome.FAILED:
            self._count_failure(webhook, message, error)

    @staticmethod
    def _log(delivery: WebhookDelivery, outcome: str, **fields) -> None:
        fields["error"] = clip(fields.get("error") or "", 1000)
        WebhookAttempt.objects.create(delivery=delivery, outcome=outcome, **fields)

    @staticmethod
    def _count_failure(webhook: Webhook, message: OutboxMessage, error: str) -> None:
        """One more delivery failed for good; at the limit, turn the webhook off."""
        Webhook.objects.filter(pk=webhook.pk).update(failures_in_a_row=F("failures_in_a_row") + 1)
        limit = settings.WEBHOOK_DISABLE_AFTER_FAILURES
        reason = (
            f"{limit} deliveries in a row failed, the last on "
            f"{timezone.now():%d %b %Y at %H:%M} UTC: {error}"
        )
        turned_off = Webhook.objects.filter(
            pk=webhook.pk, enabled=True, failures_in_a_row__gte=limit
        ).update(enabled=False, disabled_reason=clip(reason, 400), disabled_at=timezone.now())
        if turned_off:
            log.warning(
                "webhooks: %s of club %s turned off after %d failed deliveries: %s",
                message.recipient_key,
                webhook.club_id,
                limit,
                error,
            )
            activity_record(
                club=webhook.club_id,
                actor=None,
                kind="webhooks.disabled",
                summary=clip(
                    f"turned off the webhook “{webhook.name}” after {limit} failed "
                    f"deliveries in a row",
                    500,
                ),
            )


def register_kinds() -> None:
    kinds.register(WebhookKind())
