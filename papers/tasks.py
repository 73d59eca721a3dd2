"""Thin Celery tasks: load rows, call one service, retry only what is transient."""

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings

from . import arxiv_client, fetching, pdf, unconfirmed
from .models import Paper
from .related import services as related_services
from .voting import rounds
from .watch import runs as watch_runs

log = logging.getLogger(__name__)


@shared_task(name="papers.fetch_arxiv_metadata", soft_time_limit=90, time_limit=120)
def fetch_arxiv_metadata(paper_ids: list[int]) -> None:
    """One attempt at these papers. A failure is recorded on them and the
    sweep below asks again when it is due: the task itself never retries."""
    for paper_id in fetching.arxiv_fetch(paper_ids=paper_ids):
        read_paper_pdf.delay(paper_id)


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


@shared_task(name="papers.sweep_arxiv")
def sweep_arxiv() -> None:
    """Ask arXiv again for every paper whose next attempt is due (beat, every
    SWEEP_ARXIV_SECONDS), in batches of one request each."""
    due = fetching.arxiv_due_paper_ids()
    for start in range(0, len(due), 50):
        fetch_arxiv_metadata.delay(due[start : start + 50])


@shared_task(name="papers.sweep_unconfirmed_uploads")
def sweep_unconfirmed_uploads() -> None:
    """Delete "is it this one?" uploads nobody came back for (beat, hourly)."""
    gone = unconfirmed.unconfirmed_uploads_sweep()
    if gone:
        log.info("Deleted %d unconfirmed upload(s) older than a day.", gone)


@shared_task(name="papers.related_rebuild", soft_time_limit=300, time_limit=360)
def related_rebuild(club_id: int) -> None:
    """Recompute one club's related papers, if still due (papers.related)."""
    related_services.related_rebuild(club_id=club_id)


@shared_task(name="papers.sweep_related")
def sweep_related() -> None:
    """Rebuild every club whose related papers are still asked for (beat):
    the safety net for a lost doorbell or a build that died."""
    for club_id in related_services.related_due_club_ids():
        related_services.related_rebuild(club_id=club_id)


@shared_task(name="papers.sweep_watches", soft_time_limit=900, time_limit=960)
def sweep_watches() -> None:
    """Run every arXiv watch that is due (beat, every WATCH_SWEEP_SECONDS): one
    search_query each, in the shared arXiv slot (papers.watch.runs)."""
    outcomes = watch_runs.watches_sweep()
    if outcomes:
        log.info(
            "Watches: %d run, %d failed, %d new suggestions.",
            len(outcomes),
            sum(not o.ok for o in outcomes),
            sum(o.suggested for o in outcomes),
        )


@shared_task(name="papers.close_rounds")
def close_rounds() -> None:
    """Record the close of every voting round past its deadline (beat). The
    result never waits for this: pages publish it from the deadline on."""
    rounds.rounds_close_due()
