"""Filling papers in from arXiv when every club has its own row of a work."""

import pytest

from papers import services, tasks
from papers.models import Paper, ReadingGuide
from tests.factories import ClubFactory, MembershipFactory
from tests.papers.fake_arxiv import atom_entry
from tests.papers.pdf_factory import make_pdf

pytestmark = pytest.mark.django_db


@pytest.fixture
def arxiv(fake_arxiv, settings):
    settings.ARXIV_API_URL = fake_arxiv.api_url
    settings.ARXIV_PDF_URL = fake_arxiv.pdf_url
    return fake_arxiv


def _club_with_member():
    club = ClubFactory()
    return club, MembershipFactory(club=club).user


def _api_calls(fake) -> list[list[str]]:
    return [r.id_list for r in fake.requests if r.path == "/api/query"]


def test_one_answer_fills_in_every_clubs_row_except_what_a_club_corrected(arxiv):
    arxiv.add_entry(
        "2106.09685",
        atom_entry(
            "2106.09685v2",
            title="LoRA: Low-Rank Adaptation of Large Language Models",
            authors=["Edward J. Hu", "Yelong Shen"],
            summary="We propose LoRA.",
            doi="10.48550/ARXIV.2106.09685",
        ),
    )
    (first, alice), (second, bob) = _club_with_member(), _club_with_member()
    services.papers_propose(club=first, user=alice, text="2106.09685")
    services.papers_propose(club=second, user=bob, text="2106.09685")
    # The second club corrected the title (say, before arXiv answered).
    Paper.objects.filter(club=second).update(title="LoRA (our title)", edited_fields=["title"])

    tasks.fetch_arxiv_metadata.apply(args=[[Paper.objects.get(club=first).pk]])

    assert _api_calls(arxiv) == [["2106.09685"]]  # one request served both clubs
    rows = {p.club_id: p for p in Paper.objects.all()}
    assert {
        club: (p.title, p.authors, p.year, p.doi, p.metadata_state) for club, p in rows.items()
    } == {
        first.pk: (
            "LoRA: Low-Rank Adaptation of Large Language Models",
            ["Edward J. Hu", "Yelong Shen"],
            2021,
            "10.48550/arxiv.2106.09685",
            "ready",
        ),
        second.pk: (
            "LoRA (our title)",
            ["Edward J. Hu", "Yelong Shen"],
            2021,
            "10.48550/arxiv.2106.09685",
            "ready",
        ),
    }


def test_the_pdf_of_a_work_is_downloaded_once_for_every_club(arxiv):
    arxiv.add_entry("2106.09685", atom_entry("2106.09685v2", title="LoRA"))
    arxiv.add_pdf("2106.09685v2", make_pdf(["LoRA\nAbstract\nWe adapt.", "Page two"]))
    (first, alice), (second, bob) = _club_with_member(), _club_with_member()
    services.papers_propose(club=first, user=alice, text="2106.09685")
    services.papers_propose(club=second, user=bob, text="2106.09685")
    tasks.fetch_arxiv_metadata.apply(args=[list(Paper.objects.values_list("pk", flat=True))])
    for paper in Paper.objects.order_by("pk"):
        tasks.read_paper_pdf.apply(args=[paper.pk])
    assert [r.path for r in arxiv.requests if r.path.startswith("/pdf")] == ["/pdf/2106.09685v2"]
    assert list(Paper.objects.values_list("pdf_state", "page_count")) == [("ready", 2)] * 2
    assert ReadingGuide.objects.count() == 2

    # A third club adds it later: what the others read is copied, not downloaded.
    third, carol = _club_with_member()
    services.papers_propose(club=third, user=carol, text="2106.09685")
    late = Paper.objects.get(club=third)
    tasks.fetch_arxiv_metadata.apply(args=[[late.pk]])
    tasks.read_paper_pdf.apply(args=[late.pk])
    late.refresh_from_db()
    assert (late.pdf_state, late.page_count, "Page two" in late.first_pages_text) == (
        "ready",
        2,
        True,
    )
    assert len([r for r in arxiv.requests if r.path.startswith("/pdf")]) == 1


def test_an_asked_for_version_keeps_its_links_and_pdf_while_the_details_are_the_latest(arxiv):
    """Issue 13: a typed version (v2) was silently replaced by the latest."""
    arxiv.add_entry("1706.03762", atom_entry("1706.03762v7", title="Attention Is All You Need"))
    arxiv.add_pdf("1706.03762v2", make_pdf(["Attention, version two"]))
    club, member = _club_with_member()
    paper = services.papers_propose(club=club, user=member, text="1706.03762v2").added[0].paper
    tasks.fetch_arxiv_metadata.apply(args=[[paper.pk]])
    tasks.read_paper_pdf.apply(args=[paper.pk])
    paper.refresh_from_db()
    assert (paper.arxiv_version, paper.arxiv_latest_version, paper.shows_other_version) == (
        2,
        7,
        True,
    )
    assert (paper.abs_url, paper.pdf_url) == (
        "https://arxiv.org/abs/1706.03762v2",
        "https://arxiv.org/pdf/1706.03762v2",
    )
    assert "version two" in paper.first_pages_text


def test_a_doi_another_paper_of_the_club_has_is_not_taken_from_arxiv(arxiv):
    arxiv.add_entry("2106.09685", atom_entry("2106.09685v2", title="LoRA", doi="10.1000/lora"))
    club, member = _club_with_member()
    _journal, _ = services.paper_propose_by_link(
        club=club,
        user=member,
        title="LoRA (ICLR)",
        url="https://example.org/lora",
        doi="10.1000/lora",
    )
    paper = services.papers_propose(club=club, user=member, text="2106.09685").added[0].paper
    tasks.fetch_arxiv_metadata.apply(args=[[paper.pk]])
    paper.refresh_from_db()
    assert (paper.metadata_state, paper.title, paper.doi) == ("ready", "LoRA", "")
