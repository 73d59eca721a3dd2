"""Expanding fan-outs: a worker lists a fan-out's audience and writes one
OutboxMessage per recipient, a thousand at a time, then rings the senders.

Idempotent: rows are inserted with ON CONFLICT DO NOTHING on (topic, recipient,
sequence), so an expansion that died half-way and is run again by the sweeper
adds only what is missing. A fan-out is superseded, not expanded, once a newer
one of the same topic exists or its kind says its subject moved on; sending
starts after the first thousand, while the rest are still being listed.
"""

import logging
from datetime import timedelta
from itertools import islice

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from . import kinds
from .models import OutboxFanOut, OutboxMessage
from .sending import new_owner
from .services import ring_drain

log = logging.getLogger(__name__)

EXPAND_BATCH = 1000


def _claim_fan_out(*, owner: str) -> OutboxFanOut | None:
    now = timezone.now()
    with transaction.atomic():
        fan_out = (
            OutboxFanOut.objects.filter(state=OutboxFanOut.State.PENDING)
            .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
            .select_for_update(skip_locked=True)
            .order_by("created_at", "pk")
            .first()
        )
        if fan_out is None:
            return None
        fan_out.lease_owner = owner
        fan_out.lease_until = now + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
        fan_out.save(update_fields=["lease_owner", "lease_until"])
    return fan_out


def _renew(fan_out: OutboxFanOut, owner: str) -> None:
    OutboxFanOut.objects.filter(pk=fan_out.pk, lease_owner=owner).update(
        lease_until=timezone.now() + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
    )


def _newer_exists(fan_out: OutboxFanOut) -> bool:
    return OutboxFanOut.objects.filter(topic=fan_out.topic, sequence__gt=fan_out.sequence).exists()


def _finish(fan_out: OutboxFanOut, owner: str, state: str, recipients: int) -> None:
    OutboxFanOut.objects.filter(pk=fan_out.pk, lease_owner=owner).update(
        state=state,
        recipients=recipients,
        finished_at=timezone.now(),
        lease_owner="",
        lease_until=None,
    )


def expand_one(fan_out: OutboxFanOut, *, owner: str) -> int:
    """Write the fan-out's rows; returns how many recipients it listed."""
    try:
        kind = kinds.get(fan_out.kind)
    except KeyError:
        log.error("outbox: no kind %r for fan-out %s; left pending", fan_out.kind, fan_out.pk)
        return 0
    listed = 0
    audience = iter(kind.audience(fan_out)) if kind.fan_out_current(fan_out) else iter(())
    while True:
        if _newer_exists(fan_out) or not kind.fan_out_current(fan_out):
            _finish(fan_out, owner, OutboxFanOut.State.SUPERSEDED, listed)
            return listed
        chunk = list(islice(audience, EXPAND_BATCH))
        if not chunk:
            break
        rows = [
            OutboxMessage(
                kind=fan_out.kind,
                channel=kind.channel,
                club_id=fan_out.club_id,
                subject_type=fan_out.subject_type,
                subject_id=fan_out.subject_id,
                topic=fan_out.topic,
                sequence=fan_out.sequence if recipient.sequence is None else recipient.sequence,
                recipient_id=recipient.user_id,
                recipient_key=recipient.key,
                address=recipient.address,
                payload=fan_out.payload,
                queued=kind.queued,
                fan_out_id=fan_out.pk,
            )
            for recipient in kinds.first_of_each(chunk)
        ]
        with transaction.atomic():
            OutboxMessage.objects.bulk_create(rows, ignore_conflicts=True)
            ring_drain()  # after this commit: sending starts while we list the rest
        listed += len(rows)
        _renew(fan_out, owner)
    _finish(fan_out, owner, OutboxFanOut.State.DONE, listed)
    return listed


def outbox_expand(*, owner: str | None = None, limit: int = 100) -> int:
    """Expand pending fan-outs (oldest first) until none is left; returns how many."""
    owner = owner or new_owner()
    done = 0
    while done < limit:
        fan_out = _claim_fan_out(owner=owner)
        if fan_out is None:
            break
        expand_one(fan_out, owner=owner)
        done += 1
    return done
