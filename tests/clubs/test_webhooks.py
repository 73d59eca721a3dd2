"""Signed outgoing webhooks (clubs/webhooks, papers/webhooks.py,
sessions/webhooks.py, api/webhooks.py), delivered through the outbox to a
loopback receiver that verifies every signature (tests/webhook_receiver.py).
The real Celery worker's run with a slow, a broken and an absent receiver is
tests/clubs/test_webhooks_worker.py."""

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from clubs.chat import secrets
from clubs.confirming import CONFIRM_FIELD
from clubs.models import ActivityEntry, OutboxMessage
from clubs.outbox.sending import outbox_drain
from clubs.webhooks import signing
from clubs.webhooks.events import Event
from clubs.webhooks.models import Webhook, WebhookAttempt, WebhookDelivery, WebhookEvent
from clubs.webhooks.services import webhook_create, webhook_enable
from papers.services import nominations_set_state, paper_propose_by_link
from sessions.mail.reminders import reminders_enqueue
from sessions.rota.facilitators import session_assign
from sessions.rota.weeks import session_details, session_details_update, session_skip
from tests.factories import (
    ClubFactory,
    MembershipFactory,
    NominationFactory,
    PaperFactory,
    SessionPaperFactory,
    session_at,
)
from tests.smtp_sink import free_port
from tests.webhook_receiver import verify, webhook_receiver

pytestmark = pytest.mark.django_db

PATH = "/hooks/paperclub?token=site-token-0123456789"
ALL = [e for e in Event.values if e != Event.PING]


@pytest.fixture
def receiver():
    with webhook_receiver() as running:
        yield running
    assert running.bad == []  # every delivery verified


def _hook(club, organizer, receiver, events=ALL, path=PATH, name="Club website"):
    webhook, secret = webhook_create(
        club=club, name=name, url=receiver.url(path), events=list(events), by=organizer
    )
    receiver.secrets[path] = secret
    return webhook


def _attempts(webhook):
    return list(
        WebhookAttempt.objects.filter(delivery__webhook=webhook)
        .order_by("pk")
        .values_list("outcome", "status_code")
    )


def _retitle(week, organizer, title):
    session_details_update(session=week, by=organizer, details=session_details(week, title=title))


def _scheduled_week(club, organizer):
    volunteer = MembershipFactory(club=club).user
    volunteer.profile.display_name = "Ada Facilitator"
    volunteer.profile.save()
    week = session_at(club, starts_in=timedelta(days=3), state="open")
    paper = PaperFactory(club=club, title="Attention Is All You Need")
    SessionPaperFactory(session=week, nomination=NominationFactory(club=club, paper=paper))
    session_assign(session=week, by=organizer, facilitator=volunteer, keep_papers=True)
    return week


def test_a_scheduled_week_is_delivered_signed_in_the_apis_shape(client, receiver, club, organizer):
    webhook = _hook(club, organizer, receiver, events=[Event.SESSION_SCHEDULED])
    week = _scheduled_week(club, organizer)
    assert receiver.arrivals == []  # owed in the change, sent by a worker
    outbox_drain()
    [arrival] = receiver.arrivals
    body = arrival.body
    delivery = WebhookDelivery.objects.get()
    assert arrival.event == "session.scheduled"
    assert arrival.delivery_id == body["id"] == str(delivery.delivery_id)
    assert body["event"] == "session.scheduled"
    assert body["club"]["slug"] == club.slug
    assert body["subject_type"] == "session"
    # The API's own shape of the week, as an outsider sees it.
    client.force_login(MembershipFactory(club=club).user)
    api = client.get(f"/api/v1/clubs/{club.slug}/sessions/{week.pk}/").json()
    assert set(body["subject"]) == set(api)
    assert body["subject"]["id"] == week.pk
    assert body["subject"]["state"] == "scheduled"
    assert body["subject"]["facilitator"] == "Ada Facilitator"
    assert body["subject"]["papers"][0]["title"] == "Attention Is All You Need"
    assert body["subject"]["meeting_link"] is None  # a receiver is no member
    assert body["occurred_at"] == delivery.event.occurred_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    [attempt] = WebhookAttempt.objects.all()
    assert (attempt.outcome, attempt.status_code, attempt.error) == ("sent", 200, "")
    assert attempt.response_ms is not None
    assert attempt.response_ms < 5000
    assert Webhook.objects.get(pk=webhook.pk).failures_in_a_row == 0


def test_the_signature_is_hmac_sha256_over_timestamp_dot_body(receiver, club, organizer):
    _hook(club, organizer, receiver, events=[Event.SESSION_SCHEDULED])
    _scheduled_week(club, organizer)
    outbox_drain()
    [arrival] = receiver.arrivals
    raw = WebhookDelivery.objects.get().body.encode()
    secret = receiver.secrets[PATH]
    assert verify(secret, arrival.headers, raw) == ""
    assert verify("whsec_another", arrival.headers, raw) == "bad signature"
    assert verify(secret, arrival.headers, raw + b" ") == "bad signature"
    stamp = int(arrival.headers["X-PaperClub-Timestamp"])
    assert arrival.headers["X-PaperClub-Signature"] == signing.signature(secret, stamp, raw)
    assert verify(secret, arrival.headers, raw, now=stamp + 301) == "too old"


def test_the_secret_and_url_are_sealed_and_the_secret_shown_once(client, club, organizer):
    client.force_login(organizer)
    url = f"http://127.0.0.1:{free_port()}/hooks/site?token=url-token-abcdef"
    response = client.post(
        reverse("clubs:webhooks", args=[club.slug]),
        {"name": "Club website", "url": url, "events": ["session.scheduled", "paper.proposed"]},
    )
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    webhook = Webhook.objects.get()
    secret = secrets.unseal(webhook.secret_sealed, purpose=signing.PURPOSE)
    assert secret is not None
    assert secret.startswith("whsec_")
    assert secret in response.content.decode()
    assert secret not in webhook.secret_sealed
    assert "url-token" not in webhook.url_sealed + webhook.url_masked
    assert secrets.unseal(webhook.url_sealed, purpose=signing.URL_PURPOSE) == url
    # Sealed for one use, it never opens as another.
    assert secrets.unseal(webhook.secret_sealed) is None
    assert webhook.events == ["paper.proposed", "session.scheduled"]
    again = client.get(reverse("clubs:webhook", args=[club.slug, webhook.pk])).content.decode()
    assert secret not in again
    assert "url-token" not in again
    assert ActivityEntry.objects.filter(club=club, kind="webhooks.webhook").count() == 1


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("ftp://example.org/hook", "starts with https://"),
        ("example.org/hook", "starts with https://"),
        ("https://", "has no host"),
        ("https://user:pw@example.org/hook", "user name and password"),
        ("https://example.org/a b", "no spaces"),
        ("https://example.org:99999/hook", "not a URL"),
        ("http://127.0.0.1:8080/hook", "loopback address"),
        ("http://localhost/hook", "loopback address"),
        ("http://[::1]/hook", "loopback address"),
        ("http://10.1.2.3/hook", "private address"),
        ("http://192.168.0.10/hook", "private address"),
        ("http://169.254.169.254/latest/meta-data/", "link-local address"),
        ("http://[::ffff:10.0.0.1]/hook", "private address"),
        ("http://0.0.0.0/hook", "private address"),
        ("https://no-such-host.invalid/hook", "could not be found"),
    ],
)
def test_a_bad_url_is_refused_with_a_clear_error_and_nothing_saved(
    client, club, organizer, settings, url, words
):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False
    client.force_login(organizer)
    response = client.post(
        reverse("clubs:webhooks", args=[club.slug]),
        {"name": "Site", "url": url, "events": ["session.scheduled"]},
    )
    assert response.status_code == 400
    assert words in response.content.decode()
    assert not Webhook.objects.exists()


def test_a_500_is_retried_after_the_backoff_logged_and_counted_once(receiver, club, organizer):
    webhook = _hook(club, organizer, receiver, events=[Event.SESSION_SCHEDULED])
    receiver.fault(PATH, status=500)
    _scheduled_week(club, organizer)
    outbox_drain()
    row = OutboxMessage.objects.get(kind="clubs.webhook")
    assert row.state == "pending"
    assert row.due_at > timezone.now() + timedelta(seconds=10)  # the outbox's backoff
    assert _attempts(webhook) == [("retrying", 500)]
    OutboxMessage.objects.filter(pk=row.pk).update(due_at=timezone.now())  # the backoff passed
    outbox_drain()
    assert _attempts(webhook) == [("retrying", 500), ("sent", 200)]
    assert len(receiver.arrivals) == 2
    assert len(receiver.deliveries()) == 1
    assert receiver.arrivals[0].delivery_id == receiver.arrivals[1].delivery_id


def test_no_answer_is_retried_and_logged_without_the_url(club, organizer):
    port = free_port()  # nothing listens there
    webhook, _ = webhook_create(
        club=club,
        name="Bot",
        url=f"http://127.0.0.1:{port}/hook?token=never-shown",
        events=[Event.SESSION_SCHEDULED],
        by=organizer,
    )
    _scheduled_week(club, organizer)
    outbox_drain()
    row = OutboxMessage.objects.get(kind="clubs.webhook")
    assert row.state == "pending"
    [attempt] = WebhookAttempt.objects.all()
    assert attempt.outcome == "retrying"
    assert attempt.status_code is None
    assert attempt.error == "Bot: No answer from 127.0.0.1: ConnectionError"
    assert "never-shown" not in row.error + row.address + row.topic + attempt.error
    assert Webhook.objects.get(pk=webhook.pk).enabled


def test_a_webhook_that_is_off_is_owed_nothing_and_sends_nothing(receiver, club, organizer):
    webhook = _hook(club, organizer, receiver, events=[Event.SESSION_SCHEDULED])
    webhook_enable(webhook=webhook, on=False, by=organizer)
    _scheduled_week(club, organizer)
    outbox_drain()
    assert not WebhookDelivery.objects.exists()
    assert receiver.arrivals == []
    # Turned off after a delivery was owed: that one is not sent either.
    webhook_enable(webhook=webhook, on=True, by=organizer)
    _scheduled_week(club, organizer)
    webhook_enable(webhook=webhook, on=False, by=organizer)
    outbox_drain()
    assert receiver.arrivals == []
    row = OutboxMessage.objects.get(kind="clubs.webhook")
    assert row.state == "failed"
    assert row.error.startswith("Not delivered: the webhook is off (turned off by an organizer")


def test_an_event_not_chosen_is_not_delivered(receiver, club, organizer):
    _hook(club, organizer, receiver, events=[Event.RECORDING_ADDED])
    _scheduled_week(club, organizer)
    outbox_drain()
    assert receiver.arrivals == []
    assert not WebhookEvent.objects.exists()


def test_each_event_is_owed_once_from_the_change_that_makes_it(receiver, club, organizer):
    _hook(club, organizer, receiver)
    week = _scheduled_week(club, organizer)
    # The same facts again owe nothing new; the recording is new.
    session_details_update(
        session=week,
        by=organizer,
        details=session_details(week, recording_url="https://video.example.org/week-1"),
    )
    session_details_update(
        session=week,
        by=organizer,
        details=session_details(week, recording_url="https://video.example.org/week-1"),
    )
    open_week = session_at(club, starts_in=timedelta(days=2, hours=12), state="open")
    reminders_enqueue(now=timezone.now())
    reminders_enqueue(now=timezone.now())
    session_skip(session=week, by=organizer, reason="Holiday")
    nominee, created = paper_propose_by_link(
        club=club, user=organizer, title="Mamba", url="https://example.org/mamba.pdf"
    )
    assert created
    nominations_set_state(nominations=[nominee], state="covered", covered_on=timezone.localdate())
    nominations_set_state(nominations=[nominee], state="covered", covered_on=timezone.localdate())
    outbox_drain()
    events = [(b["event"], b["subject"]["id"]) for b in receiver.deliveries()]
    assert events == [
        ("session.updated", week.pk),
        ("session.scheduled", week.pk),
        ("session.recording_added", week.pk),
        ("session.facilitator_needed", open_week.pk),
        ("session.cancelled", week.pk),
        ("paper.proposed", nominee.pk),
        ("paper.covered", nominee.pk),
    ]
    assert len(receiver.arrivals) == len(events)
    covered = receiver.deliveries()[-1]["subject"]
    assert covered["state"] == "covered"
    assert covered["paper"]["title"] == "Mamba"


def test_redeliver_sends_the_same_delivery_id_as_a_new_attempt(client, receiver, club, organizer):
    webhook = _hook(club, organizer, receiver, events=[Event.SESSION_SCHEDULED])
    _scheduled_week(club, organizer)
    outbox_drain()
    delivery = WebhookDelivery.objects.get()
    client.force_login(organizer)
    url = reverse("clubs:webhook_redeliver", args=[club.slug, webhook.pk, delivery.pk])
    response = client.post(url)
    assert response.status_code == 302
    outbox_drain()
    first, second = receiver.arrivals
    assert first.delivery_id == second.delivery_id == str(delivery.delivery_id)
    assert first.body == second.body
    assert len(receiver.deliveries()) == 1
    assert _attempts(webhook) == [("sent", 200), ("sent", 200)]
    page = client.get(reverse("clubs:webhook", args=[club.slug, webhook.pk])).content.decode()
    assert page.count(str(delivery.delivery_id)) >= 2  # the delivery and its redeliver button


def test_rotating_the_secret_signs_the_next_delivery_with_the_new_one(
    client, receiver, club, organizer
):
    webhook = _hook(club, organizer, receiver, events=[Event.SESSION_SCHEDULED])
    old = receiver.secrets[PATH]
    client.force_login(organizer)
    response = client.post(
        reverse("clubs:webhook_rotate", args=[club.slug, webhook.pk]), {CONFIRM_FIELD: "1"}
    )
    assert response.status_code == 200
    new = secrets.unseal(Webhook.objects.get().secret_sealed, purpose=signing.PURPOSE)
    assert new != old
    assert new in response.content.decode()
    receiver.secrets[PATH] = new
    _scheduled_week(club, organizer)
    outbox_drain()
    [arrival] = receiver.arrivals
    raw = WebhookDelivery.objects.get().body.encode()
    assert verify(old, arrival.headers, raw) == "bad signature"


def test_after_n_failed_deliveries_in_a_row_the_webhook_is_turned_off_with_a_notice(
    client, receiver, club, organizer, settings
):
    webhook = _hook(club, organizer, receiver, events=[Event.SESSION_UPDATED])
    limit = settings.WEBHOOK_DISABLE_AFTER_FAILURES
    assert limit == 10
    weeks = [session_at(club, starts_in=timedelta(days=3 + n), state="open") for n in range(12)]
    receiver.fault(PATH, status=500)  # one failure, then a success resets the count
    _retitle(weeks[0], organizer, "A")
    outbox_drain()
    OutboxMessage.objects.filter(state="pending").update(due_at=timezone.now())
    outbox_drain()
    assert Webhook.objects.get().failures_in_a_row == 0
    for _ in range(limit):
        receiver.fault(PATH, status=400)  # refused: each delivery fails at once
    for n, week in enumerate(weeks[1:], start=1):
        _retitle(week, organizer, f"W{n}")
    outbox_drain()
    webhook.refresh_from_db()
    assert not webhook.enabled
    assert webhook.failures_in_a_row == limit
    assert webhook.disabled_reason.startswith(f"{limit} deliveries in a row failed")
    assert ActivityEntry.objects.filter(club=club, kind="webhooks.disabled").count() == 1
    # The 11th was not sent at all: the webhook was off by its turn.
    assert len(receiver.arrivals) == 2 + limit
    failed = OutboxMessage.objects.filter(kind="clubs.webhook", state="failed")
    assert failed.count() == limit + 1
    client.force_login(organizer)
    page = client.get(reverse("clubs:webhook", args=[club.slug, webhook.pk])).content.decode()
    assert "Turned off." in page
    assert "Turn on again" in page
    listing = client.get(reverse("clubs:webhooks", args=[club.slug])).content.decode()
    assert "Turned off:" in listing
    # On again: the count starts afresh, and the next delivery goes.
    client.post(reverse("clubs:webhook_enable", args=[club.slug, webhook.pk]), {"on": "1"})
    webhook.refresh_from_db()
    assert (webhook.enabled, webhook.failures_in_a_row, webhook.disabled_reason) == (True, 0, "")
    _retitle(weeks[0], organizer, "B")
    outbox_drain()
    assert receiver.deliveries()[-1]["subject"]["title"] == "B"


def test_an_address_refused_at_send_time_is_not_called(receiver, club, organizer, settings):
    webhook = _hook(club, organizer, receiver, events=[Event.SESSION_SCHEDULED])
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False  # as in production
    _scheduled_week(club, organizer)
    outbox_drain()
    assert receiver.arrivals == []
    [attempt] = WebhookAttempt.objects.all()
    assert attempt.outcome == "failed"
    assert "127.0.0.1 is a loopback address" in attempt.error
    assert Webhook.objects.get(pk=webhook.pk).failures_in_a_row == 1


def test_a_test_delivery_is_a_ping_with_the_club(client, receiver, club, organizer):
    webhook = _hook(club, organizer, receiver, events=[])
    client.force_login(organizer)
    client.post(reverse("clubs:webhook_ping", args=[club.slug, webhook.pk]))
    outbox_drain()
    [body] = receiver.deliveries()
    assert body["event"] == "ping"
    assert body["subject"] == body["club"]


def test_another_clubs_organizer_never_sees_or_touches_a_webhook(client, receiver, club, organizer):
    webhook = _hook(club, organizer, receiver, events=[Event.SESSION_SCHEDULED], name="Zebra site")
    _scheduled_week(club, organizer)
    outbox_drain()
    delivery = WebhookDelivery.objects.get()
    other = ClubFactory()
    client.force_login(MembershipFactory(club=other, role="organizer").user)
    for name, args, method in [
        ("clubs:webhook", [webhook.pk], "get"),
        ("clubs:webhook_ping", [webhook.pk], "post"),
        ("clubs:webhook_enable", [webhook.pk], "post"),
        ("clubs:webhook_rotate", [webhook.pk], "post"),
        ("clubs:webhook_remove", [webhook.pk], "post"),
        ("clubs:webhook_redeliver", [webhook.pk, delivery.pk], "post"),
    ]:
        url = reverse(name, args=[other.slug, *args])
        response = getattr(client, method)(url, {CONFIRM_FIELD: "1"})
        assert response.status_code == 404, name
    listing = client.get(reverse("clubs:webhooks", args=[other.slug])).content.decode()
    assert "Zebra site" not in listing
    assert webhook.url_masked not in listing
    assert Webhook.objects.get(pk=webhook.pk).enabled
    assert len(receiver.arrivals) == 1


def test_removing_asks_first_then_removes_what_was_owed(client, receiver, club, organizer):
    webhook = _hook(club, organizer, receiver, events=[Event.SESSION_SCHEDULED])
    _scheduled_week(club, organizer)
    client.force_login(organizer)
    url = reverse("clubs:webhook_remove", args=[club.slug, webhook.pk])
    asked = client.post(url)
    assert asked.status_code == 200
    assert "Remove this webhook?" in asked.content.decode()
    assert Webhook.objects.exists()
    client.post(url, {CONFIRM_FIELD: "1"})
    assert not Webhook.objects.exists()
    assert not OutboxMessage.objects.filter(kind="clubs.webhook").exists()
    outbox_drain()
    assert receiver.arrivals == []


@pytest.mark.parametrize("deliveries", [1, 6])
def test_the_delivery_log_costs_the_same_queries_for_any_number(
    client, receiver, club, organizer, django_assert_num_queries, deliveries
):
    webhook = _hook(club, organizer, receiver, events=[Event.SESSION_UPDATED])
    for n in range(deliveries):
        week = session_at(club, starts_in=timedelta(days=3 + n), state="open")
        _retitle(week, organizer, f"W{n}")
    outbox_drain()
    assert WebhookAttempt.objects.count() == deliveries
    client.force_login(organizer)
    url = reverse("clubs:webhook", args=[club.slug, webhook.pk])
    client.get(url)  # warm the session
    with django_assert_num_queries(QUERIES):
        response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('<li class="webhook-log__delivery panel">') == deliveries


QUERIES = 8


def test_the_body_is_fixed_at_the_first_attempt(receiver, club, organizer):
    webhook = _hook(club, organizer, receiver, events=[Event.SESSION_SCHEDULED])
    receiver.fault(PATH, status=503)
    week = _scheduled_week(club, organizer)
    outbox_drain()
    first = json.loads(WebhookDelivery.objects.get().body)
    # The week changes before the retry: the retry says what the first attempt said.
    _retitle(week, organizer, "Later")
    OutboxMessage.objects.filter(pk=OutboxMessage.objects.get(kind="clubs.webhook").pk).update(
        due_at=timezone.now()
    )
    outbox_drain()
    assert receiver.arrivals[0].body == receiver.arrivals[1].body == first
    assert _attempts(webhook) == [("retrying", 503), ("sent", 200)]
