"""The reading guide, extracted from PDFs generated here, and the pass-time formula."""

import textwrap

import pytest

from papers.fetching import reading_guide_build
from papers.guide import extract_guide, pass_minutes
from papers.models import Paper, ReadingGuide
from papers.pdf import read_pdf
from tests.factories import ClubFactory
from tests.papers.pdf_factory import make_pdf, make_two_column_pdf

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
    ("pages", "expected"),
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


# --- The end of the introduction, on the two layouts papers come in ------------------------

INTRO_PARAGRAPHS = [
    "Reading long documents is slow, and it has always been so: scribes copied books one page a "
    "day, scholars spent their lives on a handful of texts, and even today a careful reader of a "
    "contract or of a scientific paper needs hours for what a summary tells in a minute or two.",
    "Language models promised to change this, and for short texts they have: a question about a "
    "paragraph is answered in a fraction of a second, with an accuracy that rivals that of people "
    "who read the paragraph slowly and with care, and at a cost that keeps falling every year.",
    "Long documents remain the exception, since a model must hold the whole text in its context "
    "at once, and the memory that this takes grows with the length of the text until it no longer "
    "fits on the accelerators that serve the model, however large and expensive they may be.",
    "Reading long documents is slow for people and for models alike, and the cost of attention "
    "grows with the square of the length of the input, which makes books and legal filings "
    "expensive to process at the scale that modern applications need today.",
    "Earlier work has reduced this cost with sparse patterns, recurrence and retrieval, but each "
    "of these approaches gives up some accuracy on the questions that need the whole document, "
    "and none of them adapts the amount of reading to the difficulty of the passage at hand.",
    "We take a different route and let a small router decide, for every block of text, whether "
    "a cheap skimming reader is enough or whether a careful reader must look at it, so that the "
    "easy parts of a document cost little while the hard parts get the attention they deserve.",
    "Our contributions are threefold. First, we introduce the sparse mixture of readers and its "
    "router. Second, we release a benchmark of long documents with questions that need the whole "
    "text. Third, we show a five times speed-up at equal accuracy on that benchmark.",
]
LAST_SENTENCE = "Third, we show a five times speed-up at equal accuracy on that benchmark."
FIRST_SENTENCE_START = "Reading long documents is slow"
AFTER_INTRO = "2 Related Work\nSparse attention has a long history in the literature."


def _wrapped(width: int) -> list[str]:
    lines = ["Sparse Mixtures of Readers", "Ada Lovelace, Alan Turing", "1 Introduction"]
    for paragraph in INTRO_PARAGRAPHS:
        lines += textwrap.wrap(paragraph, width)
    return lines + AFTER_INTRO.split("\n")


def _one_column_text() -> str:
    # A one-column page: lines of about 95 characters, no blank line between
    # paragraphs (what pypdf gives for real papers), last lines of paragraphs long too.
    return read_pdf(make_pdf(["\n".join(_wrapped(95))]), max_bytes=10_000_000).first_pages_text


def _two_column_text() -> str:
    lines = _wrapped(48)
    half = len(lines) // 2
    pdf = make_two_column_pdf([("\n".join(lines[:half]), "\n".join(lines[half:]))])
    return read_pdf(pdf, max_bytes=10_000_000).first_pages_text


@pytest.mark.parametrize("layout", ["one column", "two columns"])
def test_end_of_the_introduction_is_its_end(layout):
    """Issue 13: on a one-column PDF the guide showed the introduction's first 1,200 characters."""
    text = _one_column_text() if layout == "one column" else _two_column_text()
    assert "1 Introduction" in text
    assert LAST_SENTENCE.split()[-1] in text  # the PDF was read
    intro_end = extract_guide(text).intro_end
    assert intro_end.endswith(LAST_SENTENCE)
    assert FIRST_SENTENCE_START not in intro_end
    assert "Related Work" not in intro_end
    assert len(intro_end) <= ReadingGuide.INTRO_END_MAX


def test_end_of_an_introduction_that_is_one_long_paragraph_starts_at_a_sentence():
    sentences = [
        f"Sentence number {n} says something about the method we propose." for n in range(60)
    ]
    text = "1 Introduction\n" + "\n".join(sentences) + "\n" + AFTER_INTRO
    intro_end = extract_guide(text).intro_end
    assert intro_end.endswith("Sentence number 59 says something about the method we propose.")
    assert intro_end.startswith("… Sentence number ")
    assert "Sentence number 0 " not in intro_end
    assert len(intro_end) <= 1_250
