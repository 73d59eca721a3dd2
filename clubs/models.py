"""Clubs, the people in them, and how people get in.

Rules live in clubs/services.py; these models hold data and the invariants the
database itself can guard.
"""

import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from .activity.registry import kind_for
from .limits import bounded_text, text_length_check

# Free-text maxima (docs/limits.md); each model also names its own.
CLUB_DESCRIPTION_MAX = 5_000


def validate_time_zone(value: str) -> None:
    if value not in available_time_zones():
        raise ValidationError(
            "“%(value)s” is not a time zone we know. Pick one such as Europe/London.",
            params={"value": value},
            code="unknown_time_zone",
        )


_ZONES: frozenset[str] | None = None


def available_time_zones() -> frozenset[str]:
    global _ZONES
    if _ZONES is None:
        _ZONES = frozenset(zoneinfo.available_timezones())
    return _ZONES


def person_name(*, user_id: int, email: str, username: str, profile_name: str | None) -> str:
    """The name the site shows for a person: their profile's display name, else
    the part of their address before the @, else "member <id>" (`profile_name`
    None: they have no profile, so their address's part or their username).
    Profile.name and the `display_name` filter say this of models; a page that
    reads people as plain columns calls it directly."""
    if profile_name is not None:
        return profile_name or email.split("@")[0] or f"member {user_id}"
    return email.split("@")[0] if email else username


class Profile(models.Model):
    """What a person shows of themself on the site, and the zone they read times in."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    display_name = models.CharField(max_length=80, blank=True)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    # Facilitators and organizers see who pre-read what, unless a member hides it.
    hide_reading_from_facilitators = models.BooleanField(default=False)

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        # The profile branch of person_name, kept inline: pages load profiles
        # with `only()`, and this reads the user only without a display name.
        return self.display_name or self.user.email.split("@")[0] or f"member {self.user_id}"


class Club(models.Model):
    class Visibility(models.TextChoices):
        PUBLIC = "public", "Public: listed, anyone can read it"
        PRIVATE = "private", "Private: only members can see it"

    class JoinPolicy(models.TextChoices):
        OPEN = "open", "Open: anyone signed in can join"
        REQUEST = "request", "By request: organizers approve each request"
        INVITE = "invite", "Invitation only"

    DESCRIPTION_MAX = CLUB_DESCRIPTION_MAX

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, unique=True)
    description = bounded_text(DESCRIPTION_MAX, blank=True, help_text="Markdown.")
    visibility = models.CharField(
        max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    join_policy = models.CharField(
        max_length=10, choices=JoinPolicy.choices, default=JoinPolicy.OPEN
    )
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(visibility__in=["public", "private"]), name="club_visibility_valid"
            ),
            models.CheckConstraint(
                condition=Q(join_policy__in=["open", "request", "invite"]),
                name="club_join_policy_valid",
            ),
            # A private club cannot be found by outsiders, so only invitations let
            # people in: "open" or "by request" would be promises it cannot keep.
            models.CheckConstraint(
                condition=Q(visibility="public") | Q(join_policy="invite"),
                name="club_private_is_invitation_only",
            ),
            text_length_check("description", CLUB_DESCRIPTION_MAX, name="club_description_length"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_public(self) -> bool:
        return self.visibility == self.Visibility.PUBLIC

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)


class Membership(models.Model):
    class Role(models.TextChoices):
        ORGANIZER = "organizer", "Organizer"
        MEMBER = "member", "Member"

    class State(models.TextChoices):
        ACTIVE = "active", "Active"
        PENDING = "pending", "Waiting for approval"
        LEFT = "left", "Left"
        REMOVED = "removed", "Removed"
        # Asked whether to stay (clubs.reconfirm) and did not answer in time: no
        # mail, not counted; active again on signing in, visiting or the link.
        INACTIVE = "inactive", "Inactive"

    club = models.ForeignKey(Club, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    state = models.CharField(max_length=10, choices=State.choices, default=State.ACTIVE)
    created_at = models.DateTimeField(default=timezone.now)
    joined_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["club", "user"], name="membership_one_per_user_club"),
            models.CheckConstraint(
                condition=Q(role__in=["organizer", "member"]), name="membership_role_valid"
            ),
            models.CheckConstraint(
                condition=Q(state__in=["active", "pending", "left", "removed", "inactive"]),
                name="membership_state_valid",
            ),
            # Only an active member can hold the organizer role.
            models.CheckConstraint(
                condition=Q(role="member") | Q(state="active"),
                name="membership_organizer_is_active",
            ),
        ]
        indexes = [models.Index(fields=["club", "state", "role"])]

    def __str__(self) -> str:
        return f"{self.user} in {self.club} ({self.role}, {self.state})"

    @property
    def is_active(self) -> bool:
        return self.state == self.State.ACTIVE

    @property
    def is_organizer(self) -> bool:
        return self.is_active and self.role == self.Role.ORGANIZER


class Invitation(models.Model):
    """A way into a club: a shareable link (many uses) or one email's invitation (one use)."""

    club = models.ForeignKey(Club, on_delete=models.CASCADE, related_name="invitations")
    token = models.CharField(max_length=64, unique=True)
    email = models.EmailField(blank=True, help_text="Empty for a shareable link.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="For an email invitation: who used it.",
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    use_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("created_at")),
                name="invitation_expires_after_creation",
            ),
        ]

    def __str__(self) -> str:
        return f"Invitation to {self.club} ({self.email or 'link'})"

    @property
    def is_link(self) -> bool:
        return not self.email

    @property
    def delivery(self) -> str:
        """For an emailed invitation, how its mail went, from its outbox row (read
        with selectors.club_invitations, which annotates `mail_state`): "sent",
        "failed" (given up, shown with the reason), "retrying", "queued", or
        "skipped" (revoked or expired before its turn came)."""
        state = getattr(self, "mail_state", None)
        if state == "sent":
            return "sent"
        if state == "failed":
            return "failed"
        if state in {"skipped", "superseded"}:
            return "skipped"
        tried = getattr(self, "mail_attempts", 0) and getattr(self, "mail_error", "")
        return "retrying" if tried else "queued"

    def status(self, now=None) -> str:
        now = now or timezone.now()
        if self.revoked_at:
            return "revoked"
        if self.email and self.accepted_at:
            return "used"
        if self.expires_at <= now:
            return "expired"
        return "valid"


class ActivityEntry(models.Model):
    """One line of a club's activity log: who did what, when, and what it takes
    to put it back (clubs/activity). Written in the same transaction as the change.

    `kind` names a kind an app registered (clubs.activity.registry); `data` holds
    what the kind's undo needs. An undo is an entry of its own (kind
    "activity.undo"), and the entry it reversed points at it."""

    UNDO_KIND = "activity.undo"

    club = models.ForeignKey(Club, on_delete=models.CASCADE, related_name="activity")
    # None for what the site did by itself (a beat job, say).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=40)
    # A verb phrase that follows the actor's name: "merged “A” into “B”".
    summary = models.CharField(max_length=500)
    # What the change was about, "app_label.model:pk", to find later changes to it.
    subject = models.CharField(max_length=80, blank=True)
    data = models.JSONField(default=dict, blank=True)
    undone_by = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="undid"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(kind=""), name="activity_kind_not_empty"),
        ]
        indexes = [
            models.Index(fields=["club", "-created_at", "-id"], name="activity_club_newest"),
            models.Index(fields=["club", "kind", "-created_at"], name="activity_club_kind"),
            models.Index(fields=["club", "subject"], name="activity_club_subject"),
        ]
        verbose_name_plural = "activity entries"

    def __str__(self) -> str:
        return f"{self.club_id} {self.created_at:%Y-%m-%d %H:%M} {self.kind}: {self.summary}"

    @property
    def is_undone(self) -> bool:
        return self.undone_by_id is not None

    @property
    def kind_label(self) -> str:
        kind = kind_for(self.kind)
        return kind.label if kind else self.kind

    @property
    def can_undo(self) -> bool:
        """Whether its kind has an undo and it has not been used (what blocks
        it now is for the kind's undo to say)."""
        kind = kind_for(self.kind)
        return kind is not None and kind.undo is not None and not self.is_undone


class ReconfirmPolicy(models.Model):
    """A club's choice to ask quiet members whether to stay (clubs.reconfirm):
    members with no RSVP, attendance, vote or post in `quiet_weeks` weeks are
    asked by mail; those who do not answer within `answer_days` days become
    inactive."""

    QUIET_WEEKS_RANGE = (2, 104)
    ANSWER_DAYS_RANGE = (1, 60)

    club = models.OneToOneField(Club, on_delete=models.CASCADE, related_name="reconfirm_policy")
    enabled = models.BooleanField(default=False)
    quiet_weeks = models.PositiveSmallIntegerField(default=12)
    answer_days = models.PositiveSmallIntegerField(default=14)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(quiet_weeks__gte=2, quiet_weeks__lte=104),
                name="reconfirm_quiet_weeks_sane",
            ),
            models.CheckConstraint(
                condition=Q(answer_days__gte=1, answer_days__lte=60),
                name="reconfirm_answer_days_sane",
            ),
        ]

    def __str__(self) -> str:
        state = "on" if self.enabled else "off"
        return (
            f"Re-confirmation in {self.club_id} "
            f"({state}: {self.quiet_weeks} weeks, {self.answer_days} days)"
        )


class ReconfirmAsk(models.Model):
    """One member asked whether to stay, and how it ended: they kept their place
    (the link, or taking part again), the deadline passed (lapsed: the
    membership became inactive), or, lapsed, they came back.

    A member who takes no email at all is asked on the club's pages instead
    (`by_mail` false): the days to answer start when they first see the
    question (`shown_at`), so `answer_by` stays empty, and the question never
    lapses, until then. Nobody becomes inactive without having been asked."""

    class Outcome(models.TextChoices):
        OPEN = "open", "Waiting for an answer"
        KEPT = "kept", "Stayed"
        LAPSED = "lapsed", "Became inactive"
        RETURNED = "returned", "Came back"

    membership = models.ForeignKey(
        Membership, on_delete=models.CASCADE, related_name="reconfirm_asks"
    )
    club = models.ForeignKey(Club, on_delete=models.CASCADE, related_name="+")
    asked_at = models.DateTimeField(default=timezone.now)
    by_mail = models.BooleanField(
        default=True, help_text="Asked by mail; else on their next visit (they take no email)."
    )
    shown_at = models.DateTimeField(
        null=True, blank=True, help_text="Asked on the site: when they first saw the question."
    )
    # Empty only while a question asked on the site has not been seen.
    answer_by = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.OPEN)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # At most one question waiting per member: a second scan never asks twice.
            models.UniqueConstraint(
                fields=["membership"],
                condition=Q(outcome="open"),
                name="reconfirm_one_open_ask",
            ),
            models.CheckConstraint(
                condition=Q(outcome__in=["open", "kept", "lapsed", "returned"]),
                name="reconfirm_outcome_valid",
            ),
            models.CheckConstraint(
                condition=Q(answer_by__gt=models.F("asked_at")), name="reconfirm_answer_after_ask"
            ),
            # A mail's question has its deadline from the start; one on the site
            # gets it when it is first seen.
            models.CheckConstraint(
                condition=Q(by_mail=True, answer_by__isnull=False)
                | Q(by_mail=False, shown_at__isnull=True, answer_by__isnull=True)
                | Q(by_mail=False, shown_at__isnull=False, answer_by__isnull=False),
                name="reconfirm_deadline_once_asked",
            ),
        ]
        indexes = [models.Index(fields=["outcome", "answer_by"])]

    def __str__(self) -> str:
        return f"Asked {self.membership_id} on {self.asked_at:%Y-%m-%d}: {self.outcome}"


# The outbox (clubs/outbox/): every app's mail goes through it, so it lives in
# the lowest app; its models are this app's.
# Discord and Slack announcements (clubs/chat/): where they go, what is posted.
# Signed outgoing webhooks (clubs/webhooks/): where, what, and each attempt.
from .chat.models import ChatAnnouncement, ChatSettings, ChatWebhook  # noqa: E402
from .outbox.models import OutboxFanOut, OutboxMessage  # noqa: E402
from .webhooks.models import Webhook, WebhookAttempt, WebhookDelivery, WebhookEvent  # noqa: E402

__all__ = [
    "ActivityEntry",
    "ChatAnnouncement",
    "ChatSettings",
    "ChatWebhook",
    "Club",
    "Invitation",
    "Membership",
    "OutboxFanOut",
    "OutboxMessage",
    "Profile",
    "ReconfirmAsk",
    "ReconfirmPolicy",
    "Webhook",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEvent",
    "available_time_zones",
    "validate_time_zone",
]
