"""Celery tasks for sessions: thin wrappers over the subjects' services.

The task names ("sessions.*") are what beat schedules and queue routes use
(paperclub/settings/base.py); they stay the same whatever module holds the code.
Mail is sent by the outbox's tasks (clubs/outbox/tasks.py): sessions only owes
it (sessions.calendars.changes, mail/reminders.py).
"""

from celery import shared_task

from .discussion import mail as discussion_mail
from .mail import reminders
from .rota import planning, weeks


@shared_task(name="sessions.plan_all")
def plan_all() -> int:
    return planning.sessions_plan_all()


@shared_task(name="sessions.close_finished")
def close_finished() -> int:
    return weeks.sessions_close_finished()


@shared_task(name="sessions.scan_reminders")
def scan_reminders() -> int:
    """Beat, every few minutes: owe the reminders that are due (once each)."""
    return reminders.reminders_enqueue()


@shared_task(name="sessions.discussion_digests")
def discussion_digests() -> int:
    """Beat: owe the daily discussion digests that are due (once each)."""
    return discussion_mail.digests_enqueue()
