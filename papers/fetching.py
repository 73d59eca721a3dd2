"""Services the workers call: fill papers in from arXiv and from their PDFs.

Kept apart from services.py because these run in Celery, talk to the outside
world through papers/arxiv_client.py and papers/pdf.py, and must survive every
way those can fail. Each step records its state on the Paper, so a person sees
"fetching…", the result, or the reason it failed.
"""

import logging
import random
import time
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from . import arxiv_client, guide, pdf
from .backlog_cache import backlogs_changed
from .identifiers import InvalidDoi, normalize_doi
from .models import Nomination, Paper, ReadingGuide

log = logging.getLogger(__name__)

# How many times an arXiv fetch is tried before the paper is marked failed.
MAX_ATTEMPTS = 5
# A well-formed id that arXiv answers with nothing is asked again this often
# (arXiv sometimes answers empty under load) before we say "not found".
MAX_NOT_FOUND_ATTEMPTS = 3
ARXIV_SLOT_KEY = "papers:arxiv-request-slot"


def retry_delay(attempt: int, *, retry_after: float | None = None) -> float:
    """Exponential backoff with jitter: 5 s, 10 s, 20 s… (ARXIV_RETRY_BASE_SECONDS
    doubling), each drawn from its upper half, capped at 5 minutes."""
    first = settings.ARXIV_RETRY_BASE_SECONDS
    base = min(300.0, first * (2 ** max(0, attempt - 1)))
    delay = random.uniform(base / 2, base)  # noqa: S311 - jitter, not security
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


@transaction.atomic
def arxiv_papers_claim(*, paper_ids: list[int]) -> list[Paper]:
    """Mark the papers still waiting as fetching, and count the attempt."""
    papers = list(
        Paper.objects.select_for_update(skip_locked=True).filter(
            pk__in=paper_ids,
            arxiv_id__isnull=False,
            metadata_state__in=[Paper.MetadataState.PENDING, Paper.MetadataState.FETCHING],
        )
    )
    now = timezone.now()
    for paper in papers:
        paper.metadata_state = Paper.MetadataState.FETCHING
        paper.metadata_attempts += 1
        paper.metadata_attempted_at = now
    Paper.objects.bulk_update(
        papers, ["metadata_state", "metadata_attempts", "metadata_attempted_at"]
    )
    return papers


def _apply(paper: Paper, found: "arxiv_client.ArxivPaper") -> None:
    """arXiv's answer into one club's row, except the fields the club corrected."""
    edited = set(paper.edited_fields or [])
    paper.arxiv_latest_version = found.version
    if "title" not in edited:
        paper.title = found.title or paper.title
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
    asked = arxiv_client.ArxivId(base=paper.arxiv_id, version=paper.arxiv_version or found.version)
    paper.abs_url = asked.abs_url
    paper.pdf_url = asked.pdf_url
    paper.comment = found.comment
    paper.journal_ref = found.journal_ref
    paper.code_links = found.code_links
    paper.metadata_state = Paper.MetadataState.READY
    paper.metadata_error = ""
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
        clubs = Nomination.objects.filter(paper__in=paper_ids).values_list("club_id", flat=True)
        backlogs_changed(club_ids=clubs)


def _every_clubs_rows(arxiv_ids: list[str]) -> dict[str, list[Paper]]:
    """Every club's row of these works, locked, in one order (no deadlocks)."""
    rows: dict[str, list[Paper]] = {}
    for paper in Paper.objects.select_for_update().filter(arxiv_id__in=arxiv_ids).order_by("pk"):
        rows.setdefault(paper.arxiv_id, []).append(paper)
    return rows


@transaction.atomic
def arxiv_result_apply(
    *, papers: list[Paper], result: "arxiv_client.FetchResult", may_ask_again: bool = True
) -> tuple[list[int], list[int]]:
    """Fill in what arXiv returned, in every club's row of each work found (one
    request serves them all). Returns (ids whose PDF is now to read, ids to ask
    again)."""
    ready, again = [], []
    changed = []
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
        if not may_ask_again or paper.metadata_attempts >= MAX_NOT_FOUND_ATTEMPTS:
            _fail(paper, f"arXiv has no paper with the id {paper.arxiv_id}: not found on arXiv.")
        else:
            _wait(paper, "arXiv answered without this paper; asking again shortly.")
            again.append(paper.pk)
    _searchable_text_changed(changed)
    return ready, again


@transaction.atomic
def arxiv_fetch_failed(*, papers: list[Paper], reason: str, final: bool) -> None:
    """Record a failed attempt: wait for a retry, or give up with the reason."""
    for paper in papers:
        if final or paper.metadata_attempts >= MAX_ATTEMPTS:
            _fail(paper, reason)
        else:
            _wait(paper, f"{reason} Trying again shortly.")


def _fail(paper: Paper, reason: str) -> None:
    paper.metadata_state = Paper.MetadataState.FAILED
    paper.metadata_error = reason
    paper.save(update_fields=["metadata_state", "metadata_error"])


def _wait(paper: Paper, reason: str) -> None:
    paper.metadata_state = Paper.MetadataState.PENDING
    paper.metadata_error = reason
    paper.save(update_fields=["metadata_state", "metadata_error"])


@transaction.atomic
def paper_metadata_retry(*, paper: Paper) -> Paper:
    """The "try again" button: start the attempts afresh."""
    if paper.arxiv_id is None or paper.metadata_state != Paper.MetadataState.FAILED:
        return paper
    paper.metadata_state = Paper.MetadataState.PENDING
    paper.metadata_attempts = 0
    paper.metadata_error = ""
    paper.save(update_fields=["metadata_state", "metadata_attempts", "metadata_error"])
    from .tasks import fetch_arxiv_metadata

    fetch_arxiv_metadata.delay_on_commit([paper.pk])
    return paper


def stale_fetching_papers(*, older_than: timedelta = timedelta(minutes=15)) -> list[int]:
    """Papers left "fetching" by a worker that died: the beat sweep re-queues them."""
    cutoff = timezone.now() - older_than
    return list(
        Paper.objects.filter(
            metadata_state__in=[Paper.MetadataState.FETCHING, Paper.MetadataState.PENDING],
            arxiv_id__isnull=False,
        )
        .filter(metadata_attempted_at__lt=cutoff)
        .values_list("pk", flat=True)[:500]
    )


# --- PDFs -------------------------------------------------------------------------


def paper_pdf_bytes(*, paper: Paper) -> bytes:
    """The PDF's bytes: the upload, or a download from arXiv (size-capped)."""
    cap = settings.PAPER_UPLOAD_MAX_BYTES
    if paper.pdf_file:
        with paper.pdf_file.open("rb") as handle:
            return pdf.pdf_bytes_from_file(handle, max_bytes=cap)
    version = paper.arxiv_version or paper.arxiv_latest_version  # the asked-for, or the latest
    arxiv_id = arxiv_client.ArxivId(base=paper.arxiv_id, version=version)
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
            row.title = info.title_guess[:500]
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
    paper.pdf_state = Paper.PdfState.FAILED
    paper.pdf_error = reason
    paper.save(update_fields=["pdf_state", "pdf_error"])
    return paper
