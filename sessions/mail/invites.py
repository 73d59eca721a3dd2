"""Invites: who is sent a session's calendar invite, its updates and its cancellation.

A material change (sessions.calendars.changes) owes one fan-out per session and
sequence; a worker lists its audience here, from the session as it is then:

- scheduled: a REQUEST to every active member who opted in to invites;
- open again (the facilitator stepped back): the updated REQUEST only to those
  who hold the event, i.e. were sent (or may have been sent) an earlier one;
- cancelled: a CANCEL to everyone who holds the event, even if they opted out
  since: their calendar has it.

Past sessions are sent nothing.
"""

from collections.abc import Iterator

from django.utils import timezone

from clubs.models import OutboxFanOut, OutboxMessage
from clubs.outbox.kinds import Recipient
from clubs.outbox.services import outbox_enqueue

from ..models import Session
from .kinds import Kind, assignment_topic, outbox_kind, short_kind
from .preferences import wants
from .sending import active_members, load_session


def holders(fan_out: OutboxFanOut):
    """Who may have an earlier version of the event: a message of this stream
    was handed to them, or tried (perhaps delivered) and not refused for good."""
    return (
        OutboxMessage.objects.filter(
            topic=fan_out.topic,
            sequence__lt=fan_out.sequence,
            attempts__gt=0,
            recipient__isnull=False,
        )
        .exclude(state=OutboxMessage.State.FAILED)
        .values("recipient_id")
    )


def calendar_audience(fan_out: OutboxFanOut) -> Iterator[Recipient]:
    session = load_session(fan_out.subject_id or 0)
    if session is None or session.starts_at <= timezone.now():
        return
    kind = short_kind(fan_out.kind)
    members = active_members(session)
    if kind == Kind.CANCEL:
        if session.state != Session.State.CANCELLED:
            return
        people = members.filter(pk__in=holders(fan_out))
        check = None
    elif session.state == Session.State.SCHEDULED:
        people, check = members, Kind.INVITE
    elif session.state == Session.State.OPEN:
        people, check = members.filter(pk__in=holders(fan_out)), Kind.INVITE
    else:
        return
    for user in people.iterator(chunk_size=1000):
        if check is None or wants(user, check):
            yield Recipient(address=user.email, user_id=user.pk)


def assignment_owe(*, session: Session, user) -> None:
    """Owe the person an organizer assigned (at this change) a mail saying so,
    with links to the session and to step back."""
    outbox_enqueue(
        kind=outbox_kind(Kind.ASSIGNED),
        topic=assignment_topic(session.pk),
        recipients=[Recipient(address=user.email, user_id=user.pk)],
        sequence=session.change_count,
        club=session.club,
        subject_id=session.pk,
    )


def assignment_still_true(session: Session, user) -> bool:
    """Sent only while it is still true: they facilitate a scheduled week to come."""
    return (
        session.facilitator_id == user.pk
        and session.state == Session.State.SCHEDULED
        and session.starts_at > timezone.now()
        and wants(user, Kind.ASSIGNED)
    )
