"""The chat tables: where the club's posts go, what it posts, and what was
announced. See clubs/chat/__init__.py."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class Event(models.TextChoices):
    NEEDS_FACILITATOR = "needs_facilitator", "A week needs a facilitator"
    SCHEDULED = "scheduled", "A week is scheduled (paper, facilitator, time)"
    STARTING_SOON = "starting_soon", "A week is starting soon"
    MATERIALS = "materials", "Slides or a recording were added"
    BACKLOG_TOP = "backlog_top", "A new paper is at the top of the backlog"
    TEST = "test", "Test message"


class ChatWebhook(models.Model):
    class Service(models.TextChoices):
        DISCORD = "discord", "Discord"
        SLACK = "slack", "Slack"

    club = models.ForeignKey("clubs.Club", on_delete=models.CASCADE, related_name="chat_webhooks")
    service = models.CharField(max_length=10, choices=Service.choices)
    # The URL (at most 500 characters) sealed with Fernet (secrets.py): its
    # token is a password.
    url_sealed = models.CharField(max_length=1000)
    url_masked = models.CharField(max_length=200)
    enabled = models.BooleanField(default=True)
    # Why it was turned off (the service answered 404: the webhook was deleted).
    disabled_reason = models.CharField(max_length=400, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["club", "service"], name="chat_webhook_one_per_service")
        ]

    def __str__(self) -> str:
        return f"{self.get_service_display()} webhook of club {self.club_id}"

    @property
    def outbox_ref(self) -> str:
        return f"chat:{self.pk}"


class ChatSettings(models.Model):
    club = models.OneToOneField("clubs.Club", on_delete=models.CASCADE, related_name="chat")
    events = models.JSONField(default=list, blank=True)
    # The meeting link goes in "starting soon" posts only when the club says so
    # (a public server's members may not all be welcome in the call).
    share_meeting_link = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"Chat settings of club {self.club_id}"


class ChatAnnouncement(models.Model):
    """One thing announced (a week scheduled, say): its posts are outbox rows,
    one per webhook, with this row's id as their sequence."""

    club = models.ForeignKey("clubs.Club", on_delete=models.CASCADE, related_name="+")
    event = models.CharField(max_length=20, choices=Event.choices)
    # What makes it once: "scheduled:<session>:<facilitator>", "soon:<session>".
    key = models.CharField(max_length=120)
    facts = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["club", "key"], name="chat_announcement_once")
        ]

    def __str__(self) -> str:
        return f"{self.event} ({self.key}) in club {self.club_id}"
