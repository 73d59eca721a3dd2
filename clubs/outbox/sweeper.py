"""The sweeper (beat, every OUTBOX_SWEEP_SECONDS): whatever happened to the
doorbells, it finds what is owed and rings again.

- rows "sending" whose lease lapsed (their worker died, or lost its database)
  become pending again, due now; after OUTBOX_MAX_ATTEMPTS they fail, visibly;
- fan-outs not expanded (a lost doorbell, or a worker that died listing them)
  are handed to a worker again;
- if anything is due, the senders are rung.

So a lost task, a killed worker, a full broker or a restarted Redis delays a
message by at most the lease plus one sweep, and never loses it.
"""

import logging
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from .models import OutboxFanOut, OutboxMessage
from .services import ring_drain, ring_expand

log = logging.getLogger(__name__)

State = OutboxMessage.State

LAPSED = "The worker sending this stopped before it finished (its lease lapsed); sent again."


@dataclass
class SweepResult:
    released: int = 0
    given_up: int = 0
    fan_outs: int = 0
    due: bool = False


def outbox_sweep(*, now: datetime | None = None) -> SweepResult:
    now = now or timezone.now()
    result = SweepResult()
    lapsed = OutboxMessage.objects.filter(state=State.SENDING, lease_until__lt=now)
    result.given_up = lapsed.filter(attempts__gte=settings.OUTBOX_MAX_ATTEMPTS).update(
        state=State.FAILED,
        lease_owner="",
        lease_until=None,
        error=f"Gave up after {settings.OUTBOX_MAX_ATTEMPTS} attempts: "
        "each time, the worker sending it stopped before it finished.",
    )
    result.released = lapsed.update(
        state=State.PENDING, lease_owner="", lease_until=None, due_at=now, error=LAPSED
    )
    # A lapsed lease means a worker died or lost its database mid-send: worth a
    # look when it keeps happening.
    if result.given_up:
        log.error(
            "outbox: %d messages failed after %d attempts whose workers each stopped mid-send",
            result.given_up,
            settings.OUTBOX_MAX_ATTEMPTS,
        )
    if result.released:
        log.warning(
            "outbox: %d messages whose sender's lease lapsed are due again", result.released
        )
    result.fan_outs = (
        OutboxFanOut.objects.filter(state=OutboxFanOut.State.PENDING)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .count()  # a handful at most
    )
    if result.fan_outs:
        ring_expand()
    result.due = OutboxMessage.objects.filter(state=State.PENDING, due_at__lte=now).exists()
    if result.due:
        ring_drain()
    return result
