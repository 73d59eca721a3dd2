"""Issue 13 item 6: one door for every paper. Duplicates got in through the
other doors: the same PDF uploaded twice was two papers, and a "not on arXiv"
link that was an arXiv abs URL duplicated the arXiv paper."""

import os
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from papers import proposing, services
from papers.models import Nomination, Paper, Vote
from papers.tasks import sweep_unconfirmed_uploads
from papers.unconfirmed import UNCONFIRMED_DIR, UNCONFIRMED_KEPT_FOR
from tests.factories import ClubFactory, MembershipFactory
from tests.papers.pdf_factory import make_pdf

pytestmark = pytest.mark.django_db

PDF = make_pdf(["Sparse Mixtures of Experts\nAda Lovelace\nAbstract\nWe route tokens."])


def _propose_url(club):
    return reverse("papers:propose", args=[club.slug])


def _upload(data: bytes = PDF, name: str = "moe.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/pdf")


def _voters(nomination) -> set[int]:
    return set(Vote.objects.filter(nomination=nomination).values_list("user_id", flat=True))


def test_the_same_pdf_uploaded_twice_is_one_paper_with_both_votes(client, club, member):
    other = MembershipFactory(club=club).user
    client.force_login(member)
    first = client.post(_propose_url(club), {"pdf": _upload()})
    nomination = Nomination.objects.get(club=club)
    assert first["Location"] == reverse("papers:nomination", args=[club.slug, nomination.pk])
    client.force_login(other)
    again = client.post(_propose_url(club), {"pdf": _upload(name="copy.pdf")}, follow=True)
    assert again.redirect_chain[-1][0] == reverse(
        "papers:nomination", args=[club.slug, nomination.pk]
    )
    assert "1 was already in the backlog: your vote is counted." in again.content.decode()
    assert Paper.objects.filter(club=club).count() == 1
    assert _voters(nomination) == {member.pk, other.pk}


def test_the_same_pdf_in_another_club_is_that_clubs_own_paper(club, member):
    services.paper_propose_upload(club=club, user=member, upload=_upload())
    elsewhere = ClubFactory()
    services.paper_propose_upload(
        club=elsewhere, user=MembershipFactory(club=elsewhere).user, upload=_upload()
    )
    assert sorted(Paper.objects.values_list("club_id", flat=True)) == sorted(
        [club.pk, elsewhere.pk]
    )


@pytest.mark.parametrize(
    "link",
    [
        "https://arxiv.org/abs/1706.03762",
        "arxiv.org/abs/1706.03762v5",
        "http://arxiv.org/pdf/1706.03762v2.pdf",
        "https://doi.org/10.48550/arXiv.1706.03762",
    ],
)
def test_an_arxiv_link_in_the_link_box_is_the_arxiv_paper(client, club, member, link):
    arxiv_paper = services.papers_propose(club=club, user=member, text="1706.03762").added[0]
    other = MembershipFactory(club=club).user
    client.force_login(other)
    response = client.post(_propose_url(club), {"title": "Attention (typed)", "url": link})
    assert response["Location"] == reverse("papers:nomination", args=[club.slug, arxiv_paper.pk])
    assert Paper.objects.filter(club=club).count() == 1
    assert _voters(arxiv_paper) == {member.pk, other.pk}


def test_an_arxiv_link_alone_needs_no_title(client, club, member):
    client.force_login(member)
    response = client.post(_propose_url(club), {"url": "https://arxiv.org/abs/2106.09685v2"})
    assert response.status_code == 302
    paper = Paper.objects.get(club=club)
    assert (paper.arxiv_id, paper.arxiv_version, paper.url) == ("2106.09685", 2, "")


def test_dois_are_recognised_in_the_ids_box(client, club, member):
    journal, _ = services.paper_propose_by_link(
        club=club, user=member, title="Journal paper", url="https://ex.org/j", doi="10.1000/j.1"
    )
    other = MembershipFactory(club=club).user
    outcome = services.papers_propose(
        club=club, user=other, text="doi:10.1000/J.1 10.48550/arXiv.2106.09685 10.1000/unknown"
    )
    assert [n.pk for n in outcome.existing] == [journal.pk]
    assert [n.paper.arxiv_id for n in outcome.added] == ["2106.09685"]
    assert outcome.invalid == [
        (
            "10.1000/unknown",
            '"10.1000/unknown" is a DOI, not an arXiv id: add the paper under '
            "“A paper not on arXiv” with its title.",
        )
    ]


def test_a_doi_link_is_the_doi_of_the_paper_that_has_it(client, club, member):
    journal, _ = services.paper_propose_by_link(
        club=club, user=member, title="Journal paper", url="https://ex.org/j", doi="10.1000/j.1"
    )
    client.force_login(MembershipFactory(club=club).user)
    client.post(_propose_url(club), {"title": "Same", "url": "https://dx.doi.org/10.1000/J.1"})
    assert Paper.objects.filter(club=club).count() == 1
    journal.refresh_from_db()
    assert journal.vote_count == 2


def test_a_title_and_a_pdf_together_are_one_upload(client, club, member):
    client.force_login(member)
    response = client.post(_propose_url(club), {"title": "My own title", "pdf": _upload()})
    assert response.status_code == 302
    paper = Paper.objects.get(club=club)
    assert (paper.title, paper.title_is_placeholder) == ("My own title", False)


# --- "Is it this one?" ------------------------------------------------------------


@pytest.fixture
def existing(club, member):
    nomination, _ = services.paper_propose_by_link(
        club=club, user=member, title="Sparse Mixtures of Experts", url="https://ex.org/moe"
    )
    return nomination


def test_a_title_the_club_has_asks_is_it_this_one(client, club, existing):
    newcomer = MembershipFactory(club=club).user
    client.force_login(newcomer)
    typed = {"title": "sparse mixtures of experts!", "url": "https://other.org/moe.pdf"}
    page = client.post(_propose_url(club), typed)
    assert page.status_code == 200
    assert [n.pk for n in page.context["similar"]] == [existing.pk]
    body = page.content.decode()
    assert "Is it this one?" in body
    assert "Yes, it is this one: count my vote" in body
    assert "No, add it as a new paper" in body
    assert Paper.objects.filter(club=club).count() == 1

    yes = client.post(_propose_url(club), {"same_as": str(existing.pk)})
    assert yes["Location"] == reverse("papers:nomination", args=[club.slug, existing.pk])
    assert _voters(existing) == {existing.proposed_by_id, newcomer.pk}
    assert Paper.objects.filter(club=club).count() == 1


def test_no_it_is_another_paper_adds_it(client, club, existing):
    client.force_login(MembershipFactory(club=club).user)
    typed = {"title": "Sparse Mixtures of Experts", "url": "https://other.org/moe.pdf"}
    response = client.post(_propose_url(club), {**typed, "confirm_new": "on"})
    assert response.status_code == 302
    assert Paper.objects.filter(club=club).count() == 2


def test_an_upload_with_a_known_title_is_kept_while_the_person_answers(client, club, existing):
    person = MembershipFactory(club=club).user
    client.force_login(person)
    page = client.post(
        _propose_url(club), {"title": "Sparse Mixtures of Experts", "pdf": _upload()}
    )
    token = page.context["upload_token"]
    assert token.startswith(f"{person.pk}-")
    kept = f"{proposing.UNCONFIRMED_DIR}/{token}.pdf"
    assert default_storage.exists(kept)
    assert f'name="upload_token" value="{token}"' in page.content.decode()

    response = client.post(
        _propose_url(club),
        {"title": "Sparse Mixtures of Experts", "upload_token": token, "confirm_new": "on"},
    )
    assert response.status_code == 302
    added = Paper.objects.get(club=club, pdf_state="pending")
    with added.pdf_file.open("rb") as handle:
        assert handle.read() == PDF
    assert not default_storage.exists(kept)


def test_someone_elses_kept_upload_cannot_be_used(client, club, existing):
    person = MembershipFactory(club=club).user
    client.force_login(person)
    page = client.post(
        _propose_url(club), {"title": "Sparse Mixtures of Experts", "pdf": _upload()}
    )
    token = page.context["upload_token"]
    client.force_login(MembershipFactory(club=club).user)
    response = client.post(
        _propose_url(club),
        {"title": "Sparse Mixtures of Experts", "upload_token": token, "confirm_new": "on"},
    )
    assert response.context["form"].non_field_errors() == [
        "That upload is no longer here; choose the PDF again."
    ]
    assert Paper.objects.filter(club=club).count() == 1


def test_organizers_see_papers_with_the_same_title(client, club, organizer, existing, member):
    duplicate = proposing.paper_propose(
        club=club,
        user=member,
        title="Sparse mixtures of experts",
        url="https://b.org",
        confirm_new=True,
    ).added[0]
    client.force_login(organizer)
    body = client.get(reverse("papers:nomination", args=[club.slug, duplicate.pk])).content
    assert "Possibly the same work" in body.decode()
    assert f"(number {existing.pk})" in body.decode()


def test_uploads_nobody_came_back_for_are_swept_after_a_day(client, club, existing):
    person = MembershipFactory(club=club).user
    client.force_login(person)
    asked = {"title": "Sparse Mixtures of Experts", "pdf": _upload()}
    old_token = client.post(_propose_url(club), asked).context["upload_token"]
    asked["pdf"] = _upload()
    new_token = client.post(_propose_url(club), asked).context["upload_token"]
    old = f"{UNCONFIRMED_DIR}/{old_token}.pdf"
    new = f"{UNCONFIRMED_DIR}/{new_token}.pdf"
    a_day_ago = (timezone.now() - UNCONFIRMED_KEPT_FOR - timedelta(minutes=1)).timestamp()
    os.utime(default_storage.path(old), (a_day_ago, a_day_ago))

    sweep_unconfirmed_uploads()

    assert not default_storage.exists(old)
    assert default_storage.exists(new)
    late = client.post(
        _propose_url(club),
        {"title": "Sparse Mixtures of Experts", "upload_token": old_token, "confirm_new": "on"},
    )
    assert late.context["form"].non_field_errors() == [
        "That upload is no longer here; choose the PDF again."
    ]
    assert Paper.objects.filter(club=club).count() == 1


def test_the_upload_sweep_runs_on_beat_hourly(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["papers-sweep-unconfirmed-uploads"]
    assert entry == {"task": sweep_unconfirmed_uploads.name, "schedule": 3600.0}
