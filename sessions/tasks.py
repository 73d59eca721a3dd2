"""Celery tasks for sessions: thin wrappers over the subjects' services.

The task names ("sessions.*") are what beat schedules and queue routes use
(paperclub/settings/base.py); they stay the same whatever module holds the code.
"""

import random

from celery import shared_task

from .mail import invites, reminders, sending
from .rota import planning, weeks


@shared_task(name="sessions.plan_all")
def plan_all() -> int:
    return planning.sessions_plan_all()


@shared_task(name="sessions.close_finished")
def close_finished() -> int:
    return weeks.sessions_close_finished()


@shared_task(
    name="sessions.send_invites",
    bind=True,
    max_retries=6,
    soft_time_limit=600,
    time_limit=660,
)
def send_invites(self, session_id: int) -> None:
    try:
        invites.invites_send(session_id=session_id)
    except sending.FanOutBusy as busy:
        # Another fan-out for this session is running: go after it, in order.
        raise self.retry(countdown=5, max_retries=None) from busy
    except sending.TransientMailError as error:
        # In-process (the embedded mode) there is no later: record and stop.
        if self.request.is_eager or self.request.retries >= self.max_retries:
            sending.give_up(session_id=session_id, kind="invite", reason=str(error))
            sending.give_up(session_id=session_id, kind="cancel", reason=str(error))
            return
        raise self.retry(countdown=_backoff(self.request.retries)) from error


@shared_task(
    name="sessions.send_assignment",
    bind=True,
    max_retries=6,
    soft_time_limit=60,
    time_limit=90,
)
def send_assignment(self, session_id: int, user_id: int, sequence: int) -> None:
    """An organizer's assignment, told to the person assigned."""
    try:
        invites.assignment_send(session_id=session_id, user_id=user_id, sequence=sequence)
    except sending.FanOutBusy as busy:
        raise self.retry(countdown=5, max_retries=None) from busy
    except sending.TransientMailError as error:
        if self.request.is_eager or self.request.retries >= self.max_retries:
            sending.give_up(session_id=session_id, kind="assigned", reason=str(error))
            return
        raise self.retry(countdown=_backoff(self.request.retries)) from error


@shared_task(name="sessions.scan_reminders")
def scan_reminders() -> int:
    """Beat, every few minutes: enqueue the reminders that are due."""
    due = reminders.reminders_due()
    for session_id, kind in due:
        send_reminder.delay(session_id, kind)
    return len(due)


@shared_task(
    name="sessions.send_reminder",
    bind=True,
    max_retries=6,
    soft_time_limit=600,
    time_limit=660,
)
def send_reminder(self, session_id: int, kind: str) -> None:
    try:
        reminders.reminder_send(session_id=session_id, kind=kind)
    except sending.FanOutBusy as busy:
        raise self.retry(countdown=5, max_retries=None) from busy
    except sending.TransientMailError as error:
        if self.request.is_eager or self.request.retries >= self.max_retries:
            sending.give_up(session_id=session_id, kind=kind, reason=str(error))
            return
        raise self.retry(countdown=_backoff(self.request.retries)) from error


def _backoff(retries: int) -> float:
    """30 s, 60 s, 120 s… with jitter, capped at 30 minutes."""
    base = min(1800.0, 30.0 * (2**retries))
    return random.uniform(base / 2, base)
