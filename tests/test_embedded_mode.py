"""The embedded mode: what `./scripts/serve` gives a newcomer with nothing configured.

An SQLite file, tasks in-process, mail on the console, DEBUG on, and the demo club.
Everything runs through manage.py in subprocesses with the production settings
module (manage.py's default, not the test settings) and a clean environment: no
DATABASE_URL but the SQLite file, no REDIS_URL, no EMAIL_HOST. A developer's .env
is not read (see MANAGE_WITHOUT_DOTENV), so it cannot turn the embedded mode off.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from paperclub.seeding.demo_club import DEMO_CLUB_SLUG, DEMO_PEOPLE

BASE_DIR = Path(__file__).resolve().parent.parent
DEMO_CLUB_NAME = "Latent Space Paper Club"

MANAGE_WITHOUT_DOTENV = (
    "import runpy, sys, environ\n"
    "environ.Env.read_env = lambda *args, **kwargs: None\n"
    "sys.argv[0] = 'manage.py'\n"
    "runpy.run_path('manage.py', run_name='__main__')\n"
)

COUNTS_SCRIPT = f"""
import json
from django.contrib.auth import get_user_model
from clubs.models import Club, Membership
from papers.models import Nomination, Suggestion
from clubs.models import ReconfirmAsk
from sessions.models import Attendance, MailPreferences, Post, SeriesRsvp, WriteupRevision
demo = dict(club__slug="{DEMO_CLUB_SLUG}")
print(json.dumps({{
    "attendances": Attendance.objects.filter(session__club__slug="{DEMO_CLUB_SLUG}").count(),
    "writeup_authors": sorted(
        WriteupRevision.objects.filter(writeup__session__club__slug="{DEMO_CLUB_SLUG}")
        .values_list("author__email", flat=True)
        .distinct()
    ),
    "posts": Post.objects.filter(thread__club__slug="{DEMO_CLUB_SLUG}").count(),
    "series": sorted(
        SeriesRsvp.objects.filter(**demo).values_list("user__email", flat=True)
    ),
    "asked": sorted(
        ReconfirmAsk.objects.filter(**demo, outcome="open")
        .values_list("membership__user__email", flat=True)
    ),
    "inactive": sorted(
        Membership.objects.filter(**demo, state="inactive").values_list("user__email", flat=True)
    ),
    "clubs": Club.objects.count(),
    "demo_clubs": Club.objects.filter(slug="{DEMO_CLUB_SLUG}").count(),
    "users": get_user_model().objects.count(),
    "demo_memberships": Membership.objects.filter(club__slug="{DEMO_CLUB_SLUG}").count(),
    "demo_nominations": Nomination.objects.filter(club__slug="{DEMO_CLUB_SLUG}").count(),
    "demo_suggestions": Suggestion.objects.filter(club__slug="{DEMO_CLUB_SLUG}").count(),
    "invitees": sorted(
        MailPreferences.objects.filter(invites=True).values_list("user__email", flat=True)
    ),
}}))
"""

PAGES = ["/", "/clubs/", f"/c/{DEMO_CLUB_SLUG}/", "/accounts/login/", "/healthz"]

# Django's test client inside the embedded site, as a browser on runserver sees it.
PAGES_SCRIPT = f"""
import json
from django.test import Client
client = Client(HTTP_HOST="127.0.0.1:8000")
pages = {{}}
for path in {PAGES!r}:
    response = client.get(path)
    pages[path] = {{
        "status": response.status_code,
        "content_type": response["Content-Type"],
        "shows_demo_club": "{DEMO_CLUB_NAME}" in response.content.decode(),
    }}
pages["healthz_body"] = client.get("/healthz").json()
print(json.dumps(pages))
"""


def manage_embedded(*args: str, env: dict[str, str]) -> str:
    result = subprocess.run(
        [sys.executable, "-c", MANAGE_WITHOUT_DOTENV, *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, f"manage.py {' '.join(args)} failed:\n{result.stderr}"
    return result.stdout


def embedded_shell(script: str, *, env: dict[str, str]) -> dict:
    """Run a script in `manage.py shell`; its last line of output is JSON."""
    output = manage_embedded("shell", "--no-imports", "-c", script, env=env)
    return json.loads(output.splitlines()[-1])


@pytest.fixture(scope="module")
def embedded_env(tmp_path_factory) -> dict[str, str]:
    """A clean environment for the embedded mode, with its database migrated."""
    home = tmp_path_factory.mktemp("embedded")
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "DEBUG": "1",
        "DATABASE_URL": f"sqlite:///{home / 'db.sqlite3'}",
        "MEDIA_ROOT": str(home / "media"),
        "CELERY_BEAT_SCHEDULE_FILENAME": str(home / "celerybeat-schedule"),
    }
    manage_embedded("migrate", "--noinput", env=env)
    return env


@pytest.fixture(scope="module")
def seeded_twice(embedded_env) -> tuple[dict, dict]:
    """Row counts after the first and after the second `seed_demo`."""
    counts = []
    for _ in range(2):
        manage_embedded("seed_demo", env=embedded_env)
        counts.append(embedded_shell(COUNTS_SCRIPT, env=embedded_env))
    return counts[0], counts[1]


@pytest.fixture(scope="module")
def embedded_pages(embedded_env, seeded_twice) -> dict:
    return embedded_shell(PAGES_SCRIPT, env=embedded_env)


def test_embedded_mode_seed_demo_creates_the_demo_club(seeded_twice):
    first, _ = seeded_twice

    assert first["clubs"] == 1
    assert first["demo_clubs"] == 1
    assert first["users"] == len(DEMO_PEOPLE)
    assert first["demo_suggestions"] == 3  # what the demo's arXiv watch found
    assert first["demo_memberships"] == len(DEMO_PEOPLE)
    assert first["demo_nominations"] > 0
    # The accounts the README offers take calendar invites, so the terminal shows them.
    assert first["invitees"] == ["member@example.com", "organizer@example.com"]
    # The club between sessions (issue 16): attendance, a write-up by two people,
    # the week's thread, a member who comes every week and two quiet members.
    assert first["attendances"] > 0
    assert len(first["writeup_authors"]) == 2
    assert first["posts"] > 0
    assert first["series"] == ["member@example.com"]
    assert first["asked"] == ["jonas@example.com"]
    assert first["inactive"] == ["lucas@example.com"]


def test_embedded_mode_seed_demo_twice_duplicates_nothing(seeded_twice):
    first, second = seeded_twice

    assert second == first


@pytest.mark.parametrize("path", PAGES)
def test_embedded_mode_page_renders(embedded_pages, path):
    assert embedded_pages[path]["status"] == 200


@pytest.mark.parametrize("path", ["/", "/clubs/", f"/c/{DEMO_CLUB_SLUG}/"])
def test_embedded_mode_page_shows_demo_club(embedded_pages, path):
    assert embedded_pages[path]["content_type"] == "text/html; charset=utf-8"
    assert embedded_pages[path]["shows_demo_club"] is True


def test_embedded_mode_healthz_reports_sqlite_and_eager_tasks(embedded_pages):
    assert embedded_pages["healthz_body"] == {
        "status": "ok",
        "database": {"ok": True, "detail": "sqlite"},
        "broker": {"ok": True, "detail": "embedded (tasks run in-process)"},
    }


# Votes at once on the embedded mode's SQLite file, one thread (and connection)
# each, as runserver's threads would send them: every member of the demo club
# toggles one paper's vote once, and one of them 21 times.
VOTES_AT_ONCE_SCRIPT = f"""
import json, threading
from django.db import connection
from clubs.models import Membership
from papers import services
from papers.models import Nomination, Vote
club_members = Membership.objects.filter(club__slug="{DEMO_CLUB_SLUG}", state="active")
people = [m.user for m in club_members.select_related("user").order_by("pk")]
nomination = Nomination.objects.filter(
    club__slug="{DEMO_CLUB_SLUG}", state="proposed"
).select_related("club").order_by("pk")[0]
before = set(Vote.objects.filter(nomination=nomination).values_list("user", flat=True))
clicks = people + [people[0]] * 20
barrier = threading.Barrier(len(clicks))
errors = []
def click(user):
    try:
        barrier.wait()
        services.nomination_vote_toggle_by_id(
            club=nomination.club, nomination_id=nomination.pk, user=user
        )
    except Exception as error:
        errors.append(repr(error))
    finally:
        connection.close()
threads = [threading.Thread(target=click, args=(user,)) for user in clicks]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
after = set(Vote.objects.filter(nomination=nomination).values_list("user", flat=True))
nomination.refresh_from_db()
print(json.dumps({{
    "errors": errors,
    "flipped": sorted(p.pk for p in people if (p.pk in before) != (p.pk in after)),
    "people": sorted(p.pk for p in people),
    "vote_count": nomination.vote_count,
    "rows": len(after),
}}))
"""


def test_embedded_mode_votes_at_once_are_each_counted(embedded_env, seeded_twice):
    outcome = embedded_shell(VOTES_AT_ONCE_SCRIPT, env=embedded_env)

    assert outcome["errors"] == []
    # 21 clicks flip one person's vote as one would; everyone else's flips once.
    assert outcome["flipped"] == outcome["people"]
    assert outcome["vote_count"] == outcome["rows"]
