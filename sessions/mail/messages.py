"""What a message says: its subject and paragraphs by kind, its plain-text and
HTML bodies, its headers, and for invites and cancellations the calendar parts."""

import zoneinfo
from datetime import datetime, timedelta
from email.utils import parseaddr

from django.conf import settings
from django.contrib.auth.models import User
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from clubs.models import OutboxMessage
from clubs.outbox.mime import OutboxEmail

from ..calendars import ical
from ..calendars.events import event_data, session_papers, session_url
from ..calendars.personal import Copy
from ..models import Session
from .kinds import Kind, calendar_topic, outbox_kind
from .preferences import unsubscribe_url
from .timewords import when_phrase


def _local(moment: datetime, zone_name: str) -> str:
    local = moment.astimezone(zoneinfo.ZoneInfo(zone_name))
    return f"{local:%A %-d %B %Y, %H:%M} ({zone_name})"


def _reason(session: Session) -> str:
    return f": {session.cancel_reason}" if session.cancel_reason else ""


def _name(user) -> str:
    profile = getattr(user, "profile", None)
    return (profile.name if profile else "") or user.email


def role_of(session: Session, user: User) -> str:
    """How a person takes part in a session: "facilitator", "co_facilitator" or "member"."""
    if user.pk is not None and user.pk == session.facilitator_id:
        return "facilitator"
    if user.pk is not None and user.pk == session.co_facilitator_id:
        return "co_facilitator"
    return "member"


# A reminder found this long after its moment still says what the club set
# ("in 30 minutes", not "in 27 minutes" because the scan came 3 minutes late);
# one sent later than that (after downtime) says how far off the session really is.
ON_TIME = timedelta(minutes=15)


def _as_of(kind: str, session: Session, now: datetime) -> datetime:
    from .reminders import reminder_moment  # noqa: PLC0415 - avoids an import cycle: reminders imports this module

    moment = reminder_moment(kind, session) if kind in _REMINDERS else None
    if moment is not None and moment <= now <= moment + ON_TIME:
        return moment
    return now


_REMINDERS = {Kind.VOLUNTEER, Kind.PREP, Kind.NUDGE, Kind.SOON}


def _invite_copy(session: Session, role: str, *, update: bool, about: str, day: str) -> tuple:
    club = session.club.name
    facilitator = session.facilitator
    if session.state == Session.State.OPEN:
        return (
            f"Updated: {club}, {day}{about} needs a facilitator",
            [
                "The facilitator stepped back, so this week needs a facilitator again. "
                "It stays in your calendar; could you take it? Claim it on the session page."
            ],
        )
    updated = "Updated: " if update else ""
    if role == "facilitator":
        lines = [
            "You are facilitating this session."
            if not update
            else "The details of the session you facilitate changed; your calendar follows."
        ]
        if session.co_facilitator is not None:
            lines.append(f"{_name(session.co_facilitator)} co-facilitates with you.")
        return (f"{updated}You facilitate {club}, {day}{about}", lines)
    if role == "co_facilitator":
        with_whom = f" with {_name(facilitator)}" if facilitator is not None else ""
        lines = [
            f"You are co-facilitating this session{with_whom}."
            if not update
            else "The details of the session you co-facilitate changed; your calendar follows."
        ]
        return (f"{updated}You co-facilitate {club}, {day}{about}", lines)
    lines = [
        "You are invited to this session."
        if not update
        else "The details of this session changed; your calendar follows."
    ]
    lines.append("Say whether you're going on the session page (replies to this email go nowhere).")
    return (f"{updated}{club}, {day}{about}", lines)


def _copy(
    kind: str,
    session: Session,
    user: User,
    *,
    now: datetime,
    zone: str,
    update: bool,
    personal: str = "",
) -> tuple[str, list[str]]:
    """Subject and paragraphs for a kind of message, to one person."""
    club = session.club.name
    topic = session.title or "; ".join(p.display_title for p in session_papers(session))
    about = f": {topic}" if topic else ""
    day = f"{session.local_start:%a %-d %b}"
    role = role_of(session, user)
    when = when_phrase(session.starts_at, now=_as_of(kind, session, now), zone_name=zone)
    if personal == "not_this_week":
        return (
            f"Not this week: {club}, {day}{about}",
            [
                "You said you're not going this week, so your calendar drops this one "
                "week. Your other weeks stay as they are.",
                "Changed your mind? Say you're going on the session page and it comes back.",
            ],
        )
    if personal == "back" and session.state == Session.State.SCHEDULED:
        return (
            f"Back in your calendar: {club}, {day}{about}",
            [
                "You said you're coming after all, so this week is back in your calendar.",
                "Replies to this email go nowhere: change your answer on the session page.",
            ],
        )
    if kind == Kind.INVITE:
        return _invite_copy(session, role, update=update, about=about, day=day)
    if kind == Kind.CANCEL:
        return (
            f"Cancelled: {club}, {day}{about}",
            [f"This session is cancelled{_reason(session)}. Your calendar drops it."],
        )
    if kind == Kind.ASSIGNED:
        return (
            f"Will you facilitate {club}, {day}?",
            [
                f"The organizers of {club} asked you to facilitate the session {when}.",
                "If that works for you, there is nothing to do: choose the papers on the "
                "session page when you're ready. If it doesn't, step back and the week is "
                "open to volunteers again.",
            ],
        )
    if kind == Kind.VOLUNTEER:
        return (
            f"{club} needs a facilitator for {day}",
            [
                f"Nobody has volunteered yet to facilitate the session {when}. Could it be you?",
                "Claim it on the session page.",
            ],
        )
    if kind == Kind.PREP:
        co = "co-" if role == "co_facilitator" else ""
        return (
            f"You {co}facilitate {club} {when}",
            [
                f"You {co}facilitate the session {when}. Time to prepare: the big idea, "
                "the results, why it matters, related work and open questions.",
                "Members' questions are on the session page.",
            ],
        )
    if kind == Kind.NUDGE:
        return (
            f"Pre-read for {club}{about}",
            [f"The session is {when}. Even a ten-minute first pass helps."],
        )
    if kind == Kind.SOON:
        lines = [f"The session starts {when}."]
        if role in ("facilitator", "co_facilitator"):
            lines.append("You're facilitating: the meeting link is below.")
        return (f"Starting {when}: {club}{about}", lines)
    if kind == Kind.FOLLOW_UP:
        return (
            f"Slides and recording: {club}{about}",
            ["Thanks for coming. The slides and recording are linked on the session page."],
        )
    raise ValueError(f"No copy for {kind!r}.")


def build_message(
    *,
    kind: str,
    session: Session,
    user: User,
    sequence: int,
    message_id: str,
    invites: ical.Invites | None = None,
    now: datetime | None = None,
    copy: Copy | None = None,
    back: bool = False,
    invited_before: bool | None = None,
) -> OutboxEmail:
    """One person's message, written as of `now` (default: the moment it is
    written). A fan-out passes `invites`, the session's calendar written once
    for everyone (see ical.Invites). A calendar message is the person's own
    `copy` (sessions.calendars.personal): cancelled for them after their "not
    going", and `back` in their calendar after they said they're coming again.
    `invited_before`: whether they were sent an earlier version of the invite
    (then an invite is an update), if the caller knows; else it is looked up."""
    now = now or timezone.now()
    profile = getattr(user, "profile", None)
    zone = profile.time_zone if profile else session.club.time_zone
    if kind != Kind.INVITE:
        update = False
    elif invited_before is not None:
        update = invited_before
    else:
        update = user.pk in _invited_before(session, sequence)
    personal = ""
    if kind == Kind.CANCEL and copy is not None and copy.dropped:
        if session.state != Session.State.CANCELLED:
            personal = "not_this_week"
    elif kind == Kind.INVITE and back:
        personal = "back"
    subject, paragraphs = _copy(
        kind, session, user, now=now, zone=zone, update=update, personal=personal
    )
    unsubscribe = unsubscribe_url(user=user, kind=kind)
    role = role_of(session, user)
    member_link = kind in (Kind.INVITE, Kind.SOON, Kind.ASSIGNED) and session.meeting_link
    page = session_url(session)
    context = {
        "kind": kind,
        "role": role,
        "site_name": settings.SITE_NAME,
        "session": session,
        "papers": session_papers(session),
        "paragraphs": paragraphs,
        "when": _local(session.starts_at, zone),
        "when_club": _local(session.starts_at, session.club.time_zone),
        "session_url": page,
        "step_back_url": step_back_url(session) if kind == Kind.ASSIGNED else "",
        "meeting_link": session.meeting_link if member_link else "",
        "unsubscribe_url": unsubscribe,
        "name": profile.name if profile else "",
        "slides_url": session.slides_url if kind == Kind.FOLLOW_UP else "",
        "recording_url": session.recording_url if kind == Kind.FOLLOW_UP else "",
    }
    message = OutboxEmail(
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
        invites = invites or invites_for(session, copy=copy)
        calendar, method = invites.for_attendee(user.email), invites.method
        # The same calendar twice: as the text/calendar part Gmail and Outlook
        # act on (its method= must equal the body's METHOD), and as a file.
        message.attach_alternative(calendar.decode(), f"text/calendar; method={method}")
        message.attach("invite.ics", calendar, f"application/ics; method={method}")
    return message


def _invited_before(session: Session, sequence: int) -> set[int]:
    """Who was sent an earlier version of this session's invite (their message
    is an update). Kept on the instance: one query per fan-out, not per person."""
    key = f"_invited_before_{sequence}"
    found = session.__dict__.get(key)
    if found is None:
        found = set(
            OutboxMessage.objects.filter(
                topic=calendar_topic(session.pk),
                kind=outbox_kind(Kind.INVITE),
                state=OutboxMessage.State.SENT,
                sequence__lt=sequence,
            ).values_list("recipient_id", flat=True)
        )
        session.__dict__[key] = found
    return found


def step_back_url(session: Session) -> str:
    """The facilitator's "step back" page: it asks first, and steps back on POST."""
    return settings.SITE_URL + reverse("sessions:step_back", args=[session.club.slug, session.pk])


def invites_for(session: Session, *, copy: Copy | None = None) -> ical.Invites:
    return ical.Invites(
        event_data(session, with_link=True, copy=copy),
        organizer=_sender_address(),
        organizer_name=settings.SITE_NAME,
    )


def _sender_address() -> str:
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1] or "noreply@localhost"


def message_id_for(kind: str, session: Session, user: User, sequence: int) -> str:
    domain = _sender_address().rsplit("@", 1)[-1] or "paperclub"
    return f"<{kind}.{session.uid}.{user.pk}.{sequence}@{domain}>"
