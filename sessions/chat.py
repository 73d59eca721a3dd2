"""What a week says in the club's Discord or Slack (clubs/chat): the facts of a
session for each event, owed inside the change's transaction.

- scheduled: when a week has a facilitator (sessions_calendar_changed, on the
  claim or assignment), again if the facilitator or the papers change;
- needs a facilitator and starting soon: when the club's reminders of the same
  name are due (reminders_enqueue's scan), once per week;
- slides or a recording added (session_details_update), once per link.

Each costs one query when no club of theirs posts to chat.
"""

import hashlib

from django.conf import settings
from django.urls import reverse

from clubs.chat.models import Event
from clubs.chat.services import chat_announce, chat_listening
from clubs.templatetags.paperclub import display_name

from .mail.sending import load_sessions
from .models import Session


def _facts(session: Session, headline: str) -> dict:
    papers = [link.nomination.paper for link in getattr(session, "ordered_papers", [])]
    fields = []
    if papers:
        label = "Paper" if len(papers) == 1 else "Papers"
        fields.append((label, "; ".join(p.display_title for p in papers)))
    people = [u for u in (session.facilitator, session.co_facilitator) if u is not None]
    if people:
        label = "Facilitator" if len(people) == 1 else "Facilitators"
        fields.append((label, ", ".join(map(display_name, people))))
    if session.location:
        fields.append(("Where", session.location))
    url = settings.SITE_URL + reverse("sessions:session", args=[session.club.slug, session.pk])
    body = papers[0].abstract if len(papers) == 1 else ""
    return {
        "headline": headline,
        "title": session.display_title or f"The week of {session.local_start:%A %d %B}",
        "url": url,
        "body": body,
        "fields": fields,
        "starts_at": int(session.starts_at.timestamp()),
        "meeting_link": session.meeting_link,
    }


def _announce(sessions: list[Session], event: str, key, headline) -> int:
    listening = chat_listening(club_ids={s.club_id for s in sessions}, event=event)
    owed = 0
    for session in load_sessions(s.pk for s in sessions if s.club_id in listening).values():
        owed += chat_announce(
            club=session.club,
            event=event,
            key=key(session),
            facts=_facts(session, headline(session)),
        )
    return owed


def _paper_ids(session: Session) -> str:
    return ",".join(str(link.nomination_id) for link in getattr(session, "ordered_papers", []))


def chat_scheduled(session_ids) -> int:
    """Weeks whose calendar changed: a post for each that is newly scheduled (a
    facilitator, or other papers, since the last post)."""
    sessions = list(Session.objects.filter(pk__in=set(session_ids), state=Session.State.SCHEDULED))
    return _announce(
        [s for s in sessions if not s.is_past],
        Event.SCHEDULED,
        lambda s: f"scheduled:{s.pk}:{s.facilitator_id}:{_paper_ids(s)}",
        lambda s: f"Scheduled: {s.club.name}, {s.local_start:%A %d %B}",
    )


def chat_reminder(session_ids, event: str) -> int:
    """A week needs a facilitator, or is starting soon (the reminders' scan)."""
    sessions = list(Session.objects.filter(pk__in=set(session_ids)))
    if event == Event.NEEDS_FACILITATOR:
        return _announce(
            sessions,
            event,
            lambda s: f"needs:{s.pk}",
            lambda s: (
                f"{s.club.name} needs a facilitator for {s.local_start:%A %d %B}. "
                "Volunteer on the week's page."
            ),
        )
    return _announce(
        sessions,
        event,
        lambda s: f"soon:{s.pk}",
        lambda s: f"Starting soon: {s.club.name}, {s.local_start:%H:%M} ({s.club.time_zone})",
    )


def chat_materials(session: Session, *, slides_before: str, recording_before: str) -> int:
    """Slides or a recording newly linked to a week: one post per new link."""
    added = [
        (what, url)
        for what, url, before in (
            ("Slides", session.slides_url, slides_before),
            ("Recording", session.recording_url, recording_before),
        )
        if url and url != before
    ]
    if not added:
        return 0
    digest = hashlib.sha256(" ".join(u for _, u in added).encode()).hexdigest()[:16]
    names = " and ".join(w.lower() for w, _ in added)
    owed = 0
    listening = chat_listening(club_ids={session.club_id}, event=Event.MATERIALS)
    if session.club_id not in listening:
        return 0
    for loaded in load_sessions([session.pk]).values():
        facts = _facts(loaded, f"New {names} for {loaded.club.name}, {loaded.local_start:%d %B}")
        facts["fields"] = [*added, *facts["fields"]]
        owed += chat_announce(
            club=loaded.club,
            event=Event.MATERIALS,
            key=f"materials:{session.pk}:{digest}",
            facts=facts,
        )
    return owed
