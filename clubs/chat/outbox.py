"""Chat posts as a kind of outbox message (clubs/outbox): channel "http", one
queued stream per webhook (topic and recipient "chat:<webhook>", sequence the
announcement's id), so a club's posts arrive in the order they were owed, each
once, whatever the retries. Registered from ClubsConfig.ready."""

import logging

from django.utils import timezone

from ..activity.services import activity_record
from ..outbox import kinds
from ..outbox.channels import HttpPost, Refused
from ..outbox.models import OutboxMessage
from . import messages, secrets
from .models import ChatAnnouncement, ChatSettings, ChatWebhook, Event
from .webhooks import LABELS

log = logging.getLogger(__name__)

KIND = "clubs.chat"


def webhook_id(message: OutboxMessage) -> int:
    return int(message.recipient_key.removeprefix("chat:") or 0)


def post_for(announcement: ChatAnnouncement, *, share_link: bool) -> messages.Post:
    facts = announcement.facts
    fields = [(str(name), str(value)) for name, value in facts.get("fields", [])]
    link = facts.get("meeting_link") or ""
    if link and share_link and announcement.event == Event.STARTING_SOON:
        fields.append(("Join", link))
    return messages.Post(
        headline=str(facts.get("headline", "")),
        title=str(facts.get("title", "")),
        url=str(facts.get("url", "")),
        body=str(facts.get("body", "")),
        fields=fields,
        starts_at=facts.get("starts_at"),
        club=str(facts.get("club", "")),
    )


class ChatPost(kinds.MessageKind):
    name = KIND
    label = "Chat announcement"
    channel = "http"
    queued = True
    subject_type = "chat"

    def prepare(self, batch: list[OutboxMessage], memo: dict):
        announcements = ChatAnnouncement.objects.in_bulk({m.subject_id for m in batch})
        webhooks = ChatWebhook.objects.in_bulk({webhook_id(m) for m in batch})
        clubs = {w.club_id for w in webhooks.values()}
        shares = dict(
            ChatSettings.objects.filter(club_id__in=clubs).values_list(
                "club_id", "share_meeting_link"
            )
        )
        return announcements, webhooks, shares

    def render(self, message: OutboxMessage, context) -> HttpPost | None:
        announcements, webhooks, shares = context
        announcement = announcements.get(message.subject_id)
        webhook = webhooks.get(webhook_id(message))
        if announcement is None or webhook is None:
            return None  # the webhook (or the club) was removed: nothing to post to
        service = LABELS[webhook.service]
        if not webhook.enabled:
            raise Refused(f"Not posted: the {service} webhook is off ({webhook.disabled_reason}).")
        url = secrets.unseal(webhook.url_sealed)
        if url is None:
            raise Refused(
                f"Not posted: the {service} webhook URL cannot be read since the site's "
                "secret key changed; paste it again."
            )
        post = post_for(announcement, share_link=shares.get(webhook.club_id, False))
        if webhook.service == ChatWebhook.Service.DISCORD:
            return HttpPost.json(url, messages.discord_payload(post), name=service)
        return HttpPost.json(url, messages.slack_payload(post), name=service)

    def refused(self, message: OutboxMessage, error: Refused) -> None:
        if not error.gone:
            return
        reason = f"{error} on {timezone.now():%d %b %Y at %H:%M} UTC"
        turned_off = ChatWebhook.objects.filter(pk=webhook_id(message), enabled=True).update(
            enabled=False, disabled_reason=reason[:400], disabled_at=timezone.now()
        )
        if turned_off:
            log.warning(
                "chat: %s of club %s turned off: %s", message.recipient_key, message.club_id, error
            )
            if message.club_id:
                activity_record(
                    club=message.club_id,
                    actor=None,
                    kind="chat.disabled",
                    summary=f"turned off the {message.address}: {error}"[:500],
                )


def register_kinds() -> None:
    kinds.register(ChatPost())
