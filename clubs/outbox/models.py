"""The outbox's tables: what is owed to whom (OutboxMessage), and fan-outs whose
recipients a worker has yet to list (OutboxFanOut). See clubs/outbox/__init__.py."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from ..limits import bounded_text
from .kinds import label

ERROR_MAX = 1_000


class OutboxFanOut(models.Model):
    """One message owed to an audience that a worker lists later.

    A change that owes a message to a whole club writes this one row in its own
    transaction (so an organizer's click costs one insert, not one per member);
    a worker expands it into OutboxMessage rows, idempotently."""

    class State(models.TextChoices):
        PENDING = "pending", "Waiting to be expanded"
        DONE = "done", "Expanded"
        SUPERSEDED = "superseded", "Replaced by a newer change"

    kind = models.CharField(max_length=40)
    club = models.ForeignKey(
        "clubs.Club", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    subject_type = models.CharField(max_length=30, blank=True)
    subject_id = models.BigIntegerField(null=True, blank=True)
    # The stream this message belongs to (say one session's calendar): for one
    # recipient, a newer sequence in a topic replaces every older unsent one.
    topic = models.CharField(max_length=100)
    sequence = models.PositiveIntegerField(default=0)
    payload = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    # A worker expanding it holds a lease; a lapsed lease lets the sweeper hand
    # it to another worker (expansion is idempotent).
    lease_owner = models.CharField(max_length=80, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    recipients = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["topic", "sequence"], name="outbox_fanout_once"),
            models.CheckConstraint(
                condition=Q(state__in=["pending", "done", "superseded"]),
                name="outbox_fanout_state_valid",
            ),
        ]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=Q(state="pending"),
                name="outbox_fanout_pending",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.sequence} of {self.topic}: {self.state}"


class OutboxMessage(models.Model):
    """One message owed to one recipient: the source of truth for whether it
    went out. The broker only rings the doorbell; this row says what is due."""

    class State(models.TextChoices):
        PENDING = "pending", "Waiting"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        SUPERSEDED = "superseded", "Replaced by a newer message"
        SKIPPED = "skipped", "Not needed"

    kind = models.CharField(max_length=40)
    channel = models.CharField(max_length=20, default="email")
    club = models.ForeignKey(
        "clubs.Club", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    subject_type = models.CharField(max_length=30, blank=True)
    subject_id = models.BigIntegerField(null=True, blank=True)
    topic = models.CharField(max_length=100)
    sequence = models.PositiveIntegerField(default=0)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    # Who, as the outbox tells recipients apart: "user:<id>", "email:<address>".
    recipient_key = models.CharField(max_length=340)
    address = models.CharField(
        max_length=320, help_text="Where it goes: an email address, or a webhook's name."
    )
    payload = models.JSONField(default=dict, blank=True)
    # Its kind's streams are queues (kinds.MessageKind.queued): sent in order of
    # sequence, none superseding another.
    queued = models.BooleanField(default=False)
    fan_out = models.ForeignKey(
        OutboxFanOut, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    due_at = models.DateTimeField(default=timezone.now)
    lease_owner = models.CharField(max_length=80, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    message_id = models.CharField(max_length=250, blank=True)
    # The app's own words or the server's answer, cut to fit where written.
    error = bounded_text(ERROR_MAX, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # Exactly once: one row per stream, recipient and sequence, so a
            # repeated fan-out, a retried task or a restarted beat adds nothing.
            models.UniqueConstraint(
                fields=["topic", "recipient_key", "sequence"], name="outbox_once"
            ),
            # In order: one message of a stream is on its way to a recipient at
            # a time, so an update or a cancellation never overtakes the invite.
            models.UniqueConstraint(
                fields=["topic", "recipient_key"],
                condition=Q(state="sending"),
                name="outbox_one_sending_per_stream",
            ),
            models.CheckConstraint(
                condition=Q(
                    state__in=["pending", "sending", "sent", "failed", "superseded", "skipped"]
                ),
                name="outbox_state_valid",
            ),
            models.CheckConstraint(
                condition=~Q(state="sending") | Q(lease_until__isnull=False),
                name="outbox_sending_has_lease",
            ),
        ]
        indexes = [
            models.Index(
                fields=["due_at", "id"], condition=Q(state="pending"), name="outbox_pending_due"
            ),
            models.Index(
                fields=["lease_until"], condition=Q(state="sending"), name="outbox_sending_lease"
            ),
            models.Index(fields=["club", "subject_type", "subject_id"], name="outbox_subject"),
            models.Index(fields=["topic", "sequence"], name="outbox_topic_sequence"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.sequence} of {self.topic} to {self.address}: {self.state}"

    @property
    def kind_label(self) -> str:
        return label(self.kind)
