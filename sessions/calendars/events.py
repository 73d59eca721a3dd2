"""What a session's calendar event says, for feeds, invites and "add to calendar" links.

Built from a session with its club, facilitator and papers loaded (see the
selectors that shape feeds and fan-outs); the iCalendar itself is `ical.py`.
"""

from django.conf import settings
from django.urls import reverse

from ..models import Session
from . import ical
from .personal import Copy


def session_url(session: Session) -> str:
    # Kept on the instance: a fan-out asks for it in every message.
    url = session.__dict__.get("_absolute_url")
    if url is None:
        url = settings.SITE_URL + reverse("sessions:session", args=[session.club.slug, session.pk])
        session.__dict__["_absolute_url"] = url
    return url


def session_papers(session: Session) -> list:
    links = getattr(session, "ordered_papers", None)
    if links is None:
        links = list(session.papers.select_related("nomination__paper").order_by("position"))
    return [link.nomination.paper for link in links]


def event_data(session: Session, *, with_link: bool, copy: Copy | None = None) -> ical.EventData:
    """`copy`: one person's copy (sessions.calendars.personal), whose SEQUENCE
    counts their own answers and which is cancelled for them if they said no."""
    papers = session_papers(session)
    topic = session.title or "; ".join(p.display_title for p in papers) or "Paper club"
    lines = []
    if papers:
        lines.append("Papers:")
        lines += [f"- {p.display_title} {p.link}".rstrip() for p in papers]
    people = (("Facilitator", session.facilitator), ("Co-facilitator", session.co_facilitator))
    for label, person in people:
        if person is not None:
            profile = getattr(person, "profile", None)
            lines.append(f"{label}: {profile.name if profile else person.email}")
    lines.append(f"Session page: {session_url(session)}")
    return ical.EventData(
        uid=f"session-{session.uid}@paperclub",
        sequence=copy.sequence if copy is not None else session.change_count,
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        time_zone=session.club.time_zone,
        summary=f"{session.club.name}: {topic}",
        description="\n".join(lines),
        url=session_url(session),
        cancelled=session.state == Session.State.CANCELLED or (copy is not None and copy.dropped),
        location=session.location,
        meeting_link=session.meeting_link if with_link else "",
    )
