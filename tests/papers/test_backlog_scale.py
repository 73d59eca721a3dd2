"""The backlog's work at scale: its cards, the trending score, search, one vote.

Each change here keeps the page exactly as it was: the cards show what the rows
hold now and the viewer's own vote, trending ranks as trending_score defines it,
and search finds what it found.
"""

import re
from datetime import timedelta

import pytest
from django.contrib import admin
from django.core.cache import cache
from django.db import connection
from django.db.models import F
from django.template.loader import get_template
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from clubs.permissions import club_access_for
from clubs.services import profile_update
from papers import editing, selectors, services, signals
from papers.admin import PaperAdmin
from papers.models import Nomination, Paper, Vote
from tests.factories import MembershipFactory, TagFactory
from tests.services import need_postgres

pytestmark = pytest.mark.django_db

_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


def _without_tokens(html: str) -> str:
    return _CSRF.sub('name="csrfmiddlewaretoken" value=""', html)


def _propose(club, member, *ids: str, tags=("Agents",)) -> list[Nomination]:
    return services.papers_propose(
        club=club, user=member, text=" ".join(ids), tag_names=list(tags)
    ).added


def _ready(nominations: list[Nomination]) -> None:
    """Give the papers the metadata a worker would fetch."""
    for number, nomination in enumerate(nominations):
        Paper.objects.filter(pk=nomination.paper_id).update(
            title=f"Paper number {number}",
            authors=["Ada Lovelace", "Alan Turing"],
            metadata_state=Paper.MetadataState.READY,
            abs_url=f"https://arxiv.org/abs/{nomination.paper.arxiv_id}",
        )


def _cards_on_page(client, club) -> list[str]:
    body = client.get(reverse("papers:backlog", args=[club.slug])).content.decode()
    return [
        _without_tokens(c) for c in re.findall(r"<li>\s*<article.*?</article>\s*</li>", body, re.S)
    ]


def _rendered_by_templates(club, user, nominations) -> list[str]:
    """Each nomination's card as its template renders it on its own, with its
    signals (papers.signals, computed for those nominations alone)."""
    nominations = signals.signals_attach(club=club, nominations=list(nominations))
    request = RequestFactory().get(reverse("papers:backlog", args=[club.slug]))
    request.user = user
    access = club_access_for(request, club.slug)
    template = get_template("papers/_nomination_card.html")
    return [
        "<li>"
        + _without_tokens(
            template.render({"club": club, "access": access, "nomination": n}, request)
        )
        + "</li>"
        for n in nominations
    ]


@pytest.fixture
def backlog(club, member):
    cache.clear()
    TagFactory(club=club, name="Agents", slug="agents")  # on the club's list (papers.topics)
    nominations = _propose(club, member, "2301.00001", "2301.00002", "2301.00003")
    _ready(nominations)
    return nominations


def test_the_backlog_shows_each_card_as_its_template_renders_it(client, club, member, backlog):
    client.force_login(member)
    shown = _cards_on_page(client, club)
    options = selectors.BacklogFilter()
    expected = _rendered_by_templates(
        club, member, selectors.backlog(club=club, user=member, options=options)
    )
    normalise = lambda html: re.sub(r"\s+", " ", html).strip()  # noqa: E731
    assert len(shown) == 3
    assert [normalise(c) for c in shown] == [normalise(c) for c in expected]


def test_the_cards_vote_forms_carry_the_requests_csrf_token(client, club, member, backlog):
    client.force_login(member)
    client.get(reverse("papers:backlog", args=[club.slug]))
    body = client.get(reverse("papers:backlog", args=[club.slug])).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1)
    response = client.post(
        reverse("papers:vote", args=[club.slug, backlog[0].pk]),
        {"csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302
    assert not Vote.objects.filter(nomination=backlog[0], user=member).exists()  # taken back


@pytest.mark.parametrize(
    "change",
    ["vote", "title", "title in the admin", "display name", "tag", "pin"],
)
def test_a_card_changes_with_anything_it_shows(client, club, member, backlog, change):
    """Cards are cached under the backlog's version (papers.backlog_cache), so
    each way a person changes what one shows must renew it."""
    client.force_login(member)
    _cards_on_page(client, club)  # cached now
    before = _cards_on_page(client, club)
    nomination = backlog[0]
    if change == "vote":
        services.nomination_vote_toggle(
            nomination=nomination, user=MembershipFactory(club=club).user
        )
    elif change == "title":
        paper = nomination.paper
        details = editing.PaperDetails(
            title="A new title",
            authors=paper.authors,
            year=paper.year,
            url=paper.url,
            doi=paper.doi,
            abstract=paper.abstract,
        )
        editing.paper_details_edit(nomination=nomination, user=member, details=details)
    elif change == "title in the admin":
        paper = Paper.objects.get(pk=nomination.paper_id)
        paper.title = "A new title"
        request = RequestFactory().post("/admin/")
        PaperAdmin(Paper, admin.site).save_model(request, paper, form=None, change=True)
    elif change == "display name":
        profile_update(user=member, display_name="Renamed Person", time_zone="UTC")
    elif change == "tag":
        TagFactory(club=club, name="Evals", slug="evals")  # on the club's list
        services.nomination_tags_set(nomination=nomination, names=["Agents", "Evals"], by=member)
    else:
        services.nomination_pin_set(nomination=nomination, pinned=True)
    after = _cards_on_page(client, club)
    options = selectors.BacklogFilter()
    expected = _rendered_by_templates(
        club, member, selectors.backlog(club=club, user=member, options=options)
    )
    normalise = lambda html: re.sub(r"\s+", " ", html).strip()  # noqa: E731
    assert after != before
    assert [normalise(c) for c in after] == [normalise(c) for c in expected]


def test_each_viewer_sees_their_own_vote(client, club, member, backlog):
    other = MembershipFactory(club=club).user
    client.force_login(member)
    mine = _cards_on_page(client, club)
    client.force_login(other)
    theirs = _cards_on_page(client, club)
    assert all('aria-pressed="true"' in card for card in mine)  # the proposer voted for each
    assert all('aria-pressed="false"' in card for card in theirs)


def _vote_at(nomination, user, when) -> None:
    services.nomination_vote_toggle(nomination=nomination, user=user)
    Vote.objects.filter(nomination=nomination, user=user).update(created_at=when)


def test_trending_ranks_exactly_as_trending_score_defines(club, member):
    nominations = _propose(club, member, *(f"2302.{n:05d}" for n in range(8)))
    now = timezone.now()
    ages = [timedelta(days=d) for d in (1, 3, 10, 20, 40, 90)]
    voters = [MembershipFactory(club=club).user for _ in range(6)]
    # Old favourites and new arrivals: scores tie and cross in several ways.
    pattern = [(0, 5), (1, 3), (2, 1), (3, 0), (4, 2), (5, 4), (6, 0), (7, 5)]
    for (index, first_age), _ in zip(pattern, range(8), strict=True):
        for voter, age in zip(voters, ages[first_age:], strict=False):
            _vote_at(nominations[index], voter, now - age)
    services.nomination_pin_set(nomination=nominations[7], pinned=True)
    options = selectors.BacklogFilter(sort="trending")
    ranked = list(selectors.backlog(club=club, user=member, options=options))
    by_definition = list(
        Nomination.objects.filter(club=club, state="proposed")
        .annotate(trending=selectors.trending_score())
        .order_by(
            F("pinned_at").desc(nulls_last=True), "-trending", "-vote_count", "-created_at", "-pk"
        )
    )
    assert [n.pk for n in ranked] == [n.pk for n in by_definition]
    assert [n.trending for n in ranked] == [n.trending for n in by_definition]


def test_the_cached_list_is_the_backlog_in_its_order(club, member):
    nominations = _propose(club, member, *(f"2303.{n:05d}" for n in range(4)))
    services.nomination_archive_set(nomination=nominations[0], archived=True)
    services.nomination_vote_toggle(
        nomination=nominations[2], user=MembershipFactory(club=club).user
    )
    for sort in ("top", "trending", "new"):
        options = selectors.BacklogFilter(sort=sort)
        listed = [n.pk for n in selectors.backlog(club=club, user=member, options=options)]
        ids, _ = selectors.backlog_lists(club=club, options=options)
        assert ids == listed
        assert len(ids) == 3


def test_search_finds_through_the_gin_index(club, member):
    need_postgres()
    nominations = _propose(club, member, *(f"2304.{n:05d}" for n in range(3)))
    _ready(nominations)
    Paper.objects.filter(pk=nominations[1].paper_id).update(abstract="Sparse attention at scale.")
    options = selectors.BacklogFilter(query="sparse attention")
    found = selectors.backlog(club=club, user=member, options=options)
    assert [n.pk for n in found] == [nominations[1].pk]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = found.explain()
    assert "paper_search_vector" in plan, plan


def test_a_vote_with_someone_elses_membership_is_still_refused(club, member, outsider):
    nomination = _propose(club, member, "2305.00001")[0]
    membership = club.memberships.get(user=member)
    with pytest.raises(services.NotAllowed):
        services.nomination_vote_toggle(nomination=nomination, user=outsider, membership=membership)
    assert Vote.objects.filter(user=outsider).count() == 0


def test_two_clicks_on_a_vote_take_it_back(club, member):
    """Toggles of one vote run one after the other (the nomination's row lock):
    the second click sees the first's vote and takes it back, counted exactly."""
    nomination = _propose(club, member, "2305.00002")[0]
    voter = MembershipFactory(club=club).user
    assert services.nomination_vote_toggle(nomination=nomination, user=voter) == (True, 2)
    assert services.nomination_vote_toggle(nomination=nomination, user=voter) == (False, 1)
    assert Vote.objects.filter(nomination=nomination).count() == 1
    nomination.refresh_from_db()
    assert nomination.vote_count == 1


def test_a_second_viewer_gets_the_cards_text_from_the_cache(client, club, member, backlog):
    """The text apart from the vote button is rendered once for everyone
    (papers.backlog_cache.card_texts); each viewer still sees their own vote."""
    client.force_login(member)
    first = client.get(reverse("papers:backlog", args=[club.slug]))
    assert "papers/_nomination_card_body.html" in [t.name for t in first.templates]
    other = MembershipFactory(club=club).user
    client.force_login(other)
    second = client.get(reverse("papers:backlog", args=[club.slug]))
    assert "papers/_nomination_card_body.html" not in [t.name for t in second.templates]
    shown = _cards_on_page(client, club)
    expected = _rendered_by_templates(
        club, other, selectors.backlog(club=club, user=other, options=selectors.BacklogFilter())
    )
    normalise = lambda html: re.sub(r"\s+", " ", html).strip()  # noqa: E731
    assert [normalise(c) for c in shown] == [normalise(c) for c in expected]
    assert all('aria-pressed="false"' in card for card in shown)


def test_a_failed_fetch_is_never_served_from_the_cache(client, club, member, backlog):
    """Its card holds a "Try again" form with the viewer's own CSRF token."""
    Paper.objects.filter(pk=backlog[0].paper_id).update(
        metadata_state=Paper.MetadataState.FAILED, metadata_error="arXiv has no such paper"
    )
    client.force_login(member)
    client.get(reverse("papers:backlog", args=[club.slug]))
    body = client.get(reverse("papers:backlog", args=[club.slug])).content.decode()
    retry = reverse("papers:retry", args=[club.slug, backlog[0].pk])
    form = re.search(rf'action="{retry}".*?</form>', body, re.S).group(0)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
    response = client.post(retry, {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert Paper.objects.get(pk=backlog[0].paper_id).metadata_state == Paper.MetadataState.PENDING
