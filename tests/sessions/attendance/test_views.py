"""Attendance and streaks through the pages: who may take attendance and check
in, the sheet prefilled from "going", a late sheet keeping a check-in made after
it was drawn, refusals that change nothing, the activity log, the streaks on
the profile and "My reading", and their query counts."""

import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags

from clubs.models import ActivityEntry, Club
from papers.models import Nomination, Paper
from sessions.models import Attendance, PreRead, Rsvp, Session, SessionPaper
from tests.factories import (
    AttendanceFactory,
    ClubFactory,
    MembershipFactory,
    UserFactory,
    session_at,
)
from tests.unchanged import unchanged

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
ROLES = ["anonymous", "outsider", "pending", "member", "facilitator", "organizer"]


@dataclass
class Scene:
    club: Club
    organizer: object
    facilitator: object
    member: object
    goer: object  # said going, another member
    outsider: object
    pending: object
    session: Session  # started ten minutes ago, facilitated by `facilitator`


def _person(club, name: str, role: str = "member", state: str = "active"):
    user = UserFactory(profile__display_name=name)
    MembershipFactory(club=club, user=user, role=role, state=state)
    return user


def _scene(visibility: str = Club.Visibility.PUBLIC) -> Scene:
    club = ClubFactory(
        visibility=visibility,
        join_policy=Club.JoinPolicy.INVITE
        if visibility == Club.Visibility.PRIVATE
        else Club.JoinPolicy.OPEN,
    )
    facilitator = _person(club, "Fran Facilitator")
    goer = _person(club, "Gus Goer")
    session = session_at(club, starts_in=-timedelta(minutes=10), facilitator=facilitator)
    for user in (facilitator, goer):
        Rsvp.objects.create(session=session, user=user, answer=Rsvp.Answer.GOING)
    return Scene(
        club=club,
        organizer=_person(club, "Olga Organizer", role="organizer"),
        facilitator=facilitator,
        member=_person(club, "Mara Member"),
        goer=goer,
        outsider=UserFactory(profile__display_name="Otto Outsider"),
        pending=_person(club, "Pat Pending", state="pending"),
        session=session,
    )


@pytest.fixture
def scene():
    return _scene()


def _url(name: str, session: Session) -> str:
    return reverse(name, args=[session.club.slug, session.pk])


def _session_page(session: Session) -> str:
    return _url("sessions:session", session) + "#attendance"


def _sheet(scene: Scene, present, *, shown=None, was=()) -> dict:
    everyone = [scene.facilitator, scene.goer, scene.member, scene.organizer]
    return {
        "shown": [u.pk for u in (shown if shown is not None else everyone)],
        "was": [u.pk for u in was],
        "present": [u.pk for u in present],
    }


def _present(session: Session) -> set:
    return set(Attendance.objects.filter(session=session).values_list("user_id", flat=True))


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


# --- Who may do what -------------------------------------------------------------------

# outcome per ROLES for the running session; "page" is the redirect back to it.
OUTCOMES = {
    "attendance:take": ["login", 403, 403, 403, "page", "page"],
    "attendance:check_in": ["login", 403, 403, "page", "page", "page"],
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", list(OUTCOMES))
def test_attendance_url_outcome_for_every_role(client, scene, name, role):
    # A private club's 404s for anonymous people and outsiders: tests/clubs/test_permissions.py.
    if role != "anonymous":
        client.force_login(getattr(scene, role))
    expected = OUTCOMES[name][ROLES.index(role)]
    data = _sheet(scene, [scene.goer]) if name == "attendance:take" else {"present": "1"}
    path = _url(name, scene.session)

    if expected == "page":
        response = client.post(path, data)
        assert (response.status_code, response.url) == (302, _session_page(scene.session))
        assert _present(scene.session) != set()
        return
    with unchanged():
        response = client.post(path, data)
    if expected == "login":
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))
    else:
        assert response.status_code == expected


def test_attendance_urls_do_not_reach_another_clubs_session(client, scene):
    other = session_at(ClubFactory(), starts_in=-timedelta(minutes=5), state="open")
    client.force_login(scene.organizer)
    path = reverse("attendance:take", args=[scene.club.slug, other.pk])
    with unchanged():
        assert client.post(path, _sheet(scene, [scene.goer])).status_code == 404


# --- The sheet -------------------------------------------------------------------------


def _ticks(html: str) -> dict[str, bool]:
    """Each person on the sheet and whether their box is ticked."""
    rows = re.findall(r'<li class="attendance-sheet__person">(.*?)</li>', html, re.DOTALL)
    result = {}
    for row in rows:
        name = strip_tags(re.search(r"<label[^>]*>(.*?)</label>", row, re.DOTALL).group(1))
        result[name.strip()] = bool(re.search(r'type="checkbox"[^>]* checked', row))
    return result


def test_sheet_is_prefilled_from_going_and_check_ins_until_saved(client, scene):
    AttendanceFactory(session=scene.session, user=scene.member, source="check_in")
    client.force_login(scene.facilitator)
    html = client.get(_url("sessions:session", scene.session)).content.decode()
    assert _ticks(html) == {
        "Fran Facilitator (you)": True,
        "Gus Goer": True,
        "Mara Member": True,
        "Olga Organizer": False,
    }
    assert "Not taken yet" in html
    assert _present(scene.session) == {scene.member.pk}  # showing the sheet records nothing


def test_sheet_records_who_came_and_shows_it(client, scene):
    client.force_login(scene.facilitator)
    response = client.post(
        _url("attendance:take", scene.session),
        _sheet(scene, [scene.facilitator, scene.member]),
        follow=True,
    )
    assert _messages(response) == ["Attendance saved: 2 came."]
    assert _present(scene.session) == {scene.facilitator.pk, scene.member.pk}
    html = response.content.decode()
    assert _ticks(html) == {
        "Fran Facilitator (you)": True,
        "Gus Goer": False,
        "Mara Member": True,
        "Olga Organizer": False,
    }
    row = Attendance.objects.get(session=scene.session, user=scene.member)
    assert (row.source, row.marked_by) == (Attendance.Source.MARKED, scene.facilitator)


def test_a_late_sheet_keeps_a_check_in_made_after_it_was_drawn(client, scene):
    # The facilitator's sheet was drawn with the goer present; the member checks
    # in meanwhile; the facilitator then unticks the goer on the old sheet.
    AttendanceFactory(session=scene.session, user=scene.goer)
    AttendanceFactory(session=scene.session, user=scene.member, source="check_in")
    client.force_login(scene.facilitator)
    client.post(
        _url("attendance:take", scene.session),
        _sheet(scene, [scene.facilitator], was=[scene.goer]),
    )
    assert _present(scene.session) == {scene.facilitator.pk, scene.member.pk}


def test_htmx_tick_answers_with_the_section(client, scene):
    client.force_login(scene.facilitator)
    response = client.post(
        _url("attendance:take", scene.session), _sheet(scene, [scene.goer]), headers=HTMX
    )
    html = response.content.decode()
    assert (
        response.status_code,
        html.lstrip().startswith('<section aria-labelledby="attendance-title"'),
    ) == (200, True)
    assert _ticks(html)["Gus Goer"] is True
    assert "1 came" in html


@pytest.mark.parametrize(
    ("starts_in", "state", "message"),
    [
        (
            timedelta(hours=2),
            "scheduled",
            "Attendance opens 15 minutes before the start",
        ),
        (-timedelta(minutes=10), "cancelled", "This week is cancelled, so nobody attends it."),
    ],
)
def test_sheet_refused_before_it_opens_or_for_a_cancelled_week(
    client, scene, starts_in, state, message
):
    week = session_at(scene.club, starts_in=starts_in, state=state, facilitator=scene.facilitator)
    client.force_login(scene.organizer)
    with unchanged():
        response = client.post(
            _url("attendance:take", week), _sheet(scene, [scene.goer]), follow=True
        )
    assert [m.startswith(message) for m in _messages(response)] == [True]


def test_sheet_naming_someone_outside_the_club_is_refused(client, scene):
    client.force_login(scene.facilitator)
    with unchanged():
        response = client.post(
            _url("attendance:take", scene.session),
            _sheet(scene, [scene.outsider], shown=[scene.goer, scene.outsider]),
            follow=True,
        )
    assert _messages(response) == ["Only the club's active members can be marked present."]


def test_sheet_with_garbage_ids_is_refused(client, scene):
    client.force_login(scene.facilitator)
    with unchanged():
        response = client.post(
            _url("attendance:take", scene.session), {"shown": "x", "present": "x"}, follow=True
        )
    assert _messages(response) == ["The sheet was not understood; reload the page and tick again."]


def test_organizers_changes_go_to_the_activity_log_and_facilitators_do_not(client, scene):
    client.force_login(scene.facilitator)
    client.post(_url("attendance:take", scene.session), _sheet(scene, [scene.goer]))
    assert ActivityEntry.objects.filter(kind="attendance.change").count() == 0

    client.force_login(scene.organizer)
    client.post(
        _url("attendance:take", scene.session),
        _sheet(scene, [scene.member], was=[scene.goer]),
    )
    entry = ActivityEntry.objects.get(kind="attendance.change")
    assert (entry.actor, entry.club_id) == (scene.organizer, scene.club.pk)
    assert "(came: Mara Member; did not come: Gus Goer)" in entry.summary
    assert entry.data["added"] == [scene.member.pk]


# --- Checking in -----------------------------------------------------------------------


def test_member_checks_in_and_undoes_it(client, scene):
    client.force_login(scene.member)
    response = client.post(
        _url("attendance:check_in", scene.session), {"present": "1"}, follow=True
    )
    assert _messages(response) == ["You're checked in. Enjoy the session."]
    assert "You're here" in response.content.decode()
    assert Attendance.objects.get(user=scene.member).source == Attendance.Source.CHECK_IN

    client.post(_url("attendance:check_in", scene.session), {"present": "0"})
    assert _present(scene.session) == set()


@pytest.mark.parametrize(
    ("starts_in", "opens"),
    [
        (timedelta(minutes=10), True),  # from 15 minutes before the start
        (timedelta(minutes=20), False),
        (-timedelta(minutes=59), True),  # until the end (an hour long)
        (-timedelta(minutes=61), False),
    ],
)
def test_check_in_window(client, scene, starts_in, opens):
    week = session_at(scene.club, starts_in=starts_in, facilitator=scene.facilitator)
    client.force_login(scene.member)
    response = client.post(_url("attendance:check_in", week), {"present": "1"}, follow=True)
    assert (_present(week) == {scene.member.pk}) is opens
    if not opens:
        opens_at = (week.starts_at - timedelta(minutes=15)).astimezone(week.club_tz)
        assert _messages(response)[0] in (
            f"Attendance opens 15 minutes before the start ({opens_at:%H:%M %Z} on the day).",
            "This session is over; the facilitator can still mark you present.",
        )


def test_members_see_who_came_and_non_members_do_not(client, scene):
    AttendanceFactory(session=scene.session, user=scene.goer)
    client.force_login(scene.member)
    html = client.get(_url("sessions:session", scene.session)).content.decode()
    assert "1 came: Gus Goer" in re.sub(r"\s+", " ", strip_tags(html))
    assert "I'm here — check in" in html
    client.force_login(scene.outsider)
    html = client.get(_url("sessions:session", scene.session)).content.decode()
    assert 'id="attendance"' not in html


# --- Streaks ---------------------------------------------------------------------------


def _history(club, user, pattern: str) -> None:
    """Weeks ending last week, oldest first: A attended, M missed (somebody else
    came), C cancelled, - no session. Papers on the attended weeks."""
    other = MembershipFactory(club=club).user
    weeks = len(pattern)
    for index, letter in enumerate(pattern):
        if letter == "-":
            continue
        week = session_at(
            club,
            starts_in=-timedelta(weeks=weeks - index),
            state="cancelled" if letter == "C" else "done",
        )
        if letter == "C":
            continue
        AttendanceFactory(session=week, user=user if letter == "A" else other)
        paper = Paper.objects.create(club=club, title=f"Paper {week.pk}", metadata_state="ready")
        SessionPaper.objects.create(
            session=week, nomination=Nomination.objects.create(club=club, paper=paper)
        )


def _streak_rows(html: str) -> list[list[str]]:
    """Each club's card: its name, then its four numbers."""
    cards = re.findall(r'<li class="streaks__club">(.*?)</li>', html, re.DOTALL)
    return [
        [_text(re.search(r"<h3[^>]*>(.*?)</h3>", card, re.DOTALL).group(1))]
        + [_text(value) for value in re.findall(r"<dd>(.*?)</dd>", card, re.DOTALL)]
        for card in cards
    ]


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", strip_tags(html)).strip()


def test_profile_shows_streaks_per_club(client, scene):
    # Newest last: the cancelled week and the week without a session do not
    # break the last run of three.
    _history(scene.club, scene.member, "AAMA-ACA")
    # A pre-read (read) of a week not attended counts as a paper read, not a week.
    pre_read = (
        Session.objects.filter(club=scene.club, attendances__isnull=False)
        .exclude(attendances__user=scene.member)
        .first()
    )
    PreRead.objects.create(session=pre_read, user=scene.member, level=PreRead.Level.READ)
    client.force_login(scene.member)
    html = client.get(reverse("profile")).content.decode()
    this_year = timezone.localtime(timezone.now(), scene.club.tzinfo).year
    papers = sum(
        1
        for week in Session.objects.filter(club=scene.club, papers__isnull=False).distinct()
        if week.local_start.year == this_year
        and (week.attendances.filter(user=scene.member).exists() or week == pre_read)
    )
    assert _streak_rows(html) == [[scene.club.name, str(papers), "5", "3 weeks", "3 weeks"]]


def test_my_reading_shows_streaks(client, scene):
    _history(scene.club, scene.member, "AMA")
    client.force_login(scene.member)
    html = client.get(reverse("reading:mine")).content.decode()
    assert _streak_rows(html)[0][2:] == ["2", "1 week", "1 week"]


@pytest.mark.parametrize("clubs", [1, 3])
def test_profile_queries_do_not_grow_with_clubs_and_weeks(
    client, django_assert_num_queries, scene, clubs
):
    for _ in range(clubs):
        club = ClubFactory()
        MembershipFactory(club=club, user=scene.member)
        _history(club, scene.member, "AMA" * clubs)
    client.force_login(scene.member)
    client.get(reverse("profile"))  # the session row, the profile
    # 7, the API tokens section's count (api/) and the clubs you come to every week (series)
    with django_assert_num_queries(9):
        response = client.get(reverse("profile"))
    assert len(response.context["sections"][0][1]["streaks"]) == clubs + 1


# --- Statistics ------------------------------------------------------------------------


def _stats_row(html: str, session: Session) -> list[str]:
    """The statistics table's row for `session`: date, paper, going, came, ..."""
    link = reverse("sessions:session", args=[session.club.slug, session.pk])
    row = re.search(rf'<tr>\s*<th scope="row"><a href="{link}">.*?</tr>', html, re.DOTALL)
    return [
        _text(cell) for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row.group(0), re.DOTALL)
    ]


def test_statistics_show_who_came_beside_going(client, django_assert_num_queries, scene):
    taken = session_at(scene.club, starts_in=-timedelta(days=7), state="done")
    untaken = session_at(scene.club, starts_in=-timedelta(days=14), state="done")
    for user in (scene.goer, scene.member):
        Rsvp.objects.create(session=taken, user=user, answer=Rsvp.Answer.GOING)
        Rsvp.objects.create(session=untaken, user=user, answer=Rsvp.Answer.GOING)
    for user in (scene.goer, scene.member, scene.organizer):
        AttendanceFactory(session=taken, user=user)
    client.force_login(scene.member)
    client.get(reverse("reading:stats", args=[scene.club.slug]))
    # The page's statements as before: who came is a subquery of the sessions' one.
    with django_assert_num_queries(6):
        response = client.get(reverse("reading:stats", args=[scene.club.slug]))
    html = response.content.decode()
    assert _stats_row(html, taken)[2:4] == ["2", "3"]
    assert _stats_row(html, untaken)[2:4] == ["2", "not taken"]
    came = html[html.index('id="chart-came-caption"') : html.index('id="chart-questions')]
    # A bar for each week whose attendance was taken; the untaken week says so
    # instead of drawing a bar of 0.
    bars = re.findall(r"<title>([^<]*)</title>", came)[1:]
    assert came.count('class="chart__attended_total"') == len(bars) - 1
    assert len([b for b in bars if b.endswith(": not taken")]) == 1
    assert any(b.endswith(": 3 came") for b in bars)
