"""The demo club's backlog: the reading list of a large LLM paper club, offline."""

import json
import random
from datetime import UTC, datetime
from pathlib import Path

from django.db import transaction

from clubs.models import Club

from .models import Nomination, Paper, Vote
from .services import nomination_votes_recount, tags_get_or_create

READING_LIST = Path(__file__).parent / "demo" / "reading_list.json"

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
    rng = random.Random(20240101)  # noqa: S311 - demo data, deterministic
    nominations = []
    for index, item in enumerate(reading_list()):
        paper, _ = Paper.objects.get_or_create(
            arxiv_id=item["arxiv_id"],
            defaults={
                "title": item["title"],
                "authors": item["authors"],
                "primary_category": item["primary_category"],
                "categories": [item["primary_category"]],
                "published_at": datetime.fromisoformat(item["published"]).replace(tzinfo=UTC),
                "abs_url": f"https://arxiv.org/abs/{item['arxiv_id']}",
                "pdf_url": f"https://arxiv.org/pdf/{item['arxiv_id']}",
                "metadata_state": Paper.MetadataState.READY,
            },
        )
        proposer = users[index % len(users)]
        nomination, created = Nomination.objects.get_or_create(
            club=club,
            paper=paper,
            defaults={"proposed_by": proposer, "pitch": PITCHES.get(item["topic"], "")},
        )
        if created:
            nomination.tags.set(tags_get_or_create(club=club, names=[item["topic"]]))
            voters = {proposer, *rng.sample(users, rng.randint(0, len(users) - 1))}
            Vote.objects.bulk_create(
                [Vote(nomination=nomination, user=voter) for voter in voters],
                ignore_conflicts=True,
            )
            nomination_votes_recount(nomination=nomination)
        nominations.append(nomination)
    return nominations
