"""The webhook tables. See clubs/webhooks/__init__.py."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from ..limits import bounded_text, text_length_check
from .events import Event

BODY_MAX = 100_000
ERROR_MAX = 1_000


class Webhook(models.Model):
    club = models.ForeignKey("clubs.Club", on_delete=models.CASCADE, related_name="webhooks")
    # What organizers call it ("Club website"): shown, never secret.
    name = models.CharField(max_length=80)
    # The URL (at most 500 characters) and the signing secret, both sealed
    # with Fernet (clubs/chat/secrets.py, each under its own purpose): a URL
    # may carry a token, and the secret signs for the club.
    url_sealed = models.CharField(max_length=1000)
    url_masked = models.CharField(max_length=200)
    secret_sealed = models.CharField(max_length=400)
    events = models.JSONField(default=list, blank=True)
    enabled = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=400, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    # Deliveries that failed for good one after another; a sent one resets it.
    failures_in_a_row = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    secret_rotated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"Webhook {self.name!r} of club {self.club_id}"

    @property
    def outbox_ref(self) -> str:
        return f"webhook:{self.pk}"


class WebhookEvent(models.Model):
    """One thing that happened (a week scheduled), owed to each webhook of the
    club that listens for it (a WebhookDelivery each)."""

    club = models.ForeignKey("clubs.Club", on_delete=models.CASCADE, related_name="+")
    event = models.CharField(max_length=40, choices=Event.choices)
    # What makes it once: "scheduled:<session>:<facilitator>:<papers>", ….
    key = models.CharField(max_length=160)
    subject_type = models.CharField(max_length=20)
    subject_id = models.BigIntegerField(null=True, blank=True)
    occurred_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["club", "key"], name="webhook_event_once")]

    def __str__(self) -> str:
        return f"{self.event} ({self.key}) in club {self.club_id}"


class WebhookDelivery(models.Model):
    """One event owed to one webhook: an outbox row (topic and recipient
    "webhook:<webhook>", sequence this row's id). Its delivery id is the same
    at every attempt and on redelivery, so receivers drop duplicates; its body
    is fixed at the first attempt, so every attempt says the same."""

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="deliveries")
    delivery_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # The JSON body (a subject's API shape: a paper's abstract and pitch at most).
    body = bounded_text(BODY_MAX, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["webhook", "event"], name="webhook_delivery_once"),
            text_length_check("body", BODY_MAX, name="webhook_delivery_body_length"),
        ]
        indexes = [models.Index(fields=["webhook", "-created_at"], name="webhook_delivery_recent")]

    def __str__(self) -> str:
        return f"Delivery {self.delivery_id} of {self.event_id} to webhook {self.webhook_id}"


class WebhookAttempt(models.Model):
    """The delivery log: one row per attempt, what the receiver answered."""

    class Outcome(models.TextChoices):
        SENT = "sent", "Delivered"
        RETRYING = "retrying", "Failed, will retry"
        FAILED = "failed", "Failed"

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempts")
    at = models.DateTimeField(default=timezone.now)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_ms = models.PositiveIntegerField(null=True, blank=True)
    error = bounded_text(ERROR_MAX, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome__in=["sent", "retrying", "failed"]),
                name="webhook_attempt_outcome_valid",
            ),
            text_length_check("error", ERROR_MAX, name="webhook_attempt_error_length"),
        ]

    def __str__(self) -> str:
        return f"Attempt at {self.delivery_id}: {self.outcome}"
