"""Reminders: which are due and when (from each club's settings), and to whom.

Found by a frequent scan of what is due (no far-future eta). A reminder whose
moment passed longer ago than its kind's window (the app was down) is not sent
late; see LATE_WINDOWS. What each one says is `messages.py`.
"""

from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from clubs.chat.models import Event
from clubs.models import OutboxFanOut
from clubs.outbox.kinds import Recipient
from clubs.outbox.services import outbox_fan_outs

from ..chat import chat_reminder
from ..models import ClubReminders, PreRead, Rsvp, Session
from ..webhooks import webhook_facilitator_needed
from .kinds import Kind, outbox_kind, reminder_topic, short_kind
from .preferences import wants
from .sending import active_members, load_session

# How long after its moment a reminder may still go out (after downtime).
LATE_WINDOWS = {
    Kind.VOLUNTEER: timedelta(hours=24),
    Kind.PREP: timedelta(hours=24),
    Kind.NUDGE: timedelta(hours=12),
    Kind.SOON: timedelta(minutes=45),
    Kind.FOLLOW_UP: timedelta(days=7),
}
REMINDER_KINDS = list(LATE_WINDOWS)


def _settings(club) -> ClubReminders:
    return getattr(club, "reminders", None) or ClubReminders(club=club)


def _moment(kind: str, session: Session, rules: ClubReminders) -> datetime | None:
    if kind == Kind.VOLUNTEER and rules.volunteer_needed_days:
        return session.starts_at - timedelta(days=rules.volunteer_needed_days)
    if kind == Kind.PREP and rules.facilitator_prep_days:
        return session.starts_at - timedelta(days=rules.facilitator_prep_days)
    if kind == Kind.NUDGE and rules.preread_nudge_hours:
        return session.starts_at - timedelta(hours=rules.preread_nudge_hours)
    if kind == Kind.SOON and rules.starting_soon_minutes:
        return session.starts_at - timedelta(minutes=rules.starting_soon_minutes)
    if kind == Kind.FOLLOW_UP and rules.follow_up:
        return session.ends_at
    return None


def reminder_moment(kind: str, session: Session) -> datetime | None:
    """When the club's settings say this reminder is due (None: turned off)."""
    return _moment(kind, session, _settings(session.club))


def _applies(kind: str, session: Session) -> bool:
    if kind == Kind.VOLUNTEER:
        return session.state == Session.State.OPEN
    if kind in (Kind.PREP, Kind.NUDGE, Kind.SOON):
        return session.state == Session.State.SCHEDULED
    if kind == Kind.FOLLOW_UP:
        return session.state == Session.State.DONE and bool(
            session.slides_url or session.recording_url
        )
    return False


def reminders_due(*, now: datetime | None = None) -> list[tuple[int, Kind]]:
    """(session id, kind) pairs whose moment has come and not long passed."""
    now = now or timezone.now()
    candidates = Session.objects.filter(
        Q(starts_at__gt=now, starts_at__lte=now + timedelta(days=15))
        | Q(state=Session.State.DONE, ends_at__gte=now - LATE_WINDOWS[Kind.FOLLOW_UP])
    ).select_related("club__reminders")
    due = []
    for session in candidates:
        rules = _settings(session.club)
        for kind in REMINDER_KINDS:
            moment = _moment(kind, session, rules)
            if (
                moment is not None
                and _applies(kind, session)
                and moment <= now <= moment + LATE_WINDOWS[kind]
            ):
                due.append((session.pk, kind))
    return due


def _reminder_recipients(kind: str, session: Session) -> list:
    members = active_members(session)
    if kind == Kind.VOLUNTEER:
        people = members
    elif kind == Kind.PREP:
        people = members.filter(pk__in=[session.facilitator_id, session.co_facilitator_id])
    else:
        going = Rsvp.objects.filter(session=session, answer=Rsvp.Answer.GOING).values("user")
        people = members.filter(pk__in=going)
        if kind == Kind.NUDGE:
            started = PreRead.objects.filter(
                session=session, user=OuterRef("pk"), level__gt=PreRead.Level.NONE
            )
            people = people.exclude(Exists(started))
        if kind == Kind.SOON and session.facilitator_id:
            people = members.filter(Q(pk__in=going) | Q(pk=session.facilitator_id))
    return [user for user in people if wants(user, kind)]


def reminder_still_due(kind: str, session: Session, *, now: datetime | None = None) -> bool:
    """Whether a reminder owed earlier should still go out now: the week still
    fits it, and its moment has not passed longer ago than its window."""
    now = now or timezone.now()
    moment = _moment(kind, session, _settings(session.club))
    window = LATE_WINDOWS[Kind(kind)]
    return moment is not None and _applies(kind, session) and now <= moment + window


def reminders_enqueue(*, now: datetime | None = None) -> int:
    """Beat: owe each reminder that is due, once (one fan-out per session and
    kind; a scan that finds it again adds nothing). Returns how many are due."""
    due = reminders_due(now=now)
    clubs = dict(Session.objects.filter(pk__in=[s for s, _ in due]).values_list("pk", "club_id"))
    outbox_fan_outs(
        [
            {
                "kind": outbox_kind(kind),
                "topic": reminder_topic(session_id, kind),
                "club_id": clubs.get(session_id),
                "subject_id": session_id,
            }
            for session_id, kind in due
            if session_id in clubs
        ]
    )
    # The club's chat hears of the same two moments (clubs/chat; once per week).
    chat_reminder([s for s, kind in due if kind == Kind.VOLUNTEER], Event.NEEDS_FACILITATOR)
    chat_reminder([s for s, kind in due if kind == Kind.SOON], Event.STARTING_SOON)
    # And the club's webhooks of the first (clubs/webhooks; once per week).
    webhook_facilitator_needed(s for s, kind in due if kind == Kind.VOLUNTEER)
    return len(due)


def reminder_audience(fan_out: OutboxFanOut):
    session = load_session(fan_out.subject_id or 0)
    kind = short_kind(fan_out.kind)
    if session is None or not reminder_still_due(kind, session):
        return []
    return [Recipient(address=u.email, user_id=u.pk) for u in _reminder_recipients(kind, session)]
