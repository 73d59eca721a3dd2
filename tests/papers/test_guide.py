"""The reading guide, extracted from PDFs generated here, and the pass-time formula."""

import pytest

from papers.fetching import reading_guide_build
from papers.guide import extract_guide, pass_minutes
from papers.models import Paper
from papers.pdf import read_pdf
from tests.factories import ClubFactory
from tests.papers.pdf_factory import make_pdf

PAPER_PAGES = [
    "Sparse Mixtures of Readers\nAda Lovelace, Alan Turing\nAbstract\n"
    "We study how sparse mixtures of readers can speed up the reading of long\n"
    "documents by a large factor while keeping accuracy.\n"
    "1 Introduction\nLong documents are hard to read for models and people alike.\n"
    "Prior methods read every token at the same cost.\n"
    "Our contributions are threefold: a router, a reader and a benchmark.\n"
    "We show a five times speed-up on long documents.",
    "2 Related Work\nSparse attention has a long history.\n"
    "Figure 1: The architecture of the sparse reader, with a router and\nthree experts.\n"
    "3 Method\nWe route tokens to experts.\n4 Experiments\nWe test on books.",
]


def _text(pages):
    return read_pdf(make_pdf(pages), max_bytes=10_000_000).first_pages_text


def test_extract_finds_the_landmarks():
    guide = extract_guide(_text(PAPER_PAGES))
    assert guide.abstract == (
        "We study how sparse mixtures of readers can speed up the reading of long "
        "documents by a large factor while keeping accuracy."
    )
    assert guide.intro_end.endswith(
        "Our contributions are threefold: a router, a reader and a benchmark. "
        "We show a five times speed-up on long documents."
    )
    assert guide.headings == [
        "Abstract",
        "1 Introduction",
        "2 Related Work",
        "3 Method",
        "4 Experiments",
    ]
    assert guide.figure_captions == [
        "Figure 1: The architecture of the sparse reader, with a router and three experts."
    ]
    assert (guide.related_work_heading, guide.related_work_page) == ("2 Related Work", 2)


@pytest.mark.parametrize(
    "pages",
    [
        ["Just a shopping list\nmilk, eggs, bread\n42 apples"],
        ["The quick brown fox jumps over the lazy dog. " * 3],
        [""],
    ],
    ids=["list", "prose", "blank"],
)
def test_extract_finds_nothing_rather_than_nonsense(pages):
    guide = extract_guide(_text(pages))
    assert (
        guide.abstract,
        guide.intro_end,
        guide.headings,
        guide.figure_captions,
        guide.related_work_heading,
        guide.related_work_page,
    ) == ("", "", [], [], "", None)


def test_extract_of_empty_text_is_empty():
    assert extract_guide("").headings == []


@pytest.mark.parametrize(
    "pages,expected",
    [(None, (10, 60, 240)), (4, (10, 30, 120)), (12, (10, 60, 240)), (40, (13, 180, 720))],
)
def test_pass_minutes_formula(pages, expected):
    times = pass_minutes(pages)
    assert (times.first, times.second, times.third) == expected


@pytest.mark.django_db
def test_guide_is_built_and_saved_by_the_worker_service():
    club = ClubFactory()
    paper = Paper.objects.create(
        club=club, title="Sparse", first_pages_text=_text(PAPER_PAGES), metadata_state="ready"
    )
    guide = reading_guide_build(paper=paper)
    guide.refresh_from_db()
    assert guide.related_work_page == 2
    assert guide.is_empty is False
    empty = reading_guide_build(
        paper=Paper.objects.create(
            club=club, title="Blank", first_pages_text="", metadata_state="ready"
        )
    )
    assert empty.is_empty is True
