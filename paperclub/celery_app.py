"""The Celery application, configured from Django settings (namespace CELERY)."""

import logging
import os
from types import TracebackType
from typing import Any

from celery import Celery, Task
from celery.signals import task_failure

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "paperclub.settings.base")

app = Celery("paperclub")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

log = logging.getLogger(__name__)

# A failed task's arguments go into the log line; tasks take ids, but a list of
# them can be long.
ARGUMENTS_MAX_CHARS = 1000


def _brief(value: object) -> str:
    text = repr(value)
    if len(text) <= ARGUMENTS_MAX_CHARS:
        return text
    return f"{text[:ARGUMENTS_MAX_CHARS]}… ({len(text)} characters)"


@task_failure.connect
def task_failure_log(
    sender: Task | None = None,
    task_id: str | None = None,
    exception: BaseException | None = None,
    args: tuple[Any, ...] | list[Any] | None = None,
    kwargs: dict[str, Any] | None = None,
    traceback: TracebackType | None = None,
    **_: Any,
) -> None:
    """Log every task that ended in an exception (not a retry: Celery logs
    those), with what it was called with, so the row it was working on can be
    found. Runs in the worker; in the embedded mode a failing task raises into
    the request that ran it (CELERY_TASK_EAGER_PROPAGATES), and Django logs that."""
    name = sender.name if sender is not None else "unknown task"
    exc_info = (type(exception), exception, traceback) if exception is not None else None
    log.error(
        "task %s[%s] failed: %r; args=%s kwargs=%s",
        name,
        task_id,
        exception,
        _brief(args),
        _brief(kwargs),
        exc_info=exc_info,
        extra={"task_name": name, "task_id": task_id},
    )
