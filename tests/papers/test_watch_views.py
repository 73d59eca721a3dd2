"""The Suggested pages (papers.watch.views): watches, the list, one-click propose, mute."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from clubs.confirming import CONFIRM_FIELD
from papers.models import Nomination, Suggestion, Vote, Watch
from papers.watch.queries import WATCHES_PER_MEMBER
from tests.factories import (
    MembershipFactory,
    NominationFactory,
    PaperFactory,
    SuggestionFactory,
    WatchFactory,
)
from tests.unchanged import unchanged

pytestmark = pytest.mark.django_db

RAN = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)


def _url(name, club, *args):
    return reverse(f"watch:{name}", args=[club.slug, *args])


def test_an_organizer_adds_a_watch_for_the_club(client, club, organizer):
    client.force_login(organizer)
    response = client.post(
        _url("add", club), {"scope": "club", "kind": "category", "value": "cs.cl"}
    )
    assert response.status_code == 302
    assert response["Location"] == _url("suggested", club)
    watch = Watch.objects.get(club=club)
    assert (watch.owner, watch.kind, watch.value, watch.next_run_at) == (
        None,
        "category",
        "cs.CL",
        None,
    )
    page = client.get(_url("suggested", club)).content.decode()
    assert "category cs.CL" in page
    assert "Not run yet" in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "category", "value": "cs CL"}, "is not an arXiv category"),
        ({"kind": "category", "value": ""}, "This field is required."),
        ({"kind": "keyword", "value": "x"}, "is too short to watch"),
        ({"kind": "keyword", "value": "rag", "within": "IR"}, "is not an arXiv category"),
    ],
)
def test_a_bad_watch_comes_back_with_the_reason(client, club, organizer, data, message):
    client.force_login(organizer)
    with unchanged():
        response = client.post(_url("add", club), {"scope": "club", **data})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Watch.objects.count() == 0


def test_the_same_watch_twice_and_past_the_limit_are_refused(client, club, member):
    client.force_login(member)
    data = {"scope": "mine", "kind": "author", "value": "Aiko Tanaka"}
    assert client.post(_url("add", club), data).status_code == 302
    again = client.post(_url("add", club), data)
    assert again.status_code == 400
    assert "You already watch author &quot;Aiko Tanaka&quot;." in again.content.decode()
    for n in range(WATCHES_PER_MEMBER - 1):
        WatchFactory(club=club, owner=member, kind="keyword", value=f"topic {n}")
    full = client.post(_url("add", club), {"scope": "mine", "kind": "keyword", "value": "more"})
    assert full.status_code == 400
    assert f"You keep {WATCHES_PER_MEMBER} watches, the most there may be" in full.content.decode()


def test_a_member_keeps_watches_of_their_own_not_the_clubs(client, club, member):
    client.force_login(member)
    refused = client.post(
        _url("add", club), {"scope": "club", "kind": "category", "value": "cs.CL"}
    )
    assert refused.status_code == 403
    mine = client.post(_url("add", club), {"scope": "mine", "kind": "keyword", "value": "speech"})
    assert mine["Location"] == _url("mine", club)
    assert Watch.objects.get().owner == member
    # The club's page shows a member no form.
    assert 'name="scope"' not in client.get(_url("suggested", club)).content.decode()


def test_each_suggestion_says_why(client, club, member):
    read = NominationFactory(
        club=club,
        state=Nomination.State.COVERED,
        covered_on=datetime(2026, 3, 3, tzinfo=UTC).date(),
        paper=PaperFactory(club=club, title="LoRA: Low-Rank Adaptation"),
    )
    watch = WatchFactory(club=club, value="cs.CL", last_success_at=RAN, last_matched=3)
    SuggestionFactory(club=club, watch=watch, title="Sparse adapters", near=read, score=0.42)
    SuggestionFactory(club=club, watch=watch, title="Medieval crops", near=None, score=0.0)
    client.force_login(member)
    page = client.get(_url("suggested", club)).content.decode()
    assert "Found by the watch on category cs.CL; nearest club paper" in page.replace(
        "Why: found", "Found"
    )
    assert "LoRA: Low-Rank Adaptation" in page
    assert "(read on 3 Mar 2026), similarity 0.42" in page
    assert "it resembles nothing the club has proposed or read" in page
    assert page.index("Sparse adapters") < page.index("Medieval crops")


def test_a_watch_that_matched_nothing_says_so_with_when_it_ran(client, club, member):
    WatchFactory(club=club, kind="author", value="Nobody Atall", last_success_at=RAN)
    client.force_login(member)
    page = client.get(_url("suggested", club)).content.decode()
    assert "This watch matched nothing on arXiv on its last run, 30 Nov 2026, 06:00" in page
    assert "Nothing waiting." in page


def test_a_capped_watch_tells_the_organizer_to_narrow_it(client, club, organizer):
    WatchFactory(
        club=club,
        value="cs.LG",
        last_success_at=RAN,
        last_matched=3412,
        last_suggested=50,
        last_capped=True,
    )
    client.force_login(organizer)
    page = client.get(_url("suggested", club)).content.decode()
    assert "It matched 3412 papers in one day; only the newest 50 were looked at. Narrow it" in page


def test_a_failing_watch_says_it_will_try_again(client, club, member):
    WatchFactory(
        club=club,
        value="cs.CL",
        last_success_at=RAN,
        failures=2,
        last_error="arXiv is busy (HTTP 503). Trying again automatically.",
    )
    client.force_login(member)
    page = client.get(_url("suggested", club)).content.decode()
    assert "arXiv is busy (HTTP 503). Trying again automatically. Last good run 30 Nov 2026" in page


def test_one_click_proposes_the_suggestion_without_javascript(client, club, member):
    suggestion = SuggestionFactory(club=club, arxiv_id="2611.30412", title="Sparse adapters")
    client.force_login(member)
    response = client.post(_url("propose", club, suggestion.pk))
    assert response.status_code == 302
    assert response["Location"] == _url("suggested", club)
    nomination = Nomination.objects.get(club=club, paper__arxiv_id="2611.30412")
    assert nomination.proposed_by == member
    assert Vote.objects.filter(nomination=nomination, user=member).exists()
    suggestion.refresh_from_db()
    assert (suggestion.state, suggestion.decided_by) == (Suggestion.State.PROPOSED, member)
    page = client.get(_url("suggested", club)).content.decode()
    assert "Proposed “Sparse adapters”: it is on the backlog with your vote." in page
    assert f"suggestion-{suggestion.pk}" not in page
    assert "2611.30412" in client.get(reverse("papers:backlog", args=[club.slug])).content.decode()


def test_htmx_gets_the_item_as_it_is_after_the_click(client, club, member, organizer):
    one, two = SuggestionFactory.create_batch(2, club=club)
    client.force_login(member)
    response = client.post(_url("propose", club, one.pk), headers={"HX-Request": "true"})
    assert response.status_code == 200
    body = response.content.decode()
    assert body.startswith(
        f'<li class="panel suggestion suggestion--decided" id="suggestion-{one.pk}"'
    )
    assert "it is on the backlog with your vote" in body
    client.force_login(organizer)
    muted = client.post(_url("mute", club, two.pk), headers={"HX-Request": "true"})
    assert "later runs will not suggest it again" in muted.content.decode()


def test_a_paper_the_club_got_another_way_leaves_the_list(client, club, member):
    suggestion = SuggestionFactory(club=club, arxiv_id="2611.30412")
    client.force_login(member)
    assert f"suggestion-{suggestion.pk}" in client.get(_url("suggested", club)).content.decode()
    PaperFactory(club=club, arxiv_id="2611.30412")
    assert f"suggestion-{suggestion.pk}" not in client.get(_url("suggested", club)).content.decode()


def test_organizers_mute_the_clubs_suggestions_members_do_not(client, club, member, organizer):
    suggestion = SuggestionFactory(club=club)
    client.force_login(member)
    with unchanged():
        assert client.post(_url("mute", club, suggestion.pk)).status_code == 403
    client.force_login(organizer)
    assert client.post(_url("mute", club, suggestion.pk)).status_code == 302
    suggestion.refresh_from_db()
    assert suggestion.state == Suggestion.State.MUTED
    # A muted suggestion is not proposed by a stale page's click.
    client.force_login(member)
    client.post(_url("propose", club, suggestion.pk))
    assert not Nomination.objects.filter(club=club).exists()


def test_a_members_own_watch_and_suggestions_are_theirs_alone(client, club, member, organizer):
    other = MembershipFactory(club=club).user
    watch = WatchFactory(club=club, owner=member, kind="keyword", value="zebra stripes")
    own = SuggestionFactory(club=club, owner=member, watch=watch, title="Stripes of zebras")
    client.force_login(member)
    assert "Stripes of zebras" in client.get(_url("mine", club)).content.decode()
    for viewer in (other, organizer):
        client.force_login(viewer)
        for name in ("mine", "suggested"):
            page = client.get(_url(name, club)).content.decode()
            assert "zebra stripes" not in page
            assert "Stripes of zebras" not in page
        with unchanged():
            assert client.post(_url("propose", club, own.pk)).status_code == 404
            assert client.post(_url("mute", club, own.pk)).status_code == 404
            removed = client.post(_url("remove", club, watch.pk), {CONFIRM_FIELD: "1"})
            assert removed.status_code == 404
    # Their own: they mute it, and remove the watch.
    client.force_login(member)
    assert client.post(_url("mute", club, own.pk)).status_code == 302
    assert client.post(_url("remove", club, watch.pk), {CONFIRM_FIELD: "1"}).status_code == 302
    assert not Watch.objects.filter(pk=watch.pk).exists()
    own.refresh_from_db()
    assert (own.state, own.watch_id) == (Suggestion.State.MUTED, None)  # it never comes back


def test_removing_a_watch_asks_first_and_takes_its_open_suggestions(client, club, organizer):
    watch = WatchFactory(club=club, value="cs.CL")
    SuggestionFactory(club=club, watch=watch)
    muted = SuggestionFactory(club=club, watch=watch, state=Suggestion.State.MUTED)
    client.force_login(organizer)
    with unchanged():
        asked = client.post(_url("remove", club, watch.pk))
    assert "Stop watching category cs.CL?" in asked.content.decode()
    client.post(_url("remove", club, watch.pk), {CONFIRM_FIELD: "1"})
    assert list(Suggestion.objects.values_list("pk", flat=True)) == [muted.pk]


@pytest.mark.parametrize("rows", [1, 6])
def test_the_suggested_page_reads_a_constant_number_of_queries(
    client, club, member, django_assert_num_queries, rows
):
    watch = WatchFactory(club=club, value="cs.CL", last_success_at=RAN)
    WatchFactory(club=club, value="cs.LG", last_success_at=RAN - timedelta(days=1))
    for _ in range(rows):
        near = NominationFactory(club=club)
        SuggestionFactory(club=club, watch=watch, near=near, score=0.3)
    client.force_login(member)
    client.get(_url("suggested", club))  # warm the session and the caches
    with django_assert_num_queries(6):
        response = client.get(_url("suggested", club))
    assert response.content.decode().count('class="panel suggestion"') == rows
