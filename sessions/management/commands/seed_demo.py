"""Create the demo club so a newcomer sees a living club at once. Safe to run twice."""

from django.core.management.base import BaseCommand

from clubs.demo import DEMO_CLUB_SLUG, DEMO_PASSWORD, DEMO_PEOPLE, demo_club_seed
from papers.demo import demo_backlog_seed


class Command(BaseCommand):
    help = "Create (or top up) the demo club: its members and its backlog."

    def handle(self, *args, **options) -> None:
        club, users = demo_club_seed()
        nominations = demo_backlog_seed(club=club, users=users)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo club “{club.name}” at /c/{DEMO_CLUB_SLUG}/: "
                f"{len(users)} members, {len(nominations)} papers in the backlog."
            )
        )
        self.stdout.write("Sign in with any of these (password for all: " + DEMO_PASSWORD + "):")
        for person in DEMO_PEOPLE:
            role = "organizer" if person.organizer else "member"
            self.stdout.write(f"  {person.email:<24} {person.display_name} ({role})")
