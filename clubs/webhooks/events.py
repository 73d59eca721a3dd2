"""The events a webhook may be sent, as they are named on the wire, and what
each is about (the subject's type in the payload registry)."""

from django.db import models


class Event(models.TextChoices):
    PAPER_PROPOSED = "paper.proposed", "A paper is proposed"
    PAPER_COVERED = "paper.covered", "A paper is covered (its week is done)"
    SESSION_SCHEDULED = "session.scheduled", "A week is scheduled (a facilitator, papers)"
    SESSION_UPDATED = "session.updated", "A week changes (time, place, papers, people)"
    SESSION_CANCELLED = "session.cancelled", "A week is cancelled"
    FACILITATOR_NEEDED = "session.facilitator_needed", "A week needs a facilitator"
    RECORDING_ADDED = "session.recording_added", "A recording is added to a week"
    PING = "ping", "Test delivery"


SUBJECT = {
    Event.PAPER_PROPOSED: "nomination",
    Event.PAPER_COVERED: "nomination",
    Event.SESSION_SCHEDULED: "session",
    Event.SESSION_UPDATED: "session",
    Event.SESSION_CANCELLED: "session",
    Event.FACILITATOR_NEEDED: "session",
    Event.RECORDING_ADDED: "session",
    Event.PING: "club",
}

CHOSEN = [(value, label) for value, label in Event.choices if value != Event.PING]
