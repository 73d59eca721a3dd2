"""A real Celery worker on real Redis, in this process, for integration tests."""

import contextlib
from collections.abc import Iterator

from celery.contrib.testing.worker import start_worker
from django.test import override_settings
from redis import Redis

from paperclub.celery_app import app
from tests.services import need_redis


@contextlib.contextmanager
def running_worker(**settings_overrides) -> Iterator[None]:
    """Point Celery at Redis (db 15, emptied first), run a solo worker on every queue."""
    url = need_redis()
    Redis.from_url(url).flushdb()
    saved = {key: app.conf[key] for key in ("broker_url", "task_always_eager")}
    app.conf.update(broker_url=url, task_always_eager=False)
    _forget_connections()
    try:
        with (
            override_settings(CELERY_TASK_ALWAYS_EAGER=False, **settings_overrides),
            start_worker(
                app,
                pool="solo",
                perform_ping_check=False,
                queues=["celery", "arxiv", "mail"],
                shutdown_timeout=10,
            ),
        ):
            yield
    finally:
        app.conf.update(saved)
        _forget_connections()


def _forget_connections() -> None:
    # Eager tasks still open a producer on the configured broker (memory://);
    # pools made for it would send this test's tasks into memory, not Redis.
    app._pool = None
    app.amqp._producer_pool = None


@contextlib.contextmanager
def sending_to(url: str) -> Iterator[None]:
    """Make .delay() in this process publish to the broker at `url`."""
    saved = {key: app.conf[key] for key in ("broker_url", "task_always_eager")}
    app.conf.update(broker_url=url, task_always_eager=False)
    _forget_connections()
    try:
        yield
    finally:
        app.conf.update(saved)
        _forget_connections()
