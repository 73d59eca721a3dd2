"""Keeping each club's related papers current (the worker's side).

A paper arrives or its text changes -> `related_changed` (inside the change's
transaction) marks the club's index as asked for and, after commit, rings the
`papers.related_rebuild` task. The rebuild reads the club's texts, asks
papers.related.index for each paper's nearest, and replaces the club's rows
in one transaction. The beat's `related_sweep` rebuilds any club still asked
for (a lost doorbell, a worker that died mid-build).
"""

import logging
import time
from collections.abc import Iterable
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from ..backlog_cache import backlogs_changed
from ..models import Nomination, RelatedIndex, RelatedPaper
from . import index

log = logging.getLogger(__name__)

# How many related papers each nomination keeps.
KEEP = 5
# A paper proposed, scheduled or read is in; an archived one left the backlog.
STATES = (Nomination.State.PROPOSED, Nomination.State.SCHEDULED, Nomination.State.COVERED)


def related_changed(*, club_ids: Iterable[int]) -> None:
    """These clubs' papers changed (one arrived, its abstract came, it was
    corrected): their related papers are rebuilt after the current
    transaction commits."""
    ids = sorted(set(club_ids))
    if not ids:
        return
    now = timezone.now()
    RelatedIndex.objects.bulk_create(
        [RelatedIndex(club_id=club_id, requested_at=now) for club_id in ids],
        update_conflicts=True,
        unique_fields=["club"],
        update_fields=["requested_at"],
    )
    from ..tasks import related_rebuild as task  # noqa: PLC0415 - papers.tasks imports the services

    # A little later, so that a batch arriving together (50 ids, then their
    # fetched abstracts) is one build: later doorbells find it done and skip.
    delay = settings.RELATED_REBUILD_DELAY_SECONDS
    for club_id in ids:
        transaction.on_commit(partial(task.apply_async, (club_id,), countdown=delay))


def club_docs(*, club_id: int) -> list[index.Doc]:
    rows = (
        Nomination.objects.filter(club_id=club_id, state__in=STATES)
        .order_by("pk")
        .values_list("pk", "paper__title", "paper__abstract", "paper__authors")
    )
    return [
        index.Doc(key=pk, title=title or "", abstract=abstract or "", authors=tuple(authors or ()))
        for pk, title, abstract, authors in rows.iterator(chunk_size=2000)
    ]


def related_rebuild(*, club_id: int, force: bool = False) -> RelatedIndex | None:
    """Recompute the club's related papers if they were asked for since the
    last build began (always with force); None when nothing was due."""
    started = timezone.now()
    state = RelatedIndex.objects.filter(club_id=club_id).first()
    if not force and state and state.built_at and state.built_at >= state.requested_at:
        return None
    clock = time.perf_counter()
    docs = club_docs(club_id=club_id)
    found = index.nearest(docs, k=KEEP)
    rows = [
        RelatedPaper(
            club_id=club_id,
            nomination_id=key,
            related_id=n.key,
            rank=rank,
            score=n.score,
            weak=n.weak,
        )
        for key, neighbours in found.items()
        for rank, n in enumerate(neighbours, start=1)
    ]
    with transaction.atomic():
        # One build at a time per club: the second waits here, then replaces
        # the first's rows with its own, which are at least as new.
        RelatedIndex.objects.get_or_create(club_id=club_id, defaults={"requested_at": started})
        state = RelatedIndex.objects.select_for_update().get(club_id=club_id)
        RelatedPaper.objects.filter(club_id=club_id).delete()
        # A nomination deleted while we computed is left out, not an error.
        alive = set(
            Nomination.objects.filter(club_id=club_id, pk__in=[d.key for d in docs]).values_list(
                "pk", flat=True
            )
        )
        RelatedPaper.objects.bulk_create(
            [r for r in rows if r.nomination_id in alive and r.related_id in alive],
            batch_size=2000,
        )
        state.built_at = started
        state.papers = len(docs)
        state.seconds = round(time.perf_counter() - clock, 3)
        state.save(update_fields=["built_at", "papers", "seconds"])
        # The cards' "near a paper read" signal is cached with their text.
        backlogs_changed(club_ids=[club_id])
    log.info("Related papers of club %s: %d papers in %.2f s", club_id, len(docs), state.seconds)
    return state


def related_due_club_ids() -> list[int]:
    """Clubs whose related papers were asked for since their last build began."""
    due = RelatedIndex.objects.filter(Q(built_at__isnull=True) | Q(built_at__lt=F("requested_at")))
    return list(due.order_by("requested_at").values_list("club_id", flat=True)[:100])
