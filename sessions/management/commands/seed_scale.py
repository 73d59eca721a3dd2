"""Create a club at benchmark scale: 2,000 members, 5,000 papers, 100,000 votes,
five years of weekly sessions, and a few small clubs around it.

The seeding itself is `paperclub/seeding/scale.py`."""

from django.core.management.base import BaseCommand, CommandError

from paperclub.seeding.scale import ScaleSpec, scale_seed_report


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
        try:
            report = scale_seed_report(spec, if_missing=options["if_missing"])
        except ValueError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            self.style.SUCCESS(report.headline) if report.changed else report.headline
        )
        for line in report.lines:
            self.stdout.write(line)
