"""Calls that start together in threads, each on its own database connection,
for the tests of what the database must keep right when people act at once."""

import threading
from collections.abc import Callable
from typing import Any

from django.db import connection


def run_at_once(
    work: Callable[[int], Any], threads: int
) -> tuple[list[tuple[int, Any]], list[BaseException]]:
    """Start `threads` calls of work(index) together (a barrier); return what the
    calls returned, as (index, result), and what they raised."""
    barrier = threading.Barrier(threads)
    results: list[tuple[int, Any]] = []
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            barrier.wait()
            results.append((index, work(index)))
        except BaseException as error:  # collected for the test to assert on
            errors.append(error)
        finally:
            connection.close()

    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    return results, errors
