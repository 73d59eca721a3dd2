"""The backlog's lists are cached per club and every change that moves them shows at once.

Each write service that can change what a backlog lists, in what order, or its
topics' counts is run here against a page that was just cached; the page must
then be what an uncached reading of the database gives.
"""

import re
from datetime import timedelta

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from papers import backlog_cache, fetching, selectors, services
from papers.arxiv_client import ArxivPaper, FetchResult
from papers.models import BacklogStamp, Nomination, Paper, Vote
from tests.factories import ClubFactory, MembershipFactory, TagFactory

pytestmark = pytest.mark.django_db

_TITLE = re.compile(r'<h3 class="paper-title">\s*<a [^>]*>\s*([^<]+?)\s*</a>', re.S)


def _propose(club, user, *ids: str, tags=("Agents",)) -> list[Nomination]:
    return services.papers_propose(club=club, user=user, text=" ".join(ids), tag_names=tags).added


def _title(nomination: Nomination, text: str, abstract: str = "") -> None:
    Paper.objects.filter(pk=nomination.paper_id).update(
        title=text, abstract=abstract, metadata_state=Paper.MetadataState.READY
    )


@pytest.fixture
def papers(club, member):
    TagFactory(club=club, name="Agents", slug="agents")  # on the club's list (papers.topics)
    nominations = _propose(club, member, "2401.00001", "2401.00002", "2401.00003")
    for number, nomination in enumerate(nominations):
        _title(nomination, f"Paper {number}", abstract="Plain dense transformers.")
    # Distinct vote counts: 3, 2, 1 for papers 0, 1, 2.
    for voters, nomination in ((2, nominations[0]), (1, nominations[1])):
        for _ in range(voters):
            services.nomination_vote_toggle(
                nomination=nomination, user=MembershipFactory(club=club).user
            )
    return nominations


def _listed(client, club, **params) -> list[str]:
    """The titles the backlog page shows, in order."""
    response = client.get(reverse("papers:backlog", args=[club.slug]), params)
    assert response.status_code == 200
    return [title.strip() for title in _TITLE.findall(response.content.decode())]


def _uncached(club, member, **params) -> list[str]:
    options = selectors.BacklogFilter.from_params(params)
    return [n.paper.title for n in selectors.backlog(club=club, user=member, options=options)]


def _topics(client, club) -> list[str]:
    body = client.get(reverse("papers:backlog", args=[club.slug])).content.decode()
    return re.findall(r'<option value="[a-z0-9-]+"[^>]*>([^<]+\(\d+\))</option>', body)


def test_a_second_view_reads_the_list_from_the_cache(
    client, django_assert_num_queries, club, member, papers
):
    client.force_login(member)
    url = reverse("papers:backlog", args=[club.slug])
    # Cached or not, the page reads its cards' rows (the nominations and the
    # viewer's votes); their texts (topics, signals, from the papers the club
    # read and the cards' facts) are cached with the lists.
    uncached, cached = 11, 6
    with django_assert_num_queries(uncached):
        client.get(url)
    with django_assert_num_queries(cached) as first_again:
        client.get(url)
    services.nomination_pin_set(nomination=papers[2], pinned=True)
    with django_assert_num_queries(uncached):
        client.get(url)
    # A cached page reads no nomination list, count or topic counts; a change
    # reads them again.
    statements = " ".join(q["sql"] for q in first_again.captured_queries)
    assert "COUNT(" not in statements.upper()


def test_a_vote_reads_again_only_what_votes_change(
    client, django_assert_num_queries, club, member, papers
):
    client.force_login(member)
    url = reverse("papers:backlog", args=[club.slug])
    client.get(url)
    services.nomination_vote_toggle(nomination=papers[2], user=MembershipFactory(club=club).user)
    # The cached page's 6, the list in its new order, and the voted card in
    # full (with its signals' facts) and its topics: the topics' counts, the
    # papers the club read and the other cards' texts stay cached across a vote.
    with django_assert_num_queries(6 + 3) as after_vote:
        client.get(url)
    card_facts = [q["sql"] for q in after_vote.captured_queries if "week_votes" in q["sql"]]
    assert len(card_facts) == 1
    assert f'"papers_nomination"."id"IN({papers[2].pk})' in card_facts[0].replace(" ", "")


def _vote(club, nominations, member):
    services.nomination_vote_toggle(nomination=nominations[2], user=member)
    for _ in range(3):
        services.nomination_vote_toggle(
            nomination=nominations[2], user=MembershipFactory(club=club).user
        )


def _unvote(club, nominations, member):
    voter = Vote.objects.filter(nomination=nominations[0]).exclude(user=member).first().user
    services.nomination_vote_toggle(nomination=nominations[0], user=voter)
    voter = Vote.objects.filter(nomination=nominations[0]).exclude(user=member).first().user
    services.nomination_vote_toggle(nomination=nominations[0], user=voter)


def _propose_new(club, nominations, member):
    other = MembershipFactory(club=club).user
    added = _propose(club, other, "2401.00009")
    _title(added[0], "A new paper")


def _propose_by_link(club, nominations, member):
    services.paper_propose_by_link(
        club=club, user=member, title="Typed in by hand", url="https://example.org/p.pdf"
    )


def _pin(club, nominations, member):
    # The middle paper: second by votes and by date, so pinning moves it in every order.
    services.nomination_pin_set(nomination=nominations[1], pinned=True)


def _archive(club, nominations, member):
    services.nomination_archive_set(nomination=nominations[0], archived=True)


def _withdraw(club, nominations, member):
    mine = _propose(club, member, "2401.00010")[0]
    _title(mine, "Withdrawn soon")
    services.nomination_withdraw(nomination=mine, user=member)
    # What the page showed before this case: the withdrawn paper, just cached.


def _delete(club, nominations, member):
    services.nomination_delete(nomination=nominations[1])


def _schedule(club, nominations, member):
    services.nominations_set_state(nominations=[nominations[0]], state="scheduled")


def _merge(club, nominations, member):
    services.nominations_merge(keep=nominations[2], duplicate=nominations[0])


def _recount(club, nominations, member):
    Vote.objects.filter(nomination=nominations[0]).exclude(user=member).delete()
    services.nomination_votes_recount(nomination=nominations[0])


CHANGES = {
    "vote": _vote,
    "vote taken back": _unvote,
    "proposal": _propose_new,
    "proposal by link": _propose_by_link,
    "pin": _pin,
    "archive": _archive,
    "delete": _delete,
    "scheduled by a session": _schedule,
    "merge": _merge,
    "recount": _recount,
}


@pytest.mark.parametrize("change", CHANGES)
@pytest.mark.parametrize("sort", ["top", "trending", "new"])
def test_a_change_shows_at_once(client, club, member, papers, change, sort):
    client.force_login(member)
    before = _listed(client, club, sort=sort)
    assert before == _uncached(club, member, sort=sort)
    CHANGES[change](club, papers, member)
    after = _listed(client, club, sort=sort)
    assert after == _uncached(club, member, sort=sort)
    # Votes move "top" and "trending" only; every other change moves each order.
    if sort != "new" or change not in ("vote", "vote taken back", "recount"):
        assert after != before


def test_a_withdrawn_paper_leaves_the_page(client, club, member, papers):
    client.force_login(member)
    mine = _propose(club, member, "2401.00010")[0]
    _title(mine, "Withdrawn soon")
    assert "Withdrawn soon" in _listed(client, club, sort="new")
    services.nomination_withdraw(nomination=mine, user=member)
    assert "Withdrawn soon" not in _listed(client, club, sort="new")


def test_topic_counts_follow_tagging(client, club, member, papers):
    client.force_login(member)
    assert _topics(client, club) == ["Agents (3)"]
    services.nomination_tags_set(nomination=papers[0], names=["Agents", "Vision"])
    services.nomination_edit_by_proposer(
        nomination=papers[2], user=member, pitch="", tag_names=["Vision"]
    )
    assert _topics(client, club) == ["Agents (2)", "Vision (2)"]
    assert _listed(client, club, tag="vision") == _uncached(club, member, tag="vision")
    assert len(_listed(client, club, tag="vision")) == 2


def test_a_search_finds_what_a_worker_filled_in_later(client, club, member, papers):
    client.force_login(member)
    assert _listed(client, club, q="sparse") == []
    paper = Paper.objects.get(pk=papers[1].paper_id)
    found = ArxivPaper(
        base_id=paper.arxiv_id,
        version=1,
        title="Sparse mixtures",
        authors=["Ada Lovelace"],
        abstract="Sparse experts.",
        categories=["cs.LG"],
        primary_category="cs.LG",
        published=timezone.now(),
        updated=timezone.now(),
        abs_url="https://arxiv.org/abs/2401.00002",
        pdf_url="https://arxiv.org/pdf/2401.00002",
        doi="",
        comment="",
        journal_ref="",
        code_links=[],
    )
    result = FetchResult(papers={paper.arxiv_id: found}, missing=[], total_results=1)
    fetching.arxiv_result_apply(papers=[paper], result=result)
    assert _listed(client, club, q="sparse") == ["Sparse mixtures"]


def test_one_clubs_change_leaves_another_clubs_lists_cached(club, member, papers):
    other = ClubFactory()
    stamp = backlog_cache.backlog_stamp(club_id=other.pk)
    services.nomination_pin_set(nomination=papers[0], pinned=True)
    assert backlog_cache.backlog_stamp(club_id=other.pk) == stamp
    assert backlog_cache.backlog_stamp(club_id=club.pk) != stamp


def test_a_rolled_back_change_leaves_the_stamp_alone(club, member, papers):
    before = backlog_cache.backlog_stamp(club_id=club.pk)

    def change_then_fail() -> None:
        with transaction.atomic():
            services.nomination_pin_set(nomination=papers[2], pinned=True)
            assert backlog_cache.backlog_stamp(club_id=club.pk) != before
            raise RuntimeError("the request failed after the change")

    with pytest.raises(RuntimeError, match="the request failed after the change"):
        change_then_fail()
    assert backlog_cache.backlog_stamp(club_id=club.pk) == before


def test_each_change_draws_a_new_token(club, member, papers):
    seen = {backlog_cache.backlog_stamp(club_id=club.pk)}
    for _ in range(3):
        services.nomination_vote_toggle(nomination=papers[1], user=member)
        seen.add(backlog_cache.backlog_stamp(club_id=club.pk))
    assert len(seen) == 4


def test_lists_cached_for_an_older_database_are_not_found(club, member, papers):
    """The same club id in a database made again (a fresh seed) under the same
    cache: the stamp row is gone, and the club's creation time differs."""
    options = selectors.BacklogFilter()
    assert selectors.backlog_lists(club=club, options=options)[0] == [n.pk for n in papers]
    BacklogStamp.objects.filter(club=club).delete()
    Nomination.objects.filter(pk=papers[2].pk).update(vote_count=100)  # bypasses services
    club.created_at -= timedelta(days=1)
    assert selectors.backlog_lists(club=club, options=options)[0][0] == papers[2].pk


def test_trending_is_read_again_in_each_time_slot(club, member, papers, monkeypatch):
    options = selectors.BacklogFilter(sort="trending")
    first = selectors.backlog_lists(club=club, options=options)[0]
    # Votes on paper 2 a month and a half old stop counting twice... they were
    # made now, so move them back in time behind the services' back and let the
    # clock move on to the next slot.
    Vote.objects.filter(nomination__in=papers[:2]).update(
        created_at=timezone.now() - timedelta(days=45)
    )
    assert selectors.backlog_lists(club=club, options=options)[0] == first
    slot = backlog_cache.trending_slot()
    monkeypatch.setattr(backlog_cache, "trending_slot", lambda: slot + 1)
    again = selectors.backlog_lists(club=club, options=options)[0]
    assert again == [n.pk for n in selectors.backlog(club=club, user=member, options=options)]
    assert again != first
