"""Paper Club settings, read from the environment.

With nothing set, the app runs in its *embedded mode*: an SQLite file, Celery
tasks run in-process, mail printed to the console. Every variable is listed in
.env.example and the README.
"""

from pathlib import Path

import environ
from csp.constants import NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
# A .env file beside manage.py is read when present (never required).
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY and DEBUG:
    SECRET_KEY = "embedded-mode-insecure-key-never-use-in-production"  # noqa: S105
# Without DEBUG and without a key the settings still load, so offline commands
# that never sign anything (makemigrations --check, showmigrations) work on a
# bare checkout; the web server refuses to start (paperclub.startup, called by
# wsgi.py and asgi.py), and Django itself refuses any use of the empty key.

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
# What every mail, calendar and page calls the site (never its host and port).
SITE_NAME = env.str("SITE_NAME", default="Paper Club")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[SITE_URL])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "django_htmx",
    "csp",
    "clubs.apps.ClubsConfig",
    "papers.apps.PapersConfig",
    "sessions.apps.SessionsConfig",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "api.apps.ApiConfig",
]

# Social sign-in appears only when its keys are in the environment.
SOCIALACCOUNT_PROVIDERS: dict[str, dict] = {}
if env.str("GITHUB_CLIENT_ID", default=""):
    INSTALLED_APPS.append("allauth.socialaccount.providers.github")
    SOCIALACCOUNT_PROVIDERS["github"] = {
        "APPS": [
            {
                "client_id": env.str("GITHUB_CLIENT_ID"),
                "secret": env.str("GITHUB_CLIENT_SECRET"),
            }
        ],
        "SCOPE": ["user:email"],
    }
if env.str("GOOGLE_CLIENT_ID", default=""):
    INSTALLED_APPS.append("allauth.socialaccount.providers.google")
    SOCIALACCOUNT_PROVIDERS["google"] = {
        "APPS": [
            {
                "client_id": env.str("GOOGLE_CLIENT_ID"),
                "secret": env.str("GOOGLE_CLIENT_SECRET"),
            }
        ],
        "SCOPE": ["profile", "email"],
    }

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "clubs.middleware.ViewerTimeZoneMiddleware",
]

# Benchmarks only (bench/run): an X-Query-Count header on every response (first
# in the chain, so it counts every middleware's queries too) and a /bench/floor/
# page (paperclub/urls.py). Never set in production.
PAPERCLUB_BENCH = env.bool("PAPERCLUB_BENCH", default=False)
if PAPERCLUB_BENCH:
    MIDDLEWARE.insert(0, "paperclub.middleware.QueryCountHeaderMiddleware")

ROOT_URLCONF = "paperclub.urls"
WSGI_APPLICATION = "paperclub.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "clubs.context_processors.site",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's own psycopg 3 pool; it requires CONN_MAX_AGE = 0. The pool opens
    # lazily in each process, so it is safe under gunicorn and Celery prefork.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})
    if env.bool("DATABASE_POOL", default=True):
        DATABASES["default"]["OPTIONS"]["pool"] = {
            "min_size": env.int("DATABASE_POOL_MIN", default=1),
            "max_size": env.int("DATABASE_POOL_MAX", default=10),
            "timeout": 10,
        }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Every transaction takes SQLite's write lock as it begins, so two at once
    # queue (up to the timeout) rather than one failing halfway with "database
    # is locked"; SQLite has no row locks (select_for_update does nothing), and
    # a vote reads its nomination before it writes (papers.services).
    DATABASES["default"].setdefault("OPTIONS", {})["transaction_mode"] = "IMMEDIATE"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and Redis ----------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Celery -------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
# No broker configured: the embedded mode runs every task in-process.
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
if not CELERY_BROKER_URL:
    CELERY_BROKER_URL = "memory://localhost/"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=240)
# Work is acknowledged after it finishes, and a task whose worker process was
# killed goes back to the queue at once (reject_on_worker_lost): the outbox's
# senders then take back the rows they had claimed, under the same task id.
# Every task is idempotent (the database says what is due), so running one
# twice only costs time. A poison task that kills its process each time cannot
# loop for ever: each claim counts an attempt, and rows fail after
# OUTBOX_MAX_ATTEMPTS.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Redis delivers an unacknowledged task again after this long: a whole worker
# killed mid-task. Nothing waits for it (the outbox's sweeper re-drives rows
# within a lease plus a sweep), so it only has to be longer than any task runs
# (time limits: 5 minutes) and than any countdown (the outbox's retry doorbell,
# at most OUTBOX_BACKOFF_CAP_SECONDS): one hour.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
    # Extra kombu Redis options as JSON, e.g. {"unacked_restore_interval": 1}.
    **env.json("CELERY_BROKER_TRANSPORT_OPTIONS", default={}),
}
# --- The outbox (clubs/outbox/; README "Mail: what the outbox guarantees") -----
# A worker's claim on the rows it is sending lapses this long after it last
# renewed it. It renews every third of it, also while one SMTP exchange is slow,
# so only a dead (or cut-off) worker lets it lapse.
OUTBOX_LEASE_SECONDS = 30
# Beat runs the sweeper this often: rows with a lapsed lease, fan-outs nobody
# expanded and rows whose retry is due are rung again.
OUTBOX_SWEEP_SECONDS = 60
# How many senders a change rings (match the mail workers' total concurrency).
OUTBOX_SENDERS = env.int("OUTBOX_SENDERS", default=2)
OUTBOX_CLAIM_BATCH = 50  # rows a sender claims at a time
OUTBOX_DRAIN_SECONDS = 20  # a sender hands over to a fresh task after this long
# Transient failures (SMTP 4xx, timeouts, connection refused) retry after
# 30 s, 1, 2, 4… minutes with jitter, at most 30 minutes apart; after this many
# attempts (some two to three hours of trying) the row fails, shown in the
# organizers' outbox page with its last error, for them to send again.
OUTBOX_MAX_ATTEMPTS = 12
OUTBOX_BACKOFF_FIRST_SECONDS = 30
OUTBOX_BACKOFF_CAP_SECONDS = 1800
# Outgoing HTTP posts (chat webhooks, signed webhooks) go through
# clubs/outbox/http.py, with this timeout. OUTGOING_HTTP_HOSTS points real
# hosts at other base URLs, for tests only ("discord.com=http://127.0.0.1:8121,
# hooks.slack.com=http://127.0.0.1:8121"); production leaves it empty.
OUTGOING_HTTP_TIMEOUT_SECONDS = env.float("OUTGOING_HTTP_TIMEOUT_SECONDS", default=15.0)
OUTGOING_HTTP_HOSTS: dict[str, str] = {
    host.strip().lower(): base.strip()
    for host, _, base in (
        item.partition("=") for item in env.list("OUTGOING_HTTP_HOSTS", default=[]) if item
    )
}
# Signed outgoing webhooks (clubs/webhooks/): each attempt waits this long for
# the receiver's answer; a webhook is turned off after this many deliveries in
# a row failed for good (each after OUTBOX_MAX_ATTEMPTS attempts, or refused).
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=10.0)
WEBHOOK_DISABLE_AFTER_FAILURES = env.int("WEBHOOK_DISABLE_AFTER_FAILURES", default=10)
# Webhook URLs that resolve to private, loopback or link-local addresses are
# refused unless this is on: by default only in the embedded mode (no broker:
# the app runs on one's own machine) and in tests (their receivers are loopback).
WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = env.bool(
    "WEBHOOKS_ALLOW_PRIVATE_ADDRESSES", default=CELERY_TASK_ALWAYS_EAGER
)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = env.str(
    "CELERY_BEAT_SCHEDULE_FILENAME", default=str(BASE_DIR / "var" / "celerybeat-schedule")
)
# How long after a paper arrives its club's related papers are rebuilt (a
# worker's countdown; in-process tasks run at once): a batch is one build.
RELATED_REBUILD_DELAY_SECONDS = env.float("RELATED_REBUILD_DELAY_SECONDS", default=30.0)
# The arXiv watch (papers.watch): the sweep runs every watch that is due; a
# successful run makes it due again a day later, a failed one after a backoff.
WATCH_SWEEP_SECONDS = env.float("WATCH_SWEEP_SECONDS", default=600.0)
WATCH_INTERVAL_HOURS = env.float("WATCH_INTERVAL_HOURS", default=24.0)
# The most papers one run asks arXiv for (newest first); more matches: capped.
WATCH_MAX_PER_RUN = env.int("WATCH_MAX_PER_RUN", default=50)
# How far back a watch's first run looks.
WATCH_FIRST_LOOKBACK_DAYS = env.int("WATCH_FIRST_LOOKBACK_DAYS", default=7)
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    # arXiv's faults are retried from here (papers.fetching), never by a task itself.
    "papers-sweep-arxiv": {
        "task": "papers.sweep_arxiv",
        "schedule": env.float("SWEEP_ARXIV_SECONDS", default=20.0),
    },
    # Uploads kept for an unanswered "is it this one?" go after a day.
    "papers-sweep-unconfirmed-uploads": {
        "task": "papers.sweep_unconfirmed_uploads",
        "schedule": 3600.0,
    },
    # Related papers still asked for after a lost doorbell (papers.related).
    # (A change rings the rebuild RELATED_REBUILD_DELAY_SECONDS after commit.)
    "papers-sweep-related": {"task": "papers.sweep_related", "schedule": 600.0},
    # The arXiv watch's daily runs (papers.watch.runs), and their retries.
    "papers-sweep-watches": {"task": "papers.sweep_watches", "schedule": WATCH_SWEEP_SECONDS},
    # Voting rounds past their deadline: their close logged (results never wait for it).
    "papers-close-rounds": {"task": "papers.close_rounds", "schedule": 300.0},
    # Keep every club's rolling horizon of weeks full (idempotent).
    "sessions-plan": {"task": "sessions.plan_all", "schedule": 6 * 3600.0},
    # Mark finished weeks done (their papers become covered).
    "sessions-close-finished": {"task": "sessions.close_finished", "schedule": 900.0},
    # Reminders come from a frequent scan of what is due, never a far-future eta.
    # The outbox's safety net: lapsed leases, lost doorbells, retries that are due.
    "outbox-sweep": {"task": "outbox.sweep", "schedule": float(OUTBOX_SWEEP_SECONDS)},
    # Ask quiet members whether to stay, and lapse unanswered questions (clubs.reconfirm).
    "clubs-reconfirm-scan": {
        "task": "clubs.reconfirm_scan",
        "schedule": env.float("RECONFIRM_SCAN_SECONDS", default=3600.0),
    },
    "sessions-scan-reminders": {
        "task": "sessions.scan_reminders",
        "schedule": env.float("REMINDER_SCAN_SECONDS", default=300.0),
    },
    # Daily discussion digests: a scan for members a day past their last one.
    "sessions-discussion-digests": {
        "task": "sessions.discussion_digests",
        "schedule": env.float("DIGEST_SCAN_SECONDS", default=900.0),
    },
}
# arXiv calls go to their own queue, served by one worker with concurrency 1.
# Mail (the outbox's senders) has its own, so a fan-out to a big club never holds up
# reading a PDF or planning the weeks (and the other way round).
CELERY_TASK_ROUTES = {
    "papers.fetch_arxiv_metadata": {"queue": "arxiv"},
    "outbox.drain": {"queue": "mail"},
    # outbox.expand and outbox.sweep stay on the default queue: they are quick,
    # and must not wait behind the senders (a change's fan-out is listed, and a
    # newer one supersedes an older, while the mail workers are busy or gone).
}
CELERY_TIMEZONE = "UTC"

# --- Email --------------------------------------------------------------------
EMAIL_HOST = env.str("EMAIL_HOST", default="")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env.int("EMAIL_PORT", default=587)
    EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
    EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
    EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
    EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
    EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default=f"{SITE_NAME} <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Accounts (django-allauth) ------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
# Adds the display name and time zone to sign-up (issue 15).
ACCOUNT_SIGNUP_FORM_CLASS = "clubs.forms.SignupForm"
ACCOUNT_UNIQUE_EMAIL = True
# Mandatory whenever real mail can be delivered; optional in the embedded mode,
# where mail only reaches the console.
ACCOUNT_EMAIL_VERIFICATION = env.str(
    "ACCOUNT_EMAIL_VERIFICATION", default="mandatory" if EMAIL_HOST else "optional"
)
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_ADAPTER = "clubs.adapters.AccountAdapter"
ACCOUNT_EMAIL_SUBJECT_PREFIX = f"[{SITE_NAME}] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if SITE_URL.startswith("https") else "http"
SOCIALACCOUNT_ONLY = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
# Rate limits (the README's "Rate limits" table). allauth's use the cache: in
# production every web process must share it (Redis). Failed sign-ins count per
# (address, client) (clubs.adapters), so nobody can lock another member out;
# a password reset clears them for the client it is done from.
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/h/ip",
    "reset_password": "20/h/ip,5/h/key",
    "reset_password_from_key": "20/m/ip",
    "confirm_email": "1/3m/key",
    "manage_email": "10/m/user",
    "change_password": "5/m/user",
    "reauthenticate": "10/m/user",
}
# Behind a reverse proxy, the client is the address that many hops back in
# X-Forwarded-For (else every client is the proxy).
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
if PAPERCLUB_BENCH:
    # bench/run signs in its 50 made-up members from 127.0.0.1 within seconds
    # (30 a minute per address otherwise); every other limit stays.
    ACCOUNT_RATE_LIMITS["login"] = "600/m/ip"
# The app's own limits (clubs.ratelimits), per clock hour.
PAPERCLUB_RATE_LIMITS = {
    "invitations": env.str("RATE_LIMIT_INVITATIONS", default="200/h"),  # per club
    "proposals": env.str("RATE_LIMIT_PROPOSALS", default="100/h"),  # papers, per person
    "uploads": env.str("RATE_LIMIT_UPLOADS", default="20/h"),  # PDFs, per person
    "chat_tests": env.str("RATE_LIMIT_CHAT_TESTS", default="10/h"),  # per club, both services
    "api": env.str("RATE_LIMIT_API", default="600/m"),  # requests, per API token
}
LOGIN_REDIRECT_URL = "home"
LOGIN_URL = "account_login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Internationalisation -----------------------------------------------------
LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
# The app speaks English only, and the English catalogues of Django and allauth
# translate nothing (every msgstr is empty or its msgid). Off, Django skips the
# per-language lookups of every formatted number and date: 6% of a backlog
# page's Python calls on the bench's club (issue 14).
USE_I18N = False
USE_TZ = True

# --- Static files and media -----------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
MEDIA_URL = "/media/"
MEDIA_ROOT = env.str("MEDIA_ROOT", default=str(BASE_DIR / "media"))

AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
if AWS_STORAGE_BUCKET_NAME:
    # Several web machines share uploads through an S3-compatible bucket.
    _media_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("AWS_S3_REGION_NAME", default="") or None,
            "access_key": env.str("AWS_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("AWS_SECRET_ACCESS_KEY", default="") or None,
            "default_acl": None,
            # Links to uploaded PDFs are URLs signed for PAPER_PDF_URL_SECONDS
            # (papers/storage.py), with Signature Version 4, which every region takes.
            "querystring_auth": True,
            "signature_version": "s3v4",
            "file_overwrite": False,
        },
    }
else:
    _media_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}

STORAGES = {
    "default": _media_storage,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- Security -------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    # /healthz is probed over plain HTTP inside the compose network.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    if env.bool("BEHIND_TLS_PROXY", default=False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# No inline script or style anywhere: htmx and our CSS come from /static/.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF, "https:"],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}

# --- The REST API (api/) ---------------------------------------------------------
# Reads and writes a member does on the site, under /api/v1/ (docs/api.md).
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.PersonalTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api.access.TokenScope"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.Cursor",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "PAGE_SIZE": 25,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Paper Club API",
    "DESCRIPTION": "Read a club's backlog, weeks and archive; vote, RSVP, pre-read, propose and "
    "ask as a member. Authenticate with a personal token from your profile: "
    "`Authorization: Bearer <token>`.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1/",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.document_errors",
    ],
}

# --- Paper Club -----------------------------------------------------------------
ARXIV_API_URL = env.str("ARXIV_API_URL", default="https://export.arxiv.org/api/query")
ARXIV_PDF_URL = env.str("ARXIV_PDF_URL", default="https://arxiv.org/pdf")
# arXiv asks clients for at most one request every 3 seconds.
ARXIV_MIN_INTERVAL_SECONDS = env.int("ARXIV_MIN_INTERVAL_SECONDS", default=3)
# The first pause after a transient failure; it doubles with each one, up to an hour.
ARXIV_RETRY_BASE_SECONDS = env.float("ARXIV_RETRY_BASE_SECONDS", default=20.0)
ARXIV_TIMEOUT_SECONDS = env.float("ARXIV_TIMEOUT_SECONDS", default=15.0)
PAPER_UPLOAD_MAX_BYTES = env.int("PAPER_UPLOAD_MAX_BYTES", default=30 * 1024 * 1024)
# With S3, an uploaded PDF's link is a URL the bucket signs for this long.
PAPER_PDF_URL_SECONDS = env.int("PAPER_PDF_URL_SECONDS", default=300)
INVITATION_DEFAULT_DAYS = 7

# Every module that talks to the outside or can fail on its own (arXiv, PDFs,
# mail, the outbox, the planner) logs through `logging.getLogger(__name__)`;
# its records reach the root handler here. Celery workers put their own
# handler on the root logger, so the same lines show in the worker's log.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
