"""Issue 13: search that finds what people type."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from papers import selectors, services
from papers.backlog_cache import backlogs_changed
from papers.models import Nomination, Paper
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

READING_LIST = [
    ("2311.00001", "Attention in practice", ["Llion Jones", "Ashish Vaswani"], "proposed"),
    ("2311.00002", "Foundations of statistical NLP", ["Christopher D. Manning"], "proposed"),
    ("2311.00003", "Retrieval-augmented generation", ["Patrick Lewis", "Ethan Perez"], "proposed"),
    ("2311.00004", "Scaling laws for transfer", ["Adam Roberts", "Colin Raffel"], "proposed"),
    ("2311.00005", "QLoRA: Efficient Finetuning of Quantized LLMs", ["Tim Dettmers"], "covered"),
    ("2311.00006", "LLM.int8(): 8-bit Matrix Multiplication", ["Tim Dettmers"], "proposed"),
]


@pytest.fixture
def papers(club, member):
    found = {}
    for arxiv_id, title, authors, state in READING_LIST:
        nomination = services.papers_propose(club=club, user=member, text=arxiv_id).added[0]
        Paper.objects.filter(pk=nomination.paper_id).update(
            title=title, authors=authors, abstract="An abstract.", metadata_state="ready"
        )
        Nomination.objects.filter(pk=nomination.pk).update(state=state)
        found[arxiv_id] = nomination.pk
    return found


def _found(club, **options) -> list[str]:
    ids, _ = selectors.backlog_lists(club=club, options=selectors.BacklogFilter(**options))
    return sorted(Nomination.objects.filter(pk__in=ids).values_list("paper__arxiv_id", flat=True))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Jones", ["2311.00001"]),
        ("Manning", ["2311.00002"]),
        ("Lewis", ["2311.00003"]),
        ("Roberts", ["2311.00004"]),
        ("Dettmers", ["2311.00006"]),  # the covered one only with state "any"
        ("dettmers matrix", ["2311.00006"]),  # an author and a title word together
        ("Vaswani attention", ["2311.00001"]),
    ],
)
def test_authors_are_found_by_surname_on_every_database(club, papers, query, expected):
    """On PostgreSQL authors were indexed with the "simple" configuration and
    queried with "english", so any surname English stems (Jones -> jone) was
    never found."""
    assert _found(club, query=query) == expected


def test_state_any_finds_covered_papers(club, papers):
    assert _found(club, query="Dettmers", state="any") == ["2311.00005", "2311.00006"]
    assert _found(club, query="QLoRA") == []
    assert _found(club, query="QLoRA", state="any") == ["2311.00005"]


def test_the_state_filter_offers_any(client, club, papers):
    page = client.get(reverse("papers:backlog", args=[club.slug]))
    assert page.context["states"]["any"] == "Any state"


def test_searching_a_read_paper_says_why_it_is_not_listed(client, club, papers):
    page = client.get(reverse("papers:backlog", args=[club.slug]), {"q": "QLoRA"})
    body = page.content.decode()
    assert page.context["elsewhere"] == {"covered": 1}
    assert "1 covered paper matches your search (the club has read it)" in body
    assert 'href="?q=QLoRA&amp;state=any"' in body


def test_searching_a_read_paper_links_it_with_when_it_was_read(client, club, papers):
    covered = Nomination.objects.get(pk=papers["2311.00005"])
    Nomination.objects.filter(pk=covered.pk).update(covered_on=datetime.date(2026, 3, 12))
    body = client.get(reverse("papers:backlog", args=[club.slug]), {"q": "QLoRA"}).content.decode()
    link = reverse("papers:nomination", args=[club.slug, covered.pk])
    assert (
        f'<li><a href="{link}">QLoRA: Efficient Finetuning of Quantized LLMs</a> '
        '<span class="muted">— the club read it on 12 Mar 2026</span></li>'
    ) in body
    assert "Nothing matches" not in body
    assert "No proposed paper matches." in body


def test_a_searchs_read_matches_stay_cached_across_votes_and_follow_the_backlog(
    client, club, member, papers
):
    """Issue 14: the papers the club read that a search matches were read
    afresh on every page (a full-text statement each time), though only a
    change to the backlog can change them. Now a vote leaves them cached (only
    the list in the order of the votes is searched again), and a change to the
    backlog shows at once."""
    covered = Nomination.objects.get(pk=papers["2311.00005"])
    Nomination.objects.filter(pk=covered.pk).update(covered_on=datetime.date(2026, 3, 12))
    url = reverse("papers:backlog", args=[club.slug])
    assert "read it on 12 Mar 2026" in client.get(url, {"q": "QLoRA"}).content.decode()

    services.nomination_vote_toggle_by_id(
        club=club, nomination_id=papers["2311.00001"], user=member
    )
    with CaptureQueriesContext(connection) as queries:
        body = client.get(url, {"q": "QLoRA"}).content.decode()
    searching = [q["sql"] for q in queries.captured_queries if '"abstract"' in q["sql"]]
    assert len(searching) == 1, searching  # the ids in the votes' order, nothing more
    assert "read it on 12 Mar 2026" in body

    Nomination.objects.filter(pk=covered.pk).update(covered_on=datetime.date(2026, 4, 1))
    backlogs_changed(club_ids=[club.pk])  # as every service that changes the backlog does
    body = client.get(url, {"q": "QLoRA"}).content.decode()
    assert "read it on 1 Apr 2026" in body


def test_a_search_that_matches_nothing_anywhere_says_nothing_matches(client, club, papers):
    body = client.get(reverse("papers:backlog", args=[club.slug]), {"q": "zebra"}).content.decode()
    assert "Nothing matches" in body
    assert "read-matches" not in body


def test_topic_counts_count_what_the_list_shows(club, member, papers):
    for arxiv_id in ("2311.00005", "2311.00006"):  # one covered, one proposed
        nomination = Nomination.objects.get(club=club, pk=papers[arxiv_id])
        services.nomination_tags_set(nomination=nomination, names=["Quantization"])
    counts = {
        state: {
            t.slug: t.uses
            for t in selectors.backlog_lists(
                club=club, options=selectors.BacklogFilter(state=state)
            )[1]
        }
        for state in ("open", "covered", "any")
    }
    assert counts == {
        "open": {"quantization": 1},
        "covered": {"quantization": 1},
        "any": {"quantization": 2},
    }
    assert len(_found(club, tag="quantization")) == counts["open"]["quantization"]


def test_another_clubs_papers_are_never_found(club, papers):
    other_member = MembershipFactory().user
    other_club = other_member.memberships.get().club
    services.papers_propose(club=other_club, user=other_member, text="2311.00007")
    Paper.objects.filter(club=other_club).update(title="Attention elsewhere", authors=["Jones"])
    assert _found(club, query="Jones") == ["2311.00001"]
