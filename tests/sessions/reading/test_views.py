"""Pre-reading pages: every view for every role, what must never leak, bad input,
htmx, and query budgets.

Every test starts from a scene that holds the data that could leak: another
member's private notes and checklist ticks, a question asked anonymously, and
two members who hide their reading from facilitators.
"""

import html
import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.contrib.auth.views import redirect_to_login
from django.urls import reverse
from django.utils.html import strip_tags

from clubs.models import Club
from papers.models import Nomination, Paper
from papers.services import guide_tick_set, paper_note_save
from sessions.models import PreRead, Question, QuestionVote, Rsvp, Session, SessionPaper
from sessions.reading import services as reading_services
from tests.factories import (
    ClubFactory,
    MembershipFactory,
    NominationFactory,
    PreReadFactory,
    QuestionFactory,
    QuestionVoteFactory,
    RsvpFactory,
    SessionPaperFactory,
    UserFactory,
    session_at,
)
from tests.unchanged import database_rows

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
ROLES = ["anonymous", "outsider", "pending", "member", "organizer", "facilitator"]

MEMBER = "Mara Member"
FACILITATOR = "Fran Facilitator"
ORGANIZER = "Olga Organizer"
NOTE_OWNER = "Nora Noteowner"
ANON_ASKER = "Ottoline Quietasker"
ANON_ASKER_EMAIL = "ottoline.q@example.org"
HIDDEN_READER = "Hildegard Hiddenreader"
HIDDEN_SLACKER = "Horatio Hiddenslacker"

SECRET_NOTE = "Nora doubts table three of the paper"  # no quote: escaping would hide a leak
OWN_NOTE = "Mara reminds herself to check the appendix"
ANON_QUESTION = "Is the ablation in section five fair?"
NAMED_QUESTION = "Which baseline is missing?"


# --- The scene -------------------------------------------------------------------------


@dataclass
class Scene:
    club: Club
    organizer: object
    member: object
    facilitator: object
    note_owner: object
    anon_asker: object
    session: Session  # upcoming, scheduled, facilitated by `facilitator`
    past: Session  # last week's, done: it shows in "my reading"
    nomination: Nomination
    paper: Paper
    question: Question  # NOTE_OWNER's, not anonymous
    anon_question: Question


def _person(club, name: str, role: str = "member", **user_fields):
    user = UserFactory(profile__display_name=name, **user_fields)
    MembershipFactory(club=club, user=user, role=role)
    return user


def _session(club, *, days: float, state=Session.State.SCHEDULED, facilitator=None) -> Session:
    return session_at(club, starts_in=timedelta(days=days), state=state, facilitator=facilitator)


def _going(session, *users) -> None:
    for minutes, user in enumerate(users):
        Rsvp.objects.create(
            session=session,
            user=user,
            answer=Rsvp.Answer.GOING,
            updated_at=session.starts_at - timedelta(days=3) + timedelta(minutes=minutes),
        )


def _hide_reading(user) -> None:
    user.profile.hide_reading_from_facilitators = True
    user.profile.save(update_fields=["hide_reading_from_facilitators"])


def _scene(visibility: str = Club.Visibility.PUBLIC) -> Scene:
    private = visibility == Club.Visibility.PRIVATE
    club = ClubFactory(
        visibility=visibility,
        join_policy=Club.JoinPolicy.INVITE if private else Club.JoinPolicy.OPEN,
    )
    organizer = _person(club, ORGANIZER, role="organizer")
    member = _person(club, MEMBER)
    facilitator = _person(club, FACILITATOR)
    note_owner = _person(club, NOTE_OWNER)
    anon_asker = _person(club, ANON_ASKER, email=ANON_ASKER_EMAIL)
    hidden_reader = _person(club, HIDDEN_READER)
    hidden_slacker = _person(club, HIDDEN_SLACKER)
    _hide_reading(hidden_reader)
    _hide_reading(hidden_slacker)

    paper = Paper.objects.create(
        club=club,
        arxiv_id="2401.00001",
        title="Sparse Mixtures",
        metadata_state="ready",
        page_count=12,
    )
    nomination = Nomination.objects.create(club=club, paper=paper)
    session = _session(club, days=2, facilitator=facilitator)
    past = _session(club, days=-7, state=Session.State.DONE, facilitator=facilitator)
    for week in (session, past):
        SessionPaper.objects.create(session=week, nomination=nomination)

    _going(session, member, facilitator, note_owner, hidden_reader, hidden_slacker)
    reading_services.preread_set(session=session, user=note_owner, level=PreRead.Level.READ)
    reading_services.preread_set(session=session, user=hidden_reader, level=PreRead.Level.DEEP)
    _going(past, member, facilitator, note_owner)
    reading_services.preread_set(session=past, user=member, level=PreRead.Level.SKIMMED)
    reading_services.preread_set(session=past, user=note_owner, level=PreRead.Level.DEEP)

    paper_note_save(paper=paper, user=note_owner, text=SECRET_NOTE)
    paper_note_save(paper=paper, user=member, text=OWN_NOTE)
    guide_tick_set(paper=paper, user=note_owner, item="p2-equations", done=True)

    question = reading_services.question_ask(session=session, user=note_owner, text=NAMED_QUESTION)
    anon_question = reading_services.question_ask(
        session=session, user=anon_asker, text=ANON_QUESTION, anonymous=True
    )
    return Scene(
        club=club,
        organizer=organizer,
        member=member,
        facilitator=facilitator,
        note_owner=note_owner,
        anon_asker=anon_asker,
        session=session,
        past=past,
        nomination=nomination,
        paper=paper,
        question=question,
        anon_question=anon_question,
    )


@pytest.fixture
def scene() -> Scene:
    return _scene()


def _viewer(scene: Scene, role: str):
    if role == "anonymous":
        return None
    if role == "outsider":
        return UserFactory()
    if role == "pending":
        return MembershipFactory(club=scene.club, state="pending").user
    return {"member": scene.member, "organizer": scene.organizer, "facilitator": scene.facilitator}[
        role
    ]


def _sign_in(client, scene: Scene, role: str):
    viewer = _viewer(scene, role)
    if viewer is not None:
        client.force_login(viewer)
    return viewer


def _session_url(scene: Scene, anchor: str = "", session: Session | None = None) -> str:
    return reverse("sessions:session", args=[scene.club.slug, (session or scene.session).pk]) + (
        anchor
    )


def _url(name: str, scene: Scene, **kwargs) -> str:
    session = kwargs.get("session", scene.session)
    slug = scene.club.slug
    if name in ("reading:preread", "reading:ask", "reading:dashboard", "sessions:session"):
        return reverse(name, args=[slug, session.pk])
    if name in ("reading:question_vote", "reading:question_answered", "reading:question_delete"):
        question = kwargs.get("question", scene.question)
        return reverse(name, args=[slug, question.session_id, question.pk])
    if name in ("reading:guide", "reading:tick", "reading:notes"):
        return reverse(name, args=[slug, scene.nomination.pk])
    if name == "reading:stats":
        return reverse(name, args=[slug])
    return reverse(name)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", strip_tags(html)).strip()


def _section(html: str, labelled_by: str) -> str:
    match = re.search(
        rf'<section[^>]*aria-labelledby="{labelled_by}"[^>]*>.*?</section>', html, re.DOTALL
    )
    assert match, f"no section {labelled_by}"
    return match.group(0)


def _question_meta(html: str, text: str) -> str:
    """The visible line under a question (who asked, votes, answered)."""
    item = re.search(
        rf'<li class="question[^"]*">\s*<p class="question__text">{re.escape(text)}</p>'
        r'\s*<p class="small muted">(.*?)</p>',
        html,
        re.DOTALL,
    )
    assert item, f"no question {text!r}"
    return _text(item.group(1))


def _messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


# --- Every view, every role ------------------------------------------------------------

# url name -> (method, data, outcome per ROLES) in a PUBLIC club. An int is a status;
# "login" a redirect to sign in; "session#…"/"guide#…" the redirect after a change.
VIEWS = {
    "sessions:session": ("get", {}, [200, 200, 200, 200, 200, 200]),
    "reading:preread": (
        "post",
        {"level": "2"},
        ["login", 403, 403, "session#pre-read", "session#pre-read", "session#pre-read"],
    ),
    "reading:ask": (
        "post",
        {"text": "What would a smaller model do?"},
        ["login", 403, 403, "session#questions", "session#questions", "session#questions"],
    ),
    "reading:question_vote": (
        "post",
        {"up": "1"},
        ["login", 403, 403, "session#questions", "session#questions", "session#questions"],
    ),
    # The facilitator or an organizer only.
    "reading:question_answered": (
        "post",
        {"answered": "1"},
        ["login", 403, 403, 403, "session#questions", "session#questions"],
    ),
    # The asker (NOTE_OWNER here) or an organizer only.
    "reading:question_delete": (
        "post",
        {"confirmed": "1"},
        ["login", 403, 403, 403, "session#questions", 403],
    ),
    "reading:dashboard": ("get", {}, ["login", 403, 403, 403, 200, 200]),
    "reading:guide": ("get", {}, ["login", 403, 403, 200, 200, 200]),
    "reading:tick": (
        "post",
        {"item": "p1-abstract", "done": "1"},
        ["login", 403, 403, "guide#method", "guide#method", "guide#method"],
    ),
    "reading:notes": (
        "post",
        {"text": "My own take."},
        ["login", 403, 403, "guide#notes", "guide#notes", "guide#notes"],
    ),
    "reading:stats": ("get", {}, ["login", 403, 403, 200, 200, 200]),
    "reading:mine": ("get", {}, ["login", 200, 200, 200, 200, 200]),
}


def _expected(view: str, role: str, visibility: str):
    outcome = VIEWS[view][2][ROLES.index(role)]
    # A private club does not exist for anyone below pending; "my reading" is no club's.
    hidden = visibility == Club.Visibility.PRIVATE and role in ("anonymous", "outsider")
    return 404 if hidden and view != "reading:mine" else outcome


def _redirect_target(scene: Scene, outcome: str, path: str) -> str:
    if outcome == "login":
        return redirect_to_login(path).url
    page, anchor = outcome.split("#")
    if page == "session":
        return _session_url(scene, "#" + anchor)
    return reverse("reading:guide", args=[scene.club.slug, scene.nomination.pk]) + "#" + anchor


@pytest.mark.parametrize("visibility", [Club.Visibility.PUBLIC, Club.Visibility.PRIVATE])
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("view", list(VIEWS))
def test_reading_view_outcome_for_every_role(client, view, role, visibility):
    scene = _scene(visibility)
    _sign_in(client, scene, role)
    method, data, _ = VIEWS[view]
    path = _url(view, scene)
    before = database_rows()

    response = getattr(client, method)(path, data)

    expected = _expected(view, role, visibility)
    if isinstance(expected, int):
        assert response.status_code == expected
    else:
        assert (response.status_code, response.url) == (
            302,
            _redirect_target(scene, expected, path),
        )
    body = response.content.decode()
    assert SECRET_NOTE not in body
    if expected in (403, 404, "login") or method == "get":
        assert database_rows() == before
    else:
        assert database_rows() != before


# --- What must never leak --------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "own_note"), [("member", OWN_NOTE), ("organizer", None), ("facilitator", None)]
)
def test_guide_shows_only_the_viewers_own_notes_and_ticks(client, scene, role, own_note):
    _sign_in(client, scene, role)

    body = client.get(_url("reading:guide", scene)).content.decode()

    assert SECRET_NOTE not in body
    assert "checklist__toggle--done" not in body  # only NOTE_OWNER ticked a step
    assert (own_note is not None and own_note in body) == (own_note is not None)


def test_guide_shows_the_note_owner_their_notes_and_ticks(client, scene):
    client.force_login(scene.note_owner)

    body = client.get(_url("reading:guide", scene)).content.decode()

    assert f'<div class="prose"><p>{SECRET_NOTE}</p></div>' in body
    assert OWN_NOTE not in body
    assert body.count("checklist__toggle--done") == 1


@pytest.mark.parametrize(
    ("role", "sessions", "own_note"),
    [
        ("outsider", 0, None),
        ("pending", 0, None),
        ("member", 1, OWN_NOTE),
        ("organizer", 0, None),
        ("facilitator", 1, None),
    ],
)
def test_my_reading_never_shows_another_members_notes(client, scene, role, sessions, own_note):
    _sign_in(client, scene, role)

    response = client.get(_url("reading:mine", scene))

    body = response.content.decode()
    assert [s.pk for s in response.context["sessions"]] == [scene.past.pk] * sessions
    assert SECRET_NOTE not in body
    assert (own_note is not None and own_note in body) == (own_note is not None)


@pytest.mark.parametrize(
    ("role", "meta"),
    [
        ("anonymous", "Anonymous · 0 votes"),
        ("outsider", "Anonymous · 0 votes"),
        ("pending", "Anonymous · 0 votes"),
        ("member", "Anonymous · 0 votes"),
        ("facilitator", "Anonymous · 0 votes"),
        ("organizer", f"{ANON_ASKER} anonymous to members · 0 votes"),
    ],
)
def test_session_page_names_an_anonymous_asker_only_to_organizers(client, scene, role, meta):
    _sign_in(client, scene, role)

    body = client.get(_url("sessions:session", scene)).content.decode()

    questions = _section(body, "questions")
    assert _question_meta(questions, ANON_QUESTION) == meta
    assert _question_meta(questions, NAMED_QUESTION) == f"{NOTE_OWNER} · 0 votes"
    if role != "organizer":
        assert ANON_ASKER not in questions
        assert ANON_ASKER_EMAIL.split("@")[0] not in body
    if role not in ("organizer", "facilitator"):
        # Runners' pages list every member in their pickers; nobody else's does.
        assert ANON_ASKER not in body


def test_session_page_shows_the_anonymous_asker_their_own_name(client, scene):
    client.force_login(scene.anon_asker)

    body = client.get(_url("sessions:session", scene)).content.decode()

    meta = _question_meta(_section(body, "questions"), ANON_QUESTION)
    assert meta == f"{ANON_ASKER} anonymous to members · 0 votes"


@pytest.mark.parametrize(
    ("role", "meta"),
    [
        ("facilitator", "0 votes · Anonymous"),
        # Marked, so an organizer does not name the asker out loud by mistake.
        ("organizer", f"0 votes · {ANON_ASKER} anonymous to members"),
    ],
)
def test_dashboard_names_an_anonymous_asker_only_to_organizers(client, scene, role, meta):
    _sign_in(client, scene, role)

    body = client.get(_url("reading:dashboard", scene)).content.decode()

    assert _question_meta(_section(body, "dash-questions"), ANON_QUESTION) == meta
    assert (ANON_ASKER in body) == (role == "organizer")


def test_dashboard_htmx_refresh_names_no_anonymous_asker_to_the_facilitator(client, scene):
    client.force_login(scene.facilitator)

    response = client.get(_url("reading:dashboard", scene), headers=HTMX)

    body = response.content.decode()
    assert next(t.name for t in response.templates) == "sessions/reading/_dashboard_body.html"
    assert body.startswith('<div id="dashboard-body"')
    assert 'hx-trigger="every 20s"' in body
    assert ANON_QUESTION in body
    assert ANON_ASKER not in body


@pytest.mark.parametrize("role", ["facilitator", "organizer"])
def test_dashboard_counts_hidden_readers_without_naming_them(client, scene, role):
    _sign_in(client, scene, role)

    body = client.get(_url("reading:dashboard", scene)).content.decode()

    # "Coming" names everyone going, as the session page does for every member;
    # how far each has read is what a member may hide.
    levels = _section(body, "dash-levels")
    assert [_text(li) for li in re.findall(r"<li>.*?</li>", levels, re.DOTALL)] == [
        "3 not started",
        "0 skimmed (first pass)",
        "1 read (second pass)",
        "1 deep-read (third pass)",
        f"{NOTE_OWNER}: read (second pass)",
    ]
    assert HIDDEN_READER not in levels
    assert HIDDEN_SLACKER not in levels
    not_started = re.search(r"<h3>Going but not started</h3>\s*<p[^>]*>(.*?)</p>", levels)
    if role == "organizer":
        assert _text(not_started.group(1)) == f"{MEMBER}, {FACILITATOR}"
    else:
        assert not_started is None


# --- Bad input gets a clear message and changes nothing ---------------------------------


def test_preread_on_another_clubs_session_is_not_found(client, scene):
    other_session = _session(ClubFactory(), days=2, state=Session.State.OPEN)
    client.force_login(scene.member)
    before = database_rows()

    response = client.post(
        reverse("reading:preread", args=[scene.club.slug, other_session.pk]), {"level": "1"}
    )

    assert response.status_code == 404
    assert database_rows() == before


@pytest.mark.parametrize(
    ("visibility", "status"), [(Club.Visibility.PUBLIC, 403), (Club.Visibility.PRIVATE, 404)]
)
def test_preread_by_a_member_of_another_club_is_refused(client, visibility, status):
    scene = _scene(visibility)
    stranger = MembershipFactory(club=ClubFactory()).user
    client.force_login(stranger)
    before = database_rows()

    response = client.post(_url("reading:preread", scene), {"level": "1"}, headers=HTMX)

    assert response.status_code == status
    assert database_rows() == before


@pytest.mark.parametrize(
    ("view", "method"),
    [
        ("sessions:session", "get"),
        ("reading:dashboard", "get"),
        ("reading:preread", "post"),
        ("reading:ask", "post"),
    ],
)
def test_session_views_do_not_reach_another_clubs_session(client, scene, view, method):
    other = _session(ClubFactory(), days=2, state=Session.State.OPEN)
    client.force_login(scene.organizer)
    path = reverse(view, args=[scene.club.slug, other.pk])
    before = database_rows()

    response = getattr(client, method)(path, {"level": "1", "text": "Q?"})

    assert response.status_code == 404
    assert database_rows() == before


def test_question_views_do_not_reach_another_clubs_question(client, scene):
    other_club = ClubFactory()
    asker = MembershipFactory(club=other_club).user
    other = reading_services.question_ask(
        session=_session(other_club, days=2, state="open"), user=asker, text="Q"
    )
    client.force_login(scene.organizer)
    before = database_rows()

    statuses = [
        client.post(reverse(name, args=[scene.club.slug, other.session_id, other.pk])).status_code
        for name in (
            "reading:question_vote",
            "reading:question_answered",
            "reading:question_delete",
        )
    ]

    assert statuses == [404, 404, 404]
    assert database_rows() == before


def test_guide_of_another_clubs_paper_is_not_found(client, scene):
    other = Nomination.objects.create(club=ClubFactory(), paper=scene.paper)
    client.force_login(scene.member)
    before = database_rows()

    response = client.get(reverse("reading:guide", args=[scene.club.slug, other.pk]))

    assert response.status_code == 404
    assert database_rows() == before


@pytest.mark.parametrize(
    ("days", "state", "message"),
    [
        (2, Session.State.CANCELLED, "This week is cancelled, so it takes no questions."),
        (-1, Session.State.DONE, "This session is over, so it takes no more questions."),
        (-1, Session.State.SCHEDULED, "This session is over, so it takes no more questions."),
    ],
)
def test_question_on_a_cancelled_or_finished_session_is_refused(
    client, scene, days, state, message
):
    week = _session(scene.club, days=days, state=state, facilitator=scene.facilitator)
    client.force_login(scene.member)

    response = client.post(
        _url("reading:ask", scene, session=week), {"text": "Too late?"}, follow=True
    )

    assert response.redirect_chain == [(_session_url(scene, "#questions", week), 302)]
    assert _messages(response) == [message]
    assert Question.objects.filter(session=week).count() == 0


def test_cancelled_or_finished_session_page_offers_no_question_form(client, scene):
    week = _session(scene.club, days=2, state=Session.State.CANCELLED)
    client.force_login(scene.member)

    body = client.get(_session_url(scene, session=week)).content.decode()

    assert reverse("reading:ask", args=[scene.club.slug, week.pk]) not in body


def test_the_asker_gets_no_vote_button_and_a_reason_if_they_try(client, scene):
    client.force_login(scene.note_owner)
    vote_path = _url("reading:question_vote", scene)
    body = client.get(_session_url(scene)).content.decode()
    assert vote_path not in body  # their own question
    assert _url("reading:question_vote", scene, question=scene.anon_question) in body

    response = client.post(vote_path, {"up": "1"}, follow=True)

    assert _messages(response) == ["You asked this question; the votes are for others to give."]
    scene.question.refresh_from_db()
    assert scene.question.vote_count == 0


def test_voting_twice_for_a_question_counts_once(client, scene):
    client.force_login(scene.member)
    path = _url("reading:question_vote", scene)

    client.post(path, {"up": "1"})
    response = client.post(path, {"up": "1"}, follow=True)

    assert _messages(response) == ["You have already voted for this question."]
    scene.question.refresh_from_db()
    assert scene.question.vote_count == 1
    assert QuestionVote.objects.filter(question=scene.question).count() == 1
    meta = _question_meta(_section(response.content.decode(), "questions"), NAMED_QUESTION)
    assert meta == f"{NOTE_OWNER} · 1 vote"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Write your question first."),
        ("   \n  ", "Write your question first."),
        ("x" * 10_000, "A question is at most 1,000 characters (yours has 10,000)."),
    ],
)
def test_empty_or_too_long_question_is_refused_beside_the_form(client, scene, text, message):
    client.force_login(scene.member)
    before = database_rows()

    response = client.post(_url("reading:ask", scene), {"text": text})

    # The session page again, the error inside the question form (not at the top of
    # the page), the question as typed; the form's action lands the browser on it.
    assert response.status_code == 200
    assert _messages(response) == []
    form = re.search(r'<form [^>]*id="ask".*?</form>', response.content.decode(), re.S)
    assert form is not None
    assert html.escape(message) in form.group(0)
    if text.strip():
        assert f"{text}</textarea>" in form.group(0)
    assert database_rows() == before


def test_question_of_exactly_the_limit_is_accepted(client, scene):
    client.force_login(scene.member)

    response = client.post(_url("reading:ask", scene), {"text": "y" * 1000}, follow=True)

    assert _messages(response) == ["Question sent to the facilitator."]
    assert Question.objects.get(author=scene.member).text == "y" * 1000


SCRIPTED_NOTES = (
    "**Key idea**: sparse attention.\n\n<script>alert('notes')</script>\n\n"
    "<img src=x onerror=alert(2)> [site](javascript:alert(3))"
)
SANITISED_NOTES = (
    '<div class="prose"><p><strong>Key idea</strong>: sparse attention.</p>\n\n'
    '<p> <a href="" rel="nofollow noopener noreferrer">site</a></p></div>'
)


def test_notes_with_script_are_sanitised_on_the_guide_and_in_my_reading(client, scene):
    client.force_login(scene.member)

    saved = client.post(_url("reading:notes", scene), {"text": SCRIPTED_NOTES}, follow=True)
    mine = client.get(_url("reading:mine", scene)).content.decode()

    guide = saved.content.decode()
    assert _messages(saved) == ["Notes saved. Only you can see them."]
    for body in (guide, mine):
        assert SANITISED_NOTES in body
        assert "<script>alert(" not in body
        assert "<img" not in body
        assert 'href="javascript' not in body
    # The form gives the text back escaped, for editing.
    assert "&lt;script&gt;alert(&#x27;notes&#x27;)&lt;/script&gt;" in guide


def test_notes_over_the_limit_are_refused(client, scene):
    client.force_login(scene.member)
    before = database_rows()

    response = client.post(_url("reading:notes", scene), {"text": "n" * 20_001}, follow=True)

    assert _messages(response) == ["Notes are at most 20,000 characters."]
    assert database_rows() == before


@pytest.mark.parametrize("level", ["7", "-1", "lots", ""])
def test_preread_with_a_bad_level_changes_nothing(client, scene, level):
    client.force_login(scene.member)
    before = database_rows()

    response = client.post(_url("reading:preread", scene), {"level": level}, follow=True)

    assert _messages(response) == ["Choose not started, skimmed, read or deep-read."]
    assert database_rows() == before


def test_preread_on_a_cancelled_week_is_refused(client, scene):
    week = _session(scene.club, days=2, state=Session.State.CANCELLED)
    client.force_login(scene.member)

    plain = client.post(_url("reading:preread", scene, session=week), {"level": "1"}, follow=True)
    htmx = client.post(_url("reading:preread", scene, session=week), {"level": "1"}, headers=HTMX)

    assert _messages(plain) == ["This week is cancelled; there is nothing to pre-read."]
    assert (htmx.status_code, htmx.content.decode()) == (
        409,
        "This week is cancelled; there is nothing to pre-read.",
    )
    assert PreRead.objects.filter(session=week).count() == 0


def test_checklist_tick_with_an_unknown_item_changes_nothing(client, scene):
    client.force_login(scene.member)
    before = database_rows()

    response = client.post(
        _url("reading:tick", scene), {"item": "p9-nap", "done": "1"}, follow=True
    )

    assert _messages(response) == ["There is no such step in the reading method."]
    assert database_rows() == before


# --- Pre-read with and without htmx ----------------------------------------------------


def _pressed(html: str) -> list[str]:
    return re.findall(r'<button[^>]*aria-pressed="true"[^>]*>([^<]*)</button>', html)


def test_preread_with_htmx_returns_the_partial_with_the_chosen_level_pressed(client, scene):
    client.force_login(scene.member)

    response = client.post(_url("reading:preread", scene), {"level": "2"}, headers=HTMX)

    body = response.content.decode()
    assert response.status_code == 200
    assert next(t.name for t in response.templates) == "sessions/reading/_preread.html"
    assert body.lstrip().startswith('<div class="preread" id="preread-')
    assert "<html" not in body
    assert _pressed(body) == ["Read (second pass)"]
    counts = re.search(r'<ul class="preread__counts".*?</ul>', body, re.DOTALL).group(0)
    assert [_text(li) for li in re.findall(r"<li>.*?</li>", counts, re.DOTALL)] == [
        "2 not started",
        "0 skimmed (first pass)",
        "2 read (second pass)",
        "1 deep-read (third pass)",
    ]
    assert PreRead.objects.get(session=scene.session, user=scene.member).level == 2


def test_preread_without_htmx_redirects_to_the_session_pre_read(client, scene):
    client.force_login(scene.member)

    response = client.post(_url("reading:preread", scene), {"level": "3"})
    page = client.get(response.url)

    assert (response.status_code, response.url) == (302, _session_url(scene, "#pre-read"))
    assert _pressed(_section(page.content.decode(), "pre-read")) == ["Deep-read (third pass)"]


def test_preread_back_to_not_started(client, scene):
    client.force_login(scene.note_owner)

    response = client.post(_url("reading:preread", scene), {"level": "0"}, headers=HTMX)

    assert _pressed(response.content.decode()) == ["Not started"]
    assert PreRead.objects.get(session=scene.session, user=scene.note_owner).level == 0


def test_mark_answered_from_the_dashboard_returns_to_it(client, scene):
    client.force_login(scene.facilitator)

    response = client.post(
        _url("reading:question_answered", scene), {"answered": "1", "from": "dashboard"}
    )

    assert (response.status_code, response.url) == (302, _url("reading:dashboard", scene))
    scene.question.refresh_from_db()
    assert scene.question.answered_at is not None


# --- Query budgets: a literal count, the same at one row as at three ------------------

ROWS = [1, 3]


def _readers(session: Session, count: int, *, voter) -> None:
    """`count` members going, at varied levels, each with a question (some
    anonymous), each question with a vote."""
    for index in range(count):
        user = MembershipFactory(club=session.club).user
        RsvpFactory(session=session, user=user)
        PreReadFactory(session=session, user=user, level=index % 4)
        question = QuestionFactory(
            session=session, author=user, anonymous=index % 2 == 0, vote_count=1
        )
        QuestionVoteFactory(question=question, user=voter)


@pytest.mark.parametrize("rows", ROWS)
@pytest.mark.parametrize(
    ("page", "role", "queries"),
    [
        ("reading:dashboard", "facilitator", 10),
        ("reading:dashboard", "organizer", 11),
        ("sessions:session", "member", 9),
        ("sessions:session", "facilitator", 13),
        ("sessions:session", "organizer", 13),
    ],
)
def test_questions_queries(client, django_assert_num_queries, scene, page, role, queries, rows):
    """The dashboard and the session page, which list a week's questions."""
    week = _session(scene.club, days=9, facilitator=scene.facilitator)
    _readers(week, rows, voter=scene.member)
    _sign_in(client, scene, role)
    with django_assert_num_queries(queries):
        response = client.get(_url(page, scene, session=week))
    assert len(response.context["questions"]) == rows


@pytest.mark.parametrize("rows", ROWS)
def test_stats_queries_with_readers(client, django_assert_num_queries, scene, rows):
    week = _session(scene.club, days=-14, state=Session.State.DONE, facilitator=scene.member)
    SessionPaperFactory(session=week, nomination=scene.nomination)
    _readers(week, rows, voter=scene.member)
    client.force_login(scene.member)
    with django_assert_num_queries(6):
        response = client.get(_url("reading:stats", scene))
    stats = {s.pk: s for s in response.context["sessions"]}
    assert stats[week.pk].question_count == rows


def _past_weeks(scene: Scene, count: int) -> list[Session]:
    weeks = []
    for index in range(count):
        week = _session(
            scene.club, days=-14 - 5 * index, state=Session.State.DONE, facilitator=scene.member
        )
        SessionPaperFactory(session=week, nomination__club=scene.club)
        _readers(week, 2, voter=scene.member)
        PreReadFactory(session=week, user=scene.member, level=PreRead.Level.READ)
        weeks.append(week)
    return weeks


@pytest.mark.parametrize("rows", ROWS)
def test_stats_queries_with_sessions(client, django_assert_num_queries, scene, rows):
    _past_weeks(scene, rows)
    client.force_login(scene.member)
    with django_assert_num_queries(6):
        response = client.get(_url("reading:stats", scene))
    assert len(response.context["sessions"]) == rows + 1  # and last week's from the scene


@pytest.mark.parametrize("rows", ROWS)
def test_my_reading_queries(client, django_assert_num_queries, scene, rows):
    _past_weeks(scene, rows)
    client.force_login(scene.member)
    # The session, user and profile (3); the coming weeks, their papers, my notes
    # on them (3); the past weeks, the same (3); my notes on other papers (1);
    # the streaks: my clubs, their weeks, the papers read (3).
    with django_assert_num_queries(13):
        response = client.get(reverse("reading:mine"))
    assert len(response.context["sessions"]) == rows + 1  # and last week's from the scene
    assert len(response.context["coming"]) == 1


def test_my_reading_starts_with_the_week_about_to_be_read_and_its_notes(client, scene):
    """The scene's member said they're going to the coming week and has notes on
    its paper; a later week of the club they have not answered is not listed."""
    later = _session(scene.club, days=9, facilitator=scene.facilitator)
    client.force_login(scene.member)
    response = client.get(reverse("reading:mine"))
    assert [s.pk for s in response.context["coming"]] == [scene.session.pk]
    coming = _section(response.content.decode(), "coming-title")
    guide = reverse("reading:guide", args=[scene.club.slug, scene.nomination.pk])
    assert f'<a href="{guide}">Sparse Mixtures</a>' in coming
    assert OWN_NOTE in coming
    assert SECRET_NOTE not in response.content.decode()
    assert later.pk not in [s.pk for s in response.context["coming"]]


def test_my_reading_lists_a_clubs_next_week_before_anyone_answers(client, scene):
    newcomer = _person(scene.club, "Newcomer")
    client.force_login(newcomer)
    response = client.get(reverse("reading:mine"))
    assert [s.pk for s in response.context["coming"]] == [scene.session.pk]
    assert list(response.context["sessions"]) == []


def test_my_reading_keeps_notes_on_papers_no_listed_week_holds(client, scene):
    backlog = NominationFactory(club=scene.club, paper__title="A Backlog Paper")
    other_club_paper = NominationFactory(paper__title="Another Club's Paper")
    paper_note_save(paper=backlog.paper, user=scene.member, text="Prepared early.")
    paper_note_save(paper=other_club_paper.paper, user=scene.member, text="Not a member there.")
    paper_note_save(paper=backlog.paper, user=scene.note_owner, text="Someone else's.")
    client.force_login(scene.member)
    response = client.get(reverse("reading:mine"))
    assert [(n.pk, note.text) for n, note in response.context["other_notes"]] == [
        (backlog.pk, "Prepared early.")
    ]
    notes = _section(response.content.decode(), "notes-title")
    guide = reverse("reading:guide", args=[scene.club.slug, backlog.pk])
    assert f'<a href="{guide}#notes">A Backlog Paper</a>' in notes
    assert "Someone else" not in response.content.decode()
    assert "Not a member there." not in response.content.decode()
