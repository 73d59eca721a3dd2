"""Services the workers call: fill papers in from arXiv and from their PDFs.

Kept apart from services.py because these run in Celery, talk to the outside
world through papers/arxiv_client.py and papers/pdf.py, and must survive every
way those can fail. Each step records its state on the Paper, so a person sees
"fetching…", the result, or the reason it failed.
"""

import logging
import random
import time
from datetime import datetime, timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from clubs.limits import clip

from . import arxiv_client, guide, pdf
from .backlog_cache import backlogs_changed
from .hooks import paper_details_changed
from .identifiers import InvalidDoi, normalize_doi, normalize_title
from .models import Nomination, Paper, ReadingGuide
from .related.services import related_changed

log = logging.getLogger(__name__)

ARXIV_SLOT_KEY = "papers:arxiv-request-slot"
ARXIV_UNHEALTHY_KEY = "papers:arxiv-unhealthy-until"

# How arXiv's faults are met (issue 13: none is final on its own).
#
# A transient failure (HTTP 408/429/5xx, a timeout, an answer we cannot read)
# keeps the paper waiting: the beat's sweep (papers.sweep_arxiv) asks again
# after a backoff that doubles from ARXIV_RETRY_BASE_SECONDS up to an hour,
# for two days, before the paper says it could not be fetched.
RETRY_MAX_SECONDS = 3600.0
TRANSIENT_GIVE_UP_AFTER = timedelta(hours=48)
# After a transient failure arXiv counts as unhealthy for a while: an answer
# without a paper we asked for is then no evidence that the id does not exist.
UNHEALTHY_FOR = timedelta(minutes=10)
# "No such id" is final only when arXiv, healthy, said so NOT_FOUND_ANSWERS
# times over at least NOT_FOUND_SPAN: asked again after these pauses, then at
# the end of the span. (arXiv sometimes answers empty under load, and a new
# paper can take a while to appear in its API.)
NOT_FOUND_ANSWERS = 3
NOT_FOUND_SPAN = timedelta(hours=1)
NOT_FOUND_RECHECKS = (timedelta(minutes=2), timedelta(minutes=15))
# A claimed paper is not claimed again until this long has passed: a worker
# that died mid-fetch leaves it to the sweep after that.
FETCH_LEASE = timedelta(minutes=15)


def retry_delay(failures: int, *, retry_after: float | None = None) -> float:
    """Exponential backoff with jitter: ARXIV_RETRY_BASE_SECONDS doubling with
    each failure in a row, drawn from its upper half, capped at an hour; never
    sooner than arXiv's Retry-After."""
    first = settings.ARXIV_RETRY_BASE_SECONDS
    base = min(RETRY_MAX_SECONDS, first * (2 ** max(0, failures - 1)))
    delay = random.uniform(base / 2, base)
    return max(delay, retry_after or 0.0)


def arxiv_slot_wait(*, max_wait: float = 30.0) -> bool:
    """Take the one arXiv request slot shared by every worker (arXiv asks for
    at most one request every 3 seconds per client). The slot is a cache key
    added atomically (SET NX on Redis) that expires after the interval.
    Returns False if no slot came free within max_wait."""
    deadline = time.monotonic() + max_wait
    while True:
        if cache.add(ARXIV_SLOT_KEY, "taken", timeout=settings.ARXIV_MIN_INTERVAL_SECONDS):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.25)


def arxiv_unhealthy(*, now: datetime) -> bool:
    until = cache.get(ARXIV_UNHEALTHY_KEY)
    return until is not None and now.timestamp() < until


def _arxiv_health_record(*, now: datetime, healthy: bool) -> None:
    """Times come from the caller's clock, so a test can let hours pass."""
    if healthy:
        cache.delete(ARXIV_UNHEALTHY_KEY)
    else:
        until = (now + UNHEALTHY_FOR).timestamp()
        cache.set(ARXIV_UNHEALTHY_KEY, until, timeout=int(UNHEALTHY_FOR.total_seconds()) * 6)


def _due(now: datetime) -> Q:
    return Q(metadata_next_attempt_at__isnull=True) | Q(metadata_next_attempt_at__lte=now)


@transaction.atomic
def arxiv_papers_claim(*, paper_ids: list[int], now: datetime) -> list[Paper]:
    """Mark the papers that are due as fetching, and count the attempt."""
    papers = list(
        Paper.objects.select_for_update(skip_locked=True)
        .filter(
            pk__in=paper_ids,
            arxiv_id__isnull=False,
            metadata_state__in=[Paper.MetadataState.PENDING, Paper.MetadataState.FETCHING],
        )
        .filter(_due(now))
    )
    for paper in papers:
        paper.metadata_state = Paper.MetadataState.FETCHING
        paper.metadata_attempts += 1
        paper.metadata_attempted_at = now
        paper.metadata_next_attempt_at = now + FETCH_LEASE
    Paper.objects.bulk_update(
        papers,
        [
            "metadata_state",
            "metadata_attempts",
            "metadata_attempted_at",
            "metadata_next_attempt_at",
        ],
    )
    return papers


def arxiv_due_paper_ids(*, now: datetime | None = None, limit: int = 500) -> list[int]:
    """What the sweep asks arXiv for: waiting papers whose next attempt is due,
    and papers a dead worker left fetching past their lease."""
    now = now or timezone.now()
    return list(
        Paper.objects.filter(
            arxiv_id__isnull=False,
            metadata_state__in=[Paper.MetadataState.PENDING, Paper.MetadataState.FETCHING],
        )
        .filter(_due(now))
        .order_by(F("metadata_next_attempt_at").asc(nulls_first=True), "pk")
        .values_list("pk", flat=True)[:limit]
    )


def arxiv_fetch(*, paper_ids: list[int], now: datetime | None = None) -> list[int]:
    """One attempt at these papers: claim the ones due, ask arXiv once (in the
    shared slot), record what came of it. Returns the ids whose PDF is now to
    be read. Every way it can fail is recorded on the papers; nothing raises."""
    now = now or timezone.now()
    papers = arxiv_papers_claim(paper_ids=paper_ids, now=now)
    if not papers:
        return []
    if not arxiv_slot_wait():
        # Other workers hold the slot: our own queue, not arXiv's fault.
        arxiv_fetch_postponed(papers=papers, now=now)
        return []
    ids = [arxiv_client.ArxivId(base=p.arxiv_id, version=None) for p in papers]  # type: ignore[arg-type]  # arXiv rows only
    try:
        result = arxiv_client.fetch_papers(
            ids, api_url=settings.ARXIV_API_URL, timeout=settings.ARXIV_TIMEOUT_SECONDS
        )
    except arxiv_client.ArxivRejected as error:
        arxiv_fetch_rejected(papers=papers, reason=str(error))
        return []
    except (arxiv_client.ArxivError, SoftTimeLimitExceeded) as error:
        _arxiv_health_record(now=now, healthy=False)
        arxiv_fetch_failed(
            papers=papers,
            reason=str(error) or "arXiv did not answer in time.",
            retry_after=getattr(error, "retry_after", None),
            now=now,
        )
        return []
    healthy = not arxiv_unhealthy(now=now)
    if result.papers:
        _arxiv_health_record(now=now, healthy=True)
    return arxiv_result_apply(papers=papers, result=result, now=now, healthy=healthy)


def _apply(paper: Paper, found: "arxiv_client.ArxivPaper") -> None:
    """arXiv's answer into one club's row, except the fields the club corrected."""
    edited = set(paper.edited_fields or [])
    paper.arxiv_latest_version = found.version
    if "title" not in edited:
        paper.title = found.title or paper.title
        paper.title_key = normalize_title(paper.title)
    if "authors" not in edited:
        paper.authors = found.authors
    if "abstract" not in edited:
        paper.abstract = found.abstract
    if "year" not in edited:
        paper.year = found.published.year if found.published else paper.year
    if "doi" not in edited:
        paper.doi = _doi_for(paper, found.doi)
    paper.categories = found.categories
    paper.primary_category = found.primary_category
    paper.published_at = found.published
    paper.revised_at = found.updated
    # The links go to the version the person asked for; the details are the latest's.
    asked = arxiv_client.ArxivId(base=paper.arxiv_id, version=paper.arxiv_version or found.version)  # type: ignore[arg-type]  # arXiv rows only
    paper.abs_url = asked.abs_url
    paper.pdf_url = asked.pdf_url
    paper.comment = found.comment
    paper.journal_ref = found.journal_ref
    paper.code_links = found.code_links
    paper.metadata_state = Paper.MetadataState.READY
    paper.metadata_error = ""
    paper.metadata_next_attempt_at = None
    paper.metadata_failing_since = None
    paper.not_found_count = 0
    paper.not_found_first_at = None
    if paper.pdf_state == Paper.PdfState.NONE:
        paper.pdf_state = Paper.PdfState.PENDING
    paper.save()


def _doi_for(paper: Paper, doi: str) -> str:
    """arXiv's DOI for the paper, normalised, unless another paper of the club
    has it (then that is a duplicate for the organizers to merge, and this row
    keeps what it had)."""
    try:
        doi = normalize_doi(doi)
    except InvalidDoi:
        return paper.doi
    if doi and Paper.objects.filter(club_id=paper.club_id, doi=doi).exclude(pk=paper.pk).exists():
        return paper.doi
    return doi


def _searchable_text_changed(paper_ids: list[int]) -> None:
    """A paper's title, authors or abstract changed: the backlogs that list it
    may now match other searches."""
    if paper_ids:
        nominations = Nomination.objects.filter(paper__in=paper_ids)
        club_ids = list(nominations.values_list("club_id", flat=True))
        backlogs_changed(club_ids=club_ids)
        related_changed(club_ids=club_ids)
        # A fetched title replaces a placeholder: the calendars that show it follow.
        paper_details_changed(
            nomination_ids=list(nominations.values_list("pk", flat=True)), fields=["title"]
        )


def _every_clubs_rows(arxiv_ids: list[str]) -> dict[str, list[Paper]]:
    """Every club's row of these works, locked, in one order (no deadlocks)."""
    rows: dict[str, list[Paper]] = {}
    for paper in Paper.objects.select_for_update().filter(arxiv_id__in=arxiv_ids).order_by("pk"):
        rows.setdefault(paper.arxiv_id, []).append(paper)  # type: ignore[arg-type]  # arXiv rows only
    return rows


@transaction.atomic
def arxiv_result_apply(
    *,
    papers: list[Paper],
    result: "arxiv_client.FetchResult",
    now: datetime | None = None,
    healthy: bool = True,
) -> list[int]:
    """Fill in what arXiv returned, in every club's row of each work found (one
    request serves them all), and schedule another look at the ones it did
    not return. Returns the ids whose PDF is now to be read."""
    now = now or timezone.now()
    ready, changed = [], []
    rows = _every_clubs_rows([p.arxiv_id for p in papers if p.arxiv_id in result.papers])
    for arxiv_id, found in result.papers.items():
        for row in rows.get(arxiv_id, []):
            _apply(row, found)
            changed.append(row.pk)
            if row.pdf_state == Paper.PdfState.PENDING:
                ready.append(row.pk)
    for paper in papers:
        if paper.arxiv_id in result.papers:
            continue
        if healthy:
            _not_found(paper, now=now)
        else:
            # Said while arXiv was failing: no evidence, so it does not count.
            _transient(paper, "arXiv answered without this paper while having trouble", now=now)
    _searchable_text_changed(changed)
    return ready


def _not_found(paper: Paper, *, now: datetime) -> None:
    paper.not_found_count += 1
    first = paper.not_found_first_at = paper.not_found_first_at or now
    paper.metadata_failing_since = None
    if paper.not_found_count >= NOT_FOUND_ANSWERS and now - first >= NOT_FOUND_SPAN:
        minutes = int((now - first).total_seconds() // 60)
        _fail(
            paper,
            f"arXiv has no paper with the id {paper.arxiv_id}: not found on arXiv "
            f"(asked {paper.not_found_count} times over {minutes} minutes).",
        )
        return
    if paper.not_found_count <= len(NOT_FOUND_RECHECKS):
        paper.metadata_next_attempt_at = now + NOT_FOUND_RECHECKS[paper.not_found_count - 1]
    else:
        paper.metadata_next_attempt_at = max(now + NOT_FOUND_RECHECKS[0], first + NOT_FOUND_SPAN)
    _wait(
        paper,
        f"arXiv does not know the id {paper.arxiv_id} (yet). We ask again for an hour "
        "before we call it not found; if it is mistyped, withdraw it or enter the details "
        "yourself.",
    )


def _transient(
    paper: Paper, reason: str, *, now: datetime, retry_after: float | None = None
) -> None:
    since = paper.metadata_failing_since = paper.metadata_failing_since or now
    reason = reason.rstrip(".") + "."
    if now - since >= TRANSIENT_GIVE_UP_AFTER:
        _fail(paper, f"{reason} arXiv has not answered properly since {since:%d %b %Y %H:%M} UTC.")
        return
    delay = retry_delay(paper.metadata_attempts, retry_after=retry_after)
    paper.metadata_next_attempt_at = now + timedelta(seconds=delay)
    _wait(paper, f"{reason} Trying again automatically.")


@transaction.atomic
def arxiv_fetch_failed(
    *, papers: list[Paper], reason: str, now: datetime, retry_after: float | None = None
) -> None:
    """A transient failure: the papers wait for the sweep's next attempt."""
    for paper in papers:
        _transient(paper, reason, now=now, retry_after=retry_after)


@transaction.atomic
def arxiv_fetch_rejected(*, papers: list[Paper], reason: str) -> None:
    """arXiv refused the request itself (ids are checked locally first, so this
    is rare): asking the same again cannot help."""
    for paper in papers:
        _fail(paper, reason)


@transaction.atomic
def arxiv_fetch_postponed(*, papers: list[Paper], now: datetime) -> None:
    for paper in papers:
        paper.metadata_attempts = max(0, paper.metadata_attempts - 1)  # not an attempt
        paper.metadata_next_attempt_at = now
        paper.metadata_state = Paper.MetadataState.PENDING
        paper.save(
            update_fields=["metadata_attempts", "metadata_next_attempt_at", "metadata_state"]
        )


_FETCH_FIELDS = [
    "metadata_state",
    "metadata_error",
    "metadata_next_attempt_at",
    "metadata_failing_since",
    "not_found_count",
    "not_found_first_at",
]


def _fail(paper: Paper, reason: str) -> None:
    log.warning(
        "arXiv %s (paper %s): gave up after %d attempts: %s",
        paper.arxiv_id,
        paper.pk,
        paper.metadata_attempts,
        reason,
    )
    paper.metadata_state = Paper.MetadataState.FAILED
    paper.metadata_error = clip(reason, Paper.ERROR_MAX)
    paper.metadata_next_attempt_at = None
    paper.save(update_fields=_FETCH_FIELDS)


def _wait(paper: Paper, reason: str) -> None:
    log.info(
        "arXiv %s (paper %s): attempt %d failed: %s",
        paper.arxiv_id,
        paper.pk,
        paper.metadata_attempts,
        reason,
    )
    paper.metadata_state = Paper.MetadataState.PENDING
    paper.metadata_error = clip(reason, Paper.ERROR_MAX)
    paper.save(update_fields=_FETCH_FIELDS)


@transaction.atomic
def paper_metadata_retry(*, paper: Paper) -> Paper:
    """The "try again" button: start the attempts afresh, now."""
    busy = paper.metadata_state == Paper.MetadataState.FETCHING
    if paper.arxiv_id is None or paper.metadata_state == Paper.MetadataState.READY or busy:
        return paper
    paper.metadata_state = Paper.MetadataState.PENDING
    paper.metadata_attempts = 0
    paper.metadata_error = ""
    paper.metadata_next_attempt_at = None
    paper.metadata_failing_since = None
    paper.not_found_count = 0
    paper.not_found_first_at = None
    paper.save(update_fields=[*_FETCH_FIELDS, "metadata_attempts"])
    from .tasks import fetch_arxiv_metadata  # noqa: PLC0415 - avoids an import cycle: papers.tasks imports this module

    fetch_arxiv_metadata.delay_on_commit([paper.pk])
    return paper


# --- PDFs -------------------------------------------------------------------------


def paper_pdf_bytes(*, paper: Paper) -> bytes:
    """The PDF's bytes: the upload, or a download from arXiv (size-capped)."""
    cap = settings.PAPER_UPLOAD_MAX_BYTES
    if paper.pdf_file:
        with paper.pdf_file.open("rb") as handle:
            return pdf.pdf_bytes_from_file(handle, max_bytes=cap)
    version = paper.arxiv_version or paper.arxiv_latest_version  # the asked-for, or the latest
    arxiv_id = arxiv_client.ArxivId(base=paper.arxiv_id, version=version)  # type: ignore[arg-type]  # arXiv rows only
    return arxiv_client.download_pdf(
        arxiv_id, pdf_url=settings.ARXIV_PDF_URL, max_bytes=cap, timeout=30.0
    )


def _same_pdf(paper: Paper):
    """Other clubs' rows of the same arXiv work and version: the same PDF."""
    return Paper.objects.filter(arxiv_id=paper.arxiv_id, arxiv_version=paper.arxiv_version).exclude(
        pk=paper.pk
    )


@transaction.atomic
def paper_pdf_apply(*, paper: Paper, info: "pdf.PdfInfo") -> Paper:
    """What the PDF says, into the paper and (for arXiv) every other club's row
    still waiting for the same PDF, so it is downloaded once."""
    rows = [paper]
    if paper.arxiv_id:
        rows += list(_same_pdf(paper).filter(pdf_state=Paper.PdfState.PENDING).order_by("pk"))
    for row in rows:
        row.page_count = info.page_count
        row.pdf_title = info.title
        row.pdf_author = info.author
        row.first_pages_text = info.first_pages_text
        if row.title_is_placeholder and info.title_guess:
            row.title = info.title_guess[: Paper.TITLE_MAX]
            row.title_key = normalize_title(row.title)
            row.title_is_placeholder = False
            _searchable_text_changed([row.pk])
        row.pdf_state = Paper.PdfState.READY
        row.pdf_error = ""
        row.save()
        reading_guide_build(paper=row)
    return paper


@transaction.atomic
def paper_pdf_from_sibling(*, paper: Paper) -> bool:
    """Another club read this arXiv PDF already: take what it found instead of
    downloading it again. Returns whether there was one."""
    if not paper.arxiv_id:
        return False
    sibling = _same_pdf(paper).filter(pdf_state=Paper.PdfState.READY).order_by("pk").first()
    if sibling is None:
        return False
    info = pdf.PdfInfo(
        page_count=sibling.page_count,
        title=sibling.pdf_title,
        author=sibling.pdf_author,
        first_pages_text=sibling.first_pages_text,
        title_guess="",  # arXiv papers take their title from arXiv
    )
    paper_pdf_apply(paper=paper, info=info)
    return True


@transaction.atomic
def reading_guide_build(*, paper: Paper) -> ReadingGuide:
    """Find the first-pass landmarks in the stored text of the first pages."""
    found = guide.extract_guide(paper.first_pages_text)
    reading_guide, _ = ReadingGuide.objects.update_or_create(
        paper=paper,
        defaults={
            "abstract": found.abstract,
            "intro_end": found.intro_end,
            "headings": found.headings,
            "figure_captions": found.figure_captions,
            "related_work_heading": found.related_work_heading,
            "related_work_page": found.related_work_page,
            "extracted_at": timezone.now(),
        },
    )
    return reading_guide


@transaction.atomic
def paper_pdf_failed(*, paper: Paper, reason: str) -> Paper:
    log.warning("PDF of paper %s (%s) failed: %s", paper.pk, paper.arxiv_id or "upload", reason)
    paper.pdf_state = Paper.PdfState.FAILED
    paper.pdf_error = reason
    paper.save(update_fields=["pdf_state", "pdf_error"])
    return paper
