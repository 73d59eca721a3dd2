"""Uploaded PDFs are served by papers:pdf, which checks the club's permissions:
streamed from the filesystem, or a short-lived signed URL when S3 holds them.
Nothing serves MEDIA_URL (issue 13: the "Uploaded PDF" link was a 404 in
production, and a public path wherever it worked)."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.test import override_settings
from django.urls import reverse

from clubs.models import Club
from papers.models import Nomination, Paper
from tests.factories import ClubFactory, MembershipFactory, UserFactory
from tests.papers.pdf_factory import make_pdf

pytestmark = pytest.mark.django_db

PDF = make_pdf(["Attention Is Not Enough\nA. Writer\nAbstract\nWe read papers."], title="A")


def _uploaded(club: Club, *, title="Attention Is Not Enough") -> Nomination:
    paper = Paper.objects.create(club=club, title=title, metadata_state="ready")
    paper.pdf_file.save("upload.pdf", ContentFile(PDF), save=True)
    return Nomination.objects.create(club=club, paper=paper)


def _private_club() -> Club:
    return ClubFactory(visibility=Club.Visibility.PRIVATE, join_policy=Club.JoinPolicy.INVITE)


def _pdf_url(nomination: Nomination) -> str:
    return reverse("papers:pdf", args=[nomination.club.slug, nomination.pk])


def test_uploading_then_following_the_link_gives_the_pdf(client):
    club = ClubFactory()
    member = MembershipFactory(club=club).user
    client.force_login(member)
    response = client.post(
        reverse("papers:propose", args=[club.slug]),
        {"pdf": ContentFile(PDF, name="sparse.pdf"), "pitch": "", "tags": ""},
    )
    assert response.status_code == 302
    nomination = Nomination.objects.get(club=club)
    page = client.get(response["Location"]).content.decode()
    link = re.search(r'<a href="([^"]+)">Uploaded PDF</a>', page).group(1)
    assert link == _pdf_url(nomination)
    assert settings.MEDIA_URL not in page

    download = client.get(link)
    assert download.status_code == 200
    assert download.streaming
    assert b"".join(download.streaming_content) == PDF
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"].startswith('inline; filename="')
    assert "private" in download["Cache-Control"]


@pytest.mark.parametrize(
    ("viewer", "status"), [("anonymous", 404), ("outsider", 404), ("pending", 200), ("member", 200)]
)
def test_private_clubs_pdf_is_a_404_to_outsiders(client, viewer, status):
    club = _private_club()
    nomination = _uploaded(club)
    people = {
        "outsider": UserFactory(),
        "pending": MembershipFactory(club=club, state="pending").user,
        "member": MembershipFactory(club=club).user,
    }
    if viewer != "anonymous":
        client.force_login(people[viewer])
    response = client.get(_pdf_url(nomination))
    assert response.status_code == status
    if status == 404:
        assert not response.streaming
        assert b"%PDF" not in response.content
        assert b"Attention Is Not Enough" not in response.content


def test_a_pdf_is_served_only_under_the_club_that_has_it(client):
    """Another club's nomination id under a public club's address is a 404, not its file."""
    private = _uploaded(_private_club())
    public = ClubFactory()
    client.force_login(MembershipFactory(club=public).user)
    response = client.get(reverse("papers:pdf", args=[public.slug, private.pk]))
    assert response.status_code == 404


def test_paper_without_an_upload_has_no_pdf(client):
    club = ClubFactory()
    nomination = Nomination.objects.create(
        club=club, paper=Paper.objects.create(club=club, arxiv_id="2106.09685", title="LoRA")
    )
    assert client.get(_pdf_url(nomination)).status_code == 404


def test_a_file_gone_from_storage_is_a_404(client):
    nomination = _uploaded(ClubFactory())
    nomination.paper.pdf_file.storage.delete(nomination.paper.pdf_file.name)
    assert client.get(_pdf_url(nomination)).status_code == 404


def test_nothing_serves_media_urls(client):
    nomination = _uploaded(ClubFactory())
    assert client.get(settings.MEDIA_URL + nomination.paper.pdf_file.name).status_code == 404


def test_uploaded_pdf_is_not_the_papers_outside_link():
    """Calendars and mail show Paper.link: an uploaded file must not be handed out there."""
    nomination = _uploaded(ClubFactory())
    assert nomination.paper.link == ""


S3 = {
    "default": {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": "paperclub-test",
            # Signing a URL is computed locally: nothing listens here, nothing is sent.
            "endpoint_url": "http://127.0.0.1:9",
            "region_name": "us-east-1",
            "access_key": "test-access-key",
            "secret_key": "test-secret-key",
            "default_acl": None,
            "querystring_auth": True,
            "signature_version": "s3v4",
            "file_overwrite": False,
        },
    },
    "staticfiles": settings.STORAGES["staticfiles"],
}


def test_with_s3_the_view_redirects_to_a_short_lived_signed_url(client):
    club = ClubFactory()
    paper = Paper.objects.create(club=club, title="Sparse Mixtures", metadata_state="ready")
    # The row as an S3 upload leaves it (the bucket itself is not needed to sign).
    Paper.objects.filter(pk=paper.pk).update(pdf_file="papers/2026/12/sparse.pdf")
    nomination = Nomination.objects.create(club=club, paper=paper)
    with override_settings(STORAGES=S3, PAPER_PDF_URL_SECONDS=300):
        response = client.get(_pdf_url(nomination))
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    query = parse_qs(location.query)
    assert (location.scheme, location.netloc) == ("http", "127.0.0.1:9")
    assert location.path == "/paperclub-test/papers/2026/12/sparse.pdf"
    assert query["X-Amz-Expires"] == ["300"]
    assert query["X-Amz-Signature"][0]
    assert query["response-content-type"] == ["application/pdf"]
    assert query["response-content-disposition"] == ['inline; filename="sparse-mixtures.pdf"']
    assert "no-store" in response["Cache-Control"]


def test_with_s3_a_private_clubs_pdf_is_still_a_404_to_outsiders(client):
    nomination = _uploaded(_private_club())
    client.force_login(UserFactory())
    with override_settings(STORAGES=S3):
        response = client.get(_pdf_url(nomination))
    assert response.status_code == 404
    assert "Location" not in response
