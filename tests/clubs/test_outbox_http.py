"""The outbox's HTTP delivery (clubs/outbox/http.py, channels.HttpChannel) and
queued streams, with a kind of its own posting to the loopback chat server:
every message of a queue goes, in order; a 429's retry_after is honoured; a
404 fails the row and tells the kind; a 5xx or no answer is retried later."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from clubs.models import OutboxMessage
from clubs.outbox import channels, http, kinds
from clubs.outbox.sending import outbox_drain
from clubs.outbox.services import outbox_enqueue
from tests.chat_servers import chat_server
from tests.smtp_sink import free_port

pytestmark = pytest.mark.django_db

HOOK = "https://discord.com/api/webhooks/1234567890123456789/SeCrEtToKeN-abcdefghijklmnopqrstuvwxyz"
REFUSED: list[tuple[int, bool]] = []


class Hook(kinds.MessageKind):
    name = "tests.hook"
    label = "Test hook"
    channel = "http"
    queued = True
    subject_type = "hook"

    def render(self, message, context):
        return channels.HttpPost.json(
            HOOK, {"content": message.payload["say"]}, name="Discord", delivery_header="X-Delivery"
        )

    def refused(self, message, error):
        REFUSED.append((message.sequence, error.gone))


kinds.register(Hook())


@pytest.fixture
def server(settings):
    REFUSED.clear()
    with chat_server() as running:
        settings.OUTGOING_HTTP_HOSTS = running.hosts
        yield running


def _owe(*sayings: str, start: int = 1) -> None:
    for n, say in enumerate(sayings, start=start):
        outbox_enqueue(
            kind="tests.hook",
            topic="hook:1",
            recipients=[kinds.Recipient(address="Discord", ref="hook:1")],
            sequence=n,
            subject_id=n,
            payload={"say": say},
        )


def _said(server) -> list[str]:
    return [p["content"] for p in server.payloads("discord")]


def test_routed_points_a_real_host_at_the_loopback_base(settings):
    settings.OUTGOING_HTTP_HOSTS = {"discord.com": "http://127.0.0.1:8121/x"}
    assert http.routed(HOOK + "?wait=true") == (
        "http://127.0.0.1:8121/x/api/webhooks/1234567890123456789/"
        "SeCrEtToKeN-abcdefghijklmnopqrstuvwxyz?wait=true"
    )
    assert http.routed("https://example.org/a") == "https://example.org/a"
    settings.OUTGOING_HTTP_HOSTS = {}
    assert http.routed(HOOK) == HOOK


def test_retry_after_reads_discords_body_and_slacks_header():
    discord = http.HttpAnswer(429, {"retry-after": "2"}, '{"retry_after": 1.5, "global": false}')
    assert channels.retry_after(discord) == 1.5
    assert channels.retry_after(http.HttpAnswer(429, {}, '{"retry_after": 0.25}')) == 0.25
    assert channels.retry_after(http.HttpAnswer(429, {"retry-after": "30"}, "rate_limited")) == 30
    assert channels.retry_after(http.HttpAnswer(429, {}, "rate_limited")) is None


def test_a_queue_goes_in_order_and_a_429_holds_the_rest_back_for_its_retry_after(server):
    server.fail("discord", 429, retry_after=0.6)
    _owe("one", "two", "three")
    result = outbox_drain()
    assert _said(server) == []  # "one" met the 429; "two" and "three" wait behind it
    assert result.wake_in is not None
    assert 0.5 <= result.wake_in <= 0.7
    first = OutboxMessage.objects.get(sequence=1)
    assert first.state == "pending"
    assert "answered 429" in first.error
    assert timezone.now() + timedelta(seconds=0.3) < first.due_at
    assert first.due_at < timezone.now() + timedelta(seconds=1)
    assert set(OutboxMessage.objects.exclude(pk=first.pk).values_list("state", "attempts")) == {
        ("pending", 0)
    }
    time.sleep(0.7)
    outbox_drain()
    assert _said(server) == ["one", "two", "three"]
    assert server.invalid == []
    assert set(OutboxMessage.objects.values_list("state", flat=True)) == {"sent"}


def test_every_message_of_a_queue_goes_none_supersedes_another(server):
    _owe("one", "two")
    outbox_drain()
    _owe("three", start=3)
    outbox_drain()
    assert _said(server) == ["one", "two", "three"]


def test_a_5xx_is_retried_after_the_backoff_and_the_queue_waits(server):
    server.fail("discord", 502)
    _owe("one", "two")
    outbox_drain()
    first = OutboxMessage.objects.get(sequence=1)
    assert first.state == "pending"
    assert first.error.startswith("Discord answered 502")
    assert first.due_at > timezone.now() + timedelta(seconds=10)
    assert _said(server) == []
    OutboxMessage.objects.filter(pk=first.pk).update(due_at=timezone.now())  # the backoff passed
    outbox_drain()
    assert _said(server) == ["one", "two"]


def test_a_404_fails_the_row_tells_the_kind_and_the_next_goes_on(server):
    server.gone.add("/api/webhooks/1234567890123456789/SeCrEtToKeN-abcdefghijklmnopqrstuvwxyz")
    _owe("one")
    outbox_drain()
    row = OutboxMessage.objects.get()
    assert row.state == "failed"
    assert row.error == 'Discord answered 404: {"message": "Unknown Webhook", "code": 10015}'
    assert REFUSED == [(1, True)]


def test_no_answer_is_retried_and_never_names_the_secret_url(settings):
    settings.OUTGOING_HTTP_HOSTS = {"discord.com": f"http://127.0.0.1:{free_port()}"}
    _owe("one")
    outbox_drain()
    row = OutboxMessage.objects.get()
    assert row.state == "pending"
    assert row.error == "Discord: No answer from discord.com: ConnectionError"
    assert "SeCrEt" not in row.error + row.address + row.topic + row.recipient_key


def test_the_delivery_id_is_the_same_at_every_attempt(server, monkeypatch):
    seen: list[str] = []
    real = http.post

    def spy(url, **kwargs):
        seen.append(kwargs["headers"]["X-Delivery"])
        return real(url, **kwargs)

    monkeypatch.setattr(http, "post", spy)
    server.fail("discord", 429, retry_after=0.05)
    _owe("one")
    outbox_drain()
    time.sleep(0.1)
    outbox_drain()
    assert len(seen) == 2
    assert seen[0] == seen[1] == OutboxMessage.objects.get().message_id
