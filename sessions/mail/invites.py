"""Invites: who is sent a session's calendar invite, its updates and its cancellation."""

from django.utils import timezone

from ..models import Delivery, Session
from .preferences import wants
from .sending import FanOutResult, SessionLock, active_members, deliver_all, load_session

Kind = Delivery.Kind


def invites_send(*, session_id: int) -> FanOutResult:
    """Send the session's current state to everyone who should have it.

    Scheduled: a REQUEST (sequence = change counter) to members who opted in.
    Open again: the updated REQUEST to those already invited.
    Cancelled: a CANCEL to everyone who was sent an invite. Each run sends the
    session as it is now, so a late, older task only finds its work done."""
    with SessionLock(session_id):
        session = load_session(session_id)
        if session is None:
            return FanOutResult()
        sequence = session.change_count
        upcoming = session.starts_at > timezone.now()
        if upcoming and session.state == Session.State.SCHEDULED:
            recipients = [u for u in active_members(session) if wants(u, Kind.INVITE)]
            return deliver_all(
                kind=Kind.INVITE, session=session, recipients=recipients, sequence=sequence
            )
        if upcoming and session.state == Session.State.OPEN:
            # The facilitator stepped back: people who hold the event get the
            # update; nobody new is invited until the week is taken again.
            invited = Delivery.objects.filter(
                session=session, kind=Kind.INVITE, state=Delivery.State.SENT
            ).values("user")
            recipients = [
                u for u in active_members(session).filter(pk__in=invited) if wants(u, Kind.INVITE)
            ]
            return deliver_all(
                kind=Kind.INVITE, session=session, recipients=recipients, sequence=sequence
            )
        if session.state == Session.State.CANCELLED:
            invited = Delivery.objects.filter(
                session=session, kind=Kind.INVITE, state=Delivery.State.SENT
            ).values("user")
            recipients = list(
                active_members(session).filter(pk__in=invited)
            )  # even if they opted out since: their calendar holds the event
            return deliver_all(
                kind=Kind.CANCEL, session=session, recipients=recipients, sequence=sequence
            )
        return FanOutResult()


def assignment_send(*, session_id: int, user_id: int, sequence: int) -> FanOutResult:
    """Tell the person an organizer assigned (at change `sequence`) that they
    facilitate, with links to the session and to step back. Nothing if the week
    has changed hands since, or has passed."""
    with SessionLock(session_id):
        session = load_session(session_id)
        if session is None or session.facilitator_id != user_id:
            return FanOutResult()
        if session.state != Session.State.SCHEDULED or session.starts_at <= timezone.now():
            return FanOutResult()
        recipients = [
            u for u in active_members(session).filter(pk=user_id) if wants(u, Kind.ASSIGNED)
        ]
        return deliver_all(
            kind=Kind.ASSIGNED, session=session, recipients=recipients, sequence=sequence
        )
