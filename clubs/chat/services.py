"""Saving a club's webhooks and choices, and owing announcements.

`chat_announce` is what the apps above call, inside the change's own
transaction: if the club posts that kind of event and has a webhook on, one
ChatAnnouncement (once per club and key) and one outbox row per webhook."""

import uuid

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from ..activity.registry import Kind, register
from ..activity.services import activity_record
from ..models import Club
from ..outbox.kinds import Recipient
from ..outbox.services import outbox_enqueue
from . import secrets
from .models import ChatAnnouncement, ChatSettings, ChatWebhook, Event
from .outbox import KIND
from .webhooks import LABELS, clean_webhook_url, masked

CHAT = "Chat"


def register_activity_kinds() -> None:
    register(
        Kind("chat.webhook", "Chat webhook changed", CHAT),
        Kind("chat.settings", "Chat announcements changed", CHAT),
        Kind("chat.disabled", "Chat webhook turned off", CHAT),
    )


def chat_settings_of(club: Club) -> ChatSettings:
    return ChatSettings.objects.filter(club=club).first() or ChatSettings(club=club)


@transaction.atomic
def chat_webhook_save(*, club: Club, service: str, url: str, by: User) -> ChatWebhook:
    """Paste (or replace) a webhook URL: checked, sealed, and on again."""
    url = clean_webhook_url(service, url)
    webhook, _ = ChatWebhook.objects.update_or_create(
        club=club,
        service=service,
        defaults={
            "url_sealed": secrets.seal(url),
            "url_masked": masked(service, url),
            "enabled": True,
            "disabled_reason": "",
            "disabled_at": None,
            "created_by": by,
            "created_at": timezone.now(),
        },
    )
    activity_record(
        club=club,
        actor=by,
        kind="chat.webhook",
        summary=f"set the {LABELS[service]} webhook ({webhook.url_masked})",
    )
    return webhook


@transaction.atomic
def chat_webhook_remove(*, club: Club, service: str, by: User) -> bool:
    removed, _ = ChatWebhook.objects.filter(club=club, service=service).delete()
    if removed:
        activity_record(
            club=club,
            actor=by,
            kind="chat.webhook",
            summary=f"removed the {LABELS[service]} webhook",
        )
    return bool(removed)


@transaction.atomic
def chat_settings_save(
    *, club: Club, events: list[str], share_meeting_link: bool, by: User
) -> ChatSettings:
    chosen = [e for e in Event.values if e in set(events) and e != Event.TEST]
    chat, _ = ChatSettings.objects.update_or_create(
        club=club, defaults={"events": chosen, "share_meeting_link": share_meeting_link}
    )
    names = ", ".join(Event(e).label.lower() for e in chosen) or "nothing"
    link = "; the meeting link is posted" if share_meeting_link else ""
    activity_record(
        club=club,
        actor=by,
        kind="chat.settings",
        summary=f"chose what is posted in chat: {names}{link}"[:500],
    )
    return chat


def _owe(announcement: ChatAnnouncement, webhooks) -> int:
    owed = 0
    for webhook in webhooks:
        owed += outbox_enqueue(
            kind=KIND,
            topic=webhook.outbox_ref,
            recipients=[
                Recipient(address=f"{LABELS[webhook.service]} webhook", ref=webhook.outbox_ref)
            ],
            sequence=announcement.pk,
            club=announcement.club,
            subject_id=announcement.pk,
        )
    return owed


def chat_listening(*, club_ids: set[int], event: str) -> set[int]:
    """Of these clubs, those that post `event` and have a webhook on (one query)."""
    if not club_ids:
        return set()
    rows = ChatSettings.objects.filter(
        club_id__in=club_ids, club__chat_webhooks__enabled=True
    ).values_list("club_id", "events")
    return {club_id for club_id, events in rows if event in (events or [])}


def chat_announce(*, club: Club, event: str, key: str, facts: dict) -> int:
    """Owe a post of `event` to each of the club's webhooks that are on, once
    per `key` (asked again, it adds nothing). Call it inside the change's
    transaction. Returns how many posts are newly owed."""
    webhooks = list(ChatWebhook.objects.filter(club=club, enabled=True))
    if not webhooks or event not in chat_settings_of(club).events:
        return 0
    facts = {"club": club.name, **facts}
    try:
        with transaction.atomic():
            announcement = ChatAnnouncement.objects.create(
                club=club, event=event, key=key[:120], facts=facts
            )
    except IntegrityError:
        return 0  # announced already
    return _owe(announcement, webhooks)


@transaction.atomic
def chat_test_send(*, club: Club, service: str, by: User, url: str) -> int:
    """Owe a test post to one webhook, whatever the club's choices."""
    webhook = ChatWebhook.objects.filter(club=club, service=service).first()
    if webhook is None:
        return 0
    if not webhook.enabled:
        # A test is how an organizer checks a fixed webhook: let it try again.
        webhook.enabled, webhook.disabled_reason, webhook.disabled_at = True, "", None
        webhook.save(update_fields=["enabled", "disabled_reason", "disabled_at"])
    name = getattr(getattr(by, "profile", None), "display_name", "") or by.get_username()
    announcement = ChatAnnouncement.objects.create(
        club=club,
        event=Event.TEST,
        key=f"test:{uuid.uuid4().hex}",
        facts={
            "club": club.name,
            "headline": f"Test message from Paper Club, sent by {name}",
            "title": club.name,
            "url": url,
            "body": "If you can read this, the club's announcements will arrive here.",
        },
    )
    return _owe(announcement, [webhook])
