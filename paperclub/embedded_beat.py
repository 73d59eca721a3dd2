"""The beat schedule, run in-process for the embedded mode (`./scripts/serve`).

With no broker (CELERY_TASK_ALWAYS_EAGER) there is no worker and no `celery
beat`, yet the demo still needs its periodic jobs: reminders (printed to the
terminal by the console mail backend), the rolling horizon of weeks, weeks
closed when they are over, the stale-fetch and outbox sweepers. This runs
every entry of CELERY_BEAT_SCHEDULE in one daemon thread of the serving
process: each at start, then whenever its schedule says it is due.

Why a thread in the server and not `celery beat`: beat only publishes
messages, and with eager tasks there is nobody to consume them (the in-memory
broker is per process). Why not a second process from scripts/serve: one
process is one thing to start, stop and reload, and the thread shares the
server's settings and console. The `serve` command starts it from
`inner_run`, which under the autoreloader runs only in the child process that
serves (the watching parent never calls it), so exactly one scheduler runs; a
code reload restarts it with the child, and every job is idempotent.
"""

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from celery.schedules import maybe_schedule
from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

from paperclub.celery_app import app

log = logging.getLogger(__name__)

# Never sleep longer than this, so a job due sooner than planned (a clock
# jump) waits at most this long.
LONGEST_NAP_SECONDS = 30.0


@dataclass
class Entry:
    name: str
    task: str
    schedule: Any  # a celery schedule: is_due(last_run_at) -> (due, seconds to next check)
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    last_run_at: datetime | None = None


def entries_from_settings() -> list[Entry]:
    return [
        Entry(
            name=name,
            task=spec["task"],
            schedule=maybe_schedule(spec["schedule"]),
            args=tuple(spec.get("args", ())),
            kwargs=dict(spec.get("kwargs", {})),
        )
        for name, spec in settings.CELERY_BEAT_SCHEDULE.items()
    ]


def run_entry(entry: Entry) -> None:
    """Run one job here and now; a failing job is logged, never stops the others."""
    entry.last_run_at = timezone.now()
    try:
        app.tasks[entry.task].apply(args=entry.args, kwargs=entry.kwargs, throw=True)
    except Exception:
        log.exception("periodic job %s (%s) failed", entry.name, entry.task)
    finally:
        close_old_connections()


def tick(entries: list[Entry]) -> float:
    """Run every entry that is due; return how long to wait before the next look."""
    nap = LONGEST_NAP_SECONDS
    for entry in entries:
        if entry.last_run_at is None:
            run_entry(entry)
            due, next_check = False, entry.schedule.is_due(entry.last_run_at)[1]
        else:
            due, next_check = entry.schedule.is_due(entry.last_run_at)
        if due:
            run_entry(entry)
            next_check = entry.schedule.is_due(entry.last_run_at)[1]
        nap = min(nap, max(1.0, float(next_check)))
    return nap


class EmbeddedBeat(threading.Thread):
    def __init__(self, entries: list[Entry] | None = None):
        super().__init__(name="embedded-beat", daemon=True)
        self.entries = entries if entries is not None else entries_from_settings()
        self.stopping = threading.Event()

    def run(self) -> None:
        app.loader.import_default_modules()  # the apps' tasks.py (autodiscovery is lazy)
        # One "Task ... succeeded" line per job run (the arXiv sweep runs every
        # 20 s) would bury the mail printed here; failures are still logged.
        logging.getLogger("celery.app.trace").setLevel(logging.WARNING)
        # The server finishes starting before the first jobs run.
        time.sleep(1.0)
        while not self.stopping.is_set():
            nap = tick(self.entries)
            self.stopping.wait(nap)

    def stop(self) -> None:
        self.stopping.set()


_started: EmbeddedBeat | None = None
_lock = threading.Lock()


def start_once() -> EmbeddedBeat | None:
    """Start the scheduler in this process, once; None when a broker is set
    (then `celery beat` and a worker do this work)."""
    global _started
    if not settings.CELERY_TASK_ALWAYS_EAGER:
        return None
    with _lock:
        if _started is None:
            _started = EmbeddedBeat()
            _started.start()
    return _started
