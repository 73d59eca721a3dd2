"""Every club URL, for every kind of viewer, in a public and a private club.

Private data that could leak is created first; responses that refuse must not
contain it, and the matrix must cover every URL the clubs app routes.
"""

from datetime import time, timedelta

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

import clubs.urls
import papers.imports.urls
import papers.urls
import papers.voting.urls
import papers.watch.urls
import sessions.attendance.urls
import sessions.calendars.urls
import sessions.discussion.urls
import sessions.mail.urls
import sessions.reading.urls
import sessions.rota.urls
import sessions.writeups.urls
from clubs.confirming import CONFIRM_FIELD
from clubs.models import ActivityEntry, Club, Membership, OutboxMessage
from clubs.webhooks.services import webhook_create, webhook_ping
from papers import services as papers_services
from papers.services import paper_note_save
from papers.voting.rounds import ballot_cast, round_open
from sessions.discussion.services import post_add
from sessions.discussion.subjects import paper_subject
from sessions.models import Session
from sessions.reading.services import question_ask
from sessions.rota.planning import ScheduleInput, schedule_save
from sessions.rota.weeks import rsvp_set
from sessions.writeups.services import writeup_save
from tests.factories import (
    InvitationFactory,
    MembershipFactory,
    SuggestionFactory,
    UserFactory,
    WatchFactory,
)
from tests.papers.pdf_factory import make_pdf
from tests.unchanged import unchanged

SECRET_NAME = "Zebra Secret Society"
SECRET_MEMBER = "Quentin Hidden-Member"
SECRET_TOKEN = "leaky-token-0123456789abcdefghij"
SECRET_PITCH = "Read this before the rival club does"
SECRET_LINK = "https://meet.example.com/zebra-secret-room"
NO_NOMINATION = {"papers:backlog", "papers:propose", "papers:topics"}
NO_SESSION = {
    "sessions:schedule",
    "sessions:misfits",
    "sessions:rota",
    "sessions:facilitators",
    "sessions:every_week",
    "sessions:new",
    "sessions:archive",
    "sessions:archive_csv",
    "sessions:archive_bib",
}

ROLES = ["anonymous", "outsider", "pending", "member", "organizer"]

# url name -> (method, expected outcome per role) for a PUBLIC club.
# "login": redirect to sign in; "redirect": handled, sent back to a club page.
PUBLIC = {
    "clubs:home": ("get", [200, 200, 200, 200, 200]),
    "clubs:settings": ("get", ["login", 403, 403, 403, 200]),
    "clubs:members": ("get", ["login", 403, 403, 200, 200]),
    # Asking quiet members whether to stay: the rule and who is inactive, organizers only.
    "clubs:reconfirm": ("get", ["login", 403, 403, 403, 200]),
    "clubs:invitations": ("get", ["login", 403, 403, 403, 200]),
    "clubs:join": ("post", ["login", "redirect", "redirect", "redirect", "redirect"]),
    "clubs:leave": ("post", ["login", 403, "redirect", "redirect", "redirect"]),
    "clubs:membership_action": ("post", ["login", 403, 403, 403, "redirect"]),
    "clubs:invitation_revoke": ("post", ["login", 403, 403, 403, "redirect"]),
    "clubs:activity": ("get", ["login", 403, 403, 403, 200]),
    # The confirmation page of the newest entry (the schedule's, which says it cannot be undone).
    "clubs:activity_undo": ("get", ["login", 403, 403, 403, 200]),
    "clubs:outbox": ("get", ["login", 403, 403, 403, 200]),
    "clubs:outbox_resend": ("post", ["login", 403, 403, 403, "redirect"]),
    "clubs:chat": ("get", ["login", 403, 403, 403, 200]),
    "clubs:chat_test": ("post", ["login", 403, 403, 403, "redirect"]),
    "clubs:chat_remove": ("post", ["login", 403, 403, 403, "redirect"]),
    # Signed outgoing webhooks (clubs/webhooks): organizers only. A new secret is
    # shown on the page that made it (200); the scene's delivery is still owed,
    # so redelivering it is refused with a message.
    "clubs:webhooks": ("get", ["login", 403, 403, 403, 200]),
    "clubs:webhook": ("get", ["login", 403, 403, 403, 200]),
    "clubs:webhook_rotate": ("post", ["login", 403, 403, 403, 200]),
    "clubs:webhook_enable": ("post", ["login", 403, 403, 403, "redirect"]),
    "clubs:webhook_ping": ("post", ["login", 403, 403, 403, "redirect"]),
    "clubs:webhook_remove": ("post", ["login", 403, 403, 403, "redirect"]),
    "clubs:webhook_redeliver": ("post", ["login", 403, 403, 403, "redirect"]),
    "papers:backlog": ("get", [200, 200, 200, 200, 200]),
    "papers:propose": ("get", ["login", 403, 403, 200, 200]),
    "papers:nomination": ("get", [200, 200, 200, 200, 200]),
    "papers:status": ("get", [200, 200, 200, 200, 200]),
    # The uploaded PDF: whoever may see the paper's page.
    "papers:pdf": ("get", [200, 200, 200, 200, 200]),
    "papers:vote": ("post", ["login", 403, 403, "redirect", "redirect"]),
    "papers:retry": ("post", ["login", 403, 403, "redirect", "redirect"]),
    # Only the proposer (someone else here) may edit or withdraw.
    "papers:edit": ("post", ["login", 403, 403, 403, 403]),
    # Correcting a paper's details: organizers (and the proposer, someone else here).
    "papers:details": ("get", ["login", 403, 403, 403, 200]),
    "papers:withdraw": ("post", ["login", 403, 403, 403, 403]),
    "papers:curate": ("post", ["login", 403, 403, 403, "redirect"]),
    "papers:topics": ("get", ["login", 403, 403, 403, 200]),
    "papers:topic_decide": ("post", ["login", 403, 403, 403, "redirect"]),
    "papers:merge": ("get", ["login", 403, 403, 403, 200]),
    # Importing a library as a batch of proposals: members.
    "imports:batch": ("get", ["login", 403, 403, 200, 200]),
    "sessions:schedule": ("get", ["login", 403, 403, 403, 200]),
    "sessions:rota": ("get", [200, 200, 200, 200, 200]),
    # The whole fairness list names every member: members only.
    "sessions:facilitators": ("get", ["login", 403, 403, 200, 200]),
    "sessions:new": ("get", ["login", 403, 403, 403, 200]),
    "sessions:session": ("get", [200, 200, 200, 200, 200]),
    "sessions:claim": ("post", ["login", 403, 403, "redirect", "redirect"]),
    # Nobody in the scene facilitates, so withdrawing is refused with a message.
    "sessions:withdraw": ("post", ["login", 403, 403, "redirect", "redirect"]),
    # The facilitator's confirmation page (GET asks; nobody facilitates here).
    "sessions:step_back": ("get", ["login", 403, 403, 200, 200]),
    "sessions:assign": ("post", ["login", 403, 403, 403, "redirect"]),
    # Only the facilitators or an organizer: the service says no to a member (403).
    "sessions:papers": ("post", ["login", 403, 403, 403, "redirect"]),
    # An organizer's empty form comes back with its errors.
    "sessions:details": ("post", ["login", 403, 403, 403, 200]),
    "sessions:done": ("post", ["login", 403, 403, 403, "redirect"]),
    "sessions:rsvp": ("post", ["login", 403, 403, "redirect", "redirect"]),
    # "I'll come every week" (no choice posted here: a message, back to the week).
    "sessions:series": ("post", ["login", 403, 403, "redirect", "redirect"]),
    # The same from the rota or the profile (no session in the URL): back to the rota.
    "sessions:every_week": ("post", ["login", 403, 403, "redirect", "redirect"]),
    "sessions:skip": ("post", ["login", 403, 403, 403, "redirect"]),
    "sessions:restore": ("post", ["login", 403, 403, 403, "redirect"]),
    "sessions:move": ("post", ["login", 403, 403, 403, "redirect"]),
    # No week there left its slot or misses the schedule: refused with a message.
    "sessions:replan": ("post", ["login", 403, 403, 403, "redirect"]),
    "sessions:misfits": ("post", ["login", 403, 403, 403, "redirect"]),
    "sessions:archive": ("get", [200, 200, 200, 200, 200]),
    "sessions:archive_csv": ("get", [200, 200, 200, 200, 200]),
    "sessions:archive_bib": ("get", [200, 200, 200, 200, 200]),
    "calendars:club": ("get", [200, 200, 200, 200, 200]),
    "calendars:club_public": ("get", [200, 200, 200, 200, 200]),
    "calendars:club_regenerate": ("post", ["login", 403, 403, 403, "redirect"]),
    "calendars:session_ics": ("get", [200, 200, 200, 200, 200]),
    "calendars:outbox": ("get", ["login", 403, 403, 403, 200]),
    "reading:preread": ("post", ["login", 403, 403, "redirect", "redirect"]),
    # An empty question: the session page again, the error beside the form.
    "reading:ask": ("post", ["login", 403, 403, 200, 200]),
    "reading:question_vote": ("post", ["login", 403, 403, "redirect", "redirect"]),
    # Marking answered: the facilitators or an organizer (nobody facilitates here).
    "reading:question_answered": ("post", ["login", 403, 403, 403, "redirect"]),
    # Removing a question: its asker (the hidden member) or an organizer.
    "reading:question_delete": ("post", ["login", 403, 403, 403, "redirect"]),
    "reading:dashboard": ("get", ["login", 403, 403, 403, 200]),
    "reading:guide": ("get", ["login", 403, 403, 200, 200]),
    "reading:tick": ("post", ["login", 403, 403, "redirect", "redirect"]),
    "reading:notes": ("post", ["login", 403, 403, "redirect", "redirect"]),
    "reading:stats": ("get", ["login", 403, 403, 200, 200]),
    # Read next: a member's own suggestions and the club's quiet topics.
    "reading:next": ("get", ["login", 403, 403, 200, 200]),
    # The sheet: the facilitators or an organizer (a member is refused, 403); the
    # week is tomorrow, so the organizer's sheet is refused with a message.
    "attendance:take": ("post", ["login", 403, 403, 403, "redirect"]),
    # Checking in: members, while the session runs (not yet here: a message).
    "attendance:check_in": ("post", ["login", 403, 403, "redirect", "redirect"]),
    # The write-up reads as the session page does; its editors are those who came (nobody
    # here), the facilitators and organizers. The organizer's save names no revision while
    # the scene's write-up has one: 409, the editor again with that version shown.
    "writeups:page": ("get", [200, 200, 200, 200, 200]),
    "writeups:save": ("post", ["login", 403, 403, 403, 409]),
    "writeups:history": ("get", ["login", 403, 403, 200, 200]),
    "writeups:revision": ("get", ["login", 403, 403, 200, 200]),
    # The paper's discussion (the hidden member posted in it): anyone reads a
    # public club's; members post (an empty post comes back with its error, 400).
    "discussion:thread": ("get", [200, 200, 200, 200, 200]),
    "discussion:post": ("post", ["login", 403, 403, 400, 400]),
    # No choice given: refused with a message.
    "discussion:follow": ("post", ["login", 403, 403, "redirect", "redirect"]),
    "discussion:lock": ("post", ["login", 403, 403, 403, "redirect"]),
    # Editing and deleting: the author only (the hidden member).
    "discussion:post_edit": ("get", ["login", 403, 403, 403, 403]),
    "discussion:post_delete": ("post", ["login", 403, 403, 403, 403]),
    "discussion:post_hide": ("post", ["login", 403, 403, 403, "redirect"]),
    # The arXiv watch (papers.watch): members see the club's suggestions and keep their
    # own; organizers keep the club's watches and mute its suggestions. An empty watch
    # comes back with its errors (400); the club's watch and suggestion are used here.
    "watch:suggested": ("get", ["login", 403, 403, 200, 200]),
    "watch:mine": ("get", ["login", 403, 403, 200, 200]),
    "watch:add": ("post", ["login", 403, 403, 400, 400]),
    "watch:remove": ("post", ["login", 403, 403, 403, "redirect"]),
    "watch:propose": ("post", ["login", 403, 403, "redirect", "redirect"]),
    "watch:mute": ("post", ["login", 403, 403, 403, "redirect"]),
    # How backlog votes count (the club settings' section posts here): organizers.
    "voting:options": ("get", ["login", 403, 403, 403, 200]),
    # Voting rounds: read like the backlog, opened by organizers, voted in by
    # members (an empty approval ballot is a ballot). The open round's counts
    # are hidden from everyone: test_open_round_shows_no_count_to_anyone.
    "voting:rounds": ("get", [200, 200, 200, 200, 200]),
    "voting:round_new": ("get", ["login", 403, 403, 403, 200]),
    "voting:round": ("get", [200, 200, 200, 200, 200]),
    "voting:ballot": ("post", ["login", 403, 403, "redirect", "redirect"]),
}
DISCUSSION_ARGS = {"discussion:thread", "discussion:post", "discussion:follow", "discussion:lock"}
POST_ARGS = {"discussion:post_edit", "discussion:post_delete", "discussion:post_hide"}
# Views about a paper's nomination, a session, or a question in it.
NOMINATION_ARGS = {"reading:guide", "reading:tick", "reading:notes"}
QUESTION_ARGS = {"reading:question_vote", "reading:question_answered", "reading:question_delete"}
SESSION_ARGS = {
    "calendars:session_ics",
    "calendars:outbox",
    "reading:preread",
    "reading:ask",
    "reading:dashboard",
    "attendance:take",
    "attendance:check_in",
    "writeups:page",
    "writeups:save",
    "writeups:history",
}
SECRET_NOTE = "my private take: the baselines are weak"
# A member's own arXiv watch and what it found: only they ever see them.
SECRET_WATCH = "zebra camouflage"
SECRET_SUGGESTION = "Stripes as Camouflage: A Private Suggestion"


def _private_expectations():
    expected = {}
    for name, (method, outcomes) in PUBLIC.items():
        # Anonymous people and outsiders cannot know a private club exists.
        expected[name] = (method, [404, 404, *outcomes[2:]])
    # A private club's feed lives only behind its secret token.
    expected["calendars:club_public"] = ("get", [404, 404, 404, 404, 404])
    # A private club's discussions are for its members.
    expected["discussion:thread"] = ("get", [404, 404, 403, 200, 200])
    return expected


PRIVATE = _private_expectations()


@pytest.fixture
def scene(db):
    club = Club.objects.create(
        name=SECRET_NAME,
        slug="zebra",
        description="Our secret agenda",
        visibility=Club.Visibility.PUBLIC,
        join_policy=Club.JoinPolicy.REQUEST,
        time_zone="Europe/London",
    )
    people = {
        "outsider": UserFactory(),
        "pending": MembershipFactory(club=club, state="pending").user,
        "member": MembershipFactory(club=club).user,
        "organizer": MembershipFactory(club=club, role="organizer").user,
    }
    MembershipFactory(club=club, role="organizer")  # so the organizer may leave
    hidden = MembershipFactory(club=club, user=UserFactory(profile__display_name=SECRET_MEMBER))
    requester = MembershipFactory(club=club, state="pending")
    invitation = InvitationFactory(club=club, token=SECRET_TOKEN)
    nomination = papers_services.papers_propose(
        club=club, user=hidden.user, text="1706.03762", pitch=SECRET_PITCH
    ).added[0]
    # An open voting round the hidden member has voted in: its count is a secret
    # until the deadline (papers.voting.rounds).
    voting_round = round_open(
        club=club,
        by=people["organizer"],
        title="Zebra round",
        method="approval",
        closes_at=timezone.now() + timedelta(days=7),
        nomination_ids=[nomination.pk],
    )
    ballot_cast(voting_round=voting_round, user=hidden.user, marks={nomination.pk: 1})
    # Weekly from tomorrow, with the members-only meeting link; the hidden member is going.
    first = timezone.localtime(timezone.now(), club.tzinfo).date() + timedelta(days=1)
    schedule_save(
        club=club,
        by=people["organizer"],
        data=ScheduleInput(
            weekday=first.weekday(),
            start_time=time(12, 0),
            duration_minutes=60,
            meeting_link=SECRET_LINK,
            weeks_ahead=4,
            first_date=first,
            last_date=None,
        ),
        based_on_version=None,
    )
    session = Session.objects.filter(club=club).order_by("starts_at").first()
    rsvp_set(session=session, user=hidden.user, answer="going")
    question = question_ask(session=session, user=hidden.user, text="Why?", anonymous=True)
    paper_note_save(paper=nomination.paper, user=hidden.user, text=SECRET_NOTE)
    nomination.paper.pdf_file.save(
        "zebra.pdf", ContentFile(make_pdf([f"{SECRET_PITCH}: the uploaded copy"])), save=True
    )
    session.question = question
    session.voting_round = voting_round
    writeup_save(session=session, by=people["organizer"], text="Outline of the week", base=0)
    # A topic the hidden member suggested on their paper (papers.topics).
    session.suggested_topic = papers_services.nomination_edit_by_proposer(
        nomination=nomination, user=hidden.user, pitch=SECRET_PITCH, tag_names=["Zebra studies"]
    ).tags.get()
    # The hidden member's post in the paper's discussion (sessions.discussion).
    session.discussion_post = post_add(
        subject=paper_subject(club, nomination), user=hidden.user, body="Section 3 first"
    )
    # A webhook (its URL carries a secret) with one delivery owed (clubs/webhooks).
    session.webhook, _secret = webhook_create(
        club=club,
        name="Zebra website",
        url=f"http://127.0.0.1:9/hooks?token={SECRET_TOKEN}",
        events=["session.scheduled"],
        by=people["organizer"],
    )
    webhook_ping(webhook=session.webhook, by=people["organizer"])
    session.webhook_delivery = session.webhook.deliveries.get()
    session.failed_message = OutboxMessage.objects.create(
        kind="sessions.invite",
        club=club,
        subject_type="session",
        subject_id=session.pk,
        topic=f"session:{session.pk}:calendar",
        recipient=hidden.user,
        recipient_key=f"user:{hidden.user.pk}",
        address=hidden.user.email,
        state="failed",
        error="550 No such user",
    )
    # The club's arXiv watch and a suggestion it found; the hidden member's own.
    session.club_watch = WatchFactory(club=club, value="cs.CL", created_by=people["organizer"])
    session.club_suggestion = SuggestionFactory(club=club, watch=session.club_watch)
    own = WatchFactory(club=club, owner=hidden.user, kind="keyword", value=SECRET_WATCH)
    SuggestionFactory(club=club, owner=hidden.user, watch=own, title=SECRET_SUGGESTION)
    return club, people, hidden, requester, invitation, nomination, session


def matrix_url(name, club, requester, invitation, nomination, session):
    args = {
        "clubs:membership_action": [club.slug, requester.pk, "approve"],
        "clubs:invitation_revoke": [club.slug, invitation.pk],
        "clubs:outbox_resend": [club.slug, session.failed_message.pk],
        "clubs:chat_test": [club.slug, "discord"],
        "clubs:chat_remove": [club.slug, "slack"],
        "clubs:webhook_redeliver": [club.slug, session.webhook.pk, session.webhook_delivery.pk],
        "papers:curate": [club.slug, nomination.pk, "pin"],
        "papers:topic_decide": [club.slug, session.suggested_topic.pk, "accept"],
        "clubs:activity_undo": [club.slug, ActivityEntry.objects.filter(club=club).latest("pk").pk],
        "writeups:revision": [club.slug, session.pk, 1],
        "watch:remove": [club.slug, session.club_watch.pk],
        "watch:propose": [club.slug, session.club_suggestion.pk],
        "watch:mute": [club.slug, session.club_suggestion.pk],
    }.get(name)
    if name in ("voting:round", "voting:ballot"):
        args = [club.slug, session.voting_round.pk]
    if name in DISCUSSION_ARGS:
        args = [club.slug, "paper", nomination.pk]
    elif name in POST_ARGS:
        args = [club.slug, session.discussion_post.pk]
    elif name in NOMINATION_ARGS:
        args = [club.slug, nomination.pk]
    elif name in QUESTION_ARGS:
        args = [club.slug, session.pk, session.question.pk]
    elif name in SESSION_ARGS:
        args = [club.slug, session.pk]
    elif name.startswith("clubs:webhook_") or name == "clubs:webhook":
        args = args or [club.slug, session.webhook.pk]
    if args is None and name.startswith("papers:") and name not in NO_NOMINATION:
        args = [club.slug, nomination.pk]
    if args is None and name.startswith("sessions:") and name not in NO_SESSION:
        args = [club.slug, session.pk]
    return reverse(name, args=args or [club.slug])


def _body(response) -> str:
    if response.streaming:  # the uploaded PDF
        return b"".join(response.streaming_content).decode("latin-1")
    return response.content.decode()


def _check(client, people, role, method, url, expected):
    if role != "anonymous":
        client.force_login(people[role])
    # Destructive POSTs ask first (tests/clubs/test_confirming.py): here, already confirmed.
    data = {CONFIRM_FIELD: "1"} if method == "post" else {}
    if expected in (403, 404, "login"):
        # A refusal writes nothing.
        with unchanged():
            response = getattr(client, method)(url, data)
    else:
        response = getattr(client, method)(url, data)
    if expected == "login":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
    elif expected == "redirect":
        assert response.status_code == 302
        assert not response["Location"].startswith(reverse("account_login"))
    else:
        assert response.status_code == expected
    return response


@pytest.mark.parametrize(("role_index", "role"), list(enumerate(ROLES)))
@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_public_club_url_outcome_for_role(client, scene, name, role_index, role):
    club, people, _hidden, requester, invitation, nomination, session = scene
    method, outcomes = PUBLIC[name]
    url = matrix_url(name, club, requester, invitation, nomination, session)
    response = _check(client, people, role, method, url, outcomes[role_index])
    body = _body(response)
    assert SECRET_NOTE not in body  # private notes are only ever shown to their author
    assert SECRET_WATCH not in body  # so are a member's own watches and suggestions
    assert SECRET_SUGGESTION not in body
    if outcomes[role_index] in (403, 404):
        assert SECRET_MEMBER not in body
        assert SECRET_TOKEN not in body
        assert SECRET_LINK not in body
    if name.split(":")[0] in ("sessions", "calendars", "writeups") and role in (
        "anonymous",
        "outsider",
        "pending",
    ):
        # The meeting link and who is going are for members only.
        assert SECRET_LINK not in body
        assert SECRET_MEMBER not in body


@pytest.mark.parametrize(("role_index", "role"), list(enumerate(ROLES)))
@pytest.mark.parametrize("name", sorted(PRIVATE))
def test_private_club_url_outcome_for_role(client, scene, name, role_index, role):
    club, people, _hidden, requester, invitation, nomination, session = scene
    Club.objects.filter(pk=club.pk).update(visibility="private", join_policy="invite")
    method, outcomes = PRIVATE[name]
    url = matrix_url(name, club, requester, invitation, nomination, session)
    response = _check(client, people, role, method, url, outcomes[role_index])
    body = _body(response)
    assert SECRET_NOTE not in body
    assert SECRET_WATCH not in body
    assert SECRET_SUGGESTION not in body
    if outcomes[role_index] == 404:
        for secret in (SECRET_NAME, SECRET_MEMBER, SECRET_TOKEN, SECRET_PITCH, SECRET_LINK):
            assert secret not in body
    elif outcomes[role_index] == 403:
        for secret in (SECRET_MEMBER, SECRET_TOKEN, SECRET_PITCH, SECRET_LINK):
            assert secret not in body


def _url_modules():
    return (
        clubs.urls,
        papers.urls,
        papers.imports.urls,
        papers.voting.urls,
        sessions.rota.urls,
        sessions.reading.urls,
        sessions.attendance.urls,
        sessions.discussion.urls,
        sessions.calendars.urls,
        sessions.mail.urls,
        sessions.writeups.urls,
        papers.watch.urls,
    )


def test_matrix_covers_every_club_url():
    club_urls = {
        f"{module.app_name}:{p.name}"
        for module in _url_modules()
        for p in module.urlpatterns
        if "<slug:slug>" in str(p.pattern)
    }
    assert club_urls == set(PUBLIC)


def test_every_club_view_declares_who_may_use_it():
    undeclared = [
        p.name
        for module in _url_modules()
        for p in module.urlpatterns
        if "<slug:slug>" in str(p.pattern) and not hasattr(p.callback, "club_needs")
    ]
    assert undeclared == []


def test_directory_hides_private_clubs(client, scene):
    club, *_ = scene
    Club.objects.filter(pk=club.pk).update(visibility="private", join_policy="invite")
    response = client.get(reverse("clubs:directory"))
    assert response.status_code == 200
    assert SECRET_NAME not in response.content.decode()


def test_members_page_shows_members_to_members_only(client, scene):
    club, people, _hidden, *_ = scene
    client.force_login(people["member"])
    response = client.get(reverse("clubs:members", args=[club.slug]))
    assert SECRET_MEMBER in response.content.decode()


def test_pending_member_cannot_approve_others(client, scene):
    club, people, _hidden, requester, *_ = scene
    client.force_login(people["pending"])
    url = reverse("clubs:membership_action", args=[club.slug, requester.pk, "approve"])
    with unchanged():
        assert client.post(url).status_code == 403
    requester.refresh_from_db()
    assert requester.state == Membership.State.PENDING


def test_organizer_cannot_act_on_another_clubs_membership(client, scene):
    club, people, *_ = scene
    other = MembershipFactory(state="pending")
    client.force_login(people["organizer"])
    url = reverse("clubs:membership_action", args=[club.slug, other.pk, "approve"])
    with unchanged():
        assert client.post(url).status_code == 404
    other.refresh_from_db()
    assert other.state == Membership.State.PENDING


# What a count of the open round would look like (the hidden member's one approval).
TALLY = ("1 approval", "1 ballot", "Winner", "Won by")


@pytest.mark.parametrize("role", ROLES)
def test_open_round_shows_no_count_to_anyone(client, scene, role):
    """Before the deadline nobody, organizers included, sees a count: not on the
    round's pages, the ballot's htmx answer, the backlog, the activity log or
    the admin. After it, the same page publishes the result (so this can fail)."""
    club, people, _hidden, *_, session = scene
    voting_round = session.voting_round
    if role != "anonymous":
        client.force_login(people[role])
    urls = [
        reverse("voting:round", args=[club.slug, voting_round.pk]),
        reverse("voting:rounds", args=[club.slug]),
        reverse("papers:backlog", args=[club.slug]),
        reverse("clubs:activity", args=[club.slug]),
    ]
    bodies = [_body(client.get(url)) for url in urls]
    if role in ("member", "organizer"):
        ballot = reverse("voting:ballot", args=[club.slug, voting_round.pk])
        bodies.append(_body(client.post(ballot, {}, HTTP_HX_REQUEST="true")))
    for body in bodies:
        assert [word for word in TALLY if word in body] == []
    # The deadline passes (moved in the database): the result is published.
    past = timezone.now() - timedelta(minutes=1)
    type(voting_round).objects.filter(pk=voting_round.pk).update(
        created_at=past - timedelta(days=1), closes_at=past
    )
    page = _body(client.get(urls[0]))
    assert "1 approval" in page
    # The hidden member's ballot, and the empty one posted above by a member.
    ballots = 2 if role in ("member", "organizer") else 1
    assert f"{ballots} ballot{'s' if ballots > 1 else ''} cast" in page


def test_the_admin_shows_no_count_of_an_open_round(client, scene):
    *_, session = scene
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    marks = client.get(reverse("admin:papers_ballotmark_changelist")).content.decode()
    assert "0 ballot marks" in marks
    mark = session.voting_round.ballots.get().marks.get()
    assert client.get(reverse("admin:papers_ballotmark_change", args=[mark.pk])).status_code == 302
