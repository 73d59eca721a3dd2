"""The activity log (issue 13, item 2): every organizer action and every
destructive one is written with who, when and what; deletion, archiving,
member removal and skipped weeks come back exactly from the log, or the undo
says what stands in the way."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from clubs import services as club_services
from clubs.activity import snapshots
from clubs.activity.services import UndoBlocked, activity_record, activity_undo, undo_blockers
from clubs.models import ActivityEntry, Membership
from papers import services as papers_services
from papers.models import Nomination, Tag, Vote
from sessions.models import SessionPaper
from sessions.rota.facilitators import session_claim, session_papers_set
from sessions.rota.weeks import session_restore, session_skip
from tests.factories import ClubFactory, MembershipFactory, session_at

pytestmark = pytest.mark.django_db


def _entry(club, kind) -> ActivityEntry:
    return ActivityEntry.objects.filter(club=club, kind=kind).latest("pk")


def _backlog_rows(club) -> list[tuple]:
    """Everything about the club's backlog that an undo must give back."""
    nominations = Nomination.objects.filter(club=club).order_by("pk")
    return [
        (
            n.pk,
            n.paper_id,
            n.state,
            n.pitch,
            n.pinned_at,
            n.covered_on,
            n.vote_count,
            n.created_at,
            n.proposed_by_id,
            sorted(Vote.objects.filter(nomination=n).values_list("pk", "user_id", "created_at")),
            sorted(n.tags.values_list("pk", flat=True)),
            sorted(SessionPaper.objects.filter(nomination=n).values_list("pk", "session_id")),
        )
        for n in nominations
    ]


@pytest.fixture
def voted(club, member):
    """A proposed paper with a pitch, two topics and three votes."""
    nomination = papers_services.papers_propose(
        club=club, user=member, text="1706.03762", pitch="Read it", tag_names=["nlp", "attention"]
    ).added[0]
    for _ in range(2):
        papers_services.vote_add(nomination=nomination, user=MembershipFactory(club=club).user)
    nomination.refresh_from_db()
    assert nomination.vote_count == 3
    return nomination


# --- Deleting a paper --------------------------------------------------------------------


def test_delete_then_undo_gives_back_the_paper_its_votes_topics_and_links(club, organizer, voted):
    cancelled = session_at(club, starts_in=timedelta(days=3), state="open")
    session_papers_set(session=cancelled, by=organizer, picks=[(voted.pk, None)])
    session_skip(session=cancelled, by=organizer, reason="Holiday")
    before = _backlog_rows(club)

    papers_services.nomination_delete(nomination=voted, by=organizer)
    assert not Nomination.objects.filter(pk=voted.pk).exists()
    entry = _entry(club, "papers.delete")
    assert (entry.actor, entry.summary) == (organizer, f"deleted “{voted.paper}” from the backlog")

    undo = activity_undo(entry=entry, by=organizer)

    assert _backlog_rows(club) == before
    entry.refresh_from_db()
    assert entry.undone_by == undo
    assert (undo.kind, undo.summary) == (
        "activity.undo",
        f"brought “{voted.paper}” back to the backlog",
    )


def test_undo_of_a_delete_is_refused_when_the_paper_was_added_again(club, organizer, member, voted):
    papers_services.nomination_delete(nomination=voted, by=organizer)
    papers_services.papers_propose(club=club, user=member, text="1706.03762")
    entry = _entry(club, "papers.delete")

    with pytest.raises(UndoBlocked, match=r"was added to the backlog again on .*: merge or delete"):
        activity_undo(entry=entry, by=organizer)

    assert Nomination.objects.filter(club=club).count() == 1
    entry.refresh_from_db()
    assert entry.undone_by is None


def test_undo_of_a_delete_leaves_out_the_votes_of_deleted_accounts(club, organizer, voted):
    gone = Vote.objects.filter(nomination=voted).exclude(user=voted.proposed_by).first().user
    papers_services.nomination_delete(nomination=voted, by=organizer)
    gone.delete()

    activity_undo(entry=_entry(club, "papers.delete"), by=organizer)

    voted.refresh_from_db()
    assert voted.vote_count == 2 == Vote.objects.filter(nomination=voted).count()


def test_a_paper_the_club_read_cannot_be_deleted(club, organizer, voted):
    Nomination.objects.filter(pk=voted.pk).update(state="covered", covered_on=timezone.now().date())
    with pytest.raises(papers_services.PaperError, match="stays in the archive"):
        papers_services.nomination_delete(nomination=voted, by=organizer)
    assert Nomination.objects.filter(pk=voted.pk).exists()


def test_undo_twice_is_refused(club, organizer, voted):
    papers_services.nomination_delete(nomination=voted, by=organizer)
    entry = _entry(club, "papers.delete")
    activity_undo(entry=entry, by=organizer)
    with pytest.raises(UndoBlocked, match="already been undone"):
        activity_undo(entry=entry, by=organizer)


# --- Archiving --------------------------------------------------------------------------


def test_archive_then_undo_restores_the_state_it_had(club, organizer, voted):
    before = _backlog_rows(club)
    papers_services.nomination_archive_set(nomination=voted, archived=True, by=organizer)

    activity_undo(entry=_entry(club, "papers.archive"), by=organizer)

    assert _backlog_rows(club) == before


def test_undo_of_an_archive_restored_since_says_so(club, organizer, voted):
    papers_services.nomination_archive_set(nomination=voted, archived=True, by=organizer)
    papers_services.nomination_archive_set(nomination=voted, archived=False, by=organizer)

    assert undo_blockers(entry=_entry(club, "papers.archive")) == [
        f"“{voted.paper}” is proposed now (Person {organizer.pk} took “{voted.paper}” out of "
        f"the archive on {timezone.localtime():%-d %b}), so there is nothing to undo."
    ]


# --- Members -------------------------------------------------------------------------------


def test_removing_an_organizer_then_undo_gives_back_role_and_dates(club, organizer):
    other = MembershipFactory(
        club=club, role="organizer", joined_at=timezone.now() - timedelta(days=400)
    )
    before = Membership.objects.filter(pk=other.pk).values().get()

    club_services.membership_remove(membership=other, by=organizer)
    assert Membership.objects.get(pk=other.pk).state == "removed"
    activity_undo(entry=_entry(club, "members.remove"), by=organizer)

    assert Membership.objects.filter(pk=other.pk).values().get() == before


def test_undo_of_a_removal_after_they_came_back_is_refused(club, organizer, member):
    membership = Membership.objects.get(club=club, user=member)
    club_services.membership_remove(membership=membership, by=organizer)
    invitation = club_services.invitation_link_create(club=club, by=organizer)
    club_services.invitation_accept(token=invitation.token, user=member)

    with pytest.raises(UndoBlocked, match="is a member again since"):
        activity_undo(entry=_entry(club, "members.remove"), by=organizer)


# --- Skipped weeks ---------------------------------------------------------------------------


@pytest.fixture
def week_with_papers(club, member, voted):
    session = session_at(club, starts_in=timedelta(days=5), state="open")
    session_claim(session=session, user=member)
    session_papers_set(session=session, by=member, picks=[(voted.pk, None)])
    return session


def test_skip_then_undo_puts_the_week_and_its_papers_back(
    club, organizer, member, voted, week_with_papers
):
    session_skip(session=week_with_papers, by=organizer, reason="Holiday")
    voted.refresh_from_db()
    assert voted.state == "proposed"

    activity_undo(entry=_entry(club, "rota.skip"), by=organizer)

    week_with_papers.refresh_from_db()
    voted.refresh_from_db()
    assert (
        week_with_papers.state,
        week_with_papers.facilitator,
        week_with_papers.cancel_reason,
    ) == (
        "scheduled",
        member,
        "",
    )
    assert voted.state == "scheduled"
    assert list(SessionPaper.objects.values_list("session_id", "nomination_id")) == [
        (week_with_papers.pk, voted.pk)
    ]


def test_undo_of_a_skip_says_which_week_took_its_paper(club, organizer, voted, week_with_papers):
    session_skip(session=week_with_papers, by=organizer, reason="Holiday")
    other = session_at(club, starts_in=timedelta(days=12), state="open")
    session_papers_set(session=other, by=organizer, picks=[(voted.pk, None)])

    [reason] = undo_blockers(entry=_entry(club, "rota.skip"))

    assert reason.startswith(f"“{voted.paper}” was picked for the week of ")
    assert reason.endswith(" since.")


def test_undo_of_a_skip_restored_since_is_refused(club, organizer, week_with_papers):
    session_skip(session=week_with_papers, by=organizer, reason="Holiday")
    session_restore(session=week_with_papers, by=organizer)
    with pytest.raises(UndoBlocked, match="is back on already"):
        activity_undo(entry=_entry(club, "rota.skip"), by=organizer)


# --- What is logged ---------------------------------------------------------------------------


def test_organizer_actions_are_logged_with_who_and_what(club, organizer, member, voted):
    membership = Membership.objects.get(club=club, user=member)
    papers_services.nomination_pin_set(nomination=voted, pinned=True, by=organizer)
    papers_services.nomination_tags_set(nomination=voted, names=["vision"], by=organizer)
    club_services.membership_set_role(membership=membership, role="organizer", by=organizer)

    entries = list(
        ActivityEntry.objects.filter(club=club)
        .order_by("pk")
        .values_list("kind", "actor", "summary")
    )
    assert entries == [
        ("papers.pin", organizer.pk, f"pinned “{voted.paper}” to the top"),
        ("papers.topics", organizer.pk, f"set the topics of “{voted.paper}” to vision"),
        ("members.role", organizer.pk, f"made Person {member.pk} an organizer"),
    ]


def test_an_entry_is_written_with_its_change_or_not_at_all(club, organizer, voted):
    Nomination.objects.filter(pk=voted.pk).update(state="scheduled")
    with pytest.raises(papers_services.PaperError):
        papers_services.nomination_delete(nomination=voted, by=organizer)
    assert not ActivityEntry.objects.filter(club=club, kind="papers.delete").exists()


def test_unknown_kinds_are_refused(club):
    with pytest.raises(ValueError, match="Unknown activity kind"):
        activity_record(club=club, actor=None, kind="papers.nonsense", summary="did nothing")


def test_a_snapshot_is_plain_json_of_every_row_the_delete_takes(club, voted):
    taken = snapshots.deletion(voted)
    models = sorted({row["model"] for row in taken["rows"]})
    assert models == ["papers.nomination", "papers.nomination_tags", "papers.vote"]
    assert len([r for r in taken["rows"] if r["model"] == "papers.vote"]) == 3
    assert Tag.objects.filter(club=club).count() == 2


# --- The pages ------------------------------------------------------------------------------


def test_log_page_filters_by_kind_person_and_dates(client, club, organizer, voted):
    other = MembershipFactory(club=club, role="organizer").user
    papers_services.nomination_pin_set(nomination=voted, pinned=True, by=organizer)
    papers_services.nomination_archive_set(nomination=voted, archived=True, by=other)
    old = _entry(club, "papers.pin")
    ActivityEntry.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=30))
    client.force_login(organizer)
    url = reverse("clubs:activity", args=[club.slug])

    def kinds(**params):
        response = client.get(url, params)
        assert response.status_code == 200
        return [entry.kind for entry in response.context["page"].object_list]

    assert kinds() == ["papers.archive", "papers.pin"]
    assert kinds(kind="papers.pin") == ["papers.pin"]
    assert kinds(person=other.pk) == ["papers.archive"]
    today = timezone.localdate()
    assert kinds(since=(today - timedelta(days=1)).isoformat()) == ["papers.archive"]
    assert kinds(until=(today - timedelta(days=29)).isoformat()) == ["papers.pin"]


def test_log_page_comes_in_pages_of_fifty(client, club, organizer):
    ActivityEntry.objects.bulk_create(
        [
            ActivityEntry(club=club, actor=organizer, kind="club.settings", summary=f"edit {i}")
            for i in range(51)
        ]
    )
    client.force_login(organizer)
    url = reverse("clubs:activity", args=[club.slug])
    assert len(client.get(url).context["page"].object_list) == 50
    assert len(client.get(url, {"page": 2}).context["page"].object_list) == 1


@pytest.mark.parametrize("entries", [1, 3])
def test_log_page_queries_do_not_grow_with_entries(
    client, club, organizer, entries, django_assert_num_queries
):
    client.force_login(organizer)
    ActivityEntry.objects.bulk_create(
        [
            ActivityEntry(
                club=club,
                actor=MembershipFactory(club=club).user,
                kind="club.settings",
                summary="x",
            )
            for _ in range(entries)
        ]
    )

    # The same 7 whatever the number of entries: nothing is read row by row.
    with django_assert_num_queries(7):
        response = client.get(reverse("clubs:activity", args=[club.slug]))

    assert len(response.context["page"].object_list) == entries


def test_undo_through_the_pages_confirms_first_and_works_without_javascript(
    client, club, organizer, voted
):
    papers_services.nomination_delete(nomination=voted, by=organizer)
    entry = _entry(club, "papers.delete")
    client.force_login(organizer)
    log = client.get(reverse("clubs:activity", args=[club.slug])).content.decode()
    confirm_url = reverse("clubs:activity_undo", args=[club.slug, entry.pk])
    assert f'href="{confirm_url}"' in log

    page = client.get(confirm_url).content.decode()
    assert "comes back to the backlog as it was, with its 3 votes" in page
    assert f'<form method="post" action="{confirm_url}">' in page
    assert not Nomination.objects.filter(pk=voted.pk).exists()  # a GET changes nothing

    response = client.post(confirm_url, follow=True)
    assert response.redirect_chain == [(reverse("clubs:activity", args=[club.slug]), 302)]
    assert Nomination.objects.filter(pk=voted.pk).exists()
    assert "Undone: deleted" in response.content.decode()


def test_a_blocked_undo_shows_why_and_offers_no_button(client, club, organizer, member, voted):
    papers_services.nomination_delete(nomination=voted, by=organizer)
    papers_services.papers_propose(club=club, user=member, text="1706.03762")
    entry = _entry(club, "papers.delete")
    client.force_login(organizer)
    url = reverse("clubs:activity_undo", args=[club.slug, entry.pk])

    page = client.get(url).content.decode()
    assert "It cannot be undone now" in page
    assert "Yes, undo it" not in page
    response = client.post(url, follow=True)
    assert "Not undone: " in response.content.decode()


def test_another_clubs_entries_are_neither_shown_nor_undone(client, club, organizer, voted):
    other = ClubFactory(visibility="private", join_policy="invite")
    other_organizer = MembershipFactory(club=other, role="organizer").user
    theirs = papers_services.papers_propose(
        club=other,
        user=MembershipFactory(club=other).user,
        text="2106.09685",
        pitch="Secret pitch of the other club",
    ).added[0]
    papers_services.nomination_delete(nomination=theirs, by=other_organizer)
    their_entry = _entry(other, "papers.delete")
    client.force_login(organizer)

    log = client.get(reverse("clubs:activity", args=[club.slug])).content.decode()
    assert "2106.09685" not in log
    assert "Secret pitch" not in log
    assert (
        client.get(reverse("clubs:activity_undo", args=[club.slug, their_entry.pk])).status_code
        == 404
    )
    assert (
        client.post(reverse("clubs:activity_undo", args=[club.slug, their_entry.pk])).status_code
        == 404
    )
    assert client.get(reverse("clubs:activity", args=[other.slug])).status_code == 404
    assert not Nomination.objects.filter(pk=theirs.pk).exists()


def test_members_cannot_undo(client, club, organizer, member, voted):
    papers_services.nomination_delete(nomination=voted, by=organizer)
    client.force_login(member)
    url = reverse("clubs:activity_undo", args=[club.slug, _entry(club, "papers.delete").pk])
    assert client.post(url).status_code == 403
    assert not Nomination.objects.filter(pk=voted.pk).exists()
