"""Seeding: the demo club (`seed_demo`) and the benchmark-scale data (`seed_scale`).

Not an app and not part of any app: it writes into all three (clubs, papers,
sessions), through their services where a rule decides and in bulk where the
rows are history. The management commands stay in `sessions/management/` (a
command must live in an installed app) and only parse arguments and call
`demo.demo_seed` or `scale.scale_seed_report`.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class SeedReport:
    """What a seeding command prints: a headline, and the lines under it."""

    headline: str
    lines: tuple[str, ...] = ()
    # False when the run changed nothing (the headline is then not shown as a success).
    changed: bool = True
