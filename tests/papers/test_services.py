from unittest import mock

import pytest
from django.db import IntegrityError, transaction

from papers import services
from papers.models import Nomination, Paper, Vote
from tests.factories import ClubFactory, MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def club_member(club, member):
    return club, member


def _propose(club, user, text, **kwargs):
    return services.papers_propose(club=club, user=user, text=text, **kwargs)


def test_propose_batch_adds_valid_ids_and_names_the_malformed(club_member):
    club, member = club_member
    outcome = _propose(club, member, "2106.09685, not-an-id\nhep-th/9901001v2 2113.00001")
    assert [n.paper.arxiv_id for n in outcome.added] == ["2106.09685", "hep-th/9901001"]
    assert [token for token, _ in outcome.invalid] == ["not-an-id", "2113.00001"]
    assert all(token in message for token, message in outcome.invalid)
    assert Paper.objects.get(arxiv_id="hep-th/9901001").arxiv_version == 2
    assert Paper.objects.get(arxiv_id="2106.09685").metadata_state in {"pending", "failed", "ready"}


@pytest.mark.parametrize(
    "again",
    [
        "2106.09685v2",
        "arXiv:2106.09685",
        "https://arxiv.org/abs/2106.09685v1",
        "https://arxiv.org/pdf/2106.09685.pdf",
        "http://arxiv.org/pdf/2106.09685v3",
    ],
)
def test_propose_same_work_in_another_form_counts_a_vote(club, member, again):
    first = _propose(club, member, "2106.09685").added[0]
    other = MembershipFactory(club=club).user
    outcome = _propose(club, other, again)
    assert outcome.added == []
    assert [n.pk for n in outcome.existing] == [first.pk]
    assert Nomination.objects.filter(club=club).count() == 1
    assert Paper.objects.count() == 1
    first.refresh_from_db()
    assert first.vote_count == 2


def test_propose_same_paper_twice_by_same_person_counts_once(club, member):
    _propose(club, member, "1706.03762")
    outcome = _propose(club, member, "1706.03762v7")
    assert outcome.existing[0].vote_count == 1


def test_same_arxiv_paper_in_two_clubs_is_a_row_in_each(club, member):
    other_club = ClubFactory()
    other_member = MembershipFactory(club=other_club).user
    mine = _propose(club, member, "1706.03762").added[0]
    theirs = _propose(other_club, other_member, "1706.03762").added[0]
    assert (mine.paper.club_id, theirs.paper.club_id) == (club.pk, other_club.pk)
    assert Paper.objects.filter(arxiv_id="1706.03762").count() == 2
    assert Nomination.objects.count() == 2


def test_a_link_another_club_added_shows_none_of_that_clubs_text(club, member):
    """Issue 13: papers without an arXiv id were one row across clubs, so a club
    adding the same link as a private club saw the private club's title."""
    private = ClubFactory(visibility="private", join_policy="invite")
    insider = MembershipFactory(club=private).user
    services.paper_propose_by_link(
        club=private,
        user=insider,
        title="Our acquisition target's secret paper",
        url="https://example.org/paper.pdf",
        doi="10.1000/SECRET",
    )
    nomination, created = services.paper_propose_by_link(
        club=club, user=member, title="A paper", url="https://example.org/paper.pdf"
    )
    assert created is True
    assert (nomination.paper.club_id, nomination.paper.title, nomination.paper.doi) == (
        club.pk,
        "A paper",
        "",
    )


@pytest.mark.parametrize(
    "typed",
    ["10.1000/XYZ.1", "doi:10.1000/xyz.1", "https://doi.org/10.1000/xyz.1", "10.1000%2Fxyz.1"],
)
def test_a_doi_the_club_has_is_that_paper_in_any_spelling(club, member, typed):
    first, _ = services.paper_propose_by_link(
        club=club,
        user=member,
        title="Journal paper",
        url="https://example.org/a",
        doi="10.1000/xyz.1",
    )
    other = MembershipFactory(club=club).user
    again, created = services.paper_propose_by_link(
        club=club, user=other, title="Same paper", url="https://example.org/b", doi=typed
    )
    assert (again.pk, created, first.paper.doi) == (first.pk, False, "10.1000/xyz.1")
    again.refresh_from_db()
    assert again.vote_count == 2


def test_a_doi_that_is_not_one_is_refused_with_an_example(club, member):
    with pytest.raises(services.PaperError, match=r"not a DOI; expected something like 10\.1000"):
        services.paper_propose_by_link(
            club=club, user=member, title="T", url="https://example.org/a", doi="nonsense"
        )
    assert Paper.objects.count() == 0


@pytest.mark.parametrize(
    "same",
    [
        {"arxiv_id": "1706.03762"},
        {"doi": "10.1000/a"},
        {"url": "https://example.org/a"},
        {"pdf_sha256": "ab" * 32},
    ],
)
def test_the_database_keeps_a_work_once_per_club(club, same):
    Paper.objects.create(club=club, title="First", **same)
    Paper.objects.create(club=ClubFactory(), title="Elsewhere", **same)  # its own row
    with pytest.raises(IntegrityError), transaction.atomic():
        Paper.objects.create(club=club, title="Second", **same)


def test_propose_more_than_fifty_ids_is_refused(club, member):
    text = "\n".join(f"2106.{n:05d}" for n in range(51))
    with pytest.raises(services.PaperError, match="at most 50"):
        _propose(club, member, text)
    assert Paper.objects.count() == 0


def test_propose_pitch_too_long_is_refused(club, member):
    with pytest.raises(services.PaperError, match="at most 1000"):
        _propose(club, member, "1706.03762", pitch="x" * 1001)
    assert Nomination.objects.count() == 0


@pytest.mark.parametrize("state", ["pending", "removed", "left"])
def test_non_active_members_cannot_propose_or_vote(club, member, state):
    nomination = _propose(club, member, "1706.03762").added[0]
    person = MembershipFactory(club=club, state=state).user
    with pytest.raises(services.NotAllowed):
        _propose(club, person, "2106.09685")
    with pytest.raises(services.NotAllowed):
        services.nomination_vote_toggle(nomination=nomination, user=person)
    assert Vote.objects.filter(user=person).count() == 0


def test_outsider_cannot_vote(club, member, outsider):
    nomination = _propose(club, member, "1706.03762").added[0]
    with pytest.raises(services.NotAllowed):
        services.nomination_vote_toggle(nomination=nomination, user=outsider)


def test_vote_toggle_on_and_off(club, member):
    nomination = _propose(club, member, "1706.03762").added[0]
    voter = MembershipFactory(club=club).user
    assert services.nomination_vote_toggle(nomination=nomination, user=voter) == (True, 2)
    assert services.nomination_vote_toggle(nomination=nomination, user=voter) == (False, 1)
    assert services.nomination_vote_toggle(nomination=nomination, user=voter) == (True, 2)
    assert Vote.objects.filter(nomination=nomination).count() == 2
    nomination.refresh_from_db()
    assert nomination.vote_count == 2


def test_a_proposal_counts_each_persons_vote_once(club, member):
    nomination = _propose(club, member, "1706.03762").added[0]  # the proposer's vote
    voter = MembershipFactory(club=club).user
    assert services.vote_add(nomination=nomination, user=voter) is True
    assert services.vote_add(nomination=nomination, user=voter) is False
    assert services.vote_add(nomination=nomination, user=member) is False
    again = _propose(club, voter, "1706.03762")  # proposing it again is a vote too
    assert again.existing == [nomination]
    nomination.refresh_from_db()
    assert nomination.vote_count == 2
    assert Vote.objects.filter(nomination=nomination).count() == 2


def test_vote_by_id_returns_what_the_button_shows(club, member):
    nomination = _propose(club, member, "1706.03762").added[0]
    Paper.objects.filter(pk=nomination.paper_id).update(title="Attention Is All You Need")
    voter = MembershipFactory(club=club).user
    toggled = services.nomination_vote_toggle_by_id(
        club=club, nomination_id=nomination.pk, user=voter
    )
    assert (toggled.pk, toggled.has_voted, toggled.vote_count, toggled.state) == (
        nomination.pk,
        True,
        2,
        "proposed",
    )
    assert toggled.paper.display_title == "Attention Is All You Need"


def test_vote_on_another_clubs_nomination_is_not_found(club, member):
    other_club = ClubFactory()
    elsewhere = _propose(other_club, MembershipFactory(club=other_club).user, "1706.03762")
    with pytest.raises(Nomination.DoesNotExist):
        services.nomination_vote_toggle_by_id(
            club=club, nomination_id=elsewhere.added[0].pk, user=member
        )
    assert Vote.objects.filter(user=member).count() == 0


def test_vote_on_an_archived_paper_changes_nothing(club, member):
    nomination = _propose(club, member, "1706.03762").added[0]
    services.nomination_archive_set(nomination=nomination, archived=True)
    voter = MembershipFactory(club=club).user
    with pytest.raises(services.PaperError, match="archived"):
        services.nomination_vote_toggle_by_id(club=club, nomination_id=nomination.pk, user=voter)
    with pytest.raises(services.PaperError, match="archived"):
        services.nomination_vote_toggle_by_id(club=club, nomination_id=nomination.pk, user=member)
    nomination.refresh_from_db()
    assert nomination.vote_count == 1
    assert list(Vote.objects.filter(nomination=nomination).values_list("user", flat=True)) == [
        member.pk
    ]


def test_database_refuses_a_second_vote(club, member):
    nomination = _propose(club, member, "1706.03762").added[0]
    with pytest.raises(IntegrityError):
        Vote.objects.create(nomination=nomination, user=member)


def test_propose_by_link_and_tags(club, member):
    nomination, created = services.paper_propose_by_link(
        club=club,
        user=member,
        title="A Paper Not On arXiv",
        url="https://example.org/paper",
        doi="10.1000/xyz",
        tag_names=["Agents", "agents", "Evals"],
    )
    assert created is True
    assert sorted(t.name for t in nomination.tags.all()) == ["Agents", "Evals"]
    assert nomination.paper.metadata_state == "ready"


def test_pin_archive_restore(club, member):
    nomination = _propose(club, member, "1706.03762").added[0]
    services.nomination_pin_set(nomination=nomination, pinned=True)
    assert nomination.is_pinned
    services.nomination_archive_set(nomination=nomination, archived=True)
    assert nomination.state == "archived"
    with pytest.raises(services.PaperError, match="archived"):
        services.nomination_vote_toggle(nomination=nomination, user=member)
    services.nomination_archive_set(nomination=nomination, archived=False)
    assert nomination.state == "proposed"


def test_merge_counts_each_persons_vote_once(club, member):
    keep, _ = services.paper_propose_by_link(
        club=club, user=member, title="Paper (journal)", url="https://example.org/a"
    )
    duplicate = _propose(club, member, "1706.03762").added[0]
    both, only_dup = MembershipFactory(club=club).user, MembershipFactory(club=club).user
    for user in (both,):
        services.nomination_vote_toggle(nomination=keep, user=user)
        services.nomination_vote_toggle(nomination=duplicate, user=user)
    services.nomination_vote_toggle(nomination=duplicate, user=only_dup)
    merged = services.nominations_merge(keep=keep, duplicate=duplicate)
    assert merged.vote_count == 3  # member, both, only_dup
    assert set(Vote.objects.filter(nomination=keep).values_list("user", flat=True)) == {
        member.pk,
        both.pk,
        only_dup.pk,
    }
    assert not Nomination.objects.filter(pk=duplicate.pk).exists()


def test_proposer_may_edit_and_withdraw_until_someone_else_votes(club, member):
    nomination = _propose(club, member, "1706.03762", pitch="old").added[0]
    services.nomination_edit_by_proposer(
        nomination=nomination, user=member, pitch="new", tag_names=["x"]
    )
    nomination.refresh_from_db()
    assert nomination.pitch == "new"
    services.nomination_vote_toggle(nomination=nomination, user=MembershipFactory(club=club).user)
    with pytest.raises(services.PaperError, match="Others have voted"):
        services.nomination_edit_by_proposer(
            nomination=nomination, user=member, pitch="newer", tag_names=[]
        )
    with pytest.raises(services.PaperError, match="Others have voted"):
        services.nomination_withdraw(nomination=nomination, user=member)
    assert Nomination.objects.filter(pk=nomination.pk).exists()


def test_someone_else_cannot_withdraw(club, member):
    nomination = _propose(club, member, "1706.03762").added[0]
    with pytest.raises(services.NotAllowed):
        services.nomination_withdraw(nomination=nomination, user=MembershipFactory(club=club).user)


def test_withdraw_own_unvoted_nomination(club, member):
    nomination = _propose(club, member, "1706.03762").added[0]
    services.nomination_withdraw(nomination=nomination, user=member)
    assert not Nomination.objects.filter(pk=nomination.pk).exists()
    assert Paper.objects.filter(arxiv_id="1706.03762").exists()


def test_proposing_enqueues_one_fetch_after_commit(
    club, member, django_capture_on_commit_callbacks
):
    with mock.patch("papers.tasks.fetch_arxiv_metadata.delay") as delay:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            _propose(club, member, "1706.03762 2106.09685")
        delay.assert_not_called()
        for callback in callbacks:
            callback()
    ids = sorted(Paper.objects.values_list("pk", flat=True))
    delay.assert_called_once_with(ids)


def test_proposing_a_covered_paper_asks_first(club, member):
    nomination = _propose(club, member, "1706.03762").added[0]
    services.nominations_set_state(nominations=[nomination], state="covered", covered_on=None)
    other = MembershipFactory(club=club).user
    outcome = _propose(club, other, "arXiv:1706.03762v5")
    assert ([n.pk for n in outcome.covered], outcome.added, outcome.existing) == (
        [nomination.pk],
        [],
        [],
    )
    nomination.refresh_from_db()
    assert (nomination.state, nomination.vote_count) == ("covered", 1)
    confirmed = _propose(club, other, "1706.03762", confirm_covered=True)
    assert [n.pk for n in confirmed.existing] == [nomination.pk]
    nomination.refresh_from_db()
    assert (nomination.state, nomination.vote_count) == ("proposed", 2)
