"""Real processes: Celery workers and beat on Redis, mail to an SMTP server on loopback.

These run `celery worker` and `celery beat` as separate processes against the
test database, as production does, so a worker can be killed mid-send and
Redis restarted under it. Nothing is shortened to make them pass: the lease
(OUTBOX_LEASE_SECONDS), the sweeper's period (OUTBOX_SWEEP_SECONDS), the
broker's visibility timeout and every retry delay are the production values.
The outside is made slow instead: the SMTP server takes a quarter of a second
per message, as an ordinary provider does.
"""

import os
import shutil
import signal
import subprocess
import time
from collections import Counter, defaultdict
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone
from icalendar import Calendar
from redis import Redis
from redis.exceptions import ConnectionError as RedisDown

from clubs.models import Club, Membership, OutboxMessage, Profile
from clubs.services import invitation_emails_create
from sessions.models import MailPreferences, Rsvp
from sessions.rota.facilitators import session_assign
from sessions.rota.weeks import session_details, session_details_update, session_skip
from tests.celery_stack import Stack
from tests.celery_stack import settled as _settled
from tests.celery_stack import wait_for as _wait
from tests.celery_stack import worker_env as _env
from tests.celery_worker import sending_to
from tests.factories import ClubFactory, MembershipFactory, session_at
from tests.services import need_postgres, need_redis
from tests.smtp_sink import SinkHandler, free_port, smtp_sink

pytestmark = pytest.mark.django_db(transaction=True)

SLOW_SMTP = 0.25  # seconds per message, an ordinary provider's pace
LINK = "https://meet.example.com/room"
NEW_LINK = "https://meet.example.com/another-room"


@pytest.fixture
def redis_url():
    need_postgres()
    # This run's own Redis database (TEST_REDIS_URL): a worker of another run
    # sharing a database would take this run's tasks.
    url = need_redis()
    Redis.from_url(url).flushdb()
    return url


def _crowd(club: Club, n: int, *, invites: bool = True) -> list:
    """n active members who opted in to invites (bulk: a club, not a test fixture)."""
    User = get_user_model()
    tag = f"c{club.pk}"
    User.objects.bulk_create(
        [User(username=f"{tag}-{i}", email=f"{tag}-{i}@example.org") for i in range(n)]
    )
    people = list(User.objects.filter(username__startswith=f"{tag}-").order_by("pk"))
    Profile.objects.bulk_create([Profile(user=u, display_name=u.username) for u in people])
    Membership.objects.bulk_create(
        [Membership(club=club, user=u, joined_at=timezone.now()) for u in people]
    )
    MailPreferences.objects.bulk_create([MailPreferences(user=u, invites=invites) for u in people])
    return people


def _week(club, *, starts_in=timedelta(days=3)):
    return session_at(club, starts_in=starts_in, state="open", meeting_link=LINK)


def _calendar(received) -> tuple[str, str, int, str]:
    """(METHOD, UID, SEQUENCE, text) of a received message's text/calendar part."""
    for part in received.message.walk():
        if part.get_content_type() == "text/calendar":
            text = part.get_payload(decode=True)
            calendar = Calendar.from_ical(text)
            event = calendar.walk("VEVENT")[0]
            return (
                str(calendar["METHOD"]),
                str(event["UID"]),
                int(event["SEQUENCE"]),
                text.decode(),
            )
    raise AssertionError("no text/calendar part")


def _is_calendar(received) -> bool:
    return any(p.get_content_type() == "text/calendar" for p in received.message.walk())


def _by_person(sink: SinkHandler) -> dict[str, list]:
    """Each person's calendar messages (invites, updates, cancellations) in the
    order they arrived; the facilitator's "you were assigned" mail aside."""
    people = defaultdict(list)
    for received in [m for m in list(sink.messages) if _is_calendar(m)]:
        for recipient in received.recipients:
            people[recipient].append(received)
    return people


def _each_once(sink: SinkHandler, expected: set[str]) -> None:
    """Everyone expected has exactly one distinct message (by Message-ID); a
    message handed over when a worker died may arrive again under its ID."""
    ids = {r: {m.message_id for m in got} for r, got in _by_person(sink).items()}
    assert set(ids) == expected
    assert {len(v) for v in ids.values()} == {1}


def _scene(n: int) -> tuple:
    """A club of n members who opted in to invites, its organizer, an open week."""
    club = ClubFactory()
    organizer = MembershipFactory(club=club, role="organizer").user
    return organizer, _crowd(club, n), _week(club)


def test_worker_and_beat_send_each_reminder_once(redis_url, tmp_path):
    club = ClubFactory()
    people = [MembershipFactory(club=club).user for _ in range(5)]
    soon = session_at(
        club,
        starts_in=timedelta(minutes=50),
        state="scheduled",
        facilitator=people[0],
        meeting_link=LINK,
    )
    for person in people[:3]:
        Rsvp.objects.create(session=soon, user=person, answer="going")
    needs_someone = session_at(club, starts_in=timedelta(days=2, hours=12), state="open")
    MailPreferences.objects.create(user=people[4], muted_kinds=["volunteer"])
    expected = 3 + 4  # starting soon to 3 going; volunteer needed to 4 (one muted)
    with smtp_sink() as (sink, port):
        # Beat scans for reminders every second, so this test need not wait five
        # minutes for the first scan (the outbox's own periods stay as they are).
        env = _env(port, redis_url) | {"REMINDER_SCAN_SECONDS": "1"}
        with Stack(env, tmp_path) as stack:
            assert _wait(lambda: sink.count() >= expected, timeout=60), stack.state()
            # A restarted beat scans again and again: nothing is sent twice.
            stack.restart_beat()
            time.sleep(4)
        by_person = Counter(
            (recipient, _subject_kind(received.message["Subject"], club))
            for received in sink.messages
            for recipient in received.recipients
        )
    assert sink.count() == expected
    soon_to = sorted(r for (r, s), n in by_person.items() if s == "starting soon" and n == 1)
    assert soon_to == sorted(p.email for p in people[:3])
    volunteers = [r for (r, s), n in by_person.items() if s == "volunteer needed"]
    assert sorted(volunteers) == sorted(p.email for p in people[:4])
    assert set(by_person.values()) == {1}
    # The pre-read nudge's moment (48 h before) passed long ago: not sent late.
    assert not OutboxMessage.objects.filter(kind="sessions.nudge").exists()
    assert OutboxMessage.objects.filter(state="sent").count() == expected
    assert needs_someone.pk in set(OutboxMessage.objects.values_list("subject_id", flat=True))


def _subject_kind(subject: str, club) -> str:
    if subject.startswith("Starting in 1 hour, at "):
        return "starting soon"
    if subject.startswith(f"{club.name} needs a facilitator for "):
        return "volunteer needed"
    return subject


def test_invite_then_link_change_then_cancel_each_person_ends_cancelled_once(redis_url, tmp_path):
    """Issue 12's first finding: 300 people, an SMTP server at 0.25 s a message,
    the invite, a new link 2 s later, a cancellation 2 s after that. Whoever was
    sent anything ends with one cancellation as their last message for the
    week; nobody gets a message twice, by Message-ID or by (person, sequence)."""
    organizer, people, session = _scene(300)
    with (
        smtp_sink(delay=SLOW_SMTP) as (sink, port),
        sending_to(redis_url),
        Stack(_env(port, redis_url), tmp_path, beat=False) as stack,
    ):
        session_assign(session=session, by=organizer, facilitator=people[0])
        time.sleep(2)
        session.refresh_from_db()
        new_link = session_details(session, meeting_link=NEW_LINK)
        session_details_update(session=session, by=organizer, details=new_link)
        time.sleep(2)
        session_skip(session=session, by=organizer, reason="The room is flooded")
        assert _wait(_settled, timeout=120, step=0.2), stack.state()
        time.sleep(1)  # anything sent twice would arrive now
    session.refresh_from_db()
    assert session.change_count == 3
    got = _by_person(sink)
    assert got, "nothing was sent at all"
    seen_ids, seen_versions = Counter(), Counter()
    for person, messages in got.items():
        calendars = [_calendar(m) for m in messages]
        # The cancellation is last, and only once.
        assert calendars[-1][:3] == ("CANCEL", f"session-{session.uid}@paperclub", 3), person
        assert [c[0] for c in calendars].count("CANCEL") == 1
        # Nothing older arrives after something newer.
        sequences = [c[2] for c in calendars]
        assert sequences == sorted(sequences)
        for message, (_, _, sequence, _) in zip(messages, calendars, strict=True):
            seen_ids[message.message_id] += 1
            seen_versions[(person, sequence)] += 1
    assert set(seen_ids.values()) == {1}
    assert set(seen_versions.values()) == {1}
    # Those whose invite was still waiting when the week was cancelled got nothing.
    assert set(got) < {p.email for p in people}
    rows = OutboxMessage.objects.filter(subject_id=session.pk)
    assert set(rows.values_list("state", flat=True)) <= {"sent", "superseded", "skipped"}
    assert rows.filter(kind="sessions.cancel", state="sent").count() == len(got)


def _pool_children(pid: int) -> list[int]:
    found = subprocess.run(
        ["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False
    ).stdout
    return [int(line) for line in found.split()]


@pytest.mark.parametrize("kill", ["pool-processes", "whole-worker"])
def test_killed_worker_mid_fan_out_everyone_gets_it_once(redis_url, tmp_path, kill):
    """Kill the pool processes (then, in a second run, the whole worker) about a
    quarter of the way through a fan-out of 200. Within the sweeper's period plus
    the lease, everyone has the invite once (one Message-ID each)."""
    organizer, people, session = _scene(200)
    with (
        smtp_sink(delay=SLOW_SMTP) as (sink, port),
        sending_to(redis_url),
        Stack(_env(port, redis_url), tmp_path) as stack,
    ):
        session_assign(session=session, by=organizer, facilitator=people[0])
        assert _wait(lambda: sink.count() >= 50, timeout=60, step=0.01), stack.state()
        if kill == "pool-processes":
            children = _pool_children(stack.mail.pid)
            assert len(children) == 2
            for child in children:
                os.kill(child, signal.SIGKILL)
        else:
            stack.kill_mail_worker()
        at_kill = sink.count()
        assert at_kill < 200
        limit = settings.OUTBOX_SWEEP_SECONDS + settings.OUTBOX_LEASE_SECONDS
        # ... plus the time the rest takes at 0.25 s each over two connections.
        limit += (200 - at_kill) * SLOW_SMTP / 2 + 15
        assert _wait(_settled, timeout=limit, step=0.2), stack.state()
        time.sleep(1)
    _each_once(sink, {p.email for p in people})
    # At most the messages on the wire when the worker died arrive twice.
    invites = sum(1 for m in sink.messages if _is_calendar(m))
    assert 200 <= invites <= 202
    invited = OutboxMessage.objects.filter(subject_id=session.pk, kind="sessions.invite")
    assert invited.filter(state="sent").count() == 200


@pytest.fixture
def own_redis(tmp_path):
    """A redis-server of this test's own on a free loopback port, to restart at will."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    need_redis()
    port = free_port()

    def start() -> None:
        subprocess.run(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
             "no", "--daemonize", "yes", "--dir", str(tmp_path),
             "--pidfile", str(tmp_path / "redis.pid")],
            check=True,
        )  # fmt: skip
        assert _wait(lambda: _redis_up(port), timeout=10)

    def stop() -> None:
        subprocess.run(
            [shutil.which("redis-cli") or "redis-cli", "-p", str(port), "shutdown", "nosave"],
            check=False,
            capture_output=True,
        )
        assert _wait(lambda: not _redis_up(port), timeout=10)

    start()
    yield f"redis://127.0.0.1:{port}/0", start, stop
    stop()


def _redis_up(port: int) -> bool:
    try:
        return bool(Redis(port=port, socket_connect_timeout=0.2).ping())
    except RedisDown:
        return False


def test_redis_restarted_mid_fan_out_loses_nothing(own_redis, tmp_path):
    """Redis goes away (and comes back empty) while invites go out: everyone still
    gets the invite once, and a cancellation made after it is back reaches all."""
    need_postgres()
    url, start, stop = own_redis
    organizer, people, session = _scene(100)
    limit = settings.OUTBOX_SWEEP_SECONDS + settings.OUTBOX_LEASE_SECONDS + 40
    with (
        smtp_sink(delay=SLOW_SMTP) as (sink, port),
        sending_to(url),
        Stack(_env(port, url), tmp_path) as stack,
    ):
        session_assign(session=session, by=organizer, facilitator=people[0])
        assert _wait(lambda: sink.count() >= 25, timeout=60, step=0.01), stack.state()
        stop()
        time.sleep(2)
        start()  # empty: every queued task and unacknowledged message is gone
        assert _wait(_settled, timeout=limit, step=0.2), stack.state()
        _each_once(sink, {p.email for p in people})
        session.refresh_from_db()
        session_skip(session=session, by=organizer, reason="Redis ate it")
        assert _wait(_settled, timeout=limit, step=0.2), stack.state()
        time.sleep(1)
    got = _by_person(sink)
    assert set(got) == {p.email for p in people}
    assert {tuple(_calendar(m)[0] for m in messages) for messages in got.values()} == {
        ("REQUEST", "CANCEL")
    }


def test_smtp_down_then_back_retries_and_loses_nothing(redis_url, tmp_path):
    """The mail server refuses connections for a while: the invites wait (with
    their error in the outbox), are tried again after the backoff, and all go."""
    organizer, people, session = _scene(40)
    port = free_port()  # nothing listens here yet
    handler = SinkHandler(delay=SLOW_SMTP)
    with sending_to(redis_url), Stack(_env(port, redis_url), tmp_path) as stack:
        session_assign(session=session, by=organizer, facilitator=people[0])
        waiting = OutboxMessage.objects.filter(
            subject_id=session.pk, state="pending", kind="sessions.invite"
        )
        assert _wait(lambda: waiting.exclude(error="").count() == 40, timeout=30), stack.state()
        assert {"Connection refused" in row.error for row in waiting} == {True}
        assert min(row.due_at for row in waiting) > timezone.now()  # after a backoff
        time.sleep(5)  # still down a little longer
        with smtp_sink(port=port, handler=handler):
            limit = settings.OUTBOX_BACKOFF_FIRST_SECONDS + settings.OUTBOX_SWEEP_SECONDS
            assert _wait(_settled, timeout=limit, step=0.2), stack.state()
            time.sleep(1)
    _each_once(handler, {p.email for p in people})
    rows = OutboxMessage.objects.filter(subject_id=session.pk)
    assert set(rows.values_list("state", "error")) == {("sent", "")}


def test_sign_up_and_invitation_mail_go_out_at_once_without_the_sweeper(redis_url, tmp_path):
    """Account mail and club invitations ring the workers after commit: with no
    beat at all (no sweeper), a sign-up's confirmation and an organizer's
    invitation reach the slow SMTP server within seconds, each once."""
    club = ClubFactory()
    organizer = MembershipFactory(club=club, role="organizer").user
    with (
        smtp_sink(delay=SLOW_SMTP) as (sink, port),
        sending_to(redis_url),
        Stack(_env(port, redis_url), tmp_path, beat=False) as stack,
    ):
        assert _wait(lambda: "outbox.sweep" in stack.state(), timeout=10)  # the start's sweep
        started = time.monotonic()
        response = Client().post(
            "/accounts/signup/",
            {
                "display_name": "Ada Lovelace",
                "email": "new@example.org",
                "password1": "a long enough passphrase 42",
                "password2": "a long enough passphrase 42",
            },
        )
        assert response.status_code == 302
        invitation_emails_create(club=club, by=organizer, emails=["guest@example.org"])
        arrived = _wait(lambda: sink.count() >= 2, timeout=15)
        took = time.monotonic() - started
        assert arrived, stack.state()
        time.sleep(1)
    assert took < settings.OUTBOX_SWEEP_SECONDS / 4  # the doorbell, not a sweep
    assert sorted(r for m in sink.messages for r in m.recipients) == [
        "guest@example.org",
        "new@example.org",
    ]
    assert [m.message["Subject"] for m in sink.to("new@example.org")] == [
        "[Paper Club] Confirm your email address"
    ]
    assert set(OutboxMessage.objects.values_list("kind", "state")) == {
        ("clubs.account", "sent"),
        ("clubs.invitation", "sent"),
    }
