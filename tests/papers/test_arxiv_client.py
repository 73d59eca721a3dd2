import logging
import pickle
import socket
from datetime import UTC, datetime

import pytest

from papers.arxiv_client import (
    MAX_IDS_PER_REQUEST,
    USER_AGENT,
    ArxivError,
    ArxivId,
    ArxivPaper,
    ArxivRejected,
    ArxivUnavailable,
    InvalidArxivId,
    PdfNotFound,
    PdfTooLarge,
    download_pdf,
    extract_code_links,
    fetch_papers,
    parse_arxiv_id,
    split_id_tokens,
)
from tests.papers.fake_arxiv import atom_entry, atom_feed, error_feed

LORA = ArxivId("2106.09685")
PDF = b"%PDF-1.7\n" + b"0" * 5000 + b"\n%%EOF\n"
MB = 1024 * 1024


def ids(*tokens: str) -> list[ArxivId]:
    return [parse_arxiv_id(token) for token in tokens]


# --- parse_arxiv_id ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("2106.09685", ArxivId("2106.09685")),
        ("2106.09685v2", ArxivId("2106.09685", 2)),
        ("2106.09685v12", ArxivId("2106.09685", 12)),
        ("0704.0001", ArxivId("0704.0001")),
        ("1412.8999v3", ArxivId("1412.8999", 3)),
        ("1501.00001", ArxivId("1501.00001")),
        ("  2106.09685 \n", ArxivId("2106.09685")),
        ("2106.09685/", ArxivId("2106.09685")),
        ("arXiv:2106.09685", ArxivId("2106.09685")),
        ("ARXIV:2106.09685v1", ArxivId("2106.09685", 1)),
        ("arxiv:hep-th/9901001", ArxivId("hep-th/9901001")),
        ("hep-th/9901001", ArxivId("hep-th/9901001")),
        ("hep-th/9901001v3", ArxivId("hep-th/9901001", 3)),
        ("astro-ph/0601001v1", ArxivId("astro-ph/0601001", 1)),
        ("cond-mat/0703470", ArxivId("cond-mat/0703470")),
        ("math.GT/0309136", ArxivId("math/0309136")),
        ("math.GT/0309136v2", ArxivId("math/0309136", 2)),
        ("https://arxiv.org/abs/2106.09685", ArxivId("2106.09685")),
        ("http://arxiv.org/abs/2106.09685v2", ArxivId("2106.09685", 2)),
        ("https://www.arxiv.org/abs/2106.09685/", ArxivId("2106.09685")),
        ("https://export.arxiv.org/abs/hep-th/9901001v2", ArxivId("hep-th/9901001", 2)),
        ("https://arxiv.org/pdf/2106.09685", ArxivId("2106.09685")),
        ("https://arxiv.org/pdf/2106.09685v2.pdf", ArxivId("2106.09685", 2)),
        ("https://arxiv.org/pdf/astro-ph/0601001v1.pdf", ArxivId("astro-ph/0601001", 1)),
        ("HTTPS://ArXiv.org/abs/2106.09685", ArxivId("2106.09685")),
        ("arxiv.org/abs/2106.09685", ArxivId("2106.09685")),
        ("https://arxiv.org/abs/2106.09685?context=cs.LG", ArxivId("2106.09685")),
        ("2106.09685v2.pdf", ArxivId("2106.09685", 2)),
    ],
)
def test_parse_arxiv_id_accepts(token, expected):
    assert parse_arxiv_id(token) == expected


@pytest.mark.parametrize(
    "token",
    [
        "",
        "   ",
        "abc",
        "2113.00001",  # month 13
        "2100.00001",  # month 00
        "hep-th/9913001",  # month 13, old style
        "2106.0968",  # 4 digits after 2015
        "1412.12345",  # 5 digits before 2015
        "0612.0001",  # before new-style ids existed
        "2106.096850",
        "106.09685",
        "2106.09685v",
        "2106.09685v0",
        "2106.09685V2",
        "2106-09685",
        "hep-th/990100",
        "hep-th/99010011",
        "HEP-TH/9901001",
        "-hep/9901001",
        "hep-th9901001",
        "math.gt/0309136",
        "arXiv:",
        "arXiv: abc",
        "doi:10.1000/182",
        "https://example.org/abs/2106.09685",
        "https://arxiv.org/list/cs.LG/recent",
        "https://arxiv.org/abs/",
        "2106.09685 2106.09686",
        "2106.09685,",
        "<script>2106.09685</script>",
    ],
)
def test_parse_arxiv_id_rejects(token):
    with pytest.raises(InvalidArxivId):
        parse_arxiv_id(token)


@pytest.mark.parametrize(
    ("token", "message"),
    [
        (
            "abc",
            '"abc" is not an arXiv id; expected something like 2106.09685, 2106.09685v2 '
            "or hep-th/9901001.",
        ),
        (
            "2113.00001",
            '"2113.00001" is not an arXiv id; 13 is not a month (the id starts with YYMM).',
        ),
        (
            "2106.0968",
            '"2106.0968" is not an arXiv id; ids from 2015 on have 5 digits after the dot.',
        ),
        (
            "1412.12345",
            '"1412.12345" is not an arXiv id; ids from before 2015 have 4 digits after the dot.',
        ),
        (
            "0612.0001",
            '"0612.0001" is not an arXiv id; ids like YYMM.NNNNN start in April 2007 (0704).',
        ),
    ],
)
def test_invalid_arxiv_id_message_names_the_token(token, message):
    with pytest.raises(InvalidArxivId) as caught:
        parse_arxiv_id(token)

    assert str(caught.value) == message
    assert caught.value.token == token


def test_invalid_arxiv_id_message_shortens_a_long_token():
    with pytest.raises(InvalidArxivId) as caught:
        parse_arxiv_id("x" * 500)

    assert str(caught.value).startswith('"' + "x" * 77 + '..." is not an arXiv id;')
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    ("arxiv_id", "versioned"),
    [
        (ArxivId("2106.09685"), "2106.09685"),
        (ArxivId("2106.09685", 2), "2106.09685v2"),
        (ArxivId("hep-th/9901001", 1), "hep-th/9901001v1"),
    ],
)
def test_arxiv_id_versioned(arxiv_id, versioned):
    assert arxiv_id.versioned == versioned
    assert str(arxiv_id) == versioned


# --- split_id_tokens -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("", []),
        (" \n\t ,, \r\n", []),
        ("2106.09685", ["2106.09685"]),
        ("2106.09685\n1810.04805", ["2106.09685", "1810.04805"]),
        ("2106.09685, 1810.04805,hep-th/9901001", ["2106.09685", "1810.04805", "hep-th/9901001"]),
        ("  2106.09685\r\n\r\n  abc  ", ["2106.09685", "abc"]),
        ("b a b a c", ["b", "a", "c"]),
        (
            "https://arxiv.org/abs/2106.09685,arXiv:1810.04805\t2106.09685",
            ["https://arxiv.org/abs/2106.09685", "arXiv:1810.04805", "2106.09685"],
        ),
    ],
)
def test_split_id_tokens(text, tokens):
    assert split_id_tokens(text) == tokens


# --- extract_code_links --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("texts", "links"),
    [
        (("No code here.",), []),
        (("Code: https://github.com/microsoft/LoRA.",), ["https://github.com/microsoft/LoRA"]),
        (("(see https://github.com/a/b)",), ["https://github.com/a/b"]),
        (("at github.com/a/b, and", "http://github.com/a/b/"), ["https://github.com/a/b"]),
        (("https://www.github.com/A/B and https://github.com/a/b",), ["https://github.com/A/B"]),
        (
            (
                "https://gitlab.com/x/y; https://huggingface.co/datasets/x/y! https://bitbucket.org/x/y?",
            ),
            [
                "https://gitlab.com/x/y",
                "https://huggingface.co/datasets/x/y",
                "https://bitbucket.org/x/y",
            ],
        ),
        (("\\url{https://github.com/x/y}",), ["https://github.com/x/y"]),
        (("https://github.com/ and github.com",), []),
        (("mail me at user@github.com/x or notgithub.com/x",), []),
        (("https://example.org/github.com/x",), []),
        (
            ("https://github.com/org/repo/tree/main/src#readme",),
            ["https://github.com/org/repo/tree/main/src#readme"],
        ),
    ],
)
def test_extract_code_links(texts, links):
    assert extract_code_links(*texts) == links


# --- fetch_papers --------------------------------------------------------------------------------


def test_fetch_papers_normal_paper_has_every_field(fake_arxiv, arxiv_fixture):
    fake_arxiv.queue(body=arxiv_fixture("lora_2106.09685.xml"))

    result = fetch_papers([LORA], api_url=fake_arxiv.api_url)

    assert result.papers == {
        "2106.09685": ArxivPaper(
            base_id="2106.09685",
            version=2,
            title="LoRA: Low-Rank Adaptation of Large Language Models",
            authors=[
                "Edward J. Hu",
                "Yelong Shen",
                "Phillip Wallis",
                "Zeyuan Allen-Zhu",
                "Yuanzhi Li",
                "Shean Wang",
                "Lu Wang",
                "Weizhu Chen",
            ],
            abstract=(
                "An important paradigm of natural language processing consists of large-scale "
                "pre-training on general domain data and adaptation to particular tasks or "
                "domains. As we pre-train larger models, full fine-tuning, which retrains all "
                "model parameters, becomes less feasible. We propose Low-Rank Adaptation, or "
                "LoRA, which freezes the pre-trained model weights and injects trainable rank "
                "decomposition matrices into each layer of the Transformer architecture, greatly "
                "reducing the number of trainable parameters for downstream tasks. We release a "
                "package that facilitates the integration of LoRA with PyTorch models at "
                "https://github.com/microsoft/LoRA."
            ),
            categories=["cs.CL", "cs.AI", "cs.LG"],
            primary_category="cs.CL",
            published=datetime(2021, 6, 17, 17, 37, 18, tzinfo=UTC),
            updated=datetime(2021, 10, 16, 18, 40, 34, tzinfo=UTC),
            abs_url="https://arxiv.org/abs/2106.09685v2",
            pdf_url="https://arxiv.org/pdf/2106.09685v2",
            doi="",
            comment=(
                "Draft V2 includes better baselines, experiments on GLUE, and more on adapter "
                "latency. Code: github.com/microsoft/LoRA; checkpoints "
                "(https://huggingface.co/microsoft/lora-checkpoints)."
            ),
            journal_ref="",
            code_links=[
                "https://github.com/microsoft/LoRA",
                "https://huggingface.co/microsoft/lora-checkpoints",
            ],
        )
    }
    assert result.missing == []
    assert result.total_results == 1
    assert result.papers["2106.09685"].arxiv_id == ArxivId("2106.09685", 2)


def test_fetch_papers_sends_one_request_with_id_list_and_user_agent(fake_arxiv, arxiv_fixture):
    fake_arxiv.queue(body=arxiv_fixture("batch_one_missing.xml"))

    fetch_papers(ids("1810.04805", "2106.09685v2", "2412.99999"), api_url=fake_arxiv.api_url)

    [request] = fake_arxiv.requests
    assert request.path == "/api/query"
    assert request.params == {"id_list": "1810.04805,2106.09685v2,2412.99999", "max_results": "3"}
    assert request.headers["user-agent"] == USER_AGENT


def test_fetch_papers_sends_the_given_user_agent(fake_arxiv, arxiv_fixture):
    fake_arxiv.queue(body=arxiv_fixture("lora_2106.09685.xml"))

    fetch_papers([LORA], api_url=fake_arxiv.api_url, user_agent="PaperClub/test (mailto:x@y.z)")

    assert fake_arxiv.requests[0].headers["user-agent"] == "PaperClub/test (mailto:x@y.z)"


def test_user_agent_names_the_project_and_a_contact():
    assert USER_AGENT.startswith("PaperClub/")
    assert "mailto:" in USER_AGENT


def test_fetch_papers_asks_once_per_base_id(fake_arxiv, arxiv_fixture):
    fake_arxiv.queue(body=arxiv_fixture("lora_2106.09685.xml"))

    result = fetch_papers(
        ids("2106.09685", "2106.09685v1", "arXiv:2106.09685"), api_url=fake_arxiv.api_url
    )

    assert fake_arxiv.requests[0].params == {"id_list": "2106.09685", "max_results": "1"}
    assert list(result.papers) == ["2106.09685"]


@pytest.mark.parametrize(
    ("fixture", "token", "id_list", "base_id", "version", "title", "journal_ref", "doi"),
    [
        (
            "oldstyle_hep-th_9901001.xml",
            "hep-th/9901001",
            "hep-th/9901001",
            "hep-th/9901001",
            2,
            "Duality and Confinement in a Two-Dimensional Toy Gauge Model",
            "Nucl.Phys. B550 (1999) 101-124",
            "10.1016/S0550-3213(99)00001-X",
        ),
        (
            "versioned_1810.04805v1.xml",
            "arXiv:1810.04805v1",
            "1810.04805v1",
            "1810.04805",
            1,
            "BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding",
            "",
            "",
        ),
    ],
)
def test_fetch_papers_old_style_and_versioned_ids(
    fake_arxiv, arxiv_fixture, fixture, token, id_list, base_id, version, title, journal_ref, doi
):
    fake_arxiv.queue(body=arxiv_fixture(fixture))

    result = fetch_papers(ids(token), api_url=fake_arxiv.api_url)

    assert fake_arxiv.requests[0].params["id_list"] == id_list
    paper = result.papers[base_id]
    assert (paper.base_id, paper.version, paper.title) == (base_id, version, title)
    assert (paper.journal_ref, paper.doi) == (journal_ref, doi)
    assert paper.abs_url == f"https://arxiv.org/abs/{base_id}v{version}"
    assert paper.pdf_url == f"https://arxiv.org/pdf/{base_id}v{version}"
    assert result.missing == []


def test_fetch_papers_collapses_a_hard_wrapped_abstract(fake_arxiv, arxiv_fixture):
    fake_arxiv.queue(body=arxiv_fixture("oldstyle_hep-th_9901001.xml"))

    paper = fetch_papers(ids("hep-th/9901001"), api_url=fake_arxiv.api_url).papers["hep-th/9901001"]

    assert paper.abstract == (
        "We study a two-dimensional toy gauge model in which a strong-weak coupling duality "
        "exchanges confined and deconfined phases. The spectrum of the dual description is "
        "computed exactly at large N, and the string tension is shown to vanish at the "
        "self-dual point."
    )
    assert paper.authors == ["A. N. Example", "B. Sample"]
    assert paper.categories == ["hep-th", "hep-lat"]
    assert paper.comment == "24 pages, LaTeX, 3 figures; v2: references added"


def test_fetch_papers_many_authors_with_non_ascii_names(fake_arxiv, arxiv_fixture):
    fake_arxiv.queue(body=arxiv_fixture("many_authors_2403.01234.xml"))

    paper = fetch_papers(ids("2403.01234"), api_url=fake_arxiv.api_url).papers["2403.01234"]

    assert len(paper.authors) == 40
    assert paper.authors[:3] == ["Łukasz Kaiser", "Zoë Müller", "José Álvarez"]
    assert paper.authors[19:25] == [
        "王小明",
        "佐藤 健",
        "김민준",
        "Αλέξανδρος Παπαδόπουλος",
        "Дмитрий Иванов",
        "محمد علي",
    ]
    assert paper.authors[-1] == "Mārtiņš Bērziņš"
    assert paper.title == (
        "Überall: A Multilingual Benchmark for Cross-Lingual Retrieval in Forty Languages"
    )
    assert paper.journal_ref == (
        "Proceedings of the Example Conference on Retrieval (ECR 2024), pp. 1–18"
    )
    assert paper.doi == "10.48550/example.2403.01234"
    assert paper.version == 3
    assert paper.code_links == [
        "https://huggingface.co/datasets/example/ueberall",
        "https://gitlab.com/example/ueberall-eval",
    ]


def test_fetch_papers_batch_with_one_id_missing(fake_arxiv, arxiv_fixture):
    fake_arxiv.queue(body=arxiv_fixture("batch_one_missing.xml"))

    result = fetch_papers(ids("1810.04805", "2106.09685", "2412.99999"), api_url=fake_arxiv.api_url)

    assert list(result.papers) == ["1810.04805", "2106.09685"]
    assert result.missing == ["2412.99999"]
    assert result.total_results == 2
    assert result.papers["1810.04805"].version == 2
    assert result.papers["1810.04805"].title == (
        "BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding"
    )


def test_fetch_papers_keys_papers_in_the_order_asked(fake_arxiv, arxiv_fixture):
    fake_arxiv.queue(body=arxiv_fixture("batch_one_missing.xml"))

    result = fetch_papers(ids("2412.99999", "2106.09685", "1810.04805"), api_url=fake_arxiv.api_url)

    assert list(result.papers) == ["2106.09685", "1810.04805"]
    assert result.missing == ["2412.99999"]


def test_fetch_papers_empty_feed_means_missing(fake_arxiv, arxiv_fixture):
    fake_arxiv.queue(body=arxiv_fixture("empty_2412.99999.xml"))

    result = fetch_papers(ids("2412.99999"), api_url=fake_arxiv.api_url)

    assert result.papers == {}
    assert result.missing == ["2412.99999"]
    assert result.total_results == 0


def test_fetch_papers_ignores_entries_not_asked_for(fake_arxiv, arxiv_fixture):
    fake_arxiv.queue(body=arxiv_fixture("batch_one_missing.xml"))

    result = fetch_papers(ids("2106.09685"), api_url=fake_arxiv.api_url)

    assert list(result.papers) == ["2106.09685"]
    assert result.missing == []


def test_fetch_papers_without_ids_makes_no_request(fake_arxiv):
    result = fetch_papers([], api_url=fake_arxiv.api_url)

    assert (result.papers, result.missing, result.total_results) == ({}, [], None)
    assert fake_arxiv.requests == []


def test_fetch_papers_refuses_too_many_ids(fake_arxiv):
    too_many = [ArxivId(f"2106.{n:05d}") for n in range(1, MAX_IDS_PER_REQUEST + 2)]

    with pytest.raises(ValueError, match="at most 100 ids"):
        fetch_papers(too_many, api_url=fake_arxiv.api_url)

    assert fake_arxiv.requests == []


def test_fetch_papers_http_400_is_rejected_with_arxivs_message(fake_arxiv, arxiv_fixture):
    fake_arxiv.queue(status=400, body=arxiv_fixture("error_400_bad_id.xml"))

    with pytest.raises(ArxivRejected) as caught:
        fetch_papers([ArxivId("1234.5")], api_url=fake_arxiv.api_url)

    assert str(caught.value) == "incorrect id format for 1234.5"
    assert caught.value.status == 400
    assert len(fake_arxiv.requests) == 1


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "arXiv rejected the request (HTTP 400)"),
        (b"<html><body>Bad Request</body></html>", "arXiv rejected the request (HTTP 400)"),
        (atom_feed([]), "arXiv rejected the request (HTTP 400)"),
    ],
)
def test_fetch_papers_http_400_without_an_error_entry(fake_arxiv, body, message):
    fake_arxiv.queue(status=400, body=body)

    with pytest.raises(ArxivRejected) as caught:
        fetch_papers([LORA], api_url=fake_arxiv.api_url)

    assert str(caught.value) == message


def test_fetch_papers_error_entry_in_a_200_feed_is_rejected(fake_arxiv):
    fake_arxiv.queue(body=error_feed("max_results must be positive"))

    with pytest.raises(ArxivRejected) as caught:
        fetch_papers([LORA], api_url=fake_arxiv.api_url)

    assert str(caught.value) == "max_results must be positive"
    assert caught.value.status == 200


@pytest.mark.parametrize(
    ("status", "headers", "message", "retry_after"),
    [
        (429, {"Retry-After": "7"}, "arXiv is busy (HTTP 429)", 7.0),
        (503, {"Retry-After": "120"}, "arXiv is busy (HTTP 503)", 120.0),
        (503, {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}, "arXiv is busy (HTTP 503)", 0.0),
        (503, {"Retry-After": "soon"}, "arXiv is busy (HTTP 503)", None),
        (503, {}, "arXiv is busy (HTTP 503)", None),
        (500, {}, "arXiv is having trouble (HTTP 500)", None),
        (502, {"Retry-After": "3"}, "arXiv is having trouble (HTTP 502)", 3.0),
        (408, {}, "arXiv did not answer in time (HTTP 408)", None),
    ],
)
def test_fetch_papers_busy_or_failing_arxiv_is_unavailable(
    fake_arxiv, status, headers, message, retry_after
):
    fake_arxiv.queue(status=status, body=b"<html>busy</html>", headers=headers)

    with pytest.raises(ArxivUnavailable) as caught:
        fetch_papers([LORA], api_url=fake_arxiv.api_url)

    assert str(caught.value) == message
    assert caught.value.status == status
    assert caught.value.retry_after == retry_after


def test_fetch_papers_retry_after_as_a_future_date(fake_arxiv):
    later = datetime.now(UTC).timestamp() + 3600
    http_date = datetime.fromtimestamp(later, UTC).strftime("%a, %d %b %Y %H:%M:%S GMT")
    fake_arxiv.queue(status=503, headers={"Retry-After": http_date})

    with pytest.raises(ArxivUnavailable) as caught:
        fetch_papers([LORA], api_url=fake_arxiv.api_url)

    assert 3590 <= caught.value.retry_after <= 3600


def test_fetch_papers_slow_answer_is_unavailable(fake_arxiv, arxiv_fixture):
    fake_arxiv.queue(body=arxiv_fixture("lora_2106.09685.xml"), delay=2)

    with pytest.raises(ArxivUnavailable) as caught:
        fetch_papers([LORA], api_url=fake_arxiv.api_url, timeout=0.5)

    assert str(caught.value) == "arXiv did not answer in time"
    assert caught.value.retry_after is None


def test_fetch_papers_unreachable_arxiv_is_unavailable():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # Nothing listens on the port now.

    with pytest.raises(ArxivUnavailable) as caught:
        fetch_papers([LORA], api_url=f"http://127.0.0.1:{port}/api/query", timeout=2)

    assert str(caught.value) == "arXiv could not be reached"


@pytest.mark.parametrize(
    "body",
    [
        b"<html><head><title>arXiv is down for maintenance</title></head></html>",
        b"",
        b"not xml at all",
        b"<?xml version='1.0'?><feed xmlns='http://www.w3.org/2005/Atom'><entry>",
        # A feed with no entries that does not say it found nothing: a hiccup, not an answer.
        b"<?xml version='1.0'?><feed xmlns='http://www.w3.org/2005/Atom'></feed>",
    ],
)
def test_fetch_papers_unreadable_answer_is_unavailable(fake_arxiv, body):
    fake_arxiv.queue(body=body, headers={"Content-Type": "text/html"})

    with pytest.raises(ArxivUnavailable):
        fetch_papers([LORA], api_url=fake_arxiv.api_url)


def test_fetch_papers_other_http_status_is_a_final_error(fake_arxiv):
    fake_arxiv.queue(status=403, body=b"Forbidden")

    with pytest.raises(ArxivError) as caught:
        fetch_papers([LORA], api_url=fake_arxiv.api_url)

    assert type(caught.value) is ArxivError
    assert str(caught.value) == "arXiv answered HTTP 403"


def _warnings(caplog) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "papers.arxiv_client" and r.levelname == "WARNING"
    ]


def test_fetch_papers_busy_arxiv_is_logged_with_status_retry_after_and_url(fake_arxiv, caplog):
    # Explicitly: what a logger inherits depends on what ran before (a real worker
    # reconfigures logging for the process).
    caplog.set_level(logging.WARNING, logger="papers.arxiv_client")
    fake_arxiv.queue(status=503, body=b"busy", headers={"Retry-After": "120"})

    with pytest.raises(ArxivUnavailable):
        fetch_papers([LORA], api_url=fake_arxiv.api_url)

    url = f"{fake_arxiv.api_url}?id_list=2106.09685&max_results=1"
    assert _warnings(caplog) == [f"arXiv answered HTTP 503 (Retry-After: 120) to GET {url}"]


def test_fetch_papers_unreachable_arxiv_is_logged_with_the_error(caplog):
    # Explicitly: what a logger inherits depends on what ran before (a real worker
    # reconfigures logging for the process).
    caplog.set_level(logging.WARNING, logger="papers.arxiv_client")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

    with pytest.raises(ArxivUnavailable):
        fetch_papers([LORA], api_url=f"http://127.0.0.1:{port}/api/query", timeout=2)

    [warning] = _warnings(caplog)
    assert warning.startswith(
        f"arXiv could not be reached: GET http://127.0.0.1:{port}/api/query"
        "?id_list=2106.09685&max_results=1 (ConnectionError("
    )


def test_fetch_papers_resolves_against_the_fake_catalogue(fake_arxiv, arxiv_fixture):
    fake_arxiv.add_feed_entries(arxiv_fixture("batch_one_missing.xml"))
    fake_arxiv.add_entry(
        "hep-th/9901001",
        atom_entry("hep-th/9901001v1", title="Catalogue Paper", authors=["Zoë Müller"]),
    )

    result = fetch_papers(
        ids("2106.09685", "hep-th/9901001v1", "2412.99999"), api_url=fake_arxiv.api_url
    )

    assert list(result.papers) == ["2106.09685", "hep-th/9901001"]
    assert result.papers["hep-th/9901001"].authors == ["Zoë Müller"]
    assert result.missing == ["2412.99999"]
    assert result.total_results == 2


def test_fake_arxiv_answers_queued_responses_by_query_then_the_catalogue(fake_arxiv):
    fake_arxiv.add_entry("2106.09685", atom_entry("2106.09685v1", title="From the catalogue"))
    fake_arxiv.queue(status=503, query={"id_list": "1810.04805"})

    with pytest.raises(ArxivUnavailable):
        fetch_papers(ids("1810.04805"), api_url=fake_arxiv.api_url)
    result = fetch_papers([LORA], api_url=fake_arxiv.api_url)

    assert result.papers["2106.09685"].title == "From the catalogue"
    assert fake_arxiv.pending == 0
    assert [request.id_list for request in fake_arxiv.requests] == [["1810.04805"], ["2106.09685"]]


@pytest.mark.parametrize(
    "error",
    [
        ArxivUnavailable("arXiv is busy (HTTP 503)", status=503, retry_after=30.0),
        ArxivRejected("incorrect id format for abc"),
        PdfTooLarge("The PDF of 2106.09685 is 2.1 MB; the limit is 1 MB", max_bytes=MB, size=3),
        PdfNotFound("arXiv has no PDF for 2106.09685v9"),
        InvalidArxivId("abc"),
    ],
    ids=type,
)
def test_arxiv_errors_survive_pickling(error):
    # Celery serialises exceptions (retries, result backends).
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 (our own bytes)

    assert (type(copy), str(copy), vars(copy)) == (type(error), str(error), vars(error))


# --- download_pdf --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arxiv_id", "path"),
    [
        (ArxivId("2106.09685"), "/pdf/2106.09685"),
        (ArxivId("2106.09685", 2), "/pdf/2106.09685v2"),
        (ArxivId("hep-th/9901001", 1), "/pdf/hep-th/9901001v1"),
    ],
)
def test_download_pdf_returns_the_bytes(fake_arxiv, arxiv_id, path):
    fake_arxiv.add_pdf(arxiv_id.versioned, PDF)

    data = download_pdf(arxiv_id, pdf_url=fake_arxiv.pdf_url, max_bytes=MB)

    assert data == PDF
    [request] = fake_arxiv.requests
    assert request.path == path
    assert request.headers["user-agent"] == USER_AGENT


def test_download_pdf_of_several_mb_without_content_length(fake_arxiv):
    big = b"%PDF-1.5\n" + bytes(range(256)) * (3 * MB // 256)
    fake_arxiv.queue("/pdf/2106.09685", body=big, content_length=False)

    assert download_pdf(LORA, pdf_url=fake_arxiv.pdf_url + "/", max_bytes=4 * MB) == big


def test_download_pdf_too_large_by_content_length(fake_arxiv):
    fake_arxiv.queue("/pdf/2106.09685", body=b"%PDF-1.5\n" + b"0" * (2 * MB))

    with pytest.raises(PdfTooLarge) as caught:
        download_pdf(LORA, pdf_url=fake_arxiv.pdf_url, max_bytes=MB)

    assert str(caught.value) == "The PDF of 2106.09685 is 2.1 MB; the limit is 1 MB"
    assert (caught.value.size, caught.value.max_bytes) == (2 * MB + 9, MB)


def test_download_pdf_too_large_while_streaming(fake_arxiv):
    fake_arxiv.queue("/pdf/2106.09685", body=b"%PDF-1.5\n" + b"0" * (3 * MB), content_length=False)

    with pytest.raises(PdfTooLarge) as caught:
        download_pdf(LORA, pdf_url=fake_arxiv.pdf_url, max_bytes=MB)

    assert str(caught.value) == "The PDF of 2106.09685 is larger than the 1 MB limit"
    assert (caught.value.size, caught.value.max_bytes) == (None, MB)


def test_download_pdf_missing_pdf(fake_arxiv):
    with pytest.raises(PdfNotFound) as caught:
        download_pdf(ArxivId("2106.09685", 9), pdf_url=fake_arxiv.pdf_url, max_bytes=MB)

    assert str(caught.value) == "arXiv has no PDF for 2106.09685v9"
    assert isinstance(caught.value, ArxivError)


@pytest.mark.parametrize(
    ("status", "headers", "message", "retry_after"),
    [
        (503, {"Retry-After": "30"}, "arXiv is busy (HTTP 503)", 30.0),
        (429, {}, "arXiv is busy (HTTP 429)", None),
    ],
)
def test_download_pdf_busy_arxiv_is_unavailable(fake_arxiv, status, headers, message, retry_after):
    fake_arxiv.queue("/pdf/2106.09685", status=status, headers=headers)

    with pytest.raises(ArxivUnavailable) as caught:
        download_pdf(LORA, pdf_url=fake_arxiv.pdf_url, max_bytes=MB)

    assert str(caught.value) == message
    assert caught.value.retry_after == retry_after


def test_download_pdf_slow_answer_is_unavailable(fake_arxiv):
    fake_arxiv.queue("/pdf/2106.09685", body=PDF, delay=2)

    with pytest.raises(ArxivUnavailable) as caught:
        download_pdf(LORA, pdf_url=fake_arxiv.pdf_url, max_bytes=MB, timeout=0.5)

    assert str(caught.value) == "arXiv did not answer in time"


def test_download_pdf_stalled_transfer_is_unavailable(fake_arxiv):
    fake_arxiv.queue("/pdf/2106.09685", body=PDF, body_delay=2)

    with pytest.raises(ArxivUnavailable) as caught:
        download_pdf(LORA, pdf_url=fake_arxiv.pdf_url, max_bytes=MB, timeout=0.5)

    assert str(caught.value) == "arXiv did not answer in time"


def test_download_pdf_html_instead_of_pdf_is_an_error(fake_arxiv):
    fake_arxiv.queue(
        "/pdf/2106.09685",
        body=b"<html>PDF unavailable</html>",
        headers={"Content-Type": "text/html; charset=utf-8"},
    )

    with pytest.raises(ArxivError) as caught:
        download_pdf(LORA, pdf_url=fake_arxiv.pdf_url, max_bytes=MB)

    assert str(caught.value) == (
        "arXiv sent something that is not a PDF for 2106.09685 (text/html; charset=utf-8)"
    )
