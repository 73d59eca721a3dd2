"""Issue 17 item 2: read next, on a small hand-built history where the right
answer is known: a member's suggestions follow what they deep-read, came to
and voted for (in that order of weight), and the club's quiet topics come
oldest first."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from papers.models import Nomination
from papers.related.services import related_rebuild
from sessions.models import PreRead
from sessions.reading.next import not_covered_in_a_while, read_next_for
from tests.factories import (
    AttendanceFactory,
    MembershipFactory,
    NominationFactory,
    PaperFactory,
    PreReadFactory,
    RelatedPaperFactory,
    SessionFactory,
    SessionPaperFactory,
    TagFactory,
    VoteFactory,
)
from tests.papers.test_related import HISTORY

pytestmark = pytest.mark.django_db


def _read(club, title, **paper):
    """A paper the club read in a past session."""
    session = SessionFactory(club=club, starts_at=timezone.now() - timedelta(days=30))
    link = SessionPaperFactory(
        session=session,
        nomination=NominationFactory(
            club=club,
            state=Nomination.State.COVERED,
            covered_on=date(2026, 3, 3),
            paper=PaperFactory(club=club, title=title, **paper),
        ),
    )
    return session, link.nomination


def _pair(club, a, b, score=0.5):
    RelatedPaperFactory(club=club, nomination=a, related=b, score=score)


def test_suggestions_follow_deep_reads_then_attendance_then_votes(club):
    member = MembershipFactory(club=club).user
    deep_session, deep = _read(club, "Deep-read paper")
    came_session, came = _read(club, "Attended paper")
    voted = NominationFactory(club=club, paper=PaperFactory(club=club, title="Voted paper"))
    PreReadFactory(session=deep_session, user=member, level=PreRead.Level.DEEP)
    AttendanceFactory(session=came_session, user=member)
    VoteFactory(nomination=voted, user=member)
    near_deep, near_came, near_voted = (
        NominationFactory(club=club, paper=PaperFactory(club=club, title=f"Near {name}"))
        for name in ("deep", "came", "voted")
    )
    # Equal similarities: only the kind of history orders them. Pairs count both ways.
    _pair(club, deep, near_deep)
    _pair(club, near_came, came)
    _pair(club, voted, near_voted)
    # Not suggested: already voted for, already read, or not open.
    _pair(club, deep, voted)
    _pair(club, came, deep)
    _pair(club, deep, NominationFactory(club=club, state=Nomination.State.ARCHIVED))

    suggestions = read_next_for(club=club, user=member)

    assert [s.nomination for s in suggestions] == [near_deep, near_came, near_voted]
    assert [(s.because, s.reason) for s in suggestions] == [
        (deep, "you deep-read"),
        (came, "you came to"),
        (voted, "you voted for"),
    ]


def test_a_member_without_history_gets_no_suggestions_and_the_page_says_why(client, club):
    member = MembershipFactory(club=club).user
    client.force_login(member)

    assert read_next_for(club=club, user=member) == []
    page = client.get(reverse("reading:next", args=[club.slug])).content.decode()
    assert "Nothing yet: come to a session" in page


def test_read_next_from_the_real_index_and_only_this_members_history(client, club):
    """End to end: the worker's index, a member who deep-read the Transformer."""
    member, other = MembershipFactory(club=club).user, MembershipFactory(club=club).user
    made = {}
    for papers in HISTORY.values():
        for title, abstract, authors in papers:
            made[title] = NominationFactory(
                club=club,
                paper=PaperFactory(club=club, title=title, abstract=abstract, authors=authors),
            )
    session = SessionFactory(club=club, starts_at=timezone.now() - timedelta(days=7))
    transformer = made["Attention Is All You Need"]
    transformer.state, transformer.covered_on = Nomination.State.COVERED, date(2026, 3, 3)
    transformer.save()
    SessionPaperFactory(session=session, nomination=transformer)
    PreReadFactory(session=session, user=member, level=PreRead.Level.DEEP)
    VoteFactory(nomination=made["Proximal Policy Optimization Algorithms"], user=other)
    related_rebuild(club_id=club.pk, force=True)
    client.force_login(member)

    page = client.get(reverse("reading:next", args=[club.slug])).content.decode()
    suggestions = read_next_for(club=club, user=member)

    firsts = {s.nomination.paper.title for s in suggestions[:2]}
    assert firsts == {
        "Generating Long Sequences with Sparse Transformers",
        "Longformer: The Long-Document Transformer",
    }
    assert "Because you deep-read" in page
    # The other member's vote is not this member's history.
    assert all(s.because == transformer for s in suggestions)


def test_topics_not_covered_in_a_while_come_oldest_first(club):
    never, old, recent, empty = (
        TagFactory(club=club, name=n) for n in ("Never", "Old", "Recent", "Empty")
    )
    for tag, covered_on in ((old, date(2024, 1, 1)), (recent, date(2026, 11, 1))):
        read = NominationFactory(club=club, state=Nomination.State.COVERED, covered_on=covered_on)
        read.tags.add(tag)
    for tag in (never, old, recent):
        for votes in (1, 5):
            waiting = NominationFactory(club=club, vote_count=votes)
            waiting.tags.add(tag)
    read_only = NominationFactory(
        club=club, state=Nomination.State.COVERED, covered_on=date(2026, 11, 20)
    )
    read_only.tags.add(empty)  # nothing waiting: not listed

    topics = not_covered_in_a_while(club=club)

    assert [t.tag.name for t in topics] == ["Never", "Old", "Recent"]
    assert [t.last_read for t in topics] == [None, date(2024, 1, 1), date(2026, 11, 1)]
    assert all(t.waiting == 2 for t in topics)
    most_voted = Nomination.objects.filter(tags=never, vote_count=5).get()
    assert topics[0].papers[0][0] == most_voted.pk


def _nav_read_next(page: str) -> list[str]:
    """The club navigation's links to read next, as written."""
    nav = page.split('<nav class="subnav subnav--club"', 1)[1].split("</nav>", 1)[0]
    return [line.strip() for line in nav.splitlines() if "read-next/" in line]


def test_club_navigation_links_read_next_for_members_only(client, club):
    club.visibility = "public"
    club.save(update_fields=["visibility"])
    url = reverse("reading:next", args=[club.slug])
    backlog = reverse("papers:backlog", args=[club.slug])

    # A visitor of a public club sees the navigation, not a page they may not open.
    assert _nav_read_next(client.get(backlog).content.decode()) == []

    client.force_login(MembershipFactory(club=club).user)
    assert _nav_read_next(client.get(backlog).content.decode()) == [
        f'<li><a href="{url}">Read next</a></li>'
    ]
    # On read next itself the link says it is the current page.
    assert _nav_read_next(client.get(url).content.decode()) == [
        f'<li><a href="{url}" aria-current="page">Read next</a></li>'
    ]
