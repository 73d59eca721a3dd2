"""Safe merges (issue 13, item 1): the duplicate is found by title or id, both
are compared, nothing the club read, voted or planned is lost, and undo from
the activity log gives both back exactly."""

from datetime import timedelta

import pytest
from django.urls import reverse

from clubs.activity.services import UndoBlocked, activity_undo
from clubs.models import ActivityEntry
from papers import services as papers_services
from papers.merging import (
    NeedsWeekChoice,
    likely_duplicates,
    merge_candidates,
    merge_reasons,
    nominations_merge,
)
from papers.models import GuideTick, Nomination, Paper, PaperNote, ReadingGuide, Vote
from sessions.models import Post, PreRead, Question, SessionPaper, Thread, ThreadFollow
from sessions.reading.services import preread_set, question_ask
from sessions.rota import selectors as rota_selectors
from sessions.rota.facilitators import session_claim, session_papers_set
from sessions.rota.weeks import session_mark_done
from tests.factories import (
    ClubFactory,
    MembershipFactory,
    PostFactory,
    ThreadFactory,
    ThreadFollowFactory,
    session_at,
)

pytestmark = pytest.mark.django_db

TITLE = "Attention Is All You Need"


def _by_link(club, user, title, url, doi=""):
    nomination, _ = papers_services.paper_propose_by_link(
        club=club, user=user, title=title, url=url, doi=doi
    )
    return nomination


@pytest.fixture
def pair(club, member):
    """The same work twice: from arXiv, and typed in by hand with another title case."""
    keep = papers_services.papers_propose(club=club, user=member, text="1706.03762").added[0]
    Paper.objects.filter(pk=keep.paper_id).update(title=TITLE, metadata_state="ready")
    duplicate = _by_link(
        club, MembershipFactory(club=club).user, "attention is all you need!", "https://x.org/a"
    )
    keep.refresh_from_db()
    return keep, duplicate


def _votes(nomination, n):
    for _ in range(n):
        papers_services.vote_add(
            nomination=nomination, user=MembershipFactory(club=nomination.club).user
        )


def _world(club) -> dict:
    """Everything about the club's backlog and weeks that a merge touches."""
    nominations = Nomination.objects.filter(club=club)
    papers = Paper.objects.filter(club=club)
    return {
        "nominations": sorted(nominations.values_list()),
        "papers": sorted(papers.values_list("pk", "title", "url", "arxiv_id", "doi")),
        "votes": sorted(Vote.objects.filter(nomination__club=club).values_list()),
        "links": sorted(SessionPaper.objects.filter(session__club=club).values_list()),
        "tags": sorted(Nomination.tags.through.objects.filter(nomination__club=club).values_list()),
        "notes": sorted(PaperNote.objects.filter(paper__club=club).values_list()),
        "ticks": sorted(GuideTick.objects.filter(paper__club=club).values_list()),
        "guides": sorted(ReadingGuide.objects.filter(paper__club=club).values_list("pk", "paper")),
        "prereads": sorted(PreRead.objects.filter(session__club=club).values_list()),
        "questions": sorted(Question.objects.filter(session__club=club).values_list()),
    }


# --- The failures the issue names -------------------------------------------------------------


def test_merging_a_paper_read_a_year_ago_keeps_it_in_the_archive(club, organizer, member, pair):
    keep, duplicate = pair
    read = session_at(club, starts_in=-timedelta(days=365), facilitator=member)
    SessionPaper.objects.create(session=read, nomination=duplicate)
    session_mark_done(session=read)
    duplicate.refresh_from_db()
    read_on = duplicate.covered_on

    merged = nominations_merge(keep=keep, duplicate=duplicate, by=organizer)

    [archived] = rota_selectors.archive(club=club)
    assert [link.nomination_id for link in archived.ordered_papers] == [keep.pk]
    assert (merged.state, merged.covered_on) == ("covered", read_on)


def test_merging_a_paper_on_next_weeks_session_asks_which_stays_then_keeps_the_week(
    club, organizer, member, pair
):
    keep, duplicate = pair
    week = session_at(club, starts_in=timedelta(days=6), state="open")
    session_claim(session=week, user=member)
    session_papers_set(session=week, by=member, picks=[(duplicate.pk, None)])
    preread_set(session=week, user=member, level=2)
    question_ask(session=week, user=member, text="Why multi-head?")

    with pytest.raises(NeedsWeekChoice, match="choose which one stays on the week"):
        nominations_merge(keep=keep, duplicate=duplicate, by=organizer)
    assert Nomination.objects.filter(pk=duplicate.pk).exists()

    merged = nominations_merge(keep=keep, duplicate=duplicate, by=organizer, week_choice_made=True)

    assert list(SessionPaper.objects.filter(session=week).values_list("nomination", flat=True)) == [
        keep.pk
    ]
    assert merged.state == "scheduled"
    assert PreRead.objects.filter(session=week).count() == 1
    assert Question.objects.filter(session=week).count() == 1


# --- What the survivor takes over ---------------------------------------------------------------


def test_each_members_vote_counts_once(club, organizer, pair):
    keep, duplicate = pair
    both = MembershipFactory(club=club).user
    for nomination in (keep, duplicate):
        papers_services.vote_add(nomination=nomination, user=both)
    _votes(duplicate, 2)

    merged = nominations_merge(keep=keep, duplicate=duplicate, by=organizer)

    # keep: its proposer and `both`; the duplicate's proposer and two more join.
    assert merged.vote_count == 5 == Vote.objects.filter(nomination=merged).count()
    assert Vote.objects.filter(nomination=merged, user=both).count() == 1


def test_notes_ticks_and_topics_follow_the_survivor(club, organizer, member, pair):
    keep, duplicate = pair
    other = MembershipFactory(club=club).user
    papers_services.paper_note_save(paper=keep.paper, user=member, text="mine on arXiv")
    papers_services.paper_note_save(paper=duplicate.paper, user=member, text="mine on the link")
    papers_services.paper_note_save(paper=duplicate.paper, user=other, text="theirs")
    papers_services.guide_tick_set(paper=duplicate.paper, user=other, item="p1-abstract", done=True)
    papers_services.nomination_tags_set(nomination=duplicate, names=["nlp"], by=organizer)

    nominations_merge(keep=keep, duplicate=duplicate, by=organizer)

    notes = dict(PaperNote.objects.filter(paper=keep.paper).values_list("user_id", "text"))
    assert notes == {
        member.pk: "mine on arXiv\n\n---\n\nmine on the link",
        other.pk: "theirs",
    }
    assert list(GuideTick.objects.filter(paper=keep.paper).values_list("user_id", "item")) == [
        (other.pk, "p1-abstract")
    ]
    assert [t.name for t in keep.tags.all()] == ["nlp"]
    assert not Paper.objects.filter(pk=duplicate.paper_id).exists()


def test_two_papers_on_different_weeks_are_not_merged(club, organizer, member, pair):
    keep, duplicate = pair
    for nomination, days in ((keep, 6), (duplicate, 13)):
        week = session_at(club, starts_in=timedelta(days=days), state="open")
        session_papers_set(session=week, by=organizer, picks=[(nomination.pk, None)])
    with pytest.raises(papers_services.PaperError, match="Both are on upcoming weeks"):
        nominations_merge(keep=keep, duplicate=duplicate, by=organizer, week_choice_made=True)


def test_papers_of_two_clubs_are_not_merged(club, organizer, pair):
    keep, _ = pair
    other = ClubFactory()
    theirs = _by_link(other, MembershipFactory(club=other).user, TITLE, "https://x.org/b")
    with pytest.raises(papers_services.PaperError, match="same club"):
        nominations_merge(keep=keep, duplicate=theirs, by=organizer)


# --- Undo --------------------------------------------------------------------------------------


def test_undo_gives_back_both_exactly(club, organizer, member, pair):
    keep, duplicate = pair
    read = session_at(club, starts_in=-timedelta(days=30), facilitator=member)
    SessionPaper.objects.create(session=read, nomination=duplicate)
    session_mark_done(session=read)
    PreRead.objects.create(session=read, user=member, level=3)
    _votes(duplicate, 2)
    papers_services.vote_add(nomination=keep, user=duplicate.proposed_by)
    papers_services.paper_note_save(paper=keep.paper, user=member, text="a")
    papers_services.paper_note_save(paper=duplicate.paper, user=member, text="b")
    papers_services.nomination_tags_set(nomination=duplicate, names=["nlp", "x"], by=organizer)
    papers_services.nomination_pin_set(nomination=duplicate, pinned=True, by=organizer)
    before = _world(club)

    nominations_merge(keep=keep, duplicate=duplicate, by=organizer)
    assert _world(club) != before
    activity_undo(entry=ActivityEntry.objects.get(kind="papers.merge"), by=organizer)

    assert _world(club) == before


def test_undo_is_refused_when_the_survivor_was_put_on_a_week_since(club, organizer, pair):
    keep, duplicate = pair
    nominations_merge(keep=keep, duplicate=duplicate, by=organizer)
    week = session_at(club, starts_in=timedelta(days=6), state="open")
    session_papers_set(session=week, by=organizer, picks=[(keep.pk, None)])

    with pytest.raises(UndoBlocked, match="has become scheduled since the merge"):
        activity_undo(entry=ActivityEntry.objects.get(kind="papers.merge"), by=organizer)
    assert not Nomination.objects.filter(pk=duplicate.pk).exists()


def test_undo_is_refused_when_the_duplicate_was_added_again(club, organizer, member, pair):
    keep, duplicate = pair
    nominations_merge(keep=keep, duplicate=duplicate, by=organizer)
    _by_link(club, member, "Attention again", "https://x.org/a")

    with pytest.raises(UndoBlocked, match="was added to the backlog again"):
        activity_undo(entry=ActivityEntry.objects.get(kind="papers.merge"), by=organizer)


# --- Finding and comparing ---------------------------------------------------------------------


def test_the_duplicate_is_found_by_title_or_id(club, member, pair):
    keep, duplicate = pair
    assert merge_candidates(nomination=duplicate, query="arXiv:1706.03762v5") == [keep]
    assert merge_candidates(nomination=duplicate, query="https://arxiv.org/abs/1706.03762") == [
        keep
    ]
    assert merge_candidates(nomination=keep, query="ATTENTION is all") == [duplicate]
    assert merge_candidates(nomination=keep, query="nothing like it") == []
    # Nothing typed: the ones that look like the same work.
    assert merge_candidates(nomination=keep, query="") == [duplicate]


def test_another_clubs_papers_are_never_candidates(club, member, pair):
    keep, _ = pair
    other = ClubFactory()
    _by_link(other, MembershipFactory(club=other).user, TITLE, "https://x.org/c")
    assert likely_duplicates(nomination=keep) == [pair[1]]
    assert merge_candidates(nomination=keep, query="Attention") == [pair[1]]


def test_reasons_say_what_makes_them_look_the_same(club, member):
    a = _by_link(club, member, "BERT: Pre-training", "https://x.org/1", doi="10.1000/abc")
    b = _by_link(club, member, "bert pre training", "https://x.org/2")
    Paper.objects.filter(pk=b.paper_id).update(doi="")
    b.refresh_from_db()
    assert [r.label for r in merge_reasons(keep=a, duplicate=b)] == ["Same title, once normalised"]


# --- The pages ---------------------------------------------------------------------------------


def test_merge_by_search_compare_and_confirm_without_javascript(client, club, organizer, pair):
    keep, duplicate = pair
    client.force_login(organizer)
    url = reverse("papers:merge", args=[club.slug, keep.pk])

    found = client.get(url, {"q": "attention"}).content.decode()
    assert f'href="?duplicate={duplicate.pk}"' in found

    page = client.get(url, {"duplicate": duplicate.pk}).content.decode()
    assert "Same title, once normalised" in page
    assert "attention is all you need!" in page
    assert TITLE in page
    assert Nomination.objects.filter(pk=duplicate.pk).exists()  # looking changes nothing

    response = client.post(url, {"duplicate": duplicate.pk, "survivor": keep.pk}, follow=True)
    assert response.redirect_chain == [
        (reverse("papers:nomination", args=[club.slug, keep.pk]), 302)
    ]
    assert not Nomination.objects.filter(pk=duplicate.pk).exists()
    assert "Merged" in response.content.decode()


def test_merge_page_lets_the_organizer_keep_the_duplicate_on_the_week(
    client, club, organizer, member, pair
):
    keep, duplicate = pair
    week = session_at(club, starts_in=timedelta(days=6), state="open")
    session_papers_set(session=week, by=organizer, picks=[(duplicate.pk, None)])
    client.force_login(organizer)
    url = reverse("papers:merge", args=[club.slug, keep.pk])

    page = client.get(url, {"duplicate": duplicate.pk}).content.decode()
    assert "Which one stays on the week" in page
    # Without a choice nothing happens.
    client.post(url, {"duplicate": duplicate.pk})
    assert Nomination.objects.filter(pk=duplicate.pk).exists()

    response = client.post(url, {"duplicate": duplicate.pk, "survivor": duplicate.pk})

    assert response.status_code == 302
    assert not Nomination.objects.filter(pk=keep.pk).exists()
    assert list(SessionPaper.objects.values_list("nomination", flat=True)) == [duplicate.pk]


def test_merge_page_of_another_clubs_paper_is_404(client, club, organizer, pair):
    keep, _ = pair
    other = ClubFactory()
    theirs = _by_link(other, MembershipFactory(club=other).user, TITLE, "https://x.org/d")
    client.force_login(organizer)
    url = reverse("papers:merge", args=[club.slug, keep.pk])
    assert client.get(url, {"duplicate": theirs.pk}).status_code == 404
    assert client.post(url, {"duplicate": theirs.pk, "survivor": keep.pk}).status_code == 404
    assert Nomination.objects.filter(pk=theirs.pk).exists()


def _discussion(nomination):
    thread = ThreadFactory(session=None, nomination=nomination, club=nomination.club)
    return thread, PostFactory(thread=thread), ThreadFollowFactory(thread=thread)


@pytest.mark.parametrize("kept_has_a_thread", [False, True])
def test_a_merge_keeps_the_duplicates_discussion_and_undo_puts_it_back(
    club, organizer, pair, kept_has_a_thread
):
    keep, duplicate = pair
    thread, post, follow = _discussion(duplicate)
    kept_thread = _discussion(keep)[0] if kept_has_a_thread else None
    before = sorted(Post.objects.values_list("pk", "thread_id", "thread__nomination_id"))

    nominations_merge(keep=keep, duplicate=duplicate, by=organizer)

    post.refresh_from_db()
    follow.refresh_from_db()
    assert post.thread.nomination_id == keep.pk  # nothing is lost
    assert follow.thread_id == post.thread_id
    if kept_has_a_thread:
        assert post.thread_id == kept_thread.pk
        assert not Thread.objects.filter(pk=thread.pk).exists()
    activity_undo(entry=ActivityEntry.objects.get(kind="papers.merge"), by=organizer)
    assert sorted(Post.objects.values_list("pk", "thread_id", "thread__nomination_id")) == before
    assert ThreadFollow.objects.get(pk=follow.pk).thread_id == thread.pk
