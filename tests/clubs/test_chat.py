"""Discord and Slack announcements (clubs/chat, sessions/chat.py), posted
through the outbox to the loopback server that speaks both APIs and checks
every payload against their documented limits."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from clubs.chat import messages, secrets
from clubs.chat.models import ChatAnnouncement, ChatWebhook, Event
from clubs.chat.services import (
    chat_announce,
    chat_settings_save,
    chat_test_send,
    chat_webhook_save,
)
from clubs.chat.webhooks import clean_webhook_url
from clubs.confirming import CONFIRM_FIELD
from clubs.models import ActivityEntry, OutboxMessage
from clubs.outbox.sending import outbox_drain
from papers.services import vote_add
from sessions.mail.reminders import reminders_enqueue
from sessions.rota.facilitators import session_assign
from sessions.rota.weeks import session_details, session_details_update
from tests.chat_servers import chat_server, discord_problems, slack_problems
from tests.factories import (
    ClubFactory,
    MembershipFactory,
    NominationFactory,
    PaperFactory,
    SessionPaperFactory,
    session_at,
)

pytestmark = pytest.mark.django_db

DISCORD_TOKEN = "Zq3xV9-secretTOKENabcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV_w"
DISCORD_URL = f"https://discord.com/api/webhooks/1187654321098765432/{DISCORD_TOKEN}"
SLACK_TOKEN = "sEcReTsLaCkToKeN0123456789"
SLACK_URL = f"https://hooks.slack.com/services/T0ABCDEF1/B0GHIJKL2/{SLACK_TOKEN}"
LINK = "https://meet.example.com/secret-room"


@pytest.fixture
def server(settings):
    with chat_server() as running:
        settings.OUTGOING_HTTP_HOSTS = running.hosts
        yield running
    assert running.invalid == []  # every payload within the documented limits


@pytest.fixture
def club():
    return ClubFactory(name="Latent Space Paper Club")


def test_a_club_named_after_discord_still_posts(server, organizer):
    club = ClubFactory(name="Discord readers")
    MembershipFactory(club=club, user=organizer, role="organizer")
    _hooks(club, organizer, Event.SCHEDULED)
    chat_announce(club=club, event=Event.SCHEDULED, key="k", facts={"headline": "Hello"})
    outbox_drain()
    assert [p["content"] for p in server.payloads("discord")] == ["Hello"]


@pytest.fixture
def organizer(club):
    return MembershipFactory(club=club, role="organizer").user


def _hooks(club, organizer, *events, share=False):
    chat_webhook_save(club=club, service="discord", url=DISCORD_URL, by=organizer)
    chat_webhook_save(club=club, service="slack", url=SLACK_URL, by=organizer)
    chat_settings_save(club=club, events=list(events), share_meeting_link=share, by=organizer)


# --- URLs: their form, sealed, masked -----------------------------------------------


@pytest.mark.parametrize(
    ("service", "url", "words"),
    [
        (
            "discord",
            "https://example.org/api/webhooks/1/abc",
            "It looks like https://discord.com/api/webhooks/<id>/<token>",
        ),
        ("discord", DISCORD_URL.replace("https", "http"), "not a Discord incoming-webhook URL"),
        ("discord", DISCORD_URL.replace("discord.com", "discord.com.evil.org"), "not a Discord"),
        ("discord", SLACK_URL, "That is a Slack webhook URL; paste it under Slack."),
        (
            "slack",
            "https://hooks.slack.com/services/nope",
            "It looks like https://hooks.slack.com/services/T…/B…/<secret>",
        ),
        ("slack", DISCORD_URL, "That is a Discord webhook URL"),
    ],
)
def test_a_url_that_is_not_the_services_form_is_refused_with_the_expected_form(service, url, words):
    with pytest.raises(ValidationError) as refused:
        clean_webhook_url(service, url)
    assert words in " ".join(refused.value.messages)


def test_the_forms_each_service_gives_are_accepted():
    assert clean_webhook_url("discord", f" {DISCORD_URL}/ ") == DISCORD_URL
    assert clean_webhook_url("discord", DISCORD_URL.replace("discord.com", "discordapp.com"))
    assert clean_webhook_url("slack", SLACK_URL) == SLACK_URL


def test_a_saved_url_is_sealed_and_the_page_shows_it_masked(client, club, organizer):
    client.force_login(organizer)
    page = reverse("clubs:chat", args=[club.slug])
    response = client.post(page, {"what": "discord", "url": DISCORD_URL})
    assert response.status_code == 302
    hook = ChatWebhook.objects.get(club=club)
    assert DISCORD_TOKEN not in hook.url_sealed
    assert secrets.unseal(hook.url_sealed) == DISCORD_URL
    html = client.get(page).content.decode()
    assert "https://discord.com/api/webhooks/1187654321098765432/••••UV_w" in html
    assert DISCORD_TOKEN not in html
    assert DISCORD_TOKEN[:12] not in html


def test_a_wrong_url_on_the_page_says_the_form_and_saves_nothing(client, club, organizer):
    client.force_login(organizer)
    page = reverse("clubs:chat", args=[club.slug])
    response = client.post(page, {"what": "slack", "url": "https://slack.com/my-channel"})
    assert response.status_code == 400
    assert "https://hooks.slack.com/services/T…/B…/&lt;secret&gt;" in response.content.decode()
    assert not ChatWebhook.objects.exists()


def test_removing_asks_first_then_removes(client, club, organizer):
    _hooks(club, organizer)
    client.force_login(organizer)
    url = reverse("clubs:chat_remove", args=[club.slug, "slack"])
    assert "Remove the Slack webhook?" in client.post(url).content.decode()
    assert ChatWebhook.objects.filter(service="slack").exists()
    client.post(url, {CONFIRM_FIELD: "1"})
    assert list(ChatWebhook.objects.values_list("service", flat=True)) == ["discord"]


# --- What is posted -----------------------------------------------------------------


def test_the_test_button_posts_to_that_service_only(client, server, club, organizer):
    _hooks(club, organizer)
    client.force_login(organizer)
    response = client.post(reverse("clubs:chat_test", args=[club.slug, "discord"]))
    assert response.status_code == 302
    outbox_drain()
    assert server.payloads("slack") == []
    [posted] = server.payloads("discord")
    assert posted["content"].startswith("Test message from Paper Club, sent by ")
    assert posted["allowed_mentions"] == {"parse": []}


def test_the_test_button_is_rate_limited_per_club_with_a_clear_429(
    client, server, club, organizer, settings
):
    settings.PAPERCLUB_RATE_LIMITS = {**settings.PAPERCLUB_RATE_LIMITS, "chat_tests": "2/h"}
    _hooks(club, organizer)
    client.force_login(organizer)
    discord = reverse("clubs:chat_test", args=[club.slug, "discord"])
    slack = reverse("clubs:chat_test", args=[club.slug, "slack"])

    assert [client.post(url).status_code for url in (discord, slack)] == [302, 302]
    refused = client.post(discord)
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 3601
    body = refused.content.decode()
    assert "At most 2 test messages to Discord or Slack an hour from one club: " in body
    assert "that many have gone already. Try again in about " in body
    assert f'href="{reverse("clubs:chat", args=[club.slug])}">Back to the chat settings' in body
    assert ChatAnnouncement.objects.filter(club=club, event=Event.TEST).count() == 2
    outbox_drain()
    assert (len(server.payloads("discord")), len(server.payloads("slack"))) == (1, 1)

    # Another club has its own count.
    other = ClubFactory()
    other_organizer = MembershipFactory(club=other, role="organizer").user
    _hooks(other, other_organizer)
    client.force_login(other_organizer)
    assert client.post(reverse("clubs:chat_test", args=[other.slug, "discord"])).status_code == 302


def test_a_scheduled_week_is_posted_with_the_readers_own_time(server, club, organizer):
    _hooks(club, organizer, Event.SCHEDULED)
    volunteer = MembershipFactory(club=club).user
    week = session_at(club, starts_in=timedelta(days=3), state="open")
    paper = PaperFactory(club=club, title="Attention Is All You Need")
    SessionPaperFactory(session=week, nomination=NominationFactory(club=club, paper=paper))
    session_assign(session=week, by=organizer, facilitator=volunteer, keep_papers=True)
    outbox_drain()
    when = int(week.starts_at.timestamp())
    [discord] = server.payloads("discord")
    embed = discord["embeds"][0]
    assert embed["title"] == "Attention Is All You Need"
    assert embed["url"].endswith(reverse("sessions:session", args=[club.slug, week.pk]))
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["When"] == f"<t:{when}:F> (<t:{when}:R>)"
    assert fields["Paper"] == "Attention Is All You Need"
    assert "Facilitator" in fields
    [slack] = server.payloads("slack")
    assert f"<!date^{when}^{{date_long_pretty}} at {{time}}|" in str(slack["blocks"])
    # Scanned again (another change to the week): not posted twice.
    session_details_update(session=week, by=organizer, details=session_details(week, title="New"))
    outbox_drain()
    assert len(server.posts) == 2


def test_an_event_the_club_did_not_choose_is_not_posted(server, club, organizer):
    _hooks(club, organizer, Event.MATERIALS)
    week = session_at(club, starts_in=timedelta(days=3), state="open")
    session_assign(session=week, by=organizer, facilitator=organizer)
    outbox_drain()
    assert server.posts == []
    assert not ChatAnnouncement.objects.exists()


def test_starting_soon_has_the_meeting_link_only_if_the_club_allows_it(server, club, organizer):
    _hooks(club, organizer, Event.STARTING_SOON, Event.NEEDS_FACILITATOR)
    session_at(club, starts_in=timedelta(minutes=50), facilitator=organizer, meeting_link=LINK)
    open_week = session_at(club, starts_in=timedelta(days=2, hours=12), state="open")
    reminders_enqueue()
    reminders_enqueue()  # the next scan finds the same moments: nothing twice
    outbox_drain()
    said = [p["content"] for p in server.payloads("discord")]
    assert len(said) == 2
    assert any(s.startswith("Starting soon: Latent Space Paper Club") for s in said)
    assert any("needs a facilitator" in s for s in said)
    assert LINK not in str(server.posts)
    # With links allowed, the next week's post carries it.
    chat_settings_save(
        club=club, events=[Event.STARTING_SOON], share_meeting_link=True, by=organizer
    )
    session_at(club, starts_in=timedelta(minutes=40), facilitator=organizer, meeting_link=LINK)
    reminders_enqueue()
    outbox_drain()
    assert LINK in str(server.payloads("discord")[-1])
    assert LINK in str(server.payloads("slack")[-1])
    assert open_week.pk  # kept for the reader: the open week was the "needs" post


def test_slides_added_are_posted_once_per_link(server, club, organizer):
    _hooks(club, organizer, Event.MATERIALS)
    week = session_at(club, starts_in=timedelta(days=-2), state="done", facilitator=organizer)
    slides = "https://example.org/slides.pdf"
    session_details_update(
        session=week, by=organizer, details=session_details(week, slides_url=slides)
    )
    week.refresh_from_db()
    session_details_update(session=week, by=organizer, details=session_details(week, notes="x"))
    outbox_drain()
    [posted] = server.payloads("discord")
    assert posted["content"].startswith("New slides for Latent Space Paper Club")
    assert {"name": "Slides", "value": slides} in posted["embeds"][0]["fields"]


def test_a_post_too_long_is_shortened_with_a_link_never_refused(server, club, organizer):
    _hooks(club, organizer, Event.SCHEDULED)
    url = "https://paperclub.example/c/x/sessions/1/"
    facts = {
        "headline": "H" * 2500,
        "title": "T" * 400,
        "url": url,
        "body": "word " * 3000,
        "fields": [[f"field {i}", "v" * 1500] for i in range(30)],
        "starts_at": 1_800_000_000,
    }
    chat_announce(club=club, event=Event.SCHEDULED, key="long", facts=facts)
    outbox_drain()
    [discord] = server.payloads("discord")
    [slack] = server.payloads("slack")
    assert discord["content"].endswith(f"… <{url}>")
    assert len(discord["content"]) == 2000
    assert discord["embeds"][0]["description"].endswith(f"… [Read more]({url})")
    assert slack["blocks"][0]["text"]["text"].endswith(f"… <{url}|Read more>")
    assert set(OutboxMessage.objects.values_list("state", flat=True)) == {"sent"}


@pytest.mark.parametrize("size", [0, 1, 255, 256, 257, 1999, 2000, 2001, 4096, 4097, 7000])
def test_every_size_of_text_fits_both_services(size):
    post = messages.Post(
        headline="h" * size,
        title="t" * size,
        url="https://paperclub.example/c/x/",
        body="b" * size,
        fields=[("n" * size or "n", "v" * size or "v")] * 12,
        starts_at=1_800_000_000,
        club="c" * size,
    )
    assert discord_problems(messages.discord_payload(post)) == []
    assert slack_problems(messages.slack_payload(post)) == []


def test_markup_in_a_title_stays_text():
    post = messages.Post(
        headline="@everyone *bold* <@123>", title="a <b> & c", url="https://x.example/"
    )
    discord = messages.discord_payload(post)
    assert discord["content"] == r"@everyone \*bold\* <@123>"
    assert discord["allowed_mentions"] == {"parse": []}
    assert "a &lt;b&gt; &amp; c" in messages.slack_payload(post)["blocks"][0]["text"]["text"]


# --- Faults ---------------------------------------------------------------------------


def test_a_webhook_answering_404_is_turned_off_with_a_notice(client, server, club, organizer):
    _hooks(club, organizer, Event.SCHEDULED)
    server.gone.add(f"/api/webhooks/1187654321098765432/{DISCORD_TOKEN}")
    chat_announce(club=club, event=Event.SCHEDULED, key="one", facts={"headline": "One"})
    outbox_drain()
    hook = ChatWebhook.objects.get(service="discord")
    assert not hook.enabled
    assert hook.disabled_reason.startswith('Discord answered 404: {"message": "Unknown Webhook"')
    failed = OutboxMessage.objects.get(state="failed")
    assert failed.address == "Discord webhook"
    assert ActivityEntry.objects.filter(club=club, kind="chat.disabled").count() == 1
    # Slack carried on; Discord is owed nothing more until it is fixed.
    chat_announce(club=club, event=Event.SCHEDULED, key="two", facts={"headline": "Two"})
    outbox_drain()
    assert [p["text"] for p in server.payloads("slack")] == ["One", "Two"]
    client.force_login(organizer)
    html = client.get(reverse("clubs:chat", args=[club.slug])).content.decode()
    assert "Turned off." in html
    assert "Unknown Webhook" in html
    outbox = client.get(reverse("clubs:outbox", args=[club.slug])).content.decode()
    assert "Discord webhook" in outbox
    assert "Discord answered 404" in outbox
    # A new URL (or a test) turns it back on.
    server.gone.clear()
    chat_test_send(club=club, service="discord", by=organizer, url="https://x.example/")
    outbox_drain()
    assert ChatWebhook.objects.get(service="discord").enabled
    assert len(server.payloads("discord")) == 1


def test_a_url_sealed_under_another_key_fails_visibly(server, club, organizer, settings):
    _hooks(club, organizer, Event.SCHEDULED)
    settings.SECRET_KEY = "a-different-key-after-a-careless-rotation"
    chat_announce(club=club, event=Event.SCHEDULED, key="k", facts={"headline": "x"})
    outbox_drain()
    errors = set(OutboxMessage.objects.values_list("state", "error"))
    assert (
        "failed",
        "Not posted: the Discord webhook URL cannot be read since the site's "
        "secret key changed; paste it again.",
    ) in errors
    assert server.posts == []


def test_an_old_key_in_the_fallbacks_still_opens_the_url(club, organizer, settings):
    _hooks(club, organizer)
    old = settings.SECRET_KEY
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "the-new-key", [old]
    assert secrets.unseal(ChatWebhook.objects.get(service="slack").url_sealed) == SLACK_URL


def test_a_paper_newly_at_the_top_of_the_backlog_is_posted_once(server, club, organizer):
    _hooks(club, organizer, Event.BACKLOG_TOP)
    first = NominationFactory(club=club, paper=PaperFactory(club=club, title="Old favourite"))
    rising = NominationFactory(club=club, paper=PaperFactory(club=club, title="Rising star"))
    voters = [MembershipFactory(club=club).user for _ in range(3)]
    vote_add(nomination=first, user=voters[0])
    vote_add(nomination=rising, user=voters[1])  # a tie: the newer one is first
    vote_add(nomination=rising, user=voters[2])  # still first: not posted again
    outbox_drain()
    said = [p["content"] for p in server.payloads("discord")]
    assert said == [
        r"New at the top of the Latent Space Paper Club backlog: Old favourite",
        r"New at the top of the Latent Space Paper Club backlog: Rising star",
    ]
    fields = {f["name"]: f["value"] for f in server.payloads("discord")[-1]["embeds"][0]["fields"]}
    assert fields["Votes"] == "1 vote"  # as it was when it reached the top
