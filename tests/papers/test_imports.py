"""Imports (issue 18): BibTeX, RIS and CSL JSON files written for these tests, a
list of ids; a preview first, duplicates named and skipped, broken or huge
files refused with nothing written."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from papers.imports.parsing import ImportRefused, parse_library
from papers.models import Nomination, Paper
from tests.factories import NominationFactory, PaperFactory
from tests.unchanged import unchanged

FILES = Path(__file__).parent / "fixtures" / "imports"


def _upload(name: str, data: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data if data is not None else (FILES / name).read_bytes())


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "library.bib",
            [
                ("Attention Is All You Need", 2017, "1706.03762", ""),
                ("LoRA: Low-Rank Adaptation of Large Language Models", 2022, "2106.09685", ""),
                ("Deep Learning", 2016, None, ""),
                (
                    "Gradient-Based Learning Applied to Document Recognition",
                    1998,
                    None,
                    "10.1109/5.726791",
                ),
            ],
        ),
        (
            "zotero.ris",
            [
                ("Attention Is All You Need", 2017, "1706.03762", ""),
                (
                    "Gradient-Based Learning Applied to Document Recognition",
                    1998,
                    None,
                    "10.1109/5.726791",
                ),
                ("Deep Learning", 2016, None, ""),
            ],
        ),
        (
            "zotero.json",
            [
                ("Attention Is All You Need", 2017, "1706.03762", "10.48550/arxiv.1706.03762"),
                ("Deep Learning", 2016, None, ""),
                (
                    "Gradient-Based Learning Applied to Document Recognition",
                    1998,
                    None,
                    "10.1109/5.726791",
                ),
            ],
        ),
    ],
)
def test_each_format_reads_title_year_arxiv_id_and_doi(name, expected):
    entries = parse_library(name=name, data=(FILES / name).read_bytes())
    got = [(e.title, e.year, e.arxiv_id.base if e.arxiv_id else None, e.doi) for e in entries]
    assert got == expected


def test_bibtex_authors_are_first_name_first_with_accents_decoded():
    entries = parse_library(name="library.bib", data=(FILES / "library.bib").read_bytes())
    assert entries[3].authors == ["Yann LeCun", "Léon Bottou"]


def test_a_broken_bib_names_its_first_bad_entry():
    with pytest.raises(ImportRefused, match="“unclosed2021” at line 7"):
        parse_library(name="broken.bib", data=(FILES / "broken.bib").read_bytes())


def test_a_five_megabyte_file_is_refused_by_its_size():
    entry = b"@misc{k%d, title={Padding entry number %d}, year={2020}}\n"
    data = b"".join(entry % (i, i) for i in range(90_000))
    assert len(data) > 5_000_000
    with pytest.raises(ImportRefused, match=r"The file is 5\.\d MB; an import is at most 2 MB"):
        parse_library(name="huge.bib", data=data)


def test_preview_names_duplicates_and_writes_nothing(client, club, member):
    PaperFactory(club=club, arxiv_id="1706.03762", title="Attention Is All You Need")
    NominationFactory(club=club, paper=Paper.objects.get(arxiv_id="1706.03762"))
    client.force_login(member)
    with unchanged():
        response = client.post(
            reverse("imports:batch", args=[club.slug]), {"library": _upload("library.bib")}
        )
    assert response.status_code == 200
    actions = [(row.entry.label, row.action) for row in response.context["rows"]]
    assert actions == [
        ("vaswani2017attention", "duplicate"),
        ("hu2022lora", "fetch"),
        ("goodfellow2016deep", "add"),
        ("lecun1998gradient", "add"),
    ]
    assert "The club has it: “Attention Is All You Need”." in response.content.decode()


def test_confirming_the_preview_proposes_the_batch_once(
    client, club, member, django_capture_on_commit_callbacks
):
    client.force_login(member)
    url = reverse("imports:batch", args=[club.slug])
    plan = client.post(url, {"library": _upload("zotero.json")}).context["plan"]
    with django_capture_on_commit_callbacks():  # the arXiv fetch is the worker's, after commit
        response = client.post(url, {"plan": plan})
    assert response.status_code == 302
    papers = {p.title or p.arxiv_id: p for p in Paper.objects.filter(club=club)}
    assert set(papers) == {
        "1706.03762",
        "Deep Learning",
        "Gradient-Based Learning Applied to Document Recognition",
    }
    book = papers["Deep Learning"]
    assert (book.authors, book.year, book.url) == (
        ["Ian Goodfellow", "Yoshua Bengio"],
        2016,
        "https://www.deeplearningbook.org/",
    )
    assert (
        papers["Gradient-Based Learning Applied to Document Recognition"].doi == "10.1109/5.726791"
    )
    assert Nomination.objects.filter(club=club, vote_count=1).count() == 3
    # The same preview again: everything is a duplicate now, nothing is added twice.
    with django_capture_on_commit_callbacks():
        client.post(url, {"plan": plan})
    assert Paper.objects.filter(club=club).count() == 3


def test_a_broken_bib_upload_says_which_entry_and_writes_nothing(client, club, member):
    client.force_login(member)
    with unchanged():
        response = client.post(
            reverse("imports:batch", args=[club.slug]), {"library": _upload("broken.bib")}
        )
    assert response.status_code == 400
    assert "“unclosed2021” at line 7" in response.content.decode()


def test_a_list_of_ids_and_dois(client, club, member):
    client.force_login(member)
    response = client.post(
        reverse("imports:batch", args=[club.slug]),
        {"ids": "2106.09685\nhttps://arxiv.org/abs/1706.03762v5\n10.1109/5.726791"},
    )
    assert [(r.action, r.entry.label) for r in response.context["rows"]] == [
        ("fetch", "2106.09685"),
        ("fetch", "https://arxiv.org/abs/1706.03762v5"),
        ("skip", "10.1109/5.726791"),
    ]


def test_a_preview_signed_for_someone_else_is_refused(client, club, member, organizer):
    client.force_login(member)
    url = reverse("imports:batch", args=[club.slug])
    plan = client.post(url, {"library": _upload("zotero.ris")}).context["plan"]
    client.force_login(organizer)
    with unchanged():
        response = client.post(url, {"plan": plan}, follow=True)
    assert "made for someone else" in response.content.decode()
