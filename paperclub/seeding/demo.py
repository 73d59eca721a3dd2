"""The whole demo club in one call: its people, its backlog and its sessions (`seed_demo`)."""

from papers.related.services import related_rebuild

from . import SeedReport
from .demo_backlog import demo_backlog_seed
from .demo_between import ASKED_MEMBER, INACTIVE_MEMBER, SERIES_MEMBER, demo_between_seed
from .demo_club import DEMO_CLUB_SLUG, DEMO_PASSWORD, DEMO_PEOPLE, demo_club_seed
from .demo_sessions import demo_sessions_seed
from .demo_watch import demo_watch_seed


def demo_seed() -> SeedReport:
    """Create (or top up) the demo club. Safe to run twice; says what is there."""
    club, users = demo_club_seed()
    nominations = demo_backlog_seed(club=club, users=users)
    sessions = demo_sessions_seed(club=club, users=users, nominations=nominations)
    demo_between_seed(club=club, users=users)
    # The seed writes rows directly: the related papers are built here, as the worker would.
    related_rebuild(club_id=club.pk)
    demo_watch_seed(club=club)
    headline = (
        f"Demo club “{club.name}” at /c/{DEMO_CLUB_SLUG}/: "
        f"{len(users)} members, {len(nominations)} papers in the backlog, "
        f"{sessions.past} past sessions ({sessions.covered} papers covered, "
        f"{sessions.cancelled} weeks skipped), {sessions.upcoming} coming weeks "
        f"({sessions.open} need a facilitator)."
    )
    lines = [
        "Between sessions: the last week's write-up and thread, attendance and streaks; "
        f"{SERIES_MEMBER} comes every week; {ASKED_MEMBER} was asked whether to stay "
        f"and {INACTIVE_MEMBER} is inactive (Members, Activity).",
        "Sign in with any of these (password for all: " + DEMO_PASSWORD + "):",
    ]
    for person in DEMO_PEOPLE:
        role = "organizer" if person.organizer else "member"
        lines.append(f"  {person.email:<24} {person.display_name} ({role})")
    return SeedReport(headline=headline, lines=tuple(lines))
