"""Invites: who is sent a session's calendar invite, its updates and its cancellation.

A material change (sessions.calendars.changes) owes one fan-out per session and
sequence; a worker lists its audience here, from the session as it is then:

- scheduled: a REQUEST to every active member who opted in to invites;
- open again (the facilitator stepped back): the updated REQUEST only to those
  who hold the event, i.e. were sent (or may have been sent) an earlier one;
- cancelled: a CANCEL to everyone who holds the event, even if they opted out
  since: their calendar has it.

A member who said they're not going to a week (sessions.calendars.personal)
is not sent that week's updates: they hold it cancelled (a CANCEL of their own,
owed by their answer, unless they had it already), and answering going or
maybe again owes them the invite again. Each person's message carries their
own copy's sequence.

Past sessions are sent nothing.
"""

from collections.abc import Iterator

from django.db.models import OuterRef, Q
from django.utils import timezone

from clubs.models import OutboxFanOut, OutboxMessage
from clubs.outbox.kinds import Recipient
from clubs.outbox.services import outbox_enqueue

from ..calendars import personal
from ..models import Rsvp, Session
from .kinds import Kind, assignment_topic, calendar_topic, outbox_kind, short_kind
from .preferences import wants
from .sending import active_members, load_session


def holders(fan_out: OutboxFanOut):
    """Who may have an earlier version of the event: a message of this stream
    was handed to them, or tried (perhaps delivered) and not refused for good."""
    return (
        OutboxMessage.objects.filter(topic=fan_out.topic, attempts__gt=0, recipient__isnull=False)
        .exclude(fan_out_id=fan_out.pk)
        .exclude(state=OutboxMessage.State.FAILED)
        .values("recipient_id")
    )


def calendar_audience(fan_out: OutboxFanOut) -> Iterator[Recipient]:
    session = load_session(fan_out.subject_id or 0)
    if session is None or session.starts_at <= timezone.now():
        return
    kind = short_kind(fan_out.kind)
    members = personal.with_answer_of(
        active_members(session), user_ref=OuterRef("pk"), session_ref=session.pk
    )
    held = Q(pk__in=holders(fan_out))
    # (No answer is not a no: a NULL answer is spelled out, since NOT (NULL = …) is not true.)
    keeps = Q(my_answer__isnull=True) | ~Q(my_answer=Rsvp.Answer.NOT_GOING)
    if kind == Kind.CANCEL:
        if session.state != Session.State.CANCELLED:
            return
        people = members.filter(held)
        check = None
    elif session.state == Session.State.SCHEDULED:
        # Those who said no to this week hold it cancelled: only a holder among
        # them is listed (their message is their own cancellation, if they lack it).
        people, check = members.filter(keeps | held), Kind.INVITE
    elif session.state == Session.State.OPEN:
        people, check = members.filter(held), Kind.INVITE
    else:
        return
    for user in people.iterator(chunk_size=1000):
        dropped = personal.drops_week(user.my_answer)
        if check is None or dropped or wants(user, check):
            yield Recipient(
                address=user.email,
                user_id=user.pk,
                sequence=fan_out.sequence + user.my_calendar_changes,
            )


def personal_calendar_owe(*, session: Session, user, sequence: int, dropped: bool) -> None:
    """Their answer took the week out of their calendar (`dropped`) or put it
    back: owe them (only them) its cancellation or the invite again, in the
    session's calendar stream at their copy's `sequence`. Call in the answer's
    transaction."""
    if not dropped and not wants(user, Kind.INVITE):
        return  # they take no invites (a cancellation goes to whoever holds one)
    outbox_enqueue(
        kind=outbox_kind(Kind.CANCEL if dropped else Kind.INVITE),
        topic=calendar_topic(session.pk),
        recipients=[Recipient(address=user.email, user_id=user.pk)],
        sequence=sequence,
        club=session.club,
        subject_id=session.pk,
        payload={"personal": "not_this_week" if dropped else "back"},
    )


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
