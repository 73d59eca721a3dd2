"""Webhook deliveries through real processes: the general and mail workers and
beat on Redis (tests/celery_stack.py), delivering to loopback receivers that
verify every signature (tests/webhook_receiver.py). One receiver is slower
than the timeout (WEBHOOK_TIMEOUT_SECONDS, 10 s: it answers after 12), one
answers 500, one is not listening yet (connection refused) and one webhook is
off. The organizer's requests never wait for any of them; each delivery is
counted once by its receiver, after every fault, in order. Nothing is
shortened: the timeout, the outbox's backoff (15-30 s for a first retry) and
leases are the production values."""

import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from redis import Redis

from clubs.confirming import CONFIRM_FIELD
from clubs.models import OutboxMessage
from clubs.webhooks.models import WebhookAttempt
from clubs.webhooks.services import webhook_create, webhook_enable
from tests.celery_stack import Stack, wait_for, worker_env
from tests.celery_worker import sending_to
from tests.factories import ClubFactory, MembershipFactory, session_at
from tests.services import need_postgres, need_redis
from tests.smtp_sink import free_port
from tests.webhook_receiver import WebhookReceiver

pytestmark = pytest.mark.django_db(transaction=True)

EVENTS = ["session.scheduled", "session.cancelled"]


@pytest.fixture
def redis_url():
    need_postgres()
    url = need_redis()  # this run's own database: another run's worker would take our tasks
    Redis.from_url(url).flushdb()
    return url


def _attempts(webhook) -> list[tuple[str, int | None]]:
    return list(
        WebhookAttempt.objects.filter(delivery__webhook=webhook)
        .order_by("pk")
        .values_list("outcome", "status_code")
    )


def test_slow_broken_and_absent_receivers_each_get_every_delivery_once(client, redis_url, tmp_path):
    club = ClubFactory(name="Latent Space Paper Club")
    organizer = MembershipFactory(club=club, role="organizer").user
    volunteer = MembershipFactory(club=club).user
    week = session_at(club, starts_in=timedelta(days=3), state="open")

    live = WebhookReceiver().start()
    absent_port = free_port()
    absent = WebhookReceiver(absent_port)  # started later: refused until then
    hooks = {}
    for name, receiver in [("slow", live), ("broken", live), ("absent", absent), ("off", live)]:
        path = f"/hooks/{name}"
        hooks[name], secret = webhook_create(
            club=club, name=name, url=receiver.url(path), events=EVENTS, by=organizer
        )
        receiver.secrets[path] = secret
    webhook_enable(webhook=hooks["off"], on=False, by=organizer)
    live.fault("/hooks/slow", delay=12)  # longer than the 10 s timeout
    live.fault("/hooks/broken", status=500)
    try:
        env = worker_env(free_port(), redis_url) | {
            "SECRET_KEY": settings.SECRET_KEY,  # the workers open what this process sealed
            "WEBHOOKS_ALLOW_PRIVATE_ADDRESSES": "1",  # the receivers are loopback
        }
        with sending_to(redis_url), Stack(env, tmp_path) as stack:
            client.force_login(organizer)
            started = time.monotonic()
            response = client.post(
                reverse("sessions:assign", args=[club.slug, week.pk]),
                {"facilitator": volunteer.pk},
            )
            assert response.status_code == 302
            response = client.post(
                reverse("sessions:skip", args=[club.slug, week.pk]),
                {"reason": "Holiday", CONFIRM_FIELD: "1"},
            )
            assert response.status_code == 302
            # The slow receiver answers after 12 s: the requests never waited for it.
            assert time.monotonic() - started < 6
            # The absent receiver's first attempt is refused; then it comes up.
            assert wait_for(
                lambda: _attempts(hooks["absent"])[:1] == [("retrying", None)], timeout=30
            ), stack.state()
            absent.start()

            def arrived() -> bool:
                return all(
                    len(receiver.deliveries(f"/hooks/{name}")) == 2
                    for name, receiver in [("slow", live), ("broken", live), ("absent", absent)]
                )

            # First retries come 15-30 s after each fault (the outbox's backoff).
            assert wait_for(arrived, timeout=150, step=0.5), stack.state()
            owed = OutboxMessage.objects.filter(
                kind="clubs.webhook", state__in=["pending", "sending"]
            )
            assert wait_for(lambda: not owed.exists(), timeout=10), stack.state()
            time.sleep(2)  # nothing more arrives
    finally:
        live.stop()
        absent.stop()

    assert live.bad == absent.bad == []  # every delivery signed with its webhook's secret
    for name, receiver in [("slow", live), ("broken", live), ("absent", absent)]:
        bodies = receiver.deliveries(f"/hooks/{name}")
        assert [b["event"] for b in bodies] == EVENTS, name  # in order
        assert [b["subject"]["id"] for b in bodies] == [week.pk, week.pk]
        assert bodies[1]["subject"]["state"] == "cancelled"
    # The slow receiver took the first delivery twice (it stored it, then answered
    # too late) and counts it once; the broken one answered 500 and took it next time.
    slow_first = live.deliveries("/hooks/slow")[0]["id"]
    assert live.times_seen(slow_first) == 2
    assert _attempts(hooks["slow"]) == [("retrying", None), ("sent", 200), ("sent", 200)]
    timed_out = WebhookAttempt.objects.filter(delivery__webhook=hooks["slow"]).order_by("pk")[0]
    assert timed_out.error == "slow: No answer from 127.0.0.1: ReadTimeout"
    assert 10_000 <= timed_out.response_ms < 12_000
    assert _attempts(hooks["broken"]) == [("retrying", 500), ("sent", 200), ("sent", 200)]
    assert _attempts(hooks["absent"]) == [("retrying", None), ("sent", 200), ("sent", 200)]
    refused = WebhookAttempt.objects.filter(delivery__webhook=hooks["absent"]).order_by("pk")[0]
    assert refused.error == "absent: No answer from 127.0.0.1: ConnectionError"
    # The webhook that is off got nothing and was owed nothing.
    assert [a for a in live.arrivals if a.path == "/hooks/off"] == []
    assert _attempts(hooks["off"]) == []
    assert set(
        OutboxMessage.objects.filter(kind="clubs.webhook").values_list("state", flat=True)
    ) == {"sent"}
