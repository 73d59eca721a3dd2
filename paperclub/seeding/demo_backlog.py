"""The demo club's backlog: the reading list of a large LLM paper club, offline."""

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from clubs.models import Club
from papers.models import Nomination, Paper, Vote
from papers.services import nomination_votes_recount, tags_get_or_create

READING_LIST = Path(__file__).parent / "reading_list.json"

PITCHES = {
    "Key components": "A building block of every modern LLM: worth knowing cold.",
    "Models": "A model family people keep asking about; let's read the source.",
    "Training": "How models learn to follow instructions and preferences.",
    "Inference": "Making models faster and smarter at answer time.",
    "Trends": "The big-picture results that shaped where the field went.",
    "Practice": "Practical lessons for people shipping LLM systems.",
}


def reading_list() -> list[dict]:
    return json.loads(READING_LIST.read_text(encoding="utf-8"))["papers"]


@transaction.atomic
def demo_backlog_seed(*, club: Club, users: list) -> list[Nomination]:
    """Papers (metadata from the bundled file), nominations, tags and votes. Idempotent."""
    rng = random.Random(20240101)
    nominations = []
    now = timezone.now()
    items = reading_list()
    for index, item in enumerate(items):
        published = datetime.fromisoformat(item["published"]).replace(tzinfo=UTC)
        paper, _ = Paper.objects.get_or_create(
            club=club,
            arxiv_id=item["arxiv_id"],
            defaults={
                "title": item["title"],
                "authors": item["authors"],
                "primary_category": item["primary_category"],
                "categories": [item["primary_category"]],
                "published_at": published,
                "year": published.year,
                "abs_url": f"https://arxiv.org/abs/{item['arxiv_id']}",
                "pdf_url": f"https://arxiv.org/pdf/{item['arxiv_id']}",
                "metadata_state": Paper.MetadataState.READY,
            },
        )
        proposer = users[index % len(users)]
        # Proposals spread over the past year, so "new" and "trending" differ.
        proposed_at = now - timedelta(days=7 * (len(items) - index), hours=rng.randint(0, 96))
        nomination, created = Nomination.objects.get_or_create(
            club=club,
            paper=paper,
            defaults={
                "proposed_by": proposer,
                "pitch": PITCHES.get(item["topic"], ""),
                "created_at": proposed_at,
            },
        )
        if created:
            nomination.tags.set(tags_get_or_create(club=club, names=[item["topic"]]))
            # Most papers get a few votes, a handful get many.
            extra = int(rng.triangular(0, len(users) - 1, 1))
            voters = {proposer, *rng.sample(users, extra)}
            span = max(1, int((now - proposed_at).total_seconds()))
            Vote.objects.bulk_create(
                [
                    Vote(
                        nomination=nomination,
                        user=voter,
                        created_at=proposed_at + timedelta(seconds=rng.randint(0, span)),
                    )
                    for voter in voters
                ],
                ignore_conflicts=True,
            )
            nomination_votes_recount(nomination=nomination)
        nominations.append(nomination)
    return nominations
