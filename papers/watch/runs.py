"""The daily run of every watch (the worker's side).

The beat's `papers.sweep_watches` (every WATCH_SWEEP_SECONDS, in production and
in the embedded beat) claims each watch that is due, one at a time, and runs it:

1. ONE `search_query` to arXiv through papers/arxiv_client.py, in the shared
   one-request-per-3-seconds slot (papers.fetching.arxiv_slot_wait), newest
   first, for what was submitted since the watch's last successful run, at most
   WATCH_MAX_PER_RUN papers (more matches: the run says it was capped);
2. in one transaction: drop what the club already has or has read (its papers'
   arXiv ids, versions ignored, and title keys) and what it was already offered
   (a muted suggestion never comes back); rank the rest against the club's
   papers with the related papers' tf-idf (papers.related.index.nearest_in);
   store them as Suggestions and move the watch's "since" mark.

A run is all or nothing: if arXiv fails (5xx, a timeout, a feed we cannot read)
or anything in step 2 raises, no suggestion is written and the mark stays, and
the watch is due again after a backoff (papers.fetching.retry_delay). A run
succeeds at most once a day (WATCH_INTERVAL_HOURS).
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from clubs.limits import clip

from .. import arxiv_client, fetching
from ..identifiers import normalize_title
from ..models import Paper, Suggestion, Watch
from ..related import index
from ..related.services import club_docs
from .queries import WatchSpec, search_query

log = logging.getLogger(__name__)

# A claimed watch is not claimed again for this long (a worker that died mid-run).
RUN_LEASE = timedelta(minutes=15)


@dataclass(frozen=True)
class RunOutcome:
    watch_id: int
    ok: bool
    matched: int = 0
    suggested: int = 0
    error: str = ""


def _due(now: datetime) -> Q:
    return Q(next_run_at__isnull=True) | Q(next_run_at__lte=now)


@transaction.atomic
def watch_claim_next(*, now: datetime) -> Watch | None:
    """The next due watch (never run first, then the longest waiting), leased
    to this run; None when nothing is due."""
    watch = (
        Watch.objects.select_for_update(skip_locked=True)
        .filter(_due(now))
        .order_by(F("next_run_at").asc(nulls_first=True), "pk")
        .first()
    )
    if watch is None:
        return None
    watch.next_run_at = now + RUN_LEASE
    watch.save(update_fields=["next_run_at"])
    return watch


def watch_since(watch: Watch, *, now: datetime) -> datetime:
    """Where this run's window starts: the last successful run's start, or
    WATCH_FIRST_LOOKBACK_DAYS back for a watch that never ran."""
    return watch.last_success_at or now - timedelta(days=settings.WATCH_FIRST_LOOKBACK_DAYS)


def watch_run(*, watch: Watch, now: datetime | None = None) -> RunOutcome | None:
    """One run of a claimed watch. Returns None when the arXiv slot stayed
    taken (the watch waits for the next sweep, not counted as a failure)."""
    now = now or timezone.now()
    since = watch_since(watch, now=now)
    query = search_query(
        WatchSpec(kind=watch.kind, value=watch.value, within=watch.within), since=since, until=now
    )
    if not fetching.arxiv_slot_wait():
        Watch.objects.filter(pk=watch.pk).update(next_run_at=now)
        return None
    try:
        result = arxiv_client.search_papers(
            query,
            api_url=settings.ARXIV_API_URL,
            max_results=settings.WATCH_MAX_PER_RUN,
            timeout=settings.ARXIV_TIMEOUT_SECONDS,
        )
    except arxiv_client.ArxivRejected as error:
        # Watches are checked before they are stored, so this is rare: asking
        # the same again soon cannot help, so it waits for tomorrow's run.
        return watch_run_failed(watch_id=watch.pk, reason=str(error), now=now, final=True)
    except (arxiv_client.ArxivError, SoftTimeLimitExceeded) as error:
        return watch_run_failed(
            watch_id=watch.pk,
            reason=str(error) or "arXiv did not answer in time.",
            now=now,
            retry_after=getattr(error, "retry_after", None),
        )
    # Anything raised while storing rolls the whole run back; the lease runs
    # out and a later sweep tries again.
    return watch_results_store(watch_id=watch.pk, result=result, since=since, now=now)


@transaction.atomic
def watch_run_failed(
    *,
    watch_id: int,
    reason: str,
    now: datetime,
    retry_after: float | None = None,
    final: bool = False,
) -> RunOutcome:
    """Nothing of the run is kept; the mark stays; the watch is due again later."""
    watch = Watch.objects.select_for_update().get(pk=watch_id)
    watch.failures += 1
    watch.failing_since = watch.failing_since or now
    reason = reason.rstrip(".") + "."
    if final:
        watch.next_run_at = now + timedelta(hours=settings.WATCH_INTERVAL_HOURS)
        watch.last_error = clip(f"arXiv refused this watch's query: {reason}", Watch.MESSAGE_MAX)
    else:
        delay = fetching.retry_delay(watch.failures, retry_after=retry_after)
        watch.next_run_at = now + timedelta(seconds=delay)
        watch.last_error = clip(f"{reason} Trying again automatically.", Watch.MESSAGE_MAX)
    watch.save(update_fields=["failures", "failing_since", "next_run_at", "last_error"])
    log.warning("Watch %s (%s) failed (%d in a row): %s", watch.pk, watch, watch.failures, reason)
    return RunOutcome(watch_id=watch_id, ok=False, error=watch.last_error)


def _seen_filter(*, watch: Watch) -> Q:
    """Suggestions that stop a paper coming back: the watch's own scope's (any
    state), and for a member's watch also what the organizers muted for the club."""
    if watch.owner_id is None:
        return Q(owner__isnull=True)
    return Q(owner_id=watch.owner_id) | Q(owner__isnull=True, state=Suggestion.State.MUTED)


def new_papers(
    *, watch: Watch, papers: list[arxiv_client.ArxivPaper]
) -> list[arxiv_client.ArxivPaper]:
    """What the club has not seen: not one of its papers (by arXiv id, any
    version, or by title), not offered before in this scope, not muted."""
    bases = [p.base_id for p in papers]
    keys = {p.base_id: normalize_title(p.title) for p in papers}
    club_papers = Paper.objects.filter(club_id=watch.club_id)
    has_ids = set(club_papers.filter(arxiv_id__in=bases).values_list("arxiv_id", flat=True))
    has_keys = set(
        club_papers.filter(title_key__in=[k for k in keys.values() if k]).values_list(
            "title_key", flat=True
        )
    )
    offered = set(
        Suggestion.objects.filter(club_id=watch.club_id, arxiv_id__in=bases)
        .filter(_seen_filter(watch=watch))
        .values_list("arxiv_id", flat=True)
    )
    return [
        p
        for p in papers
        if p.base_id not in has_ids
        and p.base_id not in offered
        and not (keys[p.base_id] and keys[p.base_id] in has_keys)
    ]


def ranked(
    *, club_id: int, papers: list[arxiv_client.ArxivPaper]
) -> list[tuple[arxiv_client.ArxivPaper, index.Neighbour | None]]:
    """The papers with their nearest club paper, closest to the club's history first."""
    history = club_docs(club_id=club_id)
    candidates = [
        index.Doc(key=i, title=p.title, abstract=p.abstract, authors=tuple(p.authors))
        for i, p in enumerate(papers)
    ]
    nearest = index.nearest_in(history, candidates)
    pairs = list(zip(papers, nearest, strict=True))

    def closest_then_newest(pair) -> tuple[float, float]:
        paper, near = pair
        return (-(near.score if near else 0.0), -paper.published.timestamp())

    pairs.sort(key=closest_then_newest)
    return pairs


@transaction.atomic
def watch_results_store(
    *, watch_id: int, result: arxiv_client.SearchResult, since: datetime, now: datetime
) -> RunOutcome:
    """The run's answer, stored whole: the suggestions and the watch's new mark."""
    watch = Watch.objects.select_for_update().get(pk=watch_id)
    # arXiv's window is inclusive and by the minute: what the last run saw is left out.
    fresh = [p for p in result.papers if p.published > since]
    pairs = ranked(club_id=watch.club_id, papers=new_papers(watch=watch, papers=fresh))
    rows = [
        Suggestion(
            club_id=watch.club_id,
            owner_id=watch.owner_id,
            watch=watch,
            watch_label=watch.label,
            arxiv_id=paper.base_id,
            version=paper.version,
            title=clip(paper.title, Paper.TITLE_MAX) or f"arXiv:{paper.base_id}",
            authors=paper.authors,
            abstract=clip(paper.abstract, Paper.ABSTRACT_MAX),
            primary_category=paper.primary_category[:40],
            published_at=paper.published,
            score=near.score if near else 0.0,
            near_id=near.key if near else None,
            created_at=now,
        )
        for paper, near in pairs
    ]
    # Another watch of the same scope may store the same paper at the same time.
    created = Suggestion.objects.bulk_create(rows, ignore_conflicts=True)
    watch.last_success_at = now
    watch.next_run_at = now + timedelta(hours=settings.WATCH_INTERVAL_HOURS)
    watch.last_matched = result.total_results
    watch.last_suggested = len(created)
    watch.last_capped = result.total_results > settings.WATCH_MAX_PER_RUN
    watch.failures = 0
    watch.failing_since = None
    watch.last_error = ""
    watch.save()
    log.info(
        "Watch %s (%s): %d matched, %d new suggestions",
        watch.pk,
        watch,
        result.total_results,
        len(created),
    )
    return RunOutcome(
        watch_id=watch.pk, ok=True, matched=result.total_results, suggested=len(created)
    )


def watches_sweep(*, now: datetime | None = None, limit: int = 100) -> list[RunOutcome]:
    """Run every due watch, one after another (each in the arXiv slot), at most
    `limit` in one sweep; the next sweep takes the rest."""
    outcomes = []
    for _ in range(limit):
        at = now or timezone.now()
        watch = watch_claim_next(now=at)
        if watch is None:
            break
        try:
            outcome = watch_run(watch=watch, now=at)
        except Exception:
            # Nothing of this run was kept (its transaction rolled back) and its
            # lease runs out: a later sweep tries it again. The others go on.
            log.exception("Watch %s (%s): the run broke; tried again later", watch.pk, watch)
            outcome = RunOutcome(watch_id=watch.pk, ok=False, error="The run broke.")
        if outcome is None:
            break  # the slot stayed taken: leave the rest to the next sweep
        outcomes.append(outcome)
    return outcomes
