"""Issue 15: the propose form's messages say one thing, the right one. A refused
upload does not also ask for "an arXiv id or link…"; an upload with its own title is
accepted (the form invites one); a title of 501 characters is only "too long"."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from papers.forms import ProposeForm
from papers.models import Nomination
from tests.papers.pdf_factory import make_pdf

pytestmark = pytest.mark.django_db

PDF = make_pdf(["Sparse Mixtures of Experts\nAda Lovelace\nAbstract\nWe route tokens."])


def _upload(data: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile("moe.pdf", data, content_type="application/pdf")


def _errors(data: dict, files: dict | None = None) -> dict[str, list[str]]:
    form = ProposeForm(data, files or {})
    assert not form.is_valid()
    return {name: list(errors) for name, errors in form.errors.items()}


def test_a_refused_upload_says_only_why():
    assert _errors({}, {"pdf": _upload(b"just some text, not a pdf")}) == {
        "pdf": ["That file is not a PDF."]
    }


def test_a_refused_upload_with_a_title_says_only_why_the_file_was_refused():
    assert _errors({"title": "Our copy"}, {"pdf": _upload(b"not a pdf")}) == {
        "pdf": ["That file is not a PDF."]
    }


def test_a_title_of_501_characters_says_only_that_it_is_too_long():
    assert _errors({"title": "T" * 501, "url": "https://example.org/paper"}) == {
        "title": ["A title is at most 500 characters (yours has 501)."]
    }


def test_a_title_of_501_characters_without_a_link_says_only_that_it_is_too_long():
    assert _errors({"title": "T" * 501}) == {
        "title": ["A title is at most 500 characters (yours has 501)."]
    }


def test_an_empty_form_asks_for_one_kind():
    assert _errors({}) == {
        "__all__": ["Give an arXiv id or link, a title and link, or a PDF to upload."]
    }


def test_an_upload_with_its_own_title_is_accepted(client, club, member):
    client.force_login(member)
    response = client.post(
        reverse("papers:propose", args=[club.slug]),
        {"pdf": _upload(), "title": "Sparse experts, our copy"},
    )
    nomination = Nomination.objects.get(club=club)
    assert response["Location"] == reverse("papers:nomination", args=[club.slug, nomination.pk])
    assert nomination.paper.title == "Sparse experts, our copy"


def test_the_doi_label_says_optional_once(client, club, member):
    client.force_login(member)
    body = client.get(reverse("papers:propose", args=[club.slug])).content.decode()
    assert '>DOI <span class="muted">(optional)</span></label>' in body
    assert "(optional) <span" not in body
