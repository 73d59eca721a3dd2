"""The embedded mode runs the periodic jobs: `manage.py serve` (what
./scripts/serve starts, autoreloader and all) sends a due reminder to the
console with no worker, no broker and no `celery beat`, exactly once."""

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest

from tests.test_embedded_mode import (
    BASE_DIR,
    MANAGE_WITHOUT_DOTENV,
    embedded_shell,
    manage_embedded,
)

DUE_REMINDER = """
import json
from datetime import timedelta
from django.contrib.auth import get_user_model
from django.utils import timezone
from clubs.models import Club, Membership
from sessions.models import Rsvp, Session
User = get_user_model()
club = Club.objects.create(name="Beat Club", slug="beat-club", time_zone="UTC")
person = User.objects.create_user(username="ada", email="ada@example.org", password="x")
Membership.objects.create(club=club, user=person, state="active", joined_at=timezone.now())
starts = timezone.now() + timedelta(minutes=55)
session = Session.objects.create(
    club=club, starts_at=starts, ends_at=starts + timedelta(hours=1),
    state="scheduled", facilitator=person,
)
Rsvp.objects.create(session=session, user=person, answer="going")
print(json.dumps({"session": session.pk}))
"""

SENT = """
import json
from clubs.models import OutboxMessage
print(json.dumps(list(OutboxMessage.objects.values_list("kind", "state", "address"))))
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def embedded_env(tmp_path) -> dict[str, str]:
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "DEBUG": "1",
        "PYTHONUNBUFFERED": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "MEDIA_ROOT": str(tmp_path / "media"),
    }
    manage_embedded("migrate", "--noinput", env=env)
    return env


def test_embedded_server_prints_a_due_reminder_once_without_a_worker(embedded_env):
    embedded_shell(DUE_REMINDER, env=embedded_env)
    output: list[str] = []
    server = subprocess.Popen(
        [sys.executable, "-c", MANAGE_WITHOUT_DOTENV, "serve", f"127.0.0.1:{_free_port()}"],
        cwd=BASE_DIR,
        env=embedded_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # the autoreloader's parent and child, stopped together
    )
    reader = threading.Thread(target=lambda: output.extend(server.stdout), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not any(
            line.startswith("Subject: Starting in") for line in list(output)
        ):
            time.sleep(0.5)
        time.sleep(3)  # long enough for a second scheduler, were there one, to send too
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
    reader.join(timeout=5)
    text = "".join(output)

    subjects = [line for line in output if line.startswith("Subject: ")]
    assert len(subjects) == 1, text[-3000:]
    assert re.fullmatch(r"Subject: Starting in 1 hour, at \d\d:\d\d: Beat Club\n", subjects[0])
    assert "Periodic jobs run in this process: " in text
    assert "To: ada@example.org" in text
    assert embedded_shell(SENT, env=embedded_env) == [["sessions.soon", "sent", "ada@example.org"]]
