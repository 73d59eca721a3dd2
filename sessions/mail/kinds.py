"""The kinds of mail sessions send, as people choose and unsubscribe from them,
and how each maps onto the outbox (clubs/outbox): its kind name and its topic."""

from django.db import models


class Kind(models.TextChoices):
    INVITE = "invite", "Calendar invite"
    CANCEL = "cancel", "Cancellation"
    ASSIGNED = "assigned", "Facilitator assignment"
    VOLUNTEER = "volunteer", "Volunteer needed"
    PREP = "prep", "Facilitator preparation"
    NUDGE = "nudge", "Pre-read nudge"
    SOON = "soon", "Starting soon"
    FOLLOW_UP = "follow_up", "Follow-up"


CALENDAR_KINDS = (Kind.INVITE, Kind.CANCEL)
PREFIX = "sessions."


def outbox_kind(kind: str) -> str:
    """The outbox's name for a kind: "sessions.invite"."""
    return PREFIX + kind


def short_kind(outbox_name: str) -> str:
    return outbox_name.removeprefix(PREFIX)


def calendar_topic(session_id: int) -> str:
    """Invites, updates and cancellations of one session are one stream: for
    each person a newer one replaces older unsent ones, and none overtakes."""
    return f"session:{session_id}:calendar"


def assignment_topic(session_id: int) -> str:
    """An organizer's assignment, told to the person assigned: its own stream
    (a later change to the week does not replace it)."""
    return f"session:{session_id}:assigned"


def reminder_topic(session_id: int, kind: str) -> str:
    return f"session:{session_id}:{kind}"
