"""The Django admin for site operators: find anything, fix what is safe to fix.

Counters kept by services (vote counts, use counts), tokens and what workers
record are read-only here; rows whose meaning lives in a counter or a log
(votes, deliveries) cannot be added or changed, only looked at.
"""

from django.contrib import admin

from .models import (
    ActivityEntry,
    ChatAnnouncement,
    ChatSettings,
    ChatWebhook,
    Club,
    Invitation,
    Membership,
    OutboxFanOut,
    OutboxMessage,
    Profile,
    ReconfirmAsk,
    ReconfirmPolicy,
    Webhook,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEvent,
)


class RecordAdmin(admin.ModelAdmin):
    """Rows a service keeps in step with others (a vote and its count, a sent
    mail and its log): the admin only shows them."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Club)
class ClubAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "visibility", "join_policy", "time_zone", "created_at"]
    list_filter = ["visibility", "join_policy"]
    search_fields = ["name", "slug"]
    readonly_fields = ["created_at", "created_by"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["club", "user", "role", "state", "joined_at"]
    list_filter = ["role", "state"]
    list_select_related = ["club", "user"]
    search_fields = ["club__name", "club__slug", "user__email", "user__profile__display_name"]
    raw_id_fields = ["club", "user"]
    readonly_fields = ["created_at", "updated_at"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["club", "email", "created_at", "expires_at", "revoked_at", "use_count"]
    list_select_related = ["club"]
    search_fields = ["club__name", "club__slug", "email"]
    raw_id_fields = ["club", "created_by", "accepted_by"]
    # The token is the invitation's secret: not shown, not editable.
    exclude = ["token"]
    readonly_fields = ["created_at", "accepted_at", "accepted_by", "use_count"]


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "display_name", "time_zone", "hide_reading_from_facilitators"]
    list_select_related = ["user"]
    search_fields = ["display_name", "user__email"]
    raw_id_fields = ["user"]


@admin.register(ActivityEntry)
class ActivityEntryAdmin(RecordAdmin):
    """The activity log: undo happens from the club's own log page, where the
    kind's rules decide what may come back; here it is only read."""

    list_display = ["created_at", "club", "actor", "kind", "summary", "undone_by"]
    list_filter = ["kind"]
    list_select_related = ["club", "actor"]
    search_fields = ["club__name", "club__slug", "summary", "actor__email"]
    raw_id_fields = ["club", "actor", "undone_by"]


@admin.register(OutboxMessage)
class OutboxMessageAdmin(RecordAdmin):
    """The outbox: what was owed to whom and how it went (resend from the club's
    outbox page, which goes through the service)."""

    list_display = ["kind", "address", "club", "sequence", "state", "attempts", "created_at"]
    list_filter = ["state", "kind", "channel"]
    list_select_related = ["club"]
    search_fields = ["address", "message_id", "topic", "club__slug"]
    # A payload may carry what an account mail says (a reset link): not shown.
    exclude = ["payload"]


@admin.register(OutboxFanOut)
class OutboxFanOutAdmin(RecordAdmin):
    list_display = ["kind", "topic", "sequence", "state", "recipients", "created_at"]
    list_filter = ["state", "kind"]
    search_fields = ["topic", "club__slug"]
    exclude = ["payload"]


@admin.register(ReconfirmPolicy)
class ReconfirmPolicyAdmin(admin.ModelAdmin):
    list_display = ["club", "enabled", "quiet_weeks", "answer_days", "updated_at"]
    list_filter = ["enabled"]
    list_select_related = ["club"]
    search_fields = ["club__name", "club__slug"]
    raw_id_fields = ["club", "updated_by"]


@admin.register(ReconfirmAsk)
class ReconfirmAskAdmin(RecordAdmin):
    """Questions whether to stay change only through their link, the scan or a sign-in."""

    list_display = ["club", "membership", "asked_at", "answer_by", "outcome", "closed_at"]
    list_filter = ["outcome"]
    list_select_related = ["club", "membership__user"]
    search_fields = ["club__slug", "club__name", "membership__user__email"]


@admin.register(ChatWebhook)
class ChatWebhookAdmin(RecordAdmin):
    """A club's Discord or Slack webhook: the URL is a secret (sealed, and not
    shown even so); organizers paste, test and remove it on the Chat page."""

    list_display = ["__str__", "club", "service", "url_masked", "enabled", "disabled_at"]
    list_filter = ["service", "enabled"]
    list_select_related = ["club"]
    search_fields = ["club__slug"]
    exclude = ["url_sealed"]


@admin.register(ChatSettings)
class ChatSettingsAdmin(RecordAdmin):
    list_display = ["club", "events", "share_meeting_link"]
    list_select_related = ["club"]
    search_fields = ["club__slug"]


@admin.register(Webhook)
class WebhookAdmin(RecordAdmin):
    """A club's signed webhook: its URL and secret are sealed and never shown
    here; organizers manage it on the club's Webhooks page."""

    list_display = ["name", "club", "url_masked", "enabled", "failures_in_a_row", "disabled_at"]
    list_filter = ["enabled"]
    list_select_related = ["club"]
    search_fields = ["name", "club__slug"]
    exclude = ["url_sealed", "secret_sealed"]


@admin.register(WebhookEvent)
class WebhookEventAdmin(RecordAdmin):
    list_display = ["event", "key", "club", "occurred_at"]
    list_filter = ["event"]
    list_select_related = ["club"]
    search_fields = ["key", "club__slug"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(RecordAdmin):
    """One event owed to one webhook (its outbox row: topic "webhook:<id>")."""

    list_display = ["delivery_id", "webhook", "event", "created_at"]
    list_select_related = ["webhook", "event"]
    search_fields = ["delivery_id", "webhook__club__slug"]


@admin.register(WebhookAttempt)
class WebhookAttemptAdmin(RecordAdmin):
    list_display = ["delivery", "at", "outcome", "status_code", "response_ms"]
    list_filter = ["outcome"]
    list_select_related = ["delivery"]
    search_fields = ["delivery__delivery_id"]


@admin.register(ChatAnnouncement)
class ChatAnnouncementAdmin(RecordAdmin):
    """What was announced in chat (its posts are outbox rows, one per webhook)."""

    list_display = ["event", "key", "club", "created_at"]
    list_filter = ["event"]
    list_select_related = ["club"]
    search_fields = ["key", "club__slug"]
