"""Real processes: a Celery worker and beat on Redis, mail to an SMTP server on loopback.

These run `celery worker` and `celery beat` as separate processes against the
test database, as production does, so a worker can be killed mid-send.
"""

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from redis import Redis

from sessions.models import Delivery, MailPreferences, Rsvp
from sessions.tasks import send_invites
from tests.celery_worker import sending_to
from tests.factories import ClubFactory, MembershipFactory, session_at
from tests.services import need_postgres, need_redis
from tests.smtp_sink import smtp_sink

ROOT = Path(__file__).resolve().parents[3]
CELERY = str(Path(sys.executable).with_name("celery"))
pytestmark = pytest.mark.django_db(transaction=True)


def _env(smtp_port: int, redis_url: str) -> dict[str, str]:
    db = connection.settings_dict
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "DJANGO_SETTINGS_MODULE": "paperclub.settings.base",
        "DEBUG": "0",
        "SECRET_KEY": "test-only-key-for-worker-processes",
        "ALLOWED_HOSTS": "testserver",
        "SITE_URL": "http://testserver",
        "SECURE_SSL_REDIRECT": "0",
        "DATABASE_URL": (
            f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{db['NAME']}"
        ),
        "DATABASE_POOL": "0",
        "REDIS_URL": redis_url,
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_port),
        "DEFAULT_FROM_EMAIL": "Paper Club <club@example.org>",
        # Fast recovery, for the test: a dead worker's task comes back after 5 s,
        # its fan-out lock lapses after 3 s; beat scans for reminders every second.
        "CELERY_VISIBILITY_TIMEOUT": "5",
        "CELERY_BROKER_TRANSPORT_OPTIONS": (
            '{"unacked_restore_interval": 1, "unacked_restore_throttle": 1}'
        ),
        "MAIL_FANOUT_LOCK_SECONDS": "3",
        "REMINDER_SCAN_SECONDS": "1",
    }


def _start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [CELERY, "-A", "paperclub", *args],
        cwd=ROOT,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _worker(env, log):
    return _start(
        [
            "worker",
            "-P",
            "solo",
            "-Q",
            "celery,arxiv,mail",
            "-l",
            "info",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        env,
        log,
    )


def _stop(process: subprocess.Popen, sig=signal.SIGTERM) -> None:
    if process.poll() is None:
        os.killpg(process.pid, sig)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def _wait(predicate, timeout: float, step: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


@pytest.fixture
def redis_url():
    need_postgres()
    # The helper's own Redis db (TEST_REDIS_URL): a shared fixed one lets a
    # parallel run's worker take this test's tasks, and its flushdb drop them.
    url = need_redis()
    Redis.from_url(url).flushdb()
    return url


def _session(club, *, starts_in, state, facilitator=None):
    return session_at(
        club,
        starts_in=starts_in,
        state=state,
        facilitator=facilitator,
        meeting_link="https://meet.example.com/room",
    )


def test_worker_and_beat_send_each_reminder_once(redis_url, tmp_path):
    club = ClubFactory()
    people = [MembershipFactory(club=club).user for _ in range(5)]
    facilitator = people[0]
    soon = _session(
        club, starts_in=timedelta(minutes=50), state="scheduled", facilitator=facilitator
    )
    for person in people[:3]:
        Rsvp.objects.create(session=soon, user=person, answer="going")
    needs_someone = _session(club, starts_in=timedelta(days=2, hours=12), state="open")
    muted = people[4]
    MailPreferences.objects.create(user=muted, muted_kinds=["volunteer"])
    log = tmp_path / "celery.log"
    with smtp_sink() as (sink, port):
        env = _env(port, redis_url)
        worker = _worker(env, log)
        beat = _start(["beat", "-s", str(tmp_path / "beat-schedule"), "-l", "info"], env, log)
        try:
            expected = 3 + 4  # starting soon to 3 going; volunteer needed to 4 (one muted)
            assert _wait(lambda: sink.count() >= expected, timeout=60), log.read_text()[-3000:]
            # A restarted beat scans again and again: nothing is sent twice.
            _stop(beat)
            beat = _start(["beat", "-s", str(tmp_path / "beat-schedule"), "-l", "info"], env, log)
            time.sleep(4)
        finally:
            _stop(beat)
            _stop(worker)
        by_person = Counter(
            (recipient, _subject_kind(message["Subject"], club))
            for received in sink.messages
            for recipient in received.recipients
            for message in [received.message]
        )
    assert sink.count() == expected
    soon_subject = "starting soon"
    assert sorted(r for (r, s), n in by_person.items() if s == soon_subject and n == 1) == sorted(
        p.email for p in people[:3]
    )
    volunteers = [r for (r, s), n in by_person.items() if s == "volunteer needed"]
    assert sorted(volunteers) == sorted(p.email for p in people[:4])
    assert set(by_person.values()) == {1}
    # The pre-read nudge's moment (48 h before) passed long ago: not sent late.
    assert not Delivery.objects.filter(kind="nudge").exists()
    assert Delivery.objects.filter(state="sent").count() == expected
    assert needs_someone.pk in set(Delivery.objects.values_list("session", flat=True))


def _subject_kind(subject: str, club) -> str:
    if subject.startswith("Starting in 1 hour, at "):
        return "starting soon"
    if subject.startswith(f"{club.name} needs a facilitator for "):
        return "volunteer needed"
    return subject


def test_killed_worker_mid_fan_out_nobody_missed_nobody_twice(redis_url, tmp_path):
    club = ClubFactory()
    people = [MembershipFactory(club=club).user for _ in range(200)]
    MailPreferences.objects.bulk_create(
        [MailPreferences(user=person, invites=True) for person in people]
    )
    session = _session(club, starts_in=timedelta(days=3), state="scheduled", facilitator=people[0])
    log = tmp_path / "celery.log"
    with smtp_sink() as (sink, port):
        env = _env(port, redis_url)
        with sending_to(redis_url):
            send_invites.delay(session.pk)
        worker = _worker(env, log)
        try:
            assert _wait(lambda: sink.count() >= 60, timeout=60, step=0.005), log.read_text()
            _stop(worker, signal.SIGKILL)  # a crash in the middle of the fan-out
            at_kill = sink.count()
            assert at_kill < 200
            worker = _worker(env, log)
            assert _wait(
                lambda: Delivery.objects.filter(session=session, state="sent").count() == 200,
                timeout=90,
                step=0.2,
            ), log.read_text()[-3000:]
            time.sleep(1)
        finally:
            _stop(worker)
        ids_by_person = {}
        for received in sink.messages:
            for recipient in received.recipients:
                ids_by_person.setdefault(recipient, set()).add(received.message_id)
        raw = sink.count()
    assert sorted(ids_by_person) == sorted(p.email for p in people)  # nobody missed
    # One message per person: at most the single message that was on the wire
    # when the worker died is sent again, under the same Message-ID, which
    # mail systems treat as the same message.
    assert {len(ids) for ids in ids_by_person.values()} == {1}
    assert 200 <= raw <= 201
    assert Delivery.objects.filter(session=session).count() == 200
