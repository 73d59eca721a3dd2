"""Session mail as kinds of outbox message (clubs/outbox): invites, updates and
cancellations (one stream per session, versioned by its change counter) and
the reminders. Registered from SessionsConfig.ready.

Each message is built when it is sent, from the session as it is then: a
calendar message whose sequence is no longer the session's is superseded (the
newer change owes its own), and a reminder the week no longer fits is skipped.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Min
from django.utils import timezone

from clubs.models import OutboxFanOut, OutboxMessage
from clubs.outbox import kinds as outbox_kinds

from ..calendars import ical, personal
from ..models import Session
from .invites import assignment_still_true, calendar_audience
from .kinds import CALENDAR_KINDS, Kind, calendar_topic, outbox_kind, short_kind
from .messages import build_message, invites_for, message_id_for
from .preferences import wants
from .reminders import REMINDER_KINDS, reminder_audience, reminder_still_due
from .sending import load_people, load_sessions


@dataclass
class Batch:
    sessions: dict[int, Session]
    people: dict
    invites: dict[tuple[int, int, bool], ical.Invites] = field(default_factory=dict)
    # (sequence, kind) of the earlier calendar messages handed over, by (topic, recipient id).
    handed: dict[tuple[str, int], list[tuple[int, str]]] = field(default_factory=dict)
    # The lowest sequence of an invite sent to them, by (session id, recipient id).
    first_invited: dict[tuple[int, int], int] = field(default_factory=dict)
    # Each calendar message's recipient's copy as read just before it goes out.
    copies: dict[int, personal.Copy] = field(default_factory=dict)
    # Each message's Message-ID, worked out once (its headers and the outbox's row).
    message_ids: dict[int, str] = field(default_factory=dict)


def _calendar_messages(messages: list[OutboxMessage]) -> list[OutboxMessage]:
    return [m for m in messages if short_kind(m.kind) in CALENDAR_KINDS]


def _handed_over(calendar: list[OutboxMessage]) -> dict[tuple[str, int], list[tuple[int, str]]]:
    """Earlier messages of these streams that reached, or may have reached, their
    recipient: sent, or tried and not refused for good."""
    if not calendar:
        return {}
    handed = defaultdict(list)
    earlier = (
        OutboxMessage.objects.filter(
            topic__in={m.topic for m in calendar},
            recipient_id__in={m.recipient_id for m in calendar},
            attempts__gt=0,
        )
        .exclude(state=OutboxMessage.State.FAILED)
        .exclude(pk__in=[m.pk for m in calendar])
        .values_list("topic", "recipient_id", "sequence", "kind")
    )
    for topic, recipient, sequence, kind in earlier:
        handed[topic, recipient].append((sequence, kind))
    return dict(handed)


def _first_invited(calendar: list[OutboxMessage]) -> dict[tuple[int, int], int]:
    """For these messages' people and sessions, the lowest sequence of an invite
    sent to each (a message with a higher one is an update): one query for the
    batch, of its own people only."""
    sessions = {m.subject_id for m in calendar if m.subject_id}
    if not sessions:
        return {}
    sent = (
        OutboxMessage.objects.filter(
            topic__in=[calendar_topic(pk) for pk in sessions],
            kind=outbox_kind(Kind.INVITE),
            state=OutboxMessage.State.SENT,
            recipient_id__in={m.recipient_id for m in calendar},
        )
        .values_list("topic", "recipient_id")
        .annotate(first=Min("sequence"))
    )
    by_topic = {calendar_topic(pk): pk for pk in sessions}
    return {(by_topic[topic], recipient): first for topic, recipient, first in sent}


def _latest_handed(context: Batch, message: OutboxMessage, user_id: int) -> str | None:
    """The kind of the newest earlier message of this stream the person may hold."""
    earlier = [
        (sequence, kind)
        for sequence, kind in context.handed.get((message.topic, user_id), ())
        if sequence < message.sequence
    ]
    return max(earlier)[1] if earlier else None


class SessionMail(outbox_kinds.MessageKind):
    subject_type = "session"

    def __init__(self, kind: str):
        self.short = kind
        self.name = outbox_kind(kind)
        self.label = Kind(kind).label

    def fan_out_current(self, fan_out: OutboxFanOut) -> bool:
        if self.short not in CALENDAR_KINDS:  # reminders (assignments are not fanned out)
            return Session.objects.filter(pk=fan_out.subject_id or 0).exists()
        current = (
            Session.objects.filter(pk=fan_out.subject_id or 0)
            .values_list("change_count", flat=True)
            .first()
        )
        return current == fan_out.sequence

    def audience(self, fan_out: OutboxFanOut):
        if self.short in CALENDAR_KINDS:
            return calendar_audience(fan_out)
        return reminder_audience(fan_out)

    def prepare(self, messages: list[OutboxMessage], memo: dict) -> Batch:
        calendar = _calendar_messages(messages)
        return Batch(
            sessions=load_sessions(m.subject_id or 0 for m in messages),
            people=load_people(m.recipient_id for m in messages if m.recipient_id),
            # Written once per session and version for the whole run (a fan-out
            # of thousands writes one calendar; see ical.Invites).
            invites=memo.setdefault("sessions.invites", {}),
            handed=_handed_over(calendar),
            first_invited=_first_invited(calendar),
        )

    def current_sequence(self, message: OutboxMessage, context: Batch) -> int | None:
        if self.short not in CALENDAR_KINDS or message.subject_id not in context.sessions:
            return None
        # Fresh, not the batch's copy: a change may have committed a moment ago.
        # The person's own copy: the week's changes plus their answers' (personal.py).
        now = personal.copy_now(
            session_id=message.subject_id or 0, user_id=message.recipient_id or 0
        )
        if now is None:
            return None
        context.copies[message.pk] = personal.Copy(sequence=now[0], dropped=now[1])
        return now[0]

    def message_id(self, message: OutboxMessage, context: Batch) -> str:
        found = context.message_ids.get(message.pk)
        if found is None:
            session = context.sessions[message.subject_id or 0]
            user = context.people[message.recipient_id]
            found = message_id_for(self.short, session, user, message.sequence)
            context.message_ids[message.pk] = found
        return found

    def render(self, message: OutboxMessage, context: Batch):
        session = context.sessions.get(message.subject_id or 0)
        user = context.people.get(message.recipient_id)
        if session is None or user is None or not user.is_active:
            return None
        kind = self.short
        copy = None
        invited_before = None
        if self.short in CALENDAR_KINDS:
            if session.starts_at <= timezone.now():
                return None  # it happened: nothing to put in a calendar now
            copy = context.copies.get(message.pk) or personal.Copy(session.change_count, False)
            # What their calendar should hold now: the week cancelled (for
            # everyone, or for them after their "not going"), or the event.
            cancelled = session.state == Session.State.CANCELLED or copy.dropped
            kind = Kind.CANCEL if cancelled else Kind.INVITE
            latest = _latest_handed(context, message, user.pk)
            if (cancelled or session.state == Session.State.OPEN) and latest is None:
                return None  # they never had the event: nothing to cancel or update
            if cancelled and latest == outbox_kind(Kind.CANCEL):
                return None  # their calendar has it cancelled already
            first = context.first_invited.get((session.pk, user.pk))
            invited_before = first is not None and first < message.sequence
            key = (session.pk, copy.sequence, copy.dropped)
            invites = context.invites.get(key)
            if invites is None:
                invites = context.invites[key] = invites_for(session, copy=copy)
        elif self.short == Kind.ASSIGNED:
            if not assignment_still_true(session, user):
                return None  # the week changed hands, or passed, since
            invites = None
        else:
            if not reminder_still_due(self.short, session) or not wants(user, self.short):
                return None
            invites = None
        return build_message(
            kind=kind,
            session=session,
            user=user,
            sequence=message.sequence,
            message_id=self.message_id(message, context),
            invites=invites,
            copy=copy,
            back=(message.payload or {}).get("personal") == "back",
            invited_before=invited_before,
        )


def register_kinds() -> None:
    for kind in [*CALENDAR_KINDS, Kind.ASSIGNED, *REMINDER_KINDS]:
        outbox_kinds.register(SessionMail(kind))
