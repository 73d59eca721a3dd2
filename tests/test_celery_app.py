"""A task that fails is logged with its name, id, arguments and exception.

`apply(throw=False)` runs a task in this process the way a worker does (the
failure is recorded, not raised into the caller), so the signal fires.
"""

import logging
import time

import pytest

from paperclub.celery_app import ARGUMENTS_MAX_CHARS, app
from tests.celery_worker import running_worker


class Broken(Exception):
    pass


@app.task(name="tests.always_fails", acks_late=False)
def always_fails(*args, **kwargs) -> None:
    raise Broken(f"broken on {args[0]}")


def _failures(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "paperclub.celery_app"]


def test_failed_task_is_logged_with_its_arguments_and_exception(caplog):
    caplog.set_level(logging.ERROR, logger="paperclub.celery_app")

    result = always_fails.apply(
        args=[7, [1, 2]], kwargs={"club_id": 3}, task_id="task-1", throw=False
    )

    assert result.failed()
    [record] = _failures(caplog)
    assert record.levelno == logging.ERROR
    assert record.getMessage() == (
        "task tests.always_fails[task-1] failed: Broken('broken on 7'); "
        "args=[7, [1, 2]] kwargs={'club_id': 3}"
    )
    assert (record.task_name, record.task_id) == ("tests.always_fails", "task-1")
    # The traceback comes along, pointing at the line that raised.
    assert record.exc_info[0] is Broken
    assert record.exc_info[2].tb_frame is not None
    assert 'raise Broken(f"broken on {args[0]}")' in caplog.text


def test_failed_task_with_long_arguments_logs_their_start_and_length(caplog):
    caplog.set_level(logging.ERROR, logger="paperclub.celery_app")
    ids = list(range(1000))

    always_fails.apply(args=[ids], task_id="task-2", throw=False)

    [record] = _failures(caplog)
    args_part = record.getMessage().split("args=", 1)[1].split(" kwargs=")[0]
    assert args_part == f"{repr([ids])[:ARGUMENTS_MAX_CHARS]}… ({len(repr([ids]))} characters)"


def test_task_that_succeeds_logs_no_failure(caplog):
    caplog.set_level(logging.ERROR, logger="paperclub.celery_app")

    @app.task(name="tests.succeeds")
    def succeeds(x: int) -> int:
        return x + 1

    assert succeeds.apply(args=[1]).get() == 2
    assert _failures(caplog) == []


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.mark.redis
def test_real_worker_logs_a_failed_task():
    # On the logger itself: the worker takes over the root logger's handlers
    # (caplog's among them) when it starts.
    records = _Records()
    logger = logging.getLogger("paperclub.celery_app")
    logger.addHandler(records)
    try:
        with running_worker():
            result = always_fails.delay("in the worker", paper_ids=[4, 5])
            deadline = time.monotonic() + 30
            while not records.records and time.monotonic() < deadline:
                time.sleep(0.1)
    finally:
        logger.removeHandler(records)

    [record] = records.records
    assert record.getMessage() == (
        f"task tests.always_fails[{result.id}] failed: Broken('broken on in the worker'); "
        "args=['in the worker'] kwargs={'paper_ids': [4, 5]}"
    )
    assert record.exc_info[0] is Broken
