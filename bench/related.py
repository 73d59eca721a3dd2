"""How good and how cheap Paper Club's related papers are (issue 17's evaluation).

Run it with ./bench/related. It prints two tables:

1. **Quality** on the demo club's reading list (paperclub/seeding/reading_list.json,
   the papers `seed_demo` puts in the demo club, each filed under one topic):
   every paper in turn is the new one, the others are ranked by
   papers.related.index exactly as the worker ranks them, and precision@5 is
   the share of the first five that share its topic. Beside it, what a random
   ranking scores on average (each topic's share of the rest), and the same
   index fed titles only, so the table says what the authors add. The demo's
   list has titles and authors but no abstracts: every pair there is a weak one.
2. **Cost** at scale: a PostgreSQL database (--database) seeded once by
   `seed_scale` with a 5,000-paper club; a fresh process rebuilds that club's
   related papers through papers.related.services.related_rebuild (read, index,
   write) and reports its seconds and its peak resident memory, against the
   budgets (30 s, 500 MB).
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
READING_LIST = ROOT / "paperclub" / "seeding" / "reading_list.json"
K = 5
BUDGET_SECONDS = 30.0
BUDGET_MB = 500.0
SLUG = "big-club"


def quality() -> list[tuple[str, float]]:
    from papers.related.index import Doc, nearest  # noqa: PLC0415 - after sys.path

    items = json.loads(READING_LIST.read_text(encoding="utf-8"))["papers"]
    topics = [item["topic"] for item in items]
    sizes = Counter(topics)

    def precision(docs: list) -> float:
        found = nearest(docs, k=K, min_score=0.0)
        hits = [
            sum(topics[j] == topics[i] for j in [n.key for n in found[i]]) / K
            for i in range(len(docs))
        ]
        return sum(hits) / len(hits)

    full = [
        Doc(i, item["title"], item.get("abstract", ""), tuple(item["authors"]))
        for i, item in enumerate(items)
    ]
    titles = [Doc(i, item["title"], "", ()) for i, item in enumerate(items)]
    chance = sum((sizes[t] - 1) / (len(items) - 1) for t in topics) / len(items)
    return (
        [
            ("tf-idf: title and authors (what the worker stores)", precision(full)),
            ("tf-idf: title only", precision(titles)),
            ("random ranking (expected)", chance),
        ],
        len(items),
        sizes,
    )


def database_url(args) -> str:
    return f"postgres://{args.pg_user}@{args.pg_host}:{args.pg_port}/{args.database}"


def prepare(args, env: dict) -> None:
    import psycopg  # noqa: PLC0415

    with psycopg.connect(
        host=args.pg_host, port=args.pg_port, user=args.pg_user, dbname="postgres", autocommit=True
    ) as conn:
        if not conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [args.database]
        ).fetchone():
            print(f"creating database {args.database}", flush=True)
            conn.execute(f'CREATE DATABASE "{args.database}"')
    manage(env, "migrate", "--noinput", "-v", "0")
    with psycopg.connect(database_url(args), autocommit=True) as conn:
        seeded = conn.execute("SELECT 1 FROM clubs_club WHERE slug = %s", [SLUG]).fetchone()
    if not seeded:
        print(f"seeding {args.nominations:,} papers (seed_scale)", flush=True)
        manage(
            env,
            "seed_scale",
            "--members", str(args.members),
            "--nominations", str(args.nominations),
            "--votes", str(args.nominations * 2),
            "--weeks", str(args.weeks),
            "--other-clubs", "0",
        )  # fmt: skip


def manage(env: dict, *command: str) -> str:
    result = subprocess.run(  # noqa: S603 - our own manage.py
        [sys.executable, "manage.py", *command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit(f"manage.py {' '.join(command)} failed")
    return result.stdout


def rebuild_child() -> None:
    """In a fresh process: rebuild the big club's related papers, print the figures."""
    import django  # noqa: PLC0415

    django.setup()
    from clubs.models import Club  # noqa: PLC0415
    from papers.models import RelatedPaper  # noqa: PLC0415
    from papers.related.services import related_rebuild  # noqa: PLC0415

    club = Club.objects.get(slug=SLUG)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    state = related_rebuild(club_id=club.pk, force=True)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "papers": state.papers if state else 0,
                "rows": RelatedPaper.objects.filter(club=club).count(),
                "seconds": seconds,
                "peak_mb": peak,
                "before_mb": before,
            }
        )
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="paperclub_bench_related")
    parser.add_argument("--pg-host", default="127.0.0.1")
    parser.add_argument("--pg-port", default="5432")
    parser.add_argument("--pg-user", default="postgres")
    parser.add_argument("--nominations", type=int, default=5000)
    parser.add_argument("--members", type=int, default=100)
    parser.add_argument("--weeks", type=int, default=260)
    parser.add_argument("--skip-scale", action="store_true", help="only the quality table")
    parser.add_argument("--child-rebuild", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_rebuild:
        rebuild_child()
        return 0

    rows, papers, sizes = quality()
    print(f"\nRelated papers on the demo reading list ({papers} papers, topics: "
          + ", ".join(f"{t} {n}" for t, n in sizes.most_common()) + ")\n")  # fmt: skip
    print(f"| ranking | precision@{K} |\n| --- | --- |")
    for name, value in rows:
        print(f"| {name} | {value:.2f} |")
    if args.skip_scale:
        return 0

    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url(args),
        DEBUG="1",
        DJANGO_SETTINGS_MODULE="paperclub.settings.base",
        CELERY_BROKER_URL="",  # nothing to ring: the child rebuilds itself
        LOG_LEVEL="WARNING",
    )
    prepare(args, env)
    result = subprocess.run(  # noqa: S603 - this script, as the child
        [sys.executable, __file__, "--child-rebuild"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        return 1
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    ok_time = figures["seconds"] <= BUDGET_SECONDS
    ok_memory = figures["peak_mb"] <= BUDGET_MB
    print(f"\nRebuilding the related index of {figures['papers']:,} papers "
          f"({figures['rows']:,} rows stored)\n")  # fmt: skip
    print("| figure | value | budget | |\n| --- | --- | --- | --- |")
    print(f"| seconds | {figures['seconds']:.1f} | {BUDGET_SECONDS:.0f} | "
          f"{'ok' if ok_time else 'OVER'} |")  # fmt: skip
    print(f"| peak memory of the process (MB) | {figures['peak_mb']:.0f} | {BUDGET_MB:.0f} | "
          f"{'ok' if ok_memory else 'OVER'} |")  # fmt: skip
    print(f"| of which before the rebuild (Django loaded) | {figures['before_mb']:.0f} | | |")
    return 0 if ok_time and ok_memory else 1


if __name__ == "__main__":
    sys.exit(main())
