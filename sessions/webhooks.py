"""A week's events for the club's webhooks (clubs/webhooks), owed inside the
change's transaction from the same places that owe its calendar updates and
chat posts:

- sessions_calendar_changed (every material change, sessions/calendars/
  changes.py): "session.updated" for a week to come that changed,
  "session.cancelled" when that change cancelled it, and "session.scheduled"
  when it is scheduled with a facilitator, again if the facilitator or the
  papers change;
- the reminders' scan (sessions/mail/reminders.py): "session.facilitator_needed"
  when the club's "needs a facilitator" reminder is due, once per week;
- session_details_update (sessions/rota/weeks.py): "session.recording_added"
  for each new recording link.

Each costs one query when no webhook of the club listens.
"""

import hashlib
from collections.abc import Iterable

from clubs.webhooks.events import Event
from clubs.webhooks.services import webhook_event_owe, webhook_events_of

from .mail.sending import load_sessions
from .models import Session


def _paper_ids(session: Session) -> str:
    return ",".join(str(link.nomination_id) for link in getattr(session, "ordered_papers", []))


def webhook_calendar_changed(rows: Iterable[tuple[int, int, int, str]]) -> int:
    """Weeks to come whose calendar changed: (pk, club_id, change_count, state)."""
    rows = list(rows)
    listening = webhook_events_of(club_ids={club_id for _, club_id, _, _ in rows})
    wanted = [row for row in rows if row[1] in listening]
    if not wanted:
        return 0
    sessions = load_sessions(pk for pk, *_ in wanted)
    owed = 0
    for pk, club_id, sequence, state in wanted:
        session = sessions.get(pk)
        if session is None:
            continue
        events = listening[club_id]
        if state == Session.State.CANCELLED:
            owe = [(Event.SESSION_CANCELLED, f"cancelled:{pk}:{sequence}")]
        else:
            owe = [(Event.SESSION_UPDATED, f"updated:{pk}:{sequence}")]
            if state == Session.State.SCHEDULED and session.facilitator_id:
                owe.append(
                    (
                        Event.SESSION_SCHEDULED,
                        f"scheduled:{pk}:{session.facilitator_id}:{_paper_ids(session)}",
                    )
                )
        for event, key in owe:
            if event in events:
                owed += webhook_event_owe(club=session.club, event=event, key=key, subject_id=pk)
    return owed


def webhook_facilitator_needed(session_ids: Iterable[int]) -> int:
    """The club's "needs a facilitator" reminder is due for these weeks."""
    ids = set(session_ids)
    if not ids:
        return 0
    clubs = dict(Session.objects.filter(pk__in=ids).values_list("pk", "club_id"))
    listening = webhook_events_of(club_ids=set(clubs.values()))
    wanted = [
        pk
        for pk, club_id in clubs.items()
        if Event.FACILITATOR_NEEDED in listening.get(club_id, ())
    ]
    owed = 0
    for session in load_sessions(wanted).values():
        owed += webhook_event_owe(
            club=session.club,
            event=Event.FACILITATOR_NEEDED,
            key=f"needs:{session.pk}",
            subject_id=session.pk,
        )
    return owed


def webhook_recording(session: Session, *, recording_before: str) -> int:
    """A recording newly linked to a week (or its link replaced)."""
    if not session.recording_url or session.recording_url == recording_before:
        return 0
    listening = webhook_events_of(club_ids={session.club_id})
    if Event.RECORDING_ADDED not in listening.get(session.club_id, ()):
        return 0
    digest = hashlib.sha256(session.recording_url.encode()).hexdigest()[:16]
    return webhook_event_owe(
        club=session.club,
        event=Event.RECORDING_ADDED,
        key=f"recording:{session.pk}:{digest}",
        subject_id=session.pk,
    )
