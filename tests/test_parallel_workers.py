"""The suite runs on two pytest-xdist workers (scripts/test): each must get a
Redis database of its own, as pytest-django gives each its own test database."""

import pytest

from tests.services import redis_for_this_worker


@pytest.mark.parametrize(
    ("worker", "expected"),
    [
        ("", "redis://127.0.0.1:6379/15"),
        ("gw0", "redis://127.0.0.1:6379/15"),
        ("gw1", "redis://127.0.0.1:6379/0"),
        ("gw3", "redis://127.0.0.1:6379/2"),
    ],
)
def test_each_worker_has_its_own_redis_database(monkeypatch, worker, expected):
    monkeypatch.setenv("PYTEST_XDIST_WORKER", worker)
    assert redis_for_this_worker("redis://127.0.0.1:6379/15") == expected


def test_two_workers_never_share_a_redis_database(monkeypatch):
    seen = set()
    for worker in ("gw0", "gw1"):
        monkeypatch.setenv("PYTEST_XDIST_WORKER", worker)
        seen.add(redis_for_this_worker("redis://127.0.0.1:6379/9"))
    assert seen == {"redis://127.0.0.1:6379/9", "redis://127.0.0.1:6379/10"}
