import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from papers import services
from papers.models import Nomination, Paper, Vote
from tests.factories import ClubFactory, MembershipFactory
from tests.papers.pdf_factory import make_pdf
from tests.unchanged import unchanged

pytestmark = pytest.mark.django_db


def _propose_url(club):
    return reverse("papers:propose", args=[club.slug])


def test_propose_form_adds_valid_ids_and_names_bad_ones(client, club, member):
    client.force_login(member)
    response = client.post(_propose_url(club), {"ids": "2106.09685, bogus-id\n1706.03762"})
    assert response.status_code == 200
    assert list(Paper.objects.order_by("arxiv_id").values_list("arxiv_id", flat=True)) == [
        "1706.03762",
        "2106.09685",
    ]
    body = response.content.decode()
    assert "bogus-id" in body
    assert response.context["form"]["ids"].value() == "bogus-id"
    assert "Added 2 papers to the backlog." in body


def test_propose_single_id_goes_to_its_page(client, club, member):
    client.force_login(member)
    response = client.post(_propose_url(club), {"ids": "arXiv:2106.09685v2"})
    nomination = Nomination.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("papers:nomination", args=[club.slug, nomination.pk])


def test_propose_existing_paper_takes_person_to_it_and_counts_vote(client, club, member):
    first = services.papers_propose(club=club, user=member, text="2106.09685").added[0]
    other = MembershipFactory(club=club).user
    client.force_login(other)
    response = client.post(
        _propose_url(club), {"ids": "https://arxiv.org/pdf/2106.09685v1"}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse(
        "papers:nomination", args=[club.slug, first.pk]
    )
    assert "already in the backlog: your vote is counted" in response.content.decode()
    first.refresh_from_db()
    assert first.vote_count == 2


def test_propose_nothing_gives_a_clear_error(client, club, member):
    client.force_login(member)
    response = client.post(_propose_url(club), {"ids": ""})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "Give an arXiv id or link, a title and link, or a PDF to upload."
    ]


def test_upload_not_a_pdf_is_refused(client, club, member):
    client.force_login(member)
    upload = SimpleUploadedFile("paper.pdf", b"GIF89a not a pdf", content_type="application/pdf")
    response = client.post(_propose_url(club), {"pdf": upload})
    assert response.context["form"].errors["pdf"] == ["That file is not a PDF."]
    assert Paper.objects.count() == 0


def test_upload_over_the_cap_is_refused(client, club, member, settings):
    settings.PAPER_UPLOAD_MAX_BYTES = 1024 * 1024
    client.force_login(member)
    upload = SimpleUploadedFile("big.pdf", b"%PDF-1.4\n" + b"0" * (2 * 1024 * 1024))
    response = client.post(_propose_url(club), {"pdf": upload})
    assert response.context["form"].errors["pdf"] == ["That file is 2.0 MB; the limit is 1 MB."]
    assert Paper.objects.count() == 0


def test_upload_pdf_is_read_by_the_worker(client, club, member, django_capture_on_commit_callbacks):
    client.force_login(member)
    data = make_pdf(["Sparse Mixtures of Readers", "Second page"], title=None)
    upload = SimpleUploadedFile("upload.pdf", data, content_type="application/pdf")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_propose_url(club), {"pdf": upload, "pitch": "A fun one"})
    assert response.status_code == 302
    paper = Paper.objects.get()
    assert (paper.pdf_state, paper.page_count) == ("ready", 2)
    assert paper.title == "Sparse Mixtures of Readers"
    assert paper.title_is_placeholder is False


def test_upload_broken_pdf_ends_as_a_clear_error(
    client, club, member, django_capture_on_commit_callbacks
):
    client.force_login(member)
    data = make_pdf(["Page"])[:200]  # truncated
    upload = SimpleUploadedFile("broken.pdf", data, content_type="application/pdf")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(_propose_url(club), {"pdf": upload})
    paper = Paper.objects.get()
    assert paper.pdf_state == "failed"
    assert paper.pdf_error != ""
    page = client.get(reverse("papers:nomination", args=[club.slug, paper.nominations.get().pk]))
    assert page.status_code == 200
    assert paper.pdf_error in page.content.decode()


def test_vote_with_htmx_returns_the_button(client, club, member):
    nomination = services.papers_propose(club=club, user=member, text="1706.03762").added[0]
    voter = MembershipFactory(club=club).user
    client.force_login(voter)
    url = reverse("papers:vote", args=[club.slug, nomination.pk])
    response = client.post(url, headers={"HX-Request": "true"})
    assert response.status_code == 200
    body = response.content.decode()
    assert 'aria-pressed="true"' in body
    assert '<span class="vote__count">2</span>' in body
    response = client.post(url, headers={"HX-Request": "true"})
    assert 'aria-pressed="false"' in response.content.decode()
    assert Vote.objects.filter(nomination=nomination).count() == 1


def test_vote_on_an_archived_paper_says_why(client, club, member, organizer):
    nomination = services.papers_propose(club=club, user=member, text="1706.03762").added[0]
    services.nomination_archive_set(nomination=nomination, archived=True)
    client.force_login(member)
    url = reverse("papers:vote", args=[club.slug, nomination.pk])
    response = client.post(url, headers={"HX-Request": "true"})
    assert (response.status_code, response.content.decode()) == (
        409,
        "This paper is archived; votes are closed.",
    )
    response = client.post(url, follow=True)
    assert "This paper is archived; votes are closed." in response.content.decode()
    assert response.redirect_chain[-1][0] == reverse(
        "papers:nomination", args=[club.slug, nomination.pk]
    )


def test_vote_on_another_clubs_paper_is_not_found(client, club, member):
    other = ClubFactory()
    elsewhere = services.papers_propose(
        club=other, user=MembershipFactory(club=other).user, text="1706.03762"
    ).added[0]
    client.force_login(member)
    with unchanged():
        response = client.post(reverse("papers:vote", args=[club.slug, elsewhere.pk]))
    assert response.status_code == 404
    assert Vote.objects.filter(user=member).count() == 0


def test_vote_without_javascript_redirects_back_to_its_card(client, club, member):
    nomination = services.papers_propose(club=club, user=member, text="1706.03762").added[0]
    voter = MembershipFactory(club=club).user
    client.force_login(voter)
    backlog = reverse("papers:backlog", args=[club.slug]) + "?sort=new"
    response = client.post(
        reverse("papers:vote", args=[club.slug, nomination.pk]), {"next": backlog}
    )
    assert response.status_code == 302
    # Back at the card voted on (the vote form's id), not at the top of a long backlog.
    assert response["Location"] == f"{backlog}#vote-{nomination.pk}"
    assert Vote.objects.filter(nomination=nomination, user=voter).exists()


def test_vote_next_to_another_site_is_ignored(client, club, member):
    nomination = services.papers_propose(club=club, user=member, text="1706.03762").added[0]
    client.force_login(MembershipFactory(club=club).user)
    response = client.post(
        reverse("papers:vote", args=[club.slug, nomination.pk]), {"next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("papers:backlog", args=[club.slug]) + (
        f"#vote-{nomination.pk}"
    )


def test_status_fragment_polls_until_settled(client, club, member):
    nomination = services.papers_propose(club=club, user=member, text="1706.03762").added[0]
    url = reverse("papers:status", args=[club.slug, nomination.pk])
    Paper.objects.update(metadata_state="fetching")
    assert 'hx-trigger="every 2s"' in client.get(url).content.decode()
    Paper.objects.update(metadata_state="ready", title="Attention Is All You Need")
    settled = client.get(url).content.decode()
    assert "hx-trigger" not in settled
    assert "Attention Is All You Need" in settled


def test_failed_fetch_shows_reason_and_try_again(client, club, member):
    nomination = services.papers_propose(club=club, user=member, text="1706.03762").added[0]
    Paper.objects.update(metadata_state="failed", metadata_error="arXiv did not answer in time.")
    client.force_login(member)
    page = client.get(reverse("papers:nomination", args=[club.slug, nomination.pk]))
    body = page.content.decode()
    assert "arXiv did not answer in time." in body
    assert "Try again" in body


def _arxiv_ids(nomination_ids) -> list[str]:
    """The arXiv ids of a backlog page's nominations (the page lists ids), in order."""
    found = Nomination.objects.select_related("paper").in_bulk(nomination_ids)
    return [found[pk].paper.arxiv_id for pk in nomination_ids]


def test_backlog_search_filters_by_title_and_author(client, club, member):
    services.papers_propose(club=club, user=member, text="1706.03762 2106.09685")
    Paper.objects.filter(arxiv_id="1706.03762").update(
        title="Attention Is All You Need", authors=["Ashish Vaswani"], metadata_state="ready"
    )
    Paper.objects.filter(arxiv_id="2106.09685").update(
        title="LoRA: Low-Rank Adaptation", authors=["Edward Hu"], metadata_state="ready"
    )
    url = reverse("papers:backlog", args=[club.slug])
    by_title = client.get(url, {"q": "attention"}).context["page"].object_list
    assert _arxiv_ids(by_title) == ["1706.03762"]
    by_author = client.get(url, {"q": "Vaswani"}).context["page"].object_list
    assert _arxiv_ids(by_author) == ["1706.03762"]


def test_backlog_pinned_first_then_votes(client, club, member):
    outcome = services.papers_propose(club=club, user=member, text="1706.03762 2106.09685")
    low, high = outcome.added
    services.nomination_vote_toggle(nomination=high, user=MembershipFactory(club=club).user)
    url = reverse("papers:backlog", args=[club.slug])
    order = list(client.get(url).context["page"].object_list)
    assert order == [high.pk, low.pk]
    services.nomination_pin_set(nomination=low, pinned=True)
    order = list(client.get(url).context["page"].object_list)
    assert order == [low.pk, high.pk]


def _add_nominations(club, member, count, start):
    ids = " ".join(f"2301.{n:05d}" for n in range(start, start + count))
    for nomination in services.papers_propose(
        club=club, user=member, text=ids, tag_names=["Agents", "Evals"]
    ).added:
        services.nomination_vote_toggle(
            nomination=nomination, user=MembershipFactory(club=club).user
        )


# A literal count, the same at one nomination as at three (the first, uncached view),
# and on both databases now that papers/cards.py (which read the cards' digests with
# a statement of its own on PostgreSQL) is gone.
BACKLOG = 11  # 9, and for the cards' texts rendered now the cards in full (with their
# signals' facts) and the papers the club read: a page whose cards are cached reads neither


@pytest.mark.parametrize("rows", [1, 3])
@pytest.mark.parametrize(
    ("query", "queries"),
    [
        ("?sort=top", BACKLOG),
        ("?sort=trending", BACKLOG),
        ("?sort=new", BACKLOG),
        # A search also counts its matches in the states the list leaves out, and
        # its topic counts follow the search (ae4d417); the backlog's version is
        # read once for all the page's cached lists and cards.
        ("?q=attention", BACKLOG + 1),
        ("?tag=agents", BACKLOG),
    ],
    ids=["top", "trending", "new", "search", "topic"],
)
def test_backlog_queries(client, django_assert_num_queries, club, member, query, queries, rows):
    _add_nominations(club, member, rows, 0)
    Paper.objects.update(title="Sparse attention")  # what the search finds
    client.force_login(member)
    with django_assert_num_queries(queries):
        response = client.get(reverse("papers:backlog", args=[club.slug]) + query)
    assert len(response.context["page"].object_list) == rows


@pytest.mark.parametrize("rows", [1, 3])
def test_club_home_queries_with_a_backlog(client, django_assert_num_queries, club, member, rows):
    _add_nominations(club, member, rows, 0)
    client.force_login(member)
    # 12, and for the cards' texts rendered now the cards in full (with their signals'
    # facts) and the papers the club read (then kept in the backlog's cache).
    with django_assert_num_queries(14):
        response = client.get(reverse("clubs:home", args=[club.slug]))
    assert len(response.context["backlog_top"]) == rows


def test_propose_covered_paper_shows_confirmation_then_adds(client, club, member):
    nomination = services.papers_propose(club=club, user=member, text="1706.03762").added[0]
    services.nominations_set_state(
        nominations=[nomination], state="covered", covered_on=datetime.date(2025, 3, 12)
    )
    client.force_login(member)
    response = client.post(_propose_url(club), {"ids": "1706.03762"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "covered on 12 Mar 2025" in body
    assert f'name="same_as" value="{nomination.pk}"' in body  # "Propose it again"
    assert response.context["form"].errors == {}  # nothing to correct, only a question
    nomination.refresh_from_db()
    assert nomination.state == "covered"
    response = client.post(
        _propose_url(club), {"same_as": str(nomination.pk), "confirm_covered": "on"}
    )
    assert response.status_code == 302
    nomination.refresh_from_db()
    assert nomination.state == "proposed"
    # The ids box with the box ticked does the same (a form that posts both).
    services.nominations_set_state(nominations=[nomination], state="covered", covered_on=None)
    client.post(_propose_url(club), {"ids": "1706.03762", "confirm_covered": "on"})
    nomination.refresh_from_db()
    assert nomination.state == "proposed"


def test_the_already_read_question_is_asked_even_beside_an_invalid_id(client, club, member):
    """Issue 13: the "already read" confirmation was skipped when the same batch
    had an invalid id (the covered paper silently dropped)."""
    nomination = services.papers_propose(club=club, user=member, text="1706.03762").added[0]
    services.nominations_set_state(nominations=[nomination], state="covered", covered_on=None)
    client.force_login(member)
    response = client.post(_propose_url(club), {"ids": "1706.03762 not-an-id 2106.09685"})
    body = response.content.decode()
    assert [n.pk for n in response.context["covered"]] == [nomination.pk]
    assert "The club has read this paper before" in body
    assert response.context["form"]["ids"].value() == "not-an-id"
    assert response.context["form"].errors["ids"] == [
        '"not-an-id" is not an arXiv id; expected something like 2106.09685, 2106.09685v2 '
        "or hep-th/9901001."
    ]
    assert "Added 1 paper to the backlog." in body
    assert Nomination.objects.filter(club=club).count() == 2
