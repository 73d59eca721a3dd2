"""Issue 13 item 3: bad data can be fixed. Organizers, and the proposer until
others vote, correct a paper's title, authors, year, link, DOI and abstract."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from papers import editing, fetching, services, tasks
from papers.models import Paper
from sessions.models import MailPreferences, Session
from sessions.rota.facilitators import session_claim, session_papers_set
from tests.factories import ClubFactory, MembershipFactory
from tests.papers.fake_arxiv import atom_entry

pytestmark = pytest.mark.django_db


def _details(**changes) -> editing.PaperDetails:
    fields = {
        "title": "Attention Is All You Need",
        "authors": ["Ashish Vaswani", "Noam Shazeer"],
        "year": 2017,
        "url": "",
        "doi": "",
        "abstract": "The dominant sequence transduction models…",
    }
    return editing.PaperDetails(**{**fields, **changes})


def _details_url(club, nomination) -> str:
    return reverse("papers:details", args=[club.slug, nomination.pk])


@pytest.fixture
def arxiv(fake_arxiv, settings):
    settings.ARXIV_API_URL = fake_arxiv.api_url
    fake_arxiv.add_entry(
        "1706.03762",
        atom_entry(
            "1706.03762v7",
            title="Attention Is All You Need",
            authors=["Ashish Vaswani"],
            summary="arXiv's abstract.",
        ),
    )
    return fake_arxiv


@pytest.fixture
def proposed(club, member):
    return services.papers_propose(club=club, user=member, text="1706.03762").added[0]


def test_an_organizer_corrects_a_paper_and_arxiv_leaves_the_correction(
    arxiv, club, organizer, proposed
):
    tasks.fetch_arxiv_metadata.apply(args=[[proposed.paper_id]])
    changed = editing.paper_details_edit(
        nomination=proposed,
        user=organizer,
        details=_details(title="Attention Is All You Need (NeurIPS 2017)", year=2017),
    )
    assert changed == ["title", "authors", "year", "abstract"]  # arXiv said 2021
    # arXiv answers again later (a sweep, another club's fetch): the corrections stay.
    fetching.paper_metadata_retry(paper=Paper.objects.get(pk=proposed.paper_id))
    Paper.objects.filter(pk=proposed.paper_id).update(metadata_state="pending")
    tasks.fetch_arxiv_metadata.apply(args=[[proposed.paper_id]])
    paper = Paper.objects.get(pk=proposed.paper_id)
    assert (paper.title, paper.authors, paper.abstract, paper.year, paper.edited_fields) == (
        "Attention Is All You Need (NeurIPS 2017)",
        ["Ashish Vaswani", "Noam Shazeer"],
        "The dominant sequence transduction models…",
        2017,
        ["abstract", "authors", "title", "year"],
    )
    assert paper.title_key == "attention is all you need neurips 2017"


def test_another_clubs_copy_never_shows_the_correction(arxiv, club, organizer, proposed):
    other = ClubFactory()
    theirs = services.papers_propose(
        club=other, user=MembershipFactory(club=other).user, text="1706.03762"
    ).added[0]
    editing.paper_details_edit(
        nomination=proposed, user=organizer, details=_details(title="Our private title")
    )
    tasks.fetch_arxiv_metadata.apply(args=[[theirs.paper_id]])
    assert Paper.objects.get(pk=theirs.paper_id).title == "Attention Is All You Need"
    assert Paper.objects.get(pk=proposed.paper_id).title == "Our private title"


def test_the_proposer_may_correct_until_someone_else_votes(club, member, proposed):
    editing.paper_details_edit(nomination=proposed, user=member, details=_details())
    services.nomination_vote_toggle(nomination=proposed, user=MembershipFactory(club=club).user)
    with pytest.raises(services.NotAllowed, match="Only the club's organizers"):
        editing.paper_details_edit(nomination=proposed, user=member, details=_details(year=2018))
    assert Paper.objects.get(pk=proposed.paper_id).year == 2017


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"title": "  "}, "A paper needs a title."),
        ({"year": 999}, "A year is between 1000 and 2100."),
        ({"doi": "nonsense"}, '"nonsense" is not a DOI'),
        ({"url": "https://arxiv.org/abs/2106.09685"}, "This paper is arXiv:1706.03762"),
    ],
)
def test_bad_details_are_refused_with_a_clear_error(club, organizer, proposed, changes, message):
    with pytest.raises(services.PaperError, match=message):
        editing.paper_details_edit(nomination=proposed, user=organizer, details=_details(**changes))
    assert Paper.objects.get(pk=proposed.paper_id).edited_fields == []


def test_a_doi_or_link_another_paper_of_the_club_has_is_refused_by_name(club, organizer, member):
    services.paper_propose_by_link(
        club=club, user=member, title="The journal version", url="https://ex.org/j", doi="10.1000/j"
    )
    other, _ = services.paper_propose_by_link(
        club=club, user=member, title="A preprint", url="https://ex.org/p"
    )
    for changes in ({"doi": "https://doi.org/10.1000/J"}, {"url": "https://ex.org/j"}):
        with pytest.raises(services.PaperError, match=r"“The journal version”\. Merge the two"):
            editing.paper_details_edit(
                nomination=other, user=organizer, details=_details(title="A preprint", **changes)
            )


def test_an_arxiv_link_makes_a_paper_not_on_arxiv_an_arxiv_paper(
    arxiv, club, organizer, member, django_capture_on_commit_callbacks
):
    nomination, _ = services.paper_propose_by_link(
        club=club, user=member, title="Attention (a blog copy)", url="https://ex.org/attention"
    )
    with django_capture_on_commit_callbacks(execute=True):
        editing.paper_details_edit(
            nomination=nomination,
            user=organizer,
            details=_details(title="Attention (a blog copy)", url="arxiv.org/abs/1706.03762v5"),
        )
    paper = Paper.objects.get(pk=nomination.paper_id)
    assert (paper.arxiv_id, paper.arxiv_version, paper.url, paper.metadata_state) == (
        "1706.03762",
        5,
        "",
        "ready",
    )
    # The title was not changed, so arXiv's replaces it; the typed abstract stays.
    assert paper.title == "Attention Is All You Need"
    assert (paper.abstract, paper.edited_fields) == (
        "The dominant sequence transduction models…",
        ["abstract", "authors", "url", "year"],
    )


def test_a_failed_fetch_offers_to_enter_the_details_and_they_replace_the_placeholder(
    client, club, member, proposed
):
    """Issue 13: a failed fetch left "arXiv:2502.01234" in the backlog for good."""
    paper = proposed.paper
    paper.metadata_state, paper.metadata_error = "failed", "arXiv has no paper with the id…"
    paper.save()
    client.force_login(member)
    page = client.get(reverse("papers:nomination", args=[club.slug, proposed.pk])).content
    assert b"Enter the details yourself" in page
    response = client.post(
        _details_url(club, proposed),
        {"title": "A Paper arXiv Lost", "authors": "Ada Lovelace, Alan Turing", "year": "2024"},
    )
    assert response.status_code == 302
    paper.refresh_from_db()
    assert (paper.title, paper.authors, paper.year, paper.metadata_state) == (
        "A Paper arXiv Lost",
        ["Ada Lovelace", "Alan Turing"],
        2024,
        "ready",
    )
    backlog = client.get(reverse("papers:backlog", args=[club.slug])).content.decode()
    assert "A Paper arXiv Lost" in backlog
    assert "arXiv:1706.03762</a>" not in backlog


def test_the_form_names_what_is_wrong(client, club, organizer, proposed):
    client.force_login(organizer)
    response = client.post(
        _details_url(club, proposed),
        {"title": "x" * 501, "year": "99999", "doi": "10.x", "authors": "A\n" + "B" * 201},
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["title"] == ["Ensure this value has at most 500 characters (it has 501)."]
    assert errors["year"] == ["A year is between 1000 and 2100."]
    assert errors["doi"][0].startswith('"10.x" is not a DOI')
    assert errors["authors"][0].startswith("An author's name is at most 200 characters")


def test_members_who_may_not_edit_get_403(client, club, member, proposed):
    voter = MembershipFactory(club=club).user
    client.force_login(voter)
    assert client.get(_details_url(club, proposed)).status_code == 403
    assert client.post(_details_url(club, proposed), {"title": "Vandal"}).status_code == 403
    assert Paper.objects.get(pk=proposed.paper_id).title == ""


def test_correcting_a_paper_on_a_week_to_come_updates_that_weeks_calendars(
    club, organizer, member, proposed, django_capture_on_commit_callbacks
):
    starts = timezone.now() + timedelta(days=5)
    week = Session.objects.create(club=club, starts_at=starts, ends_at=starts + timedelta(hours=1))
    MailPreferences.objects.create(user=member, invites=True)
    with django_capture_on_commit_callbacks(execute=True):
        session_claim(session=week, user=member)
        session_papers_set(session=week, by=member, picks=[(proposed.pk, None)])
    week.refresh_from_db()
    before, sent = week.change_count, len(mail.outbox)

    with django_capture_on_commit_callbacks(execute=True):
        editing.paper_details_edit(
            nomination=proposed, user=organizer, details=_details(title="Attention, corrected")
        )
    week.refresh_from_db()
    assert week.change_count == before + 1
    invites = mail.outbox[sent:]
    assert [m.to for m in invites] == [[member.email]]
    calendar = next(c for c, t in invites[0].alternatives if t.startswith("text/calendar"))
    assert "Attention\\, corrected" in calendar
    assert f"SEQUENCE:{before + 1}" in calendar

    # The abstract is not in any calendar: nothing is sent for it.
    with django_capture_on_commit_callbacks(execute=True):
        editing.paper_details_edit(
            nomination=proposed,
            user=organizer,
            details=_details(title="Attention, corrected", abstract="Shorter."),
        )
    assert len(mail.outbox) == sent + 1
