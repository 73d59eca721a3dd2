"""A real Celery worker on real Redis fills papers in from a local fake arXiv."""

import time

import pytest
from django.utils import timezone

from papers import services, tasks
from papers.models import Paper
from tests.celery_worker import running_worker
from tests.factories import ClubFactory, MembershipFactory
from tests.papers.fake_arxiv import atom_entry
from tests.papers.pdf_factory import make_pdf


def _wait_until(predicate, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return predicate()


@pytest.mark.django_db(transaction=True)
def test_worker_fetches_a_batch_and_reads_the_pdf(fake_arxiv, django_capture_on_commit_callbacks):
    fake_arxiv.add_entry(
        "2106.09685",
        atom_entry(
            "2106.09685v2",
            title="LoRA: Low-Rank Adaptation of Large Language Models",
            authors=["Edward J. Hu", "Yelong Shen"],
            summary="We propose LoRA. Code: https://github.com/microsoft/LoRA.",
        ),
    )
    fake_arxiv.add_entry(
        "1706.03762", atom_entry("1706.03762v7", title="Attention Is All You Need")
    )
    fake_arxiv.add_pdf(
        "2106.09685v2", make_pdf(["LoRA: Low-Rank Adaptation", "Page two"], title="LoRA")
    )
    club = ClubFactory()
    member = MembershipFactory(club=club).user
    with running_worker(
        ARXIV_API_URL=fake_arxiv.api_url,
        ARXIV_PDF_URL=fake_arxiv.pdf_url,
    ):
        with django_capture_on_commit_callbacks(execute=True):
            services.papers_propose(
                club=club, user=member, text="2106.09685\n1706.03762\n2412.99999"
            )

        def settled():
            # The unknown id waits to be asked again later (see test_arxiv_faults).
            found = Paper.objects.exclude(arxiv_id="2412.99999")
            return Paper.objects.count() == 3 and all(p.is_settled for p in found)

        assert _wait_until(settled), list(
            Paper.objects.values_list("arxiv_id", "metadata_state", "pdf_state", "metadata_error")
        )

    lora = Paper.objects.get(arxiv_id="2106.09685")
    # No version was asked for: the details (and the PDF) are of the latest, v2.
    assert (lora.title, lora.authors, lora.arxiv_version, lora.arxiv_latest_version) == (
        "LoRA: Low-Rank Adaptation of Large Language Models",
        ["Edward J. Hu", "Yelong Shen"],
        None,
        2,
    )
    assert lora.code_links == ["https://github.com/microsoft/LoRA"]
    assert (lora.pdf_state, lora.page_count) == ("ready", 2)
    assert "Page two" in lora.first_pages_text
    attention = Paper.objects.get(arxiv_id="1706.03762")
    assert attention.metadata_state == "ready"
    assert attention.pdf_state == "failed"  # the fake arXiv has no PDF for it
    missing = Paper.objects.get(arxiv_id="2412.99999")
    assert (missing.metadata_state, missing.not_found_count, missing.metadata_attempts) == (
        "pending",
        1,
        1,
    )
    assert missing.metadata_error.startswith("arXiv does not know the id 2412.99999 (yet).")
    # One id_list request for the batch; the unknown id is not asked again at once.
    api_calls = [r.id_list for r in fake_arxiv.requests if r.path == "/api/query"]
    assert api_calls == [["2106.09685", "1706.03762", "2412.99999"]]


def _let_time_pass() -> None:
    """The backoff's pause is over (what minutes of waiting would do)."""
    Paper.objects.filter(metadata_next_attempt_at__isnull=False).update(
        metadata_next_attempt_at=timezone.now()
    )


@pytest.mark.django_db(transaction=True)
def test_busy_arxiv_is_asked_again_by_the_beat_sweep_until_it_answers(
    fake_arxiv, django_capture_on_commit_callbacks
):
    fake_arxiv.add_entry("1706.03762", atom_entry("1706.03762v7", title="Attention"))
    fake_arxiv.queue(status=503, body="<html>busy</html>")
    fake_arxiv.queue(status=429, body="slow down", headers={"Retry-After": "0"})
    club = ClubFactory()
    member = MembershipFactory(club=club).user
    with running_worker(ARXIV_API_URL=fake_arxiv.api_url):
        with django_capture_on_commit_callbacks(execute=True):
            services.papers_propose(club=club, user=member, text="1706.03762")
        assert _wait_until(lambda: Paper.objects.get().metadata_attempts == 1)
        assert _wait_until(lambda: Paper.objects.get().metadata_state == "pending")
        # The task never retries by itself: only the sweep asks again, when due.
        tasks.sweep_arxiv.delay()
        time.sleep(1)
        assert Paper.objects.get().metadata_attempts == 1
        for attempts in (2, 3):
            _let_time_pass()
            tasks.sweep_arxiv.delay()
            assert _wait_until(lambda n=attempts: Paper.objects.get().metadata_attempts == n)
        assert _wait_until(lambda: Paper.objects.get().metadata_state == "ready")
    paper = Paper.objects.get()
    assert (paper.title, paper.metadata_attempts, paper.metadata_error) == ("Attention", 3, "")
    assert len([r for r in fake_arxiv.requests if r.path == "/api/query"]) == 3
