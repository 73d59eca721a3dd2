"""A member adds a paper by arXiv id, watches it fill in, and votes without a reload."""

import re

import pytest

from papers.models import Nomination, Vote
from tests.browser.conftest import screenshot, sign_in
from tests.celery_worker import running_worker
from tests.factories import ClubFactory, MembershipFactory, NominationFactory
from tests.papers.fake_arxiv import atom_entry, catalogue_feed

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_add_paper_watch_it_fetch_and_vote_without_reload(new_page, fake_arxiv):
    club = ClubFactory(slug="llm-club", name="LLM Club")
    member = MembershipFactory(club=club).user
    fake_arxiv.add_entry(
        "2106.09685",
        atom_entry(
            "2106.09685v2",
            title="LoRA: Low-Rank Adaptation of Large Language Models",
            authors=["Edward J. Hu", "Yelong Shen", "Phillip Wallis"],
            summary="We propose Low-Rank Adaptation, or LoRA.",
        ),
    )
    # arXiv answers slowly, so the page shows "fetching" before the title.
    fake_arxiv.queue(body=catalogue_feed(fake_arxiv.catalogue, ["2106.09685"]), delay=2.5)
    with running_worker(
        ARXIV_API_URL=fake_arxiv.api_url,
        ARXIV_PDF_URL=fake_arxiv.pdf_url,
    ):
        page = new_page()
        sign_in(page, member.email)
        page.goto("/c/llm-club/backlog/add/")
        page.get_by_label("arXiv ids or links").fill("https://arxiv.org/abs/2106.09685v1")
        page.get_by_role("button", name="Add to the backlog").click()
        page.wait_for_url(re.compile(r"/c/llm-club/papers/\d+/$"))
        assert page.get_by_text("Fetching from arXiv…").is_visible()
        screenshot(page, "nomination-fetching")
        page.get_by_role("heading", name=re.compile("LoRA: Low-Rank Adaptation")).wait_for(
            timeout=20_000
        )
        assert page.get_by_text("Edward J. Hu, Yelong Shen, Phillip Wallis").is_visible()
        screenshot(page, "nomination-after-fetch")

    nomination = Nomination.objects.get(club=club)
    other = MembershipFactory(club=club).user
    page = new_page()
    sign_in(page, other.email)
    page.goto("/c/llm-club/backlog/")
    url_before = page.url
    vote = page.get_by_role("button", name=re.compile("Vote for LoRA"))
    assert vote.get_attribute("aria-pressed") == "false"
    assert vote.inner_text().split() == ["▲", "1"]
    page.evaluate("window.__notReloaded = true")
    vote.click()
    page.locator('button.vote[aria-pressed="true"]').wait_for()
    assert page.get_by_role("button", name=re.compile("Vote for LoRA")).inner_text().split() == [
        "▲",
        "2",
    ]
    assert page.evaluate("window.__notReloaded") is True  # htmx swapped it in place
    assert page.url == url_before
    assert Vote.objects.filter(nomination=nomination, user=other).exists()
    screenshot(page, "backlog-after-vote")
    assert page.csp_violations == []

    # Without JavaScript the same button is a plain form POST.
    no_js = new_page(javascript=False, width=375, height=800)
    third = MembershipFactory(club=club).user
    sign_in(no_js, third.email)
    no_js.goto("/c/llm-club/backlog/")
    no_js.get_by_role("button", name=re.compile("Vote for LoRA")).click()
    no_js.wait_for_load_state()
    button = no_js.get_by_role("button", name=re.compile("Vote for LoRA"))
    assert button.get_attribute("aria-pressed") == "true"
    assert button.inner_text().split() == ["▲", "3"]
    screenshot(no_js, "backlog-no-js-phone")


def _two_papers(club):
    member = MembershipFactory(club=club).user
    for title, state in (("Proposed Paper About Attention", "proposed"), ("Read Paper", "covered")):
        nomination = NominationFactory(club=club, paper__title=title, proposed_by=member)
        Nomination.objects.filter(pk=nomination.pk).update(state=state)
    return member


def _titles(page) -> list[str]:
    return page.locator(".nomination h3").all_inner_texts()


def test_backlog_filters_apply_as_they_change_with_javascript(new_page):
    club = ClubFactory(slug="filter-club", name="Filter Club")
    _two_papers(club)
    page = new_page()
    page.goto("/c/filter-club/backlog/")
    assert not page.get_by_role("button", name="Apply").is_visible()
    page.evaluate("window.__notReloaded = true")
    page.get_by_label("Show").select_option("covered")
    page.wait_for_url(re.compile(r"state=covered"))
    page.get_by_text("Read Paper").wait_for()
    assert _titles(page) == ["Read Paper"]
    assert page.locator("#filters-now").text_content() == "(Top · Covered · Any topic)"
    page.get_by_label("Show").select_option("open")
    page.get_by_label("Search").fill("nothing like this")
    page.get_by_text("Nothing matches").wait_for()
    assert page.evaluate("window.__notReloaded") is True  # swapped, not reloaded
    assert page.get_by_label("Search").input_value() == "nothing like this"


def test_backlog_filters_need_apply_without_javascript(new_page):
    club = ClubFactory(slug="filter-club", name="Filter Club")
    _two_papers(club)
    page = new_page(javascript=False)
    page.goto("/c/filter-club/backlog/")
    page.get_by_label("Show").select_option("covered")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url(re.compile(r"state=covered"))
    assert _titles(page) == ["Read Paper"]


def test_backlog_filters_fold_on_a_phone(new_page):
    club = ClubFactory(slug="filter-club", name="Filter Club")
    _two_papers(club)
    page = new_page(width=375, height=667)
    page.goto("/c/filter-club/backlog/")
    assert page.get_by_label("Search").is_visible()
    assert not page.get_by_label("Sort").is_visible()
    summary = page.locator(".filters__more > summary")
    assert summary.inner_text() == "Sort and filter (Top · Proposed · Any topic)"
    # The first card starts on the first screen.
    assert page.locator(".nomination").first.bounding_box()["y"] < 667
    summary.click()
    assert page.get_by_label("Sort").is_visible()
    screenshot(page, "backlog-filters-phone-open")
