"""Writing what is owed, in the caller's transaction, and ringing the doorbell.

Call these inside the transaction that makes the change (a service's
@transaction.atomic): the rows commit with the change or not at all, and the
doorbell (a Celery task) rings only after commit. A doorbell that is lost (the
broker is down or full, Redis restarted, a worker died) only delays the mail
until the sweeper's next run.
"""

import logging
from collections.abc import Iterable

from celery import current_app
from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.db import transaction
from django.utils import timezone

from . import kinds
from .errors import OutboxError
from .models import OutboxFanOut, OutboxMessage

log = logging.getLogger(__name__)

State = OutboxMessage.State
PUBLISH_RETRY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}


def outbox_enqueue(
    *,
    kind: str,
    topic: str,
    recipients: Iterable[kinds.Recipient],
    sequence: int = 0,
    club=None,
    subject_id: int | None = None,
    payload: dict | None = None,
) -> int:
    """Owe one message of `kind` to each recipient (a few; for a whole club use
    outbox_fan_out). Returns how many rows are new: one already owed for the same
    topic, recipient and sequence is not owed twice."""
    spec = kinds.get(kind)
    rows = [
        OutboxMessage(
            kind=kind,
            channel=spec.channel,
            club=club,
            subject_type=spec.subject_type,
            subject_id=subject_id,
            topic=topic,
            sequence=sequence,
            recipient_id=recipient.user_id,
            recipient_key=recipient.key,
            address=recipient.address,
            payload=payload or {},
            queued=spec.queued,
        )
        for recipient in kinds.first_of_each(recipients)
    ]
    if not rows:
        return 0
    before = OutboxMessage.objects.filter(
        topic=topic, sequence=sequence, recipient_key__in=[r.recipient_key for r in rows]
    ).count()
    OutboxMessage.objects.bulk_create(rows, ignore_conflicts=True)
    ring_drain()
    return len(rows) - before


def outbox_fan_out(
    *,
    kind: str,
    topic: str,
    sequence: int = 0,
    club=None,
    subject_id: int | None = None,
    payload: dict | None = None,
) -> None:
    """Owe one message of `kind` to its audience (kind.audience), listed later by
    a worker: one row now, however many people it reaches."""
    outbox_fan_outs(
        [
            {
                "kind": kind,
                "topic": topic,
                "sequence": sequence,
                "club_id": club.pk if club is not None else None,
                "subject_id": subject_id,
                "payload": payload,
            }
        ]
    )


def outbox_fan_outs(items: list[dict]) -> int:
    """outbox_fan_out for several at once, with one insert: dicts with its
    arguments (`club_id` for the club). Returns how many were new."""
    rows = [
        OutboxFanOut(
            kind=item["kind"],
            topic=item["topic"],
            sequence=item.get("sequence", 0),
            club_id=item.get("club_id"),
            subject_id=item.get("subject_id"),
            subject_type=kinds.get(item["kind"]).subject_type,
            payload=item.get("payload") or {},
        )
        for item in items
    ]
    if not rows:
        return 0
    owed = {(row.topic, row.sequence) for row in rows}
    known = set(
        OutboxFanOut.objects.filter(topic__in={t for t, _ in owed}).values_list("topic", "sequence")
    )
    new = [row for row in rows if (row.topic, row.sequence) not in known]
    if new:
        OutboxFanOut.objects.bulk_create(new, ignore_conflicts=True)
        ring_expand()
    return len(new)


@transaction.atomic
def outbox_resend(
    *, message: OutboxMessage, by: User | AnonymousUser | None = None
) -> OutboxMessage:
    """Try a failed message again from the start (an organizer's "resend").

    It is built afresh from its subject as it is now; if a newer message of the
    same stream exists, that one is what counts and this one is superseded."""
    message = OutboxMessage.objects.select_for_update().get(pk=message.pk)
    if message.state != State.FAILED:
        raise OutboxError("Only a message that failed can be sent again.")
    message.state = State.PENDING
    message.attempts = 0
    message.due_at = timezone.now()
    message.error = f"Sent again by {by.email}." if isinstance(by, User) else "Sent again."
    message.save(update_fields=["state", "attempts", "due_at", "error"])
    ring_drain()
    return message


@transaction.atomic
def outbox_redeliver(*, message: OutboxMessage, note: str = "") -> OutboxMessage:
    """Send a queued HTTP message once more, sent or failed: the same row, so
    the same delivery id (its Message-ID), a new attempt now (a receiver that
    lost it asks for it again; an organizer's "redeliver"). Superseding does
    not apply: a queued stream is a queue, and the rows behind it wait their
    turn as usual."""
    message = OutboxMessage.objects.select_for_update().get(pk=message.pk)
    if not message.queued or message.channel != "http":
        raise OutboxError("Only a webhook's delivery can be delivered again.")
    if message.state not in (State.SENT, State.FAILED):
        raise OutboxError("This delivery is still on its way; wait for its outcome first.")
    message.state = State.PENDING
    message.attempts = 0
    message.due_at = timezone.now()
    message.error = note or "Delivered again."
    message.save(update_fields=["state", "attempts", "due_at", "error"])
    ring_drain(senders=1)
    return message


# --- Doorbells -----------------------------------------------------------------------


def ring_drain(*, countdown: float | None = None, senders: int | None = None) -> None:
    """After commit: ask the workers to send what is due (several at once)."""
    from . import tasks  # noqa: PLC0415 - the tasks module imports this one

    count = settings.OUTBOX_SENDERS if senders is None else senders

    def ring() -> None:
        for _ in range(count if not _eager() else 1):
            _publish(tasks.drain, countdown=countdown)

    transaction.on_commit(ring, robust=not _eager())


def ring_expand() -> None:
    from . import tasks  # noqa: PLC0415 - the tasks module imports this one

    transaction.on_commit(lambda: _publish(tasks.expand), robust=not _eager())


def _eager() -> bool:
    return bool(current_app.conf.task_always_eager)


def _publish(task, *, countdown: float | None = None) -> None:
    if _eager():
        # In-process (the embedded mode, unit tests): run it now; errors show.
        task.apply()
        return
    # Never let a broker problem undo or fail the change that owes the mail:
    # the row is written, and the sweeper finds it within a minute.
    try:
        # A retry or two at once: after Redis restarts, the first publish on an
        # old pooled connection fails, and a new connection works.
        task.apply_async(countdown=countdown, retry=True, retry_policy=PUBLISH_RETRY)
    except Exception:  # the broker's own errors (kombu, redis, OSError), whatever they are
        log.warning("could not ring %s; the sweeper will", task.name, exc_info=True)
