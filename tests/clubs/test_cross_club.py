"""Nothing a private club writes about a paper shows in another club (issue 13).

The private club's paper (a title, a link, a pitch, a member's notes, a week
that read it) is made FIRST; then another club adds the same link, plans,
reads and logs as clubs do; then every page, feed and export of the other
club, for every kind of viewer, is read and must not hold any of it.
"""

from datetime import timedelta

import pytest
from django.urls import reverse

from clubs.models import Club
from papers import services as papers_services
from papers.models import Nomination
from sessions.calendars import tokens
from sessions.models import SessionPaper
from sessions.rota.weeks import session_mark_done
from tests.clubs.test_permissions import PUBLIC, ROLES, matrix_url, scene  # noqa: F401 - the fixture
from tests.factories import ClubFactory, MembershipFactory, session_at

PRIVATE_TITLE = "Okapi Confidential Findings"
PRIVATE_LINK = "https://papers.example.org/okapi-confidential"
PRIVATE_PITCH = "Only the okapi club may read this pitch"
PRIVATE_NOTE = "okapi note: the ablation hides a leak"
SECRETS = (PRIVATE_TITLE, PRIVATE_LINK, PRIVATE_PITCH, PRIVATE_NOTE, "okapi-confidential")


@pytest.fixture
def private_paper(db):
    """A private club's paper with everything a club writes about it, read at a past week."""
    club = ClubFactory(
        name="Okapi Club", slug="okapi", visibility=Club.Visibility.PRIVATE, join_policy="invite"
    )
    member = MembershipFactory(club=club).user
    MembershipFactory(club=club, role="organizer")
    nomination, _ = papers_services.paper_propose_by_link(
        club=club, user=member, title=PRIVATE_TITLE, url=PRIVATE_LINK, pitch=PRIVATE_PITCH
    )
    papers_services.paper_note_save(paper=nomination.paper, user=member, text=PRIVATE_NOTE)
    read = session_at(club, starts_in=-timedelta(days=7), facilitator=member, title="")
    SessionPaper.objects.create(session=read, nomination=nomination)
    session_mark_done(session=read)
    return nomination


@pytest.fixture
def both(private_paper, scene):  # noqa: F811 - the fixture imported above
    """The private paper first, then the other club's scene; that club adds the same link."""
    club, people, *_ = scene
    theirs, _ = papers_services.paper_propose_by_link(
        club=club, user=people["member"], title="Their own title", url=PRIVATE_LINK
    )
    papers_services.paper_note_save(paper=theirs.paper, user=people["member"], text="theirs")
    papers_services.nomination_archive_set(nomination=theirs, archived=True, by=people["organizer"])
    return private_paper, scene, theirs


def _body(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode()


def _assert_clean(body: str, where: str, secrets=SECRETS) -> None:
    leaked = [secret for secret in secrets if secret in body]
    assert leaked == [], f"{where} shows {leaked}"


GETS = sorted(name for name, (method, _) in PUBLIC.items() if method == "get")


@pytest.mark.parametrize("role", ROLES)
def test_no_page_of_another_club_shows_the_private_paper(client, both, role):
    _, (club, people, _hidden, requester, invitation, nomination, session), theirs = both
    if role != "anonymous":
        client.force_login(people[role])
    for name in GETS:
        url = matrix_url(name, club, requester, invitation, nomination, session)
        _assert_clean(_body(client.get(url)), f"{name} for {role}")
    # The other club's own record of the same link shows its own title (the
    # link is theirs too; the title, pitch and notes are not).
    page = client.get(reverse("papers:nomination", args=[club.slug, theirs.pk])).content.decode()
    assert "Their own title" in page
    _assert_clean(page, "the other club's paper page", (PRIVATE_TITLE, PRIVATE_PITCH, PRIVATE_NOTE))
    for path in ("/", reverse("clubs:directory")):
        _assert_clean(client.get(path).content.decode(), path)


def test_no_feed_or_export_of_another_club_shows_the_private_paper(client, both):
    _, (club, people, *_), _ = both
    feeds = [
        reverse("calendars:club_public", args=[club.slug]),
        reverse("calendars:club_private", args=[tokens.club_feed_token(club=club).token]),
        reverse(
            "calendars:personal", args=[tokens.personal_feed_token(user=people["member"]).token]
        ),
        reverse("sessions:archive_csv", args=[club.slug]),
        reverse("sessions:archive_bib", args=[club.slug]),
    ]
    for url in feeds:
        response = client.get(url)
        assert response.status_code == 200
        _assert_clean(response.content.decode(), url)


def test_the_other_clubs_log_search_and_merge_never_reach_the_private_paper(client, both):
    private, (club, people, *_), theirs = both
    client.force_login(people["organizer"])
    for url in (
        reverse("clubs:activity", args=[club.slug]),
        reverse("papers:backlog", args=[club.slug]) + "?q=Okapi&state=any",
        reverse("papers:merge", args=[club.slug, theirs.pk]) + "?q=Okapi",
        reverse("papers:merge", args=[club.slug, theirs.pk]),
    ):
        _assert_clean(client.get(url).content.decode(), url)
    # Searching by the private paper's link finds only what this club has (the
    # page repeats what the organizer typed, nothing more).
    url = reverse("papers:merge", args=[club.slug, theirs.pk])
    found = client.get(url, {"q": PRIVATE_LINK})
    assert found.context["candidates"] == []
    assert PRIVATE_TITLE not in found.content.decode()
    other = reverse("papers:merge", args=[club.slug, theirs.pk]) + f"?duplicate={private.pk}"
    assert client.get(other).status_code == 404
    assert Nomination.objects.filter(pk=private.pk).exists()
