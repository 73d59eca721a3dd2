"""Create a club at benchmark scale: 2,000 members, 5,000 papers, 100,000 votes,
five years of weekly sessions, and a few small clubs around it (sessions/scale.py)."""

import time

from django.core.management.base import BaseCommand, CommandError

from sessions.scale import (
    BIG_CLUB_SLUG,
    SCALE_PASSWORD,
    ScaleSpec,
    analyze,
    scale_seed,
    seed_marker,
    seeded_spec_line,
)


class Command(BaseCommand):
    help = (
        "Create one big club (and a few small ones) for benchmarks, with bulk inserts. "
        "Deterministic for a given --seed and day. Use a database of its own."
    )

    def add_arguments(self, parser) -> None:
        defaults = ScaleSpec()
        parser.add_argument("--seed", type=int, default=defaults.seed)
        parser.add_argument("--members", type=int, default=defaults.members)
        parser.add_argument("--nominations", type=int, default=defaults.nominations)
        parser.add_argument("--votes", type=int, default=defaults.votes)
        parser.add_argument("--weeks", type=int, default=defaults.weeks)
        parser.add_argument("--other-clubs", type=int, default=defaults.other_clubs)
        parser.add_argument(
            "--if-missing",
            action="store_true",
            help="Do nothing if the big club was already seeded with the same options "
            "(fail if it was seeded with others).",
        )

    def handle(self, *args, **options) -> None:
        spec = ScaleSpec(
            seed=options["seed"],
            members=options["members"],
            nominations=options["nominations"],
            votes=options["votes"],
            weeks=options["weeks"],
            other_clubs=options["other_clubs"],
        )
        existing = seeded_spec_line()
        if existing is not None:
            if options["if_missing"] and existing == seed_marker(spec):
                self.stdout.write(f"Already seeded with {spec.describe()}; nothing to do.")
                return
            raise CommandError(
                f"The club “{BIG_CLUB_SLUG}” exists already ({existing or 'made by hand'}). "
                "Seed a fresh database."
            )
        started = time.monotonic()
        try:
            summary = scale_seed(spec)
        except ValueError as error:
            raise CommandError(str(error)) from error
        analyze()
        seconds = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded in {seconds:.1f} s: {summary.users:,} people, {summary.papers:,} papers."
            )
        )
        for club in summary.clubs:
            self.stdout.write(
                f"  /c/{club.slug}/: {club.members:,} members, {club.nominations:,} nominations, "
                f"{club.votes:,} votes, {club.sessions} sessions ({club.past} past, "
                f"{club.upcoming} coming), {club.rsvps:,} RSVPs, {club.prereads:,} pre-reads, "
                f"{club.questions:,} questions"
            )
        self.stdout.write(f"Sign in (password for all: {SCALE_PASSWORD}):")
        self.stdout.write(f"  {summary.member_email}  a member of the big club and the small ones")
        self.stdout.write(f"  {summary.organizer_email}  an organizer of the big club")
