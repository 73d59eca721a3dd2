"""Create the demo club so a newcomer sees a living club at once. Safe to run twice."""

from django.core.management.base import BaseCommand

from clubs.demo import DEMO_CLUB_SLUG, DEMO_PASSWORD, DEMO_PEOPLE, demo_club_seed
from papers.demo import demo_backlog_seed
from sessions.demo import demo_sessions_seed


class Command(BaseCommand):
    help = "Create (or top up) the demo club: its members, its backlog and its sessions."

    def handle(self, *args, **options) -> None:
        club, users = demo_club_seed()
        nominations = demo_backlog_seed(club=club, users=users)
        sessions = demo_sessions_seed(club=club, users=users, nominations=nominations)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo club “{club.name}” at /c/{DEMO_CLUB_SLUG}/: "
                f"{len(users)} members, {len(nominations)} papers in the backlog, "
                f"{sessions.past} past sessions ({sessions.covered} papers covered, "
                f"{sessions.cancelled} weeks skipped), {sessions.upcoming} coming weeks "
                f"({sessions.open} need a facilitator)."
            )
        )
        self.stdout.write("Sign in with any of these (password for all: " + DEMO_PASSWORD + "):")
        for person in DEMO_PEOPLE:
            role = "organizer" if person.organizer else "member"
            self.stdout.write(f"  {person.email:<24} {person.display_name} ({role})")
