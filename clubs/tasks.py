"""clubs' Celery tasks: the outbox's (outbox.expand, outbox.drain, outbox.sweep),
which send club invitations and account mail as well as the apps' above."""

from .outbox import tasks as outbox_tasks  # noqa: F401
