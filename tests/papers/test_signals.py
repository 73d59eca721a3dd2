"""Issue 17 item 4: signals on every card and paper page, computed, each
explaining itself (hover title and text), in queries that do not grow with
the cards."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from papers import services
from papers.models import Nomination
from papers.related.services import related_rebuild
from papers.signals import signals_for
from tests.factories import MembershipFactory, NominationFactory, PaperFactory, VoteFactory

pytestmark = pytest.mark.django_db


def _kinds(found, nomination):
    return {s.kind: s for s in found[nomination.pk]}


def _rich(club, now):
    """A paper with every signal: two years old, v3 and cross-listed, code, a
    survey, by an author the club read, voted for this week and months after
    it was proposed, near a paper the club read."""
    read = NominationFactory(
        club=club,
        state=Nomination.State.COVERED,
        covered_on=date(2026, 3, 3),
        paper=PaperFactory(
            club=club,
            title="Scaling Laws for Neural Language Models",
            abstract="Language model loss scales as a power law with model size, data and compute.",
            authors=["Jared Kaplan", "Sam McCandlish"],
        ),
    )
    rich = NominationFactory(
        club=club,
        created_at=now - timedelta(days=150),
        paper=PaperFactory(
            club=club,
            title="A Survey of Scaling Laws for Language Models",
            abstract="We survey power law scaling of language model loss with compute and data.",
            authors=["Ada Lovelace", "J. Kaplan"],
            published_at=now - timedelta(days=800),
            arxiv_version=1,
            arxiv_latest_version=3,
            revised_at=now - timedelta(days=100),
            primary_category="cs.LG",
            categories=["cs.LG", "stat.ML"],
            code_links=["https://github.com/example/scaling"],
        ),
    )
    for days in (1, 3):
        VoteFactory(nomination=rich, created_at=now - timedelta(days=days))
    VoteFactory(nomination=rich, created_at=now - timedelta(days=140))
    return read, rich


def test_every_signal_is_computed_and_explains_itself(club):
    now = timezone.now()
    read, rich = _rich(club, now)
    related_rebuild(club_id=club.pk, force=True)

    signals = _kinds(signals_for(club=club, nominations=[rich], now=now), rich)

    assert signals["age"].label == "2.2 years old"
    assert "sweet spot" in signals["age"].explanation
    assert signals["came_back"].explanation.startswith("Still getting votes 5 months after")
    assert signals["versions"].label == "v3 on arXiv"
    assert "revised it 2 times" in signals["versions"].explanation
    assert signals["cross_lists"].label == "cross-listed: stat.ML"
    assert "github.com/example/scaling" in signals["code"].explanation
    assert signals["survey"].label == "survey"
    assert signals["authors"].label == "authors read before: 1 paper"
    assert (
        "“Scaling Laws for Neural Language Models” (3 Mar 2026)" in signals["authors"].explanation
    )
    assert signals["velocity"].label == "+2 votes this week"
    assert signals["read_near"].label == "near a paper read on 3 Mar 2026"
    # The paper the club read says nothing of authors "read before": itself.
    assert "authors" not in _kinds(signals_for(club=club, nominations=[read], now=now), read)


def test_a_bare_paper_has_no_signals(club):
    bare = NominationFactory(club=club)

    assert signals_for(club=club, nominations=[bare]) == {bare.pk: []}


def test_a_survey_is_found_by_its_abstract_alone(club):
    nomination = NominationFactory(
        club=club,
        paper=PaperFactory(club=club, title="Retrieval", abstract="In this survey we map RAG."),
    )

    assert "survey" in _kinds(signals_for(club=club, nominations=[nomination]), nomination)


def test_old_votes_alone_are_not_the_club_coming_back(club):
    now = timezone.now()
    nomination = NominationFactory(club=club, created_at=now - timedelta(days=200))
    VoteFactory(nomination=nomination, created_at=now - timedelta(days=100))  # not recent

    assert "came_back" not in _kinds(signals_for(club=club, nominations=[nomination]), nomination)


def test_the_backlog_card_and_the_paper_page_show_the_signals_with_their_explanations(client, club):
    now = timezone.now()
    _, rich = _rich(club, now)
    related_rebuild(club_id=club.pk, force=True)

    backlog = client.get(reverse("papers:backlog", args=[club.slug])).content.decode()
    page = client.get(reverse("papers:nomination", args=[club.slug, rich.pk])).content.decode()

    assert 'title="2 votes in the last seven days: word of mouth."' in backlog
    assert "<summary>Why</summary>" in backlog  # the text, without hovering
    assert "Why it might be worth a week" in page
    assert "The club has read 1 paper by Kaplan before" in page


@pytest.mark.parametrize("cards", [1, 8])
def test_the_backlogs_queries_do_not_grow_with_the_cards(client, club, cards):
    now = timezone.now()
    member = MembershipFactory(club=club).user
    for i in range(cards):
        _rich(club, now - timedelta(days=i))
    related_rebuild(club_id=club.pk, force=True)
    client.force_login(member)
    url = reverse("papers:backlog", args=[club.slug])
    client.get(url)  # the lists are cached from here on

    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)

    assert len(response.context["nominations"]) == cards
    # Every card shows its signals, from the cached card text.
    assert response.content.decode().count('<ul class="signals__list"') == cards
    # The same 6 whatever the cards: the cards' texts, with their signals, come
    # from the backlog's cache, so neither their facts nor the papers the club
    # read are read again.
    assert len(queries) == 6


def test_a_rebuilt_related_index_shows_on_the_cached_cards(client, club):
    _rich(club, timezone.now())
    client.force_login(MembershipFactory(club=club).user)
    url = reverse("papers:backlog", args=[club.slug])
    # No index yet: the card, cached now, has no paper read near it.
    assert "near a paper read" not in client.get(url).content.decode()

    related_rebuild(club_id=club.pk, force=True)

    assert "near a paper read on 3 Mar 2026" in client.get(url).content.decode()


def test_a_vote_shows_in_its_cards_signals_at_once(client, club):
    _, rich = _rich(club, timezone.now())
    member = MembershipFactory(club=club).user
    client.force_login(member)
    url = reverse("papers:backlog", args=[club.slug])
    assert "+2 votes this week" in client.get(url).content.decode()

    services.nomination_vote_toggle(nomination=rich, user=member)

    page = client.get(url).content.decode()
    assert "+3 votes this week" in page
    assert "+2 votes this week" not in page


def test_the_paper_pages_authors_signal_follows_a_paper_read_since_it_was_cached(client, club):
    """The paper page takes the papers the club read from the backlog's cache:
    one covered after the page was first shown counts at once."""
    earlier = NominationFactory(
        club=club,
        paper=PaperFactory(club=club, title="Attention Is All You Need", authors=["A. Vaswani"]),
    )
    later = NominationFactory(
        club=club, paper=PaperFactory(club=club, authors=["Ashish Vaswani", "Noam Shazeer"])
    )
    url = reverse("papers:nomination", args=[club.slug, later.pk])
    assert "authors read before" not in client.get(url).content.decode()

    services.nominations_set_state(
        nominations=[earlier], state=Nomination.State.COVERED, covered_on=date(2026, 5, 5)
    )

    page = client.get(url).content.decode()
    assert "The club has read 1 paper by Vaswani before" in page
    assert "“Attention Is All You Need” (5 May 2026)" in page
