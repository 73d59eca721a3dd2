"""The arXiv client against answers arXiv really sent, read in place from ../shared/fixtures/arxiv/.

Each file is served by the fake arXiv for the request it answered (HTTP 400 for the error file)
and parsed by `fetch_papers`. The files are not the project's and are never copied into it.
"""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from papers.arxiv_client import (
    ArxivId,
    ArxivRejected,
    fetch_papers,
    parse_arxiv_id,
    search_papers,
)

REAL_ANSWERS = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "arxiv"

pytestmark = pytest.mark.skipif(
    not REAL_ANSWERS.is_dir(),
    reason=f"the recorded arXiv answers are not here ({REAL_ANSWERS}); CI always has them",
)

ATTENTION_ABSTRACT = (
    "The dominant sequence transduction models are based on complex recurrent or convolutional "
    "neural networks in an encoder-decoder configuration. The best performing models also "
    "connect the encoder and decoder through an attention mechanism. We propose a new simple "
    "network architecture, the Transformer, based solely on attention mechanisms, dispensing "
    "with recurrence and convolutions entirely. Experiments on two machine translation tasks "
    "show these models to be superior in quality while being more parallelizable and requiring "
    "significantly less time to train. Our model achieves 28.4 BLEU on the WMT 2014 "
    "English-to-German translation task, improving over the existing best results, including "
    "ensembles by over 2 BLEU. On the WMT 2014 English-to-French translation task, our model "
    "establishes a new single-model state-of-the-art BLEU score of 41.8 after training for 3.5 "
    "days on eight GPUs, a small fraction of the training costs of the best models from the "
    "literature. We show that the Transformer generalizes well to other tasks by applying it "
    "successfully to English constituency parsing both with large and limited training data."
)

SEARCH_PAGE_DOIS = {
    "2202.12139": "10.1109/ICSTW55395.2022.00035",
    "2405.13786": "10.1109/ICSTW58534.2023.00023",
    "2005.14124": "10.1145/3395363.3397376",
    "2204.08348": "10.1145/3533767.3534401",
    "2302.03287": "10.1109/ICSTW58534.2023.00078",
    "1202.4527": "",
    "2503.05378": "",
    "1205.1866": "10.5121/vlsic.2012.3205",
    "2502.07719": "",
    "1812.11470": "",
}

# file -> (the ids asked for, the facts expected). Ids that our parser rightly refuses
# (0000.0000 has month 00, 0808.05394 has five digits in 2008, "abc") are built directly,
# as arXiv was asked for them.
CASES = {
    "arxivpy_id_1605.08386.xml": (
        ["1605.08386"],
        {
            "1605.08386": {
                "version": 1,
                "title": "Heat-bath random walks with Markov bases",
                "authors": ["Caprice Stanley", "Tobias Windisch"],
                "categories": ["math.CO", "math.ST"],
                "primary_category": "math.CO",
                "comment": "20 pages, 3 figures",
                "published": datetime(2016, 5, 26, 17, 59, 46, tzinfo=UTC),
                "pdf_url": "https://arxiv.org/pdf/1605.08386v1",
            }
        },
    ),
    "arxivpy_id_2104.12255v1_versioned_no_comment.xml": (
        ["2104.12255v1"],
        {
            "2104.12255": {
                "version": 1,
                "title": "0",
                "comment": "",
                "journal_ref": "",
                "doi": "",
                "authors": ["Quan Thoi Minh Nguyen"],
                "categories": ["cs.CR"],
            }
        },
    ),
    "arxivpy_id_1707.08567_34authors_utf8.xml": (
        ["1707.08567"],
        {
            "1707.08567": {
                "version": 1,
                "title": (
                    "Proceedings of Workshop AEW10: Concepts in Information Theory and "
                    "Communications"
                ),
                "author_count": 34,
                "first_author": "Kees A. Schouhamer Immink",
                "last_author": "Hirosuke Yamamoto",
                "non_ascii_authors": ["Dirk Wübben"],
            }
        },
    ),
    "arxivpy_id_astro-ph_0601001_oldstyle_affiliations_journalref.xml": (
        ["astro-ph/0601001"],
        {
            "astro-ph/0601001": {
                "version": 1,
                "journal_ref": "ActaAstron.56:1-50,2006",
                "authors": ["Andrew Gould", "Susan Dorsher", "B. Scott Gaudi", "Andrzej Udalski"],
                "categories": ["astro-ph"],
                "primary_category": "astro-ph",
                "abs_url": "https://arxiv.org/abs/astro-ph/0601001v1",
                "code_links": [],
            }
        },
    ),
    "arxivpy_id_quant-ph_0201082v1_oldstyle_versioned.xml": (
        ["quant-ph/0201082v1"],
        {
            "quant-ph/0201082": {
                "version": 1,
                "title": (
                    "Quantum Computers and Quantum Computer Languages: Quantum Assembly "
                    "Language and Quantum C Language"
                ),
                "authors": ["Stephen Blaha"],
                "categories": ["quant-ph", "cs.PL"],
                "comment": "32 pages",
                "abstract_start": "We show a representation of Quantum Computers",
            }
        },
    ),
    "arxivpy_query_testing_start0_max10_doi_journalref.xml": (
        list(SEARCH_PAGE_DOIS),
        {base_id: {"doi": doi} for base_id, doi in SEARCH_PAGE_DOIS.items()},
    ),
    "arxivpy_id_list_two_ids_one_missing.xml": (
        [ArxivId("0808.05394"), "1707.08567"],
        {"1707.08567": {"author_count": 34}},
    ),
    "arxivpy_id_0808.05394_EMPTY_200.xml": ([ArxivId("0808.05394")], {}),
    "arxivpy_id_0000.0000_EMPTY_200.xml": ([ArxivId("0000.0000")], {}),
    "legacy2024_id_1706.03762_attention_is_all_you_need.xml": (
        ["1706.03762"],
        {
            "1706.03762": {
                "version": 7,
                "title": "Attention Is All You Need",
                "abstract": ATTENTION_ABSTRACT,
                "author_count": 8,
                "first_author": "Ashish Vaswani",
                "comment": "15 pages, 5 figures",
                "categories": ["cs.CL", "cs.LG"],
                "primary_category": "cs.CL",
                "published": datetime(2017, 6, 12, 17, 57, 34, tzinfo=UTC),
                "updated": datetime(2023, 8, 2, 0, 41, 18, tzinfo=UTC),
                "abs_url": "https://arxiv.org/abs/1706.03762v7",
            }
        },
    ),
}
ERROR_FILE = "arxivpy_id_abc_ERROR_HTTP400.xml"
TOTAL_RESULTS = {
    "arxivpy_query_testing_start0_max10_doi_journalref.xml": 214881,
    "arxivpy_id_0808.05394_EMPTY_200.xml": 0,
    "arxivpy_id_0000.0000_EMPTY_200.xml": 0,
}


def _arxiv_ids(tokens: list) -> list[ArxivId]:
    return [token if isinstance(token, ArxivId) else parse_arxiv_id(token) for token in tokens]


def _facts(paper, wanted: dict) -> dict:
    derived = {
        "author_count": len(paper.authors),
        "first_author": paper.authors[0] if paper.authors else None,
        "last_author": paper.authors[-1] if paper.authors else None,
        "non_ascii_authors": [name for name in paper.authors if not name.isascii()],
        "abstract_start": paper.abstract[: len(wanted.get("abstract_start", ""))],
    }
    return {name: derived[name] if name in derived else getattr(paper, name) for name in wanted}


def test_conformance_covers_every_recorded_answer():
    assert sorted(path.name for path in REAL_ANSWERS.glob("*.xml")) == sorted([*CASES, ERROR_FILE])


@pytest.mark.parametrize("name", sorted(CASES))
def test_conformance_fetch_papers_parses_recorded_answer(fake_arxiv, name):
    tokens, expected = CASES[name]
    arxiv_ids = _arxiv_ids(tokens)
    fake_arxiv.queue(body=(REAL_ANSWERS / name).read_bytes())

    result = fetch_papers(arxiv_ids, api_url=fake_arxiv.api_url)

    assert list(result.papers) == list(expected)
    assert result.missing == [i.base for i in arxiv_ids if i.base not in expected]
    assert result.total_results == TOTAL_RESULTS.get(name, len(expected))
    for base_id, facts in expected.items():
        paper = result.papers[base_id]
        assert _facts(paper, facts) == facts
        assert paper.published.tzinfo is not None
        assert paper.updated >= paper.published
        assert paper.title == " ".join(paper.title.split())
        assert paper.abstract == " ".join(paper.abstract.split())


def test_conformance_batch_with_a_missing_id(fake_arxiv):
    fake_arxiv.queue(body=(REAL_ANSWERS / "arxivpy_id_list_two_ids_one_missing.xml").read_bytes())

    result = fetch_papers(
        [ArxivId("0808.05394"), ArxivId("1707.08567")], api_url=fake_arxiv.api_url
    )

    assert fake_arxiv.requests[0].params["id_list"] == "0808.05394,1707.08567"
    assert list(result.papers) == ["1707.08567"]
    assert result.missing == ["0808.05394"]


def test_conformance_search_page_gives_ten_papers_with_dois(fake_arxiv):
    name = "arxivpy_query_testing_start0_max10_doi_journalref.xml"
    fake_arxiv.queue(body=(REAL_ANSWERS / name).read_bytes())

    result = fetch_papers(_arxiv_ids(list(SEARCH_PAGE_DOIS)), api_url=fake_arxiv.api_url)

    assert len(result.papers) == 10
    assert {base: paper.doi for base, paper in result.papers.items()} == SEARCH_PAGE_DOIS
    assert sum(bool(paper.journal_ref) for paper in result.papers.values()) == 6


def test_conformance_search_query_reads_the_real_search_page(fake_arxiv):
    """The arXiv watch's one request (papers.arxiv_client.search_papers) on arXiv's own answer."""
    name = "arxivpy_query_testing_start0_max10_doi_journalref.xml"
    fake_arxiv.queue(body=(REAL_ANSWERS / name).read_bytes())

    result = search_papers("all:testing", api_url=fake_arxiv.api_url, max_results=10)

    assert fake_arxiv.requests[0].params == {
        "search_query": "all:testing",
        "sortBy": "submittedDate",
        "sortOrder": "descending",
        "start": "0",
        "max_results": "10",
    }
    assert result.total_results == 214881
    assert [paper.base_id for paper in result.papers] == list(SEARCH_PAGE_DOIS)
    assert {paper.base_id: paper.doi for paper in result.papers} == SEARCH_PAGE_DOIS
    assert all(paper.published.tzinfo is not None for paper in result.papers)


def test_conformance_http_400_error_feed_is_rejected(fake_arxiv):
    fake_arxiv.queue(status=400, body=(REAL_ANSWERS / ERROR_FILE).read_bytes())

    with pytest.raises(ArxivRejected) as caught:
        fetch_papers([ArxivId("abc")], api_url=fake_arxiv.api_url)

    assert str(caught.value) == "incorrect id format for abc"
    assert fake_arxiv.requests[0].params == {"id_list": "abc", "max_results": "1"}
