"""Production settings: `check --deploy` is clean, and a missing SECRET_KEY stops the app.

Each case runs manage.py in a subprocess with only the environment given here, so
the settings are read exactly as a production process reads them. A developer's
.env is not read (see MANAGE_WITHOUT_DOTENV): it would change what is checked.
"""

import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

BASE_DIR = Path(__file__).resolve().parent.parent

# manage.py with django-environ's read_env() turned off, so a local .env file
# cannot leak settings into the run.
MANAGE_WITHOUT_DOTENV = (
    "import runpy, sys, environ\n"
    "environ.Env.read_env = lambda *args, **kwargs: None\n"
    "sys.argv[0] = 'manage.py'\n"
    "runpy.run_path('manage.py', run_name='__main__')\n"
)


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", MANAGE_WITHOUT_DOTENV, *args],
        cwd=BASE_DIR,
        env={"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def production_env(tmp_path: Path) -> dict[str, str]:
    return {
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(60)[:60],
        "ALLOWED_HOSTS": "paperclub.example.org",
        "SITE_URL": "https://paperclub.example.org",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }


def test_check_deploy_production_env_has_no_warnings(production_env):
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=production_env)

    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == "System check identified no issues (0 silenced).\n"


@pytest.mark.parametrize("secret_key", [None, ""], ids=["unset", "empty"])
@pytest.mark.parametrize(
    "start",
    [
        "import paperclub.wsgi",
        "import paperclub.asgi",
    ],
    ids=["wsgi", "asgi"],
)
def test_servers_without_secret_key_refuse_to_start(production_env, secret_key, start):
    del production_env["SECRET_KEY"]
    if secret_key is not None:
        production_env["SECRET_KEY"] = secret_key

    no_dotenv = "import environ\nenviron.Env.read_env = lambda *args, **kwargs: None\n"
    result = subprocess.run(
        [sys.executable, "-c", no_dotenv + start],
        cwd=BASE_DIR,
        env={"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", **production_env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY must be set when DEBUG is off." in result.stderr


def test_offline_commands_run_without_secret_key(production_env):
    del production_env["SECRET_KEY"]

    result = _manage("makemigrations", "--check", "--dry-run", env=production_env)

    assert (result.returncode, result.stdout) == (0, "No changes detected\n")


SIGN_IN_PAGE_PROVIDERS = (
    "import django; django.setup()\n"
    "from django.test import Client\n"
    "from django.core.management import call_command\n"
    "call_command('migrate', verbosity=0)\n"
    "page = Client().get('/accounts/login/').content.decode()\n"
    "print(sorted(name for name in ('GitHub', 'Google') if name in page))\n"
)


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        ({}, "[]"),
        ({"GITHUB_CLIENT_ID": "id", "GITHUB_CLIENT_SECRET": "s"}, "['GitHub']"),
        (
            {
                "GITHUB_CLIENT_ID": "id",
                "GITHUB_CLIENT_SECRET": "s",
                "GOOGLE_CLIENT_ID": "id",
                "GOOGLE_CLIENT_SECRET": "s",
            },
            "['GitHub', 'Google']",
        ),
    ],
    ids=["none", "github", "both"],
)
def test_social_sign_in_appears_only_with_its_keys(tmp_path, keys, expected):
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "DEBUG": "1",
        "ALLOWED_HOSTS": "testserver",
        "DJANGO_SETTINGS_MODULE": "paperclub.settings.base",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        **keys,
    }
    result = subprocess.run(
        [sys.executable, "-c", SIGN_IN_PAGE_PROVIDERS],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == expected


def test_every_routed_queue_has_a_worker_in_compose():
    """A task routed to a queue no worker serves would wait forever."""
    compose = (BASE_DIR / "docker-compose.yml").read_text()
    served = {
        queue for found in re.findall(r'"-Q", "([a-z,]+)"', compose) for queue in found.split(",")
    }
    routed = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()}
    assert routed == {"arxiv", "mail"}
    assert routed | {"celery"} <= served
