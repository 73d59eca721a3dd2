"""What a message says: its subject and paragraphs by kind, its plain-text and
HTML bodies, its headers, and for invites and cancellations the calendar parts."""

import zoneinfo
from datetime import datetime
from email.utils import parseaddr

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from ..calendars import ical
from ..calendars.events import event_data, session_papers, session_url
from ..models import Delivery, Session
from .preferences import unsubscribe_url

Kind = Delivery.Kind


def _local(moment: datetime, zone_name: str) -> str:
    local = moment.astimezone(zoneinfo.ZoneInfo(zone_name))
    return f"{local:%A %-d %B %Y, %H:%M} ({zone_name})"


def _reason(session: Session) -> str:
    return f": {session.cancel_reason}" if session.cancel_reason else ""


def _copy(kind: str, session: Session) -> tuple[str, list[str]]:
    """Subject and paragraphs for a kind of message."""
    club = session.club.name
    topic = session.title or "; ".join(p.display_title for p in session_papers(session))
    about = f": {topic}" if topic else ""
    day = f"{session.local_start:%a %-d %b}"
    copy = {
        Kind.INVITE: (f"{club}, {day}{about}", ["You are invited to this session."]),
        Kind.CANCEL: (
            f"Cancelled: {club}{about}",
            [f"This session is cancelled{_reason(session)}."],
        ),
        Kind.VOLUNTEER: (
            f"{club} needs a facilitator",
            ["Nobody has volunteered to facilitate this session yet. Could it be you?"],
        ),
        Kind.PREP: (
            f"You facilitate {club} soon",
            [
                "Time to prepare: the big idea, the results, why it matters, "
                "related work and open questions.",
                "Members' questions are on the session page.",
            ],
        ),
        Kind.NUDGE: (
            f"Pre-read for {club}{about}",
            ["The session is in two days. Even a ten-minute first pass helps."],
        ),
        Kind.SOON: (f"Starting soon: {club}{about}", ["The session starts within the hour."]),
        Kind.FOLLOW_UP: (
            f"Slides and recording: {club}{about}",
            ["Thanks for coming. The slides and recording are linked on the session page."],
        ),
    }
    return copy[kind]


def build_message(
    *,
    kind: str,
    session: Session,
    user: AbstractBaseUser,
    sequence: int,
    message_id: str,
    invites: ical.Invites | None = None,
) -> EmailMultiAlternatives:
    """One person's message. A fan-out passes `invites`, the session's calendar
    written once for everyone (see ical.Invites)."""
    profile = getattr(user, "profile", None)
    zone = profile.time_zone if profile else session.club.time_zone
    subject, paragraphs = _copy(kind, session)
    unsubscribe = unsubscribe_url(user=user, kind=kind)
    member_link = kind in (Kind.INVITE, Kind.SOON) and session.meeting_link
    context = {
        "kind": kind,
        "session": session,
        "papers": session_papers(session),
        "paragraphs": paragraphs,
        "when": _local(session.starts_at, zone),
        "when_club": _local(session.starts_at, session.club.time_zone),
        "session_url": session_url(session),
        "meeting_link": session.meeting_link if member_link else "",
        "unsubscribe_url": unsubscribe,
        "name": profile.name if profile else "",
        "slides_url": session.slides_url if kind == Kind.FOLLOW_UP else "",
        "recording_url": session.recording_url if kind == Kind.FOLLOW_UP else "",
    }
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("sessions/email/message.txt", context),
        to=[user.email],
        headers={
            "Message-ID": message_id,
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
        },
    )
    message.attach_alternative(
        render_to_string("sessions/email/message.html", context), "text/html"
    )
    if kind in (Kind.INVITE, Kind.CANCEL):
        invites = invites or invites_for(session)
        calendar, method = invites.for_attendee(user.email), invites.method
        # The same calendar twice: as the text/calendar part Gmail and Outlook
        # act on (its method= must equal the body's METHOD), and as a file.
        message.attach_alternative(calendar.decode(), f"text/calendar; method={method}")
        message.attach("invite.ics", calendar, f"application/ics; method={method}")
    return message


def invites_for(session: Session) -> ical.Invites:
    return ical.Invites(event_data(session, with_link=True), organizer=_sender_address())


def _sender_address() -> str:
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1] or "noreply@localhost"


def message_id_for(kind: str, session: Session, user: AbstractBaseUser, sequence: int) -> str:
    domain = _sender_address().rsplit("@", 1)[-1] or "paperclub"
    return f"<{kind}.{session.uid}.{user.pk}.{sequence}@{domain}>"
