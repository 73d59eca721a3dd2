"""The arXiv watch end to end: an organizer watches a category, the daily job runs
on a real worker against the arXiv stand-in, and one click proposes a suggestion."""

import re
import time

import pytest
from django.utils import timezone

from papers.models import Nomination, Suggestion, Watch
from papers.tasks import sweep_watches
from tests.browser.conftest import screenshot, sign_in
from tests.celery_worker import running_worker
from tests.factories import ClubFactory, MembershipFactory, NominationFactory, PaperFactory
from tests.papers.conftest import FIXTURES, feed_as_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _wait_for(check, *, seconds: float = 30.0):
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "the worker did not get there in time"
        time.sleep(0.2)


def test_organizer_watches_a_category_and_proposes_a_suggestion_in_one_click(new_page, fake_arxiv):
    club = ClubFactory(slug="nlp-club", name="NLP Club")
    organizer = MembershipFactory(club=club, role="organizer").user
    NominationFactory(
        club=club,
        state=Nomination.State.COVERED,
        paper=PaperFactory(
            club=club,
            title="LoRA: Low-Rank Adaptation of Large Language Models",
            abstract="We freeze the pretrained weights and train rank decomposition matrices "
            "for language models: far fewer trainable parameters than full fine-tuning.",
        ),
    )
    # The worker runs on the real clock: the fixture's papers, published as lately.
    feed = (FIXTURES / "search_cat_cs.CL_newest.xml").read_bytes()
    fake_arxiv.add_feed_entries(feed_as_of(feed, timezone.now()))

    page = new_page()
    sign_in(page, organizer.email)
    page.goto("/c/nlp-club/backlog/")
    page.get_by_role("link", name="Suggested").click()
    page.wait_for_url("**/c/nlp-club/suggested/")
    assert page.get_by_text("No watches yet").is_visible()
    page.get_by_label("Category, author or keyword").fill("cs.cl")
    page.get_by_role("button", name="Watch it").click()
    page.get_by_text("Watching category cs.CL.").wait_for()
    screenshot(page, "watch-added")

    with running_worker(ARXIV_API_URL=fake_arxiv.api_url, ARXIV_PDF_URL=fake_arxiv.pdf_url):
        sweep_watches.delay()
        _wait_for(lambda: Watch.objects.filter(last_success_at__isnull=False).exists())
        assert Suggestion.objects.filter(club=club).count() == 3

        page.reload()
        item = page.locator(".suggestion").first
        # The nearest to the club's history first, and why.
        assert "Sparse Low-Rank Adapters" in item.inner_text()
        assert re.search(
            r"found by the watch on category cs\.CL; nearest club paper “LoRA: Low-Rank",
            item.inner_text(),
        )
        screenshot(page, "watch-suggested")
        url_before = page.url
        item.get_by_role("button", name=re.compile("^Propose")).click()
        page.get_by_text(re.compile("it is on the backlog with your vote")).wait_for()
        assert page.url == url_before  # htmx swapped the item in place
        # The proposal's metadata comes from arXiv (the stand-in), through the worker.
        nomination = Nomination.objects.get(club=club, paper__arxiv_id="2611.30412")
        _wait_for(
            lambda: Nomination.objects.filter(
                pk=nomination.pk, paper__metadata_state="ready"
            ).exists()
        )

    page.goto("/c/nlp-club/backlog/")
    assert page.get_by_role(
        "link", name="Sparse Low-Rank Adapters for Multilingual Instruction Tuning"
    ).first.is_visible()
    assert page.csp_violations == []

    # Without JavaScript the same button is a plain form POST.
    plain = new_page(javascript=False, width=375)
    sign_in(plain, organizer.email)
    plain.goto("/c/nlp-club/suggested/")
    screenshot(plain, "watch-suggested-phone")
    plain.locator(".suggestion").first.get_by_role("button", name=re.compile("^Propose")).click()
    plain.wait_for_url("**/c/nlp-club/suggested/")
    assert plain.get_by_text(re.compile("it is on the backlog with your vote")).is_visible()
    assert Nomination.objects.filter(club=club, state="proposed").count() == 2
