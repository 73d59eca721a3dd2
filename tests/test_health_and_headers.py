"""/healthz, the Content-Security-Policy header, and CSRF on POST views."""

import socket
from unittest import mock

import pytest
from django.db import OperationalError, connection, connections
from django.test import Client

from clubs.models import Membership
from tests.services import need_redis
from tests.unchanged import unchanged

EAGER_BROKER = {"ok": True, "detail": "embedded (tasks run in-process)"}


def _unused_loopback_port() -> int:
    """A loopback port nothing listens on (the OS hands out a free one, we close it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _csp_directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


# --- /healthz -----------------------------------------------------------------------


def test_healthz_eager_mode_is_ok(client, db):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"]
    assert response.json() == {
        "status": "ok",
        "database": {"ok": True, "detail": connection.vendor},
        "broker": EAGER_BROKER,
    }


def test_healthz_broker_unreachable_is_503(client, db, settings):
    port = _unused_loopback_port()
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{port}/0"

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {
        "status": "unhealthy",
        "database": {"ok": True, "detail": connection.vendor},
        # The page is public: it names the failure, never hosts or credentials.
        "broker": {"ok": False, "detail": "OperationalError"},
    }


@pytest.mark.redis
def test_healthz_broker_reachable_on_redis_is_ok(client, db, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = need_redis()

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json()["broker"] == {"ok": True, "detail": "reachable"}


def test_healthz_database_down_is_503(client, db):
    # The database boundary: opening a cursor fails as it does when the server is gone.
    down = OperationalError("connection to server at 127.0.0.1 failed: Connection refused")
    with mock.patch.object(connections["default"], "cursor", side_effect=down):
        response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {
        "status": "unhealthy",
        "database": {"ok": False, "detail": "OperationalError"},
        "broker": EAGER_BROKER,
    }


# --- Content-Security-Policy ------------------------------------------------------------

HTML_PAGES = [
    # (path, signed in, expected status)
    ("/", False, 200),
    ("/", True, 200),
    ("/clubs/", False, 200),
    ("/c/{slug}/", False, 200),
    ("/c/{slug}/", True, 200),
    ("/c/{slug}/members/", True, 403),
    ("/clubs/new/", True, 200),
    ("/accounts/profile/", True, 200),
    ("/accounts/login/", False, 200),
    ("/accounts/signup/", False, 200),
    ("/accounts/password/reset/", False, 200),
    ("/no-such-page/", False, 404),
]


@pytest.mark.parametrize(("path", "signed_in", "status"), HTML_PAGES)
def test_html_response_csp_forbids_inline_script_and_style(
    client, club, outsider, path, signed_in, status
):
    if signed_in:
        client.force_login(outsider)

    with unchanged():
        response = client.get(path.format(slug=club.slug))

    assert response.status_code == status
    assert response["Content-Type"] == "text/html; charset=utf-8"
    directives = _csp_directives(response["Content-Security-Policy"])
    assert directives["default-src"] == ["'self'"]
    assert "'unsafe-inline'" not in directives["script-src"]
    assert "'unsafe-inline'" not in directives["style-src"]


# --- CSRF ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("enforce_csrf_checks", "status"), [(True, 403), (False, 302)])
def test_club_join_post_without_csrf_token(club, outsider, enforce_csrf_checks, status):
    client = Client(enforce_csrf_checks=enforce_csrf_checks)
    client.force_login(outsider)

    if enforce_csrf_checks:
        with unchanged():
            response = client.post(f"/c/{club.slug}/join/")
    else:
        response = client.post(f"/c/{club.slug}/join/")

    assert response.status_code == status
    joined = Membership.objects.filter(club=club, user=outsider).exists()
    assert joined is (not enforce_csrf_checks)


def test_logout_post_without_csrf_token_is_refused(outsider):
    client = Client(enforce_csrf_checks=True)
    client.force_login(outsider)

    with unchanged():
        response = client.post("/accounts/logout/")

    assert response.status_code == 403
    assert client.session["_auth_user_id"] == str(outsider.pk)
