"""The outbox's Celery tasks: doorbells, not the record.

Each takes no arguments and asks the database what to do, so a task that runs
twice, late, or never changes nothing but the delay (the sweeper rings again).

acks_late + reject_on_worker_lost on the two that send: a task whose worker
process is killed goes back to the queue at once, and the new run (same task
id) takes back the rows it had claimed. A whole worker killed leaves its
message unacknowledged in Redis until the visibility timeout; nothing waits
for that, since the sweeper re-drives the rows after their lease lapses.
"""

import logging

from celery import shared_task
from celery.signals import worker_ready

from .expanding import outbox_expand
from .sending import outbox_drain
from .services import PUBLISH_RETRY, ring_drain, ring_expand
from .sweeper import outbox_sweep


def _owner(task) -> str:
    return f"task:{task.request.id}" if task.request.id else ""


@shared_task(
    name="outbox.expand",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=240,
    time_limit=300,
)
def expand(self) -> int:
    done = outbox_expand(owner=_owner(self) or None)
    if done >= 100:
        ring_expand()  # more than one run's worth: carry on in a fresh task
    return done


@shared_task(
    name="outbox.drain",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=240,
    time_limit=300,
)
def drain(self) -> int:
    result = outbox_drain(owner=_owner(self) or None)
    if result.retry_in is not None:
        # The channel is down: one doorbell for when it may be back (a few
        # minutes at most, well inside the visibility timeout; the sweeper
        # covers a lost one).
        ring_drain(countdown=result.retry_in, senders=1)
    elif result.out_of_time:
        ring_drain(senders=1)  # more is due: a fresh task carries on
    if result.wake_in is not None and result.retry_in is None:
        # A row was deferred alone (a 429's retry_after, a 5xx): ring when it
        # is due, rather than at the sweeper's next round.
        ring_drain(countdown=result.wake_in, senders=1)
    return result.sent


@shared_task(name="outbox.sweep", soft_time_limit=50, time_limit=60)
def sweep() -> dict:
    result = outbox_sweep()
    return {"released": result.released, "fan_outs": result.fan_outs, "due": result.due}


__all__ = ["drain", "expand", "sweep"]


@worker_ready.connect
def _ask_for_what_is_owed(sender=None, **kwargs) -> None:
    """A worker that starts (after a crash, say) asks for a sweep at once, so rows
    nobody claimed go out now rather than at the next beat; rows a dead worker
    still holds wait for their lease to lapse."""
    try:
        sweep.apply_async(retry=True, retry_policy=PUBLISH_RETRY)
    except Exception:  # a worker must start even if this fails
        logging.getLogger(__name__).warning("could not ask for a sweep", exc_info=True)
