"""Chat posts through real processes: the general and mail workers and beat on
Redis (tests/celery_stack.py), posting to the loopback server that speaks
Discord's and Slack's webhook APIs (tests/chat_servers.py), which rate-limits
on the way (429 with retry_after: Discord's JSON body, Slack's header). Each
announcement arrives once, in order, on both services; nothing is shortened to
make it pass (the waits are the server's). A 5xx's backoff is tested in
tests/clubs/test_outbox_http.py."""

import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import transaction
from redis import Redis

from clubs.chat.messages import discord_escape
from clubs.chat.models import ChatAnnouncement, Event
from clubs.chat.services import chat_announce, chat_settings_save, chat_webhook_save
from clubs.models import OutboxMessage
from tests.celery_stack import Stack, wait_for, worker_env
from tests.celery_worker import sending_to
from tests.chat_servers import chat_server
from tests.factories import ClubFactory, MembershipFactory, session_at
from tests.services import need_postgres, need_redis
from tests.smtp_sink import free_port

pytestmark = pytest.mark.django_db(transaction=True)

DISCORD_URL = "https://discord.com/api/webhooks/1187654321098765432/" + "T0k3n_" * 12
SLACK_URL = "https://hooks.slack.com/services/T0ABCDEF1/B0GHIJKL2/sEcReTsLaCkToKeN0123456789"


def _said(server) -> list[tuple[str, str]]:
    return [(p.service, p.payload.get("text") or p.payload.get("content")) for p in server.posts]


@pytest.fixture
def redis_url():
    need_postgres()
    url = need_redis()  # this run's own database: another run's worker would take our tasks
    Redis.from_url(url).flushdb()
    return url


def test_each_announcement_arrives_once_in_order_after_429s(redis_url, tmp_path):
    club = ClubFactory(name="Latent Space Paper Club")
    organizer = MembershipFactory(club=club, role="organizer").user
    chat_webhook_save(club=club, service="discord", url=DISCORD_URL, by=organizer)
    chat_webhook_save(club=club, service="slack", url=SLACK_URL, by=organizer)
    chat_settings_save(
        club=club,
        events=[Event.SCHEDULED, Event.STARTING_SOON],
        share_meeting_link=False,
        by=organizer,
    )
    with chat_server(delay=0.05) as server:
        server.fail("discord", 429, retry_after=1.5)
        server.fail("discord", 429, retry_after=0.5)
        server.fail("slack", 429, retry_after=1)
        server.fail("slack", 429, retry_after=0.5)
        env = worker_env(free_port(), redis_url) | {
            # The workers open the URLs this process sealed.
            "SECRET_KEY": settings.SECRET_KEY,
            "OUTGOING_HTTP_HOSTS": f"discord.com={server.base},hooks.slack.com={server.base}",
            # Beat scans for reminders every second (the outbox's periods stay).
            "REMINDER_SCAN_SECONDS": "1",
        }
        with sending_to(redis_url), Stack(env, tmp_path) as stack:
            for n in range(6):
                with transaction.atomic():
                    chat_announce(
                        club=club,
                        event=Event.SCHEDULED,
                        key=f"week-{n}",
                        facts={"headline": f"Post {n}"},
                    )
            # Beat's scan finds a week starting within the hour: "starting soon".
            session_at(club, starts_in=timedelta(minutes=50), facilitator=organizer)
            expected = 2 * 7
            limit = 60  # the retry_afters add 3.5 s; beat's first scan, a second
            assert wait_for(lambda: len(server.posts) >= expected, timeout=limit, step=0.2), (
                f"{_said(server)}\n{stack.state()}"
            )
            owed = OutboxMessage.objects.filter(kind="clubs.chat", state__in=["pending", "sending"])
            assert wait_for(lambda: not owed.exists(), timeout=10, step=0.2), stack.state()
            # A restarted beat scans again and again: nothing is posted twice.
            stack.restart_beat()
            time.sleep(3)
    order = list(ChatAnnouncement.objects.order_by("pk").values_list("facts__headline", flat=True))
    assert len(order) == 7
    assert [p["content"] for p in server.payloads("discord")] == list(map(discord_escape, order))
    slack = [p["text"] for p in server.payloads("slack")]  # "<headline>: <title>" when titled
    assert len(slack) == len(order)
    assert all(text.startswith(headline) for text, headline in zip(slack, order, strict=True))
    assert server.invalid == []
    assert server.faults == []  # every fault was met
    rows = OutboxMessage.objects.filter(kind="clubs.chat")
    assert set(rows.values_list("state", "error")) == {("sent", "")}
    # Each fault cost its post one attempt; the posts behind it waited untried.
    assert sorted(rows.values_list("attempts", flat=True)) == [1] * 12 + [3, 3]
