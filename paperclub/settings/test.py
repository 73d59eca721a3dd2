"""Settings for the test suite.

The suite runs on PostgreSQL (TEST_DATABASE_URL, default the local server CI
has). Without a reachable server it falls back to SQLite and the tests marked
`postgres` skip, unless REQUIRE_SERVICES=1, which turns that into a failure.
"""

import os
import socket
import tempfile
from urllib.parse import urlsplit

os.environ.setdefault("SECRET_KEY", "test-only-secret-key")
os.environ.setdefault("DEBUG", "0")

from .base import *  # noqa: F403
from .base import BASE_DIR, env

TEST_DATABASE_URL = env.str(
    "TEST_DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/paperclub"
)


def _reachable(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 5432), 0.5):
            return True
    except OSError:
        return False


REQUIRE_SERVICES = env.bool("REQUIRE_SERVICES", default=False)
TESTS_ON_POSTGRES = REQUIRE_SERVICES or _reachable(TEST_DATABASE_URL)
if TESTS_ON_POSTGRES:
    DATABASES = {"default": env.db_url_config(TEST_DATABASE_URL)}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {"pool": {"min_size": 1, "max_size": 30, "timeout": 10}}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": ":memory:",
            "OPTIONS": {"transaction_mode": "IMMEDIATE"},  # as in base.py
        }
    }

DEBUG = False
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
ALLOWED_HOSTS = ["*"]
SITE_URL = "http://testserver"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_RATE_LIMITS = False  # type: ignore[assignment]  # allauth: False turns them off
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
CELERY_BROKER_URL = "memory://localhost/"
CELERY_TASK_ALWAYS_EAGER = True
# The suite's webhook receivers listen on loopback (tests/webhook_receiver.py);
# tests of the refusal turn this off.
WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = tempfile.mkdtemp(prefix="paperclub-test-media-")
STATIC_ROOT = tempfile.mkdtemp(prefix="paperclub-test-static-")
CELERY_BEAT_SCHEDULE_FILENAME = str(BASE_DIR / "var" / "test-celerybeat-schedule")
# Nothing in the suite may reach the real arXiv: by default its URLs point at a
# closed local port; tests that need answers start a local fake arXiv.
ARXIV_API_URL = "http://127.0.0.1:9/api/query"
ARXIV_PDF_URL = "http://127.0.0.1:9/pdf"
ARXIV_MIN_INTERVAL_SECONDS = 0
