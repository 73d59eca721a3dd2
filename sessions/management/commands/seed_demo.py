"""Create the demo club so a newcomer sees a living club at once. Safe to run twice.

The seeding itself is `paperclub/seeding/demo.py`."""

from django.core.management.base import BaseCommand

from paperclub.seeding.demo import demo_seed


class Command(BaseCommand):
    help = "Create (or top up) the demo club: its members, its backlog and its sessions."

    def handle(self, *args, **options) -> None:
        report = demo_seed()
        self.stdout.write(self.style.SUCCESS(report.headline))
        for line in report.lines:
            self.stdout.write(line)
