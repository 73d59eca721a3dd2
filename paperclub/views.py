"""Project-level pages that belong to no app: health and error pages."""

import logging

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from paperclub.celery_app import app

log = logging.getLogger(__name__)


def _database_ok() -> tuple[bool, str]:
    try:
        # Raw on purpose: a health check asks the server, not a table, and the
        # ORM has no statement that reads no model.
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:  # any failure means unhealthy
        # The page is public: name the kind of failure, log the details.
        log.warning("healthz: database check failed: %s", error)
        return False, type(error).__name__
    return True, connection.vendor


def _broker_ok() -> tuple[bool, str]:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return True, "embedded (tasks run in-process)"

    try:
        # The URL from settings at call time (the app's config is read once per
        # process), so the check probes exactly the broker Django is set up with.
        with app.connection_for_write(url=settings.CELERY_BROKER_URL) as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, timeout=2)
    except Exception as error:  # any failure means unhealthy
        log.warning("healthz: broker check failed: %s", error)
        return False, type(error).__name__
    return True, "reachable"


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Anyone: is the database and the broker reachable? 200 if so, 503 if not."""
    db_ok, db_detail = _database_ok()
    broker_ok, broker_detail = _broker_ok()
    healthy = db_ok and broker_ok
    return JsonResponse(
        {
            "status": "ok" if healthy else "unhealthy",
            "database": {"ok": db_ok, "detail": db_detail},
            "broker": {"ok": broker_ok, "detail": broker_detail},
        },
        status=200 if healthy else 503,
    )


def error_404(request: HttpRequest, exception: Exception) -> object:
    return render(request, "404.html", status=404)


def error_403(request: HttpRequest, exception: Exception) -> object:
    reason = str(exception) if exception and str(exception) else ""
    return render(request, "403.html", {"reason": reason}, status=403)


# allauth's 429 says nothing of which limit: the page it refused tells.
_ACCOUNT_LIMITS = {
    "account_login": "Too many sign-in attempts from here in the last minute.",
    "account_signup": "Too many sign-ups from this network in the last hour.",
    "account_reset_password": (
        "Too many password-reset emails were asked for. The ones already sent still "
        "work: look in your inbox, and in your spam folder."
    ),
    "account_reset_password_from_key": "Too many password-reset links were opened from here.",
    "account_email": "Too many changes to email addresses in the last minute.",
    "account_change_password": "Too many password changes in the last minute.",
}


def error_429(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Too many requests: allauth's limits (sign-in, sign-up, account mail) and the
    app's own (clubs.ratelimits.RateLimited, whose message says which and when)."""
    reason = str(exception) if exception and str(exception) else ""
    url_name = (request.resolver_match.url_name if request.resolver_match else "") or ""
    reason = reason or _ACCOUNT_LIMITS.get(url_name, "")
    context = {"reason": reason, "offer_reset": url_name in ("account_login", "account_signup")}
    response = render(request, "429.html", context, status=429)
    retry_after = getattr(exception, "retry_after", None)
    response["Retry-After"] = str(retry_after if retry_after else 60)
    return response


def error_500(request: HttpRequest) -> object:
    return render(request, "500.html", status=500)
