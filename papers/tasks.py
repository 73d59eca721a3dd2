"""Thin Celery tasks: load rows, call one service, retry only what is transient."""

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings

from . import arxiv_client, fetching, pdf
from .models import Paper

log = logging.getLogger(__name__)


@shared_task(
    name="papers.fetch_arxiv_metadata",
    bind=True,
    max_retries=fetching.MAX_ATTEMPTS,
    soft_time_limit=90,
    time_limit=120,
)
def fetch_arxiv_metadata(self, paper_ids: list[int]) -> None:
    # Run in-process (the embedded mode, no worker), a retry would block the
    # request that enqueued it: failures are final there, with "try again".
    can_retry = not self.request.is_eager
    papers = fetching.arxiv_papers_claim(paper_ids=paper_ids)
    if not papers:
        return
    ids = [arxiv_client.ArxivId(base=p.arxiv_id, version=None) for p in papers]
    attempt = max(p.metadata_attempts for p in papers)
    if not fetching.arxiv_slot_wait():
        fetching.arxiv_fetch_failed(papers=papers, reason="arXiv is busy.", final=not can_retry)
        if can_retry:
            raise self.retry(countdown=fetching.retry_delay(attempt))
        return
    try:
        result = arxiv_client.fetch_papers(
            ids, api_url=settings.ARXIV_API_URL, timeout=settings.ARXIV_TIMEOUT_SECONDS
        )
    except arxiv_client.ArxivRejected as error:
        fetching.arxiv_fetch_failed(papers=papers, reason=str(error), final=True)
        return
    except (arxiv_client.ArxivUnavailable, SoftTimeLimitExceeded) as error:
        retry_after = getattr(error, "retry_after", None)
        reason = str(error) if str(error) else "arXiv did not answer in time."
        final = not can_retry or self.request.retries >= self.max_retries
        fetching.arxiv_fetch_failed(papers=papers, reason=reason, final=final)
        if not final:
            raise self.retry(
                countdown=fetching.retry_delay(attempt, retry_after=retry_after)
            ) from error
        return
    ready, again = fetching.arxiv_result_apply(
        papers=papers, result=result, may_ask_again=can_retry
    )
    for paper_id in ready:
        read_paper_pdf.delay(paper_id)
    if again:
        fetch_arxiv_metadata.apply_async(args=[again], countdown=fetching.retry_delay(attempt))


@shared_task(name="papers.read_pdf", bind=True, max_retries=3, soft_time_limit=120, time_limit=150)
def read_paper_pdf(self, paper_id: int) -> None:
    paper = Paper.objects.filter(pk=paper_id, pdf_state=Paper.PdfState.PENDING).first()
    if paper is None or fetching.paper_pdf_from_sibling(paper=paper):
        return
    try:
        if not paper.pdf_file and not fetching.arxiv_slot_wait():
            raise arxiv_client.ArxivUnavailable("arXiv is busy.")
        data = fetching.paper_pdf_bytes(paper=paper)
        info = pdf.read_pdf(data, max_bytes=settings.PAPER_UPLOAD_MAX_BYTES)
    except arxiv_client.ArxivUnavailable as error:
        if self.request.is_eager or self.request.retries >= self.max_retries:
            fetching.paper_pdf_failed(paper=paper, reason=f"Could not download the PDF: {error}")
            return
        raise self.retry(
            countdown=fetching.retry_delay(self.request.retries + 1, retry_after=error.retry_after)
        ) from error
    except (arxiv_client.ArxivError, pdf.PdfUnreadable) as error:
        fetching.paper_pdf_failed(paper=paper, reason=str(error))
        return
    except SoftTimeLimitExceeded:
        fetching.paper_pdf_failed(
            paper=paper, reason="Reading this PDF took too long; it may be damaged or hostile."
        )
        return
    fetching.paper_pdf_apply(paper=paper, info=info)


@shared_task(name="papers.sweep_stale_fetches")
def sweep_stale_fetches() -> None:
    """Re-queue papers a dead worker left half-fetched (beat, every 10 minutes)."""
    stale = fetching.stale_fetching_papers()
    for start in range(0, len(stale), 50):
        fetch_arxiv_metadata.delay(stale[start : start + 50])
