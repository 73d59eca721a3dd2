"""Which outside services the tests can reach, and what to do when one is missing.

A test that needs PostgreSQL, Redis or Chromium skips with the reason when the
service is absent, and fails instead when REQUIRE_SERVICES=1 (CI sets it).
"""

import os
import shutil
import socket
from urllib.parse import urlsplit

import pytest
from django.conf import settings

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"


def redis_for_this_worker(url: str) -> str:
    """Under pytest-xdist (`-n 2`, as scripts/test runs the suite) each worker
    gets a Redis database of its own, the next numbers after TEST_REDIS_URL's
    (wrapping at 16, Redis's default count), as pytest-django gives each worker
    a test database of its own: the tests that empty their Redis database or
    run a real worker on it must not see the other worker's keys."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw"):
        return url
    parts = urlsplit(url)
    db = int(parts.path.lstrip("/") or 0)
    return parts._replace(path=f"/{(db + int(worker[2:])) % 16}").geturl()


REDIS_TEST_URL = redis_for_this_worker(
    os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
)
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), 0.5):
            return True
    except OSError:
        return False


def missing(reason: str) -> None:
    """Skip the test, or fail it when services are required."""
    if REQUIRE_SERVICES:
        pytest.fail(f"REQUIRE_SERVICES=1 but {reason}", pytrace=False)
    pytest.skip(reason)


def need_postgres() -> None:
    if not settings.TESTS_ON_POSTGRES:
        missing("PostgreSQL is not reachable at TEST_DATABASE_URL; the suite runs on SQLite")


def need_redis() -> str:
    parts = urlsplit(REDIS_TEST_URL)
    if not _port_open(parts.hostname or "127.0.0.1", parts.port or 6379):
        missing(f"Redis is not reachable at {REDIS_TEST_URL}")
    return REDIS_TEST_URL


def need_chromium() -> str:
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        missing(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    try:
        import playwright  # noqa: F401, PLC0415 - checking whether it is installed
    except ImportError:
        missing("the playwright package is not installed")
    return CHROMIUM
