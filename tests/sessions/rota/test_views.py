"""Session pages: schedule, rota, claims, RSVP, the session page, the archive and its
downloads, the club home's next session, and query budgets."""

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.html import escape

from clubs.models import Club
from papers.models import Nomination, Paper
from sessions.calendars.feeds import google_event
from sessions.discussion.services import post_add
from sessions.discussion.subjects import session_subject
from sessions.models import ClubSchedule, FeedToken, Rsvp, Session, SessionPaper, Weekday, Writeup
from sessions.rota import selectors
from sessions.rota.facilitators import session_claim, session_papers_set
from sessions.rota.planning import ScheduleInput, schedule_save, sessions_plan
from sessions.rota.weeks import rsvp_set, session_mark_done, session_skip
from tests.factories import (
    ClubFactory,
    MembershipFactory,
    NominationFactory,
    PaperFactory,
    UserFactory,
)
from tests.unchanged import unchanged

pytestmark = pytest.mark.django_db

LINK = "https://meet.example.com/weekly-room"
HTMX = {"HX-Request": "true"}
ROLES = ["anonymous", "outsider", "pending", "member", "organizer"]


# --- Helpers -----------------------------------------------------------------------------


def _local_today(club) -> date:
    return timezone.localtime(timezone.now(), club.tzinfo).date()


def _weekly_input(club, weeks: int, **changes) -> ScheduleInput:
    """Weekly at noon (club time) from tomorrow, exactly `weeks` weeks."""
    first = _local_today(club) + timedelta(days=1)
    values = {
        "weekday": first.weekday(),
        "start_time": time(12, 0),
        "duration_minutes": 60,
        "meeting_link": LINK,
        "weeks_ahead": weeks,
        "first_date": first,
        "last_date": first + timedelta(weeks=weeks - 1),
    }
    return ScheduleInput(**(values | changes))


def _weekly(club, organizer, weeks: int = 4, version: int | None = None) -> list[Session]:
    schedule_save(
        club=club, by=organizer, data=_weekly_input(club, weeks), based_on_version=version
    )
    return list(Session.objects.filter(club=club).order_by("starts_at"))


def _paper(club, arxiv_id: str, title: str, **fields) -> Paper:
    return PaperFactory(club=club, arxiv_id=arxiv_id, title=title, **fields)


def _nominate(club, paper, votes: int = 0) -> Nomination:
    return NominationFactory(club=club, paper=paper, vote_count=votes)


def _member(club, **profile) -> object:
    user = UserFactory(**{f"profile__{k}": v for k, v in profile.items()})
    MembershipFactory(club=club, user=user)
    return user


def _sign_in(client, club, role, organizer, member):
    if role == "anonymous":
        return None
    user = {
        "outsider": lambda: UserFactory(),
        "pending": lambda: MembershipFactory(club=club, state="pending").user,
        "member": lambda: member,
        "organizer": lambda: organizer,
    }[role]()
    client.force_login(user)
    return user


def _rota(club) -> str:
    return reverse("sessions:rota", args=[club.slug])


def _url(name, session) -> str:
    return reverse(f"sessions:{name}", args=[session.club.slug, session.pk])


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


# --- Schedule ------------------------------------------------------------------------------


def _schedule_post(club, **changes) -> dict:
    data = _weekly_input(club, 4)
    post = {
        "weekday": data.weekday,
        "start_time": "12:00",
        "duration_minutes": 60,
        "meeting_link": LINK,
        "weeks_ahead": 4,
        "first_date": data.first_date.isoformat(),
        "last_date": "",
        "version": "",
    }
    return post | changes


def test_schedule_form_shows_the_club_time_zone(client, club, organizer):
    client.force_login(organizer)
    response = client.get(reverse("sessions:schedule", args=[club.slug]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Times here are in the club's time zone, <strong>America/Los_Angeles</strong>" in body
    assert "HH:MM in the club&#x27;s time zone, America/Los_Angeles; noon stays noon" in body
    assert response.context["form"]["version"].value() is None
    assert response.context["form"]["weeks_ahead"].value() == 8


def test_schedule_form_creates_the_weeks(client, club, organizer):
    client.force_login(organizer)
    response = client.post(
        reverse("sessions:schedule", args=[club.slug]), _schedule_post(club), follow=True
    )
    assert response.redirect_chain == [(reverse("sessions:schedule", args=[club.slug]), 302)]
    assert _messages(response) == [
        "Schedule saved: 4 weeks created, 0 weeks moved to the new time."
    ]
    schedule = ClubSchedule.objects.get(club=club)
    assert (schedule.version, schedule.weeks_ahead, schedule.start_time) == (1, 4, time(12, 0))
    assert Session.objects.filter(club=club).count() == 4
    assert response.context["form"]["version"].value() == 1


def test_schedule_form_lists_claimed_weeks_that_no_longer_fit(client, club, organizer, member):
    sessions = _weekly(club, organizer, weeks=4)
    session_claim(session=sessions[0], user=member)
    client.force_login(organizer)
    moved_weekday = (sessions[0].local_start.weekday() + 1) % 7
    response = client.post(
        reverse("sessions:schedule", args=[club.slug]),
        _schedule_post(club, weekday=moved_weekday, version=1),
        follow=True,
    )
    body = response.content.decode()
    assert response.redirect_chain == [
        (reverse("sessions:schedule", args=[club.slug]) + "#misfits", 302)
    ]
    assert [m.session.pk for m in response.context["misfits"]] == [sessions[0].pk]
    assert "1 claimed week no longer fits the schedule" in body
    assert f'href="{_url("session", sessions[0])}#manage-{sessions[0].pk}"' in body
    assert "— Person " in body


def test_schedule_last_date_before_first_shows_the_error_and_changes_nothing(
    client, club, organizer
):
    _weekly(club, organizer, weeks=4)
    client.force_login(organizer)
    first = _local_today(club) + timedelta(days=10)
    response = client.post(
        reverse("sessions:schedule", args=[club.slug]),
        _schedule_post(
            club,
            first_date=first.isoformat(),
            last_date=(first - timedelta(days=1)).isoformat(),
            weeks_ahead=12,
            version=1,
        ),
    )
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "The last date must be on or after the first date."
    ]
    schedule = ClubSchedule.objects.get(club=club)
    assert (schedule.version, schedule.weeks_ahead) == (1, 4)
    assert Session.objects.filter(club=club).count() == 4


def test_schedule_edit_from_a_stale_version_shows_the_concurrency_error(client, club, organizer):
    _weekly(club, organizer, weeks=4)
    other = MembershipFactory(club=club, role="organizer").user
    client.force_login(organizer)
    seen = client.get(reverse("sessions:schedule", args=[club.slug]))
    assert seen.context["form"]["version"].value() == 1
    schedule_save(
        club=club, by=other, data=_weekly_input(club, 6, weeks_ahead=6), based_on_version=1
    )

    response = client.post(
        reverse("sessions:schedule", args=[club.slug]),
        _schedule_post(club, weeks_ahead=12, version=1),
    )

    assert response.status_code == 200
    form = response.context["form"]
    assert form.non_field_errors() == [
        "Another organizer changed the schedule while you were editing it. "
        "Here it is as they left it: make your change again."
    ]
    assert (form["version"].value(), form["weeks_ahead"].value()) == (2, 6)
    schedule = ClubSchedule.objects.get(club=club)
    assert (schedule.version, schedule.weeks_ahead) == (2, 6)


@pytest.mark.parametrize(
    ("role", "expected"), list(zip(ROLES, ["login", 403, 403, 403, 200], strict=True))
)
def test_schedule_form_is_for_organizers(client, club, organizer, member, role, expected):
    _sign_in(client, club, role, organizer, member)
    with unchanged():
        response = client.get(reverse("sessions:schedule", args=[club.slug]))
    if expected == "login":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
    else:
        assert response.status_code == expected


# --- The rota ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "claim_buttons", "manage", "fairness"),
    [
        ("anonymous", 0, 0, False),
        ("outsider", 0, 0, False),
        ("pending", 0, 0, False),
        ("member", 3, 0, True),
        ("organizer", 3, 4, True),
    ],
)
def test_rota_shows_each_role_what_it_may_do(
    client, club, organizer, member, role, claim_buttons, manage, fairness
):
    sessions = _weekly(club, organizer, weeks=4)
    session_claim(session=sessions[1], user=organizer)
    _sign_in(client, club, role, organizer, member)
    response = client.get(_rota(club))
    body = response.content.decode()
    assert response.status_code == 200
    assert [s.pk for s in response.context["sessions"]] == [s.pk for s in sessions]
    assert body.count(">I'll facilitate<") == claim_buttons
    assert body.count("<summary>Manage this week</summary>") == manage
    assert ("Who has facilitated" in body) is fairness
    assert body.count("Needs a facilitator</span>") == 3
    assert LINK not in body


@pytest.mark.parametrize(
    ("role", "text"),
    [
        ("anonymous", "This club hasn't set a schedule yet."),
        ("member", "The organizers haven't set a schedule yet."),
        ("organizer", '<a class="button" href="/c/{slug}/schedule/">Set the schedule</a>'),
    ],
)
def test_rota_without_a_schedule_says_what_to_do(client, club, organizer, member, role, text):
    _sign_in(client, club, role, organizer, member)
    response = client.get(_rota(club))
    assert response.status_code == 200
    assert text.replace("{slug}", club.slug) in response.content.decode()


def test_rota_fairness_panel_highlights_people_who_never_facilitated(
    client, club, organizer, member
):
    sessions = _weekly(club, organizer, weeks=2)
    Session.objects.filter(pk=sessions[0].pk).update(
        starts_at=timezone.now() - timedelta(days=7),
        ends_at=timezone.now() - timedelta(days=7) + timedelta(hours=1),
        state=Session.State.DONE,
        facilitator=organizer,
    )
    client.force_login(member)
    response = client.get(_rota(club))
    fairness = response.context["fairness"]
    assert [(p.pk, p.times) for p in fairness] == [(member.pk, 0), (organizer.pk, 1)]
    assert [p.pk for p in response.context["suggested"]] == [member.pk, organizer.pk]
    body = response.content.decode()
    assert body.count('<span class="badge badge--pending">never</span>') == 1
    assert "<strong>Ask next:</strong> Person " in body


def _members_with_names(club, names):
    return [
        MembershipFactory(club=club, user=UserFactory(profile__display_name=name)).user
        for name in names
    ]


def test_rota_lists_the_first_ten_and_links_to_everyone(client, club, organizer, member):
    _members_with_names(club, [f"Zed {n:02d}" for n in range(12)])
    client.force_login(member)
    response = client.get(_rota(club))
    fairness = response.context["fairness"]
    everyone = selectors.facilitation_fairness(club=club)
    assert len(everyone) == 14
    assert [p.pk for p in fairness] == [p.pk for p in everyone[:10]]
    body = response.content.decode()
    link = reverse("sessions:facilitators", args=[club.slug])
    assert f'<a href="{link}">All 14 members, least recent first →</a>' in body


def test_rota_of_a_small_club_lists_everyone_without_a_link(client, club, organizer, member):
    client.force_login(member)
    body = client.get(_rota(club)).content.decode()
    assert reverse("sessions:facilitators", args=[club.slug]) not in body


def test_facilitators_pages_through_the_fairness_order(client, club, organizer, member):
    _members_with_names(club, [f"Person {n:03d}" for n in range(60)])
    past = _weekly(club, organizer, weeks=1)[0]
    Session.objects.filter(pk=past.pk).update(
        starts_at=timezone.now() - timedelta(days=7),
        ends_at=timezone.now() - timedelta(days=7) + timedelta(hours=1),
        state=Session.State.DONE,
        facilitator=organizer,
    )
    client.force_login(member)
    url = reverse("sessions:facilitators", args=[club.slug])
    first = client.get(url)
    second = client.get(url, {"page": 2})
    listed = [p.pk for p in first.context["people"]] + [p.pk for p in second.context["people"]]
    assert listed == [p.pk for p in selectors.facilitation_fairness(club=club)]
    assert len(first.context["people"]) == 50
    # The one person who facilitated comes last, on the second page.
    assert listed[-1] == organizer.pk
    assert "62 members · 51–62 here" in second.content.decode()


@pytest.mark.parametrize(("asked", "shown"), [("3", 2), ("0", 2), ("-1", 2), ("x", 1), ("", 1)])
def test_facilitators_page_not_there_shows_the_one_paginator_picks(
    client, club, organizer, member, asked, shown
):
    """The view reads the page asked for with the club's size, and reads again
    when that page is not there: past the end or below it the last, not a
    number the first."""
    _members_with_names(club, [f"Person {n:03d}" for n in range(60)])
    client.force_login(member)
    url = reverse("sessions:facilitators", args=[club.slug])
    everyone = [p.pk for p in selectors.facilitation_fairness(club=club)]

    response = client.get(url, {"page": asked})

    assert response.context["page"].number == shown
    assert [p.pk for p in response.context["people"]] == everyone[(shown - 1) * 50 : shown * 50]


# --- Claims --------------------------------------------------------------------------------


def test_claim_with_a_plain_post_takes_the_week_and_goes_back(client, club, organizer, member):
    session = _weekly(club, organizer)[0]
    client.force_login(member)
    response = client.post(_url("claim", session), {"next": _rota(club)}, follow=True)
    assert response.redirect_chain == [(_rota(club), 302)]
    session.refresh_from_db()
    assert (session.state, session.facilitator_id) == (Session.State.SCHEDULED, member.pk)
    when = dateformat.format(session.starts_at.astimezone(UTC), "D j M, H:i T")
    assert _messages(response) == [
        f"Thank you! You're facilitating on {when}. Choose the papers next."
    ]


def test_claim_with_htmx_swaps_the_card(client, club, organizer, member):
    session = _weekly(club, organizer)[0]
    client.force_login(member)
    response = client.post(_url("claim", session), {"next": _rota(club)}, headers=HTMX)
    body = response.content.decode()
    assert response.status_code == 200
    assert next(t.name for t in response.templates) == "sessions/_rota_card.html"
    assert body.lstrip().startswith('<article class="session-card session-card--scheduled"')
    assert "Thank you! You&#x27;re facilitating on" in body
    assert f'action="{_url("withdraw", session)}"' in body
    assert "<html" not in body
    session.refresh_from_db()
    assert session.facilitator_id == member.pk


@pytest.mark.parametrize("htmx", [False, True])
def test_claiming_a_taken_week_says_someone_just_took_it(client, club, organizer, member, htmx):
    session = _weekly(club, organizer)[0]
    session_claim(session=session, user=organizer)
    client.force_login(member)
    if htmx:
        response = client.post(_url("claim", session), headers=HTMX)
        body = response.content.decode()
        assert response.status_code == 200
        assert (
            '<p class="card-notice card-notice--error" role="alert">'
            "Someone just took this week. Pick another open week.</p>"
        ) in body
    else:
        response = client.post(_url("claim", session), follow=True)
        assert _messages(response) == ["Someone just took this week. Pick another open week."]
    session.refresh_from_db()
    assert session.facilitator_id == organizer.pk


def test_withdraw_reopens_the_week(client, club, organizer, member):
    session = _weekly(club, organizer)[0]
    session_claim(session=session, user=member)
    client.force_login(member)
    response = client.post(_url("withdraw", session), {"confirmed": "1"}, headers=HTMX)
    assert "You&#x27;ve stepped back; the week is open again." in response.content.decode()
    session.refresh_from_db()
    assert (session.state, session.facilitator_id) == (Session.State.OPEN, None)


def test_a_skip_reason_of_201_characters_is_refused_and_the_week_stays(client, club, organizer):
    session = _weekly(club, organizer)[0]
    client.force_login(organizer)
    with unchanged():
        response = client.post(
            _url("skip", session), {"reason": "r" * 201, "confirmed": "1"}, follow=True
        )
    assert [str(m) for m in response.context["messages"]] == [
        "The reason is too long: at most 200 characters (it has 201). The week is not cancelled."
    ]


def test_withdrawing_without_javascript_asks_first(client, club, organizer, member):
    session = _weekly(club, organizer)[0]
    session_claim(session=session, user=member)
    client.force_login(member)
    with unchanged():
        response = client.post(_url("withdraw", session), {"next": _rota(club)})
    assert response.templates[0].name == "confirm.html"
    assert "Step back from facilitating this week?" in response.content.decode()


def test_organizer_assigns_skips_restores_and_moves_a_week(client, club, organizer, member):
    weeks = _weekly(club, organizer)
    session = weeks[0]
    client.force_login(organizer)

    client.post(_url("assign", session), {"facilitator": member.email})
    session.refresh_from_db()
    assert (session.state, session.facilitator_id) == (Session.State.SCHEDULED, member.pk)

    client.post(_url("assign", session), {"facilitator": ""})
    session.refresh_from_db()
    assert (session.state, session.facilitator_id) == (Session.State.OPEN, None)

    client.post(_url("skip", session), {"reason": "Public holiday", "confirmed": "1"})
    session.refresh_from_db()
    assert (session.state, session.cancel_reason) == (Session.State.CANCELLED, "Public holiday")
    assert "Cancelled: Public holiday" in client.get(_rota(club)).content.decode()

    client.post(_url("restore", session))
    session.refresh_from_db()
    assert session.state == Session.State.OPEN

    # The next week moves a day later within its club-week (Monday to Sunday):
    # a Sunday week moves to the Saturday before, since the Monday after is the
    # next week's, and a week ahead is never moved into the past.
    session = weeks[1]
    when = session.local_start.date()
    day = when + timedelta(days=1 if when.weekday() < Weekday.SUNDAY else -1)
    response = client.post(
        _url("move", session),
        {"day": day.isoformat(), "at": "18:30", "duration_minutes": 90},
        follow=True,
    )
    session.refresh_from_db()
    la = ZoneInfo("America/Los_Angeles")
    assert session.starts_at == datetime.combine(day, time(18, 30), tzinfo=la)
    assert session.duration_minutes == 90
    assert session.moved is True
    assert _messages(response)[-1].startswith("Moved to ")


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Ada Lovelace", "Ada Lovelace"),
        ("ada lovelace", "Ada Lovelace"),
        ("Turing", "Alan Turing"),
        ("Ada L <ada@example.org>", "Ada Lovelace"),
        ("ADA@example.org", "Ada Lovelace"),
        ("Ada", "Ada Lovelace"),  # contained in one name only
    ],
)
def test_organizer_assigns_by_name_or_address(client, club, organizer, typed, expected):
    MembershipFactory(
        club=club, user=UserFactory(email="ada@example.org", profile__display_name="Ada Lovelace")
    )
    MembershipFactory(club=club, user=UserFactory(profile__display_name="Alan Turing"))
    session = _weekly(club, organizer)[0]
    client.force_login(organizer)
    client.post(_url("assign", session), {"facilitator": typed})
    session.refresh_from_db()
    assert session.facilitator.profile.display_name == expected


def test_assigning_an_ambiguous_name_asks_for_more(client, club, organizer):
    for _ in range(2):
        MembershipFactory(club=club, user=UserFactory(profile__display_name="Sam Lee"))
    session = _weekly(club, organizer)[0]
    client.force_login(organizer)
    response = client.post(_url("assign", session), {"facilitator": "sam lee"}, follow=True)
    assert _messages(response) == [
        "Several members match “sam lee”: type more of the name, or their email address."
    ]
    session.refresh_from_db()
    assert session.facilitator_id is None


def test_the_organizers_rota_suggests_a_few_names_not_every_member(client, club, organizer, member):
    for n in range(30):
        MembershipFactory(club=club, user=UserFactory(profile__display_name=f"Zed {n:02d}"))
    _weekly(club, organizer, weeks=3)
    client.force_login(organizer)
    body = client.get(_rota(club)).content.decode()
    suggestions = re.search(r'<datalist id="member-suggestions">(.*?)</datalist>', body, re.S)
    assert suggestions.group(1).count("<option") == 10
    assert body.count('list="member-suggestions"') == 3  # one picker per coming week
    assert "<select" not in body.split('id="member-suggestions"')[0].split("Manage this week")[1]


def test_organizer_cannot_assign_a_non_member(client, club, organizer, outsider):
    session = _weekly(club, organizer)[0]
    client.force_login(organizer)
    response = client.post(_url("assign", session), {"facilitator": outsider.email}, follow=True)
    assert _messages(response) == [f"No member of the club is called “{outsider.email}”."]
    session.refresh_from_db()
    assert session.facilitator_id is None


def test_moving_a_week_into_the_past_is_refused(client, club, organizer):
    session = _weekly(club, organizer)[0]
    client.force_login(organizer)
    response = client.post(
        _url("move", session),
        {"day": "2020-01-01", "at": "12:00", "duration_minutes": 60},
        follow=True,
    )
    assert _messages(response) == ["A session cannot be moved into the past."]
    assert Session.objects.get(pk=session.pk).starts_at == session.starts_at


def test_one_off_session_is_created_in_the_club_zone(client, club, organizer):
    client.force_login(organizer)
    day = _local_today(club) + timedelta(days=3)
    response = client.post(
        reverse("sessions:new", args=[club.slug]),
        {
            "day": day.isoformat(),
            "at": "17:00",
            "duration_minutes": 120,
            "title": "Summer meetup",
            "format": "guest",
            "location": "Room 4, Main Library",
            "meeting_link": "",
        },
    )
    session = Session.objects.get(club=club)
    assert response.status_code == 302
    assert response["Location"] == _url("session", session)
    la = ZoneInfo("America/Los_Angeles")
    assert session.starts_at == datetime.combine(day, time(17, 0), tzinfo=la)
    assert (session.title, session.format, session.location, session.series_date) == (
        "Summer meetup",
        "guest",
        "Room 4, Main Library",
        None,
    )


# --- The session page ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "sees_link"), list(zip(ROLES, [False, False, False, True, True], strict=True))
)
def test_meeting_link_is_shown_to_members_only(client, club, organizer, member, role, sees_link):
    session = _weekly(club, organizer)[0]
    _sign_in(client, club, role, organizer, member)
    response = client.get(_url("session", session))
    body = response.content.decode()
    assert response.status_code == 200
    assert (LINK in body) is sees_link
    assert ("Members see the link to join." in body) is not sees_link


def test_session_page_shows_the_time_in_the_viewers_zone_and_the_clubs(client, club, organizer):
    session = _weekly(club, organizer)[0]
    viewer = _member(club, time_zone="Asia/Kolkata")
    client.force_login(viewer)
    body = client.get(_url("session", session)).content.decode()
    kolkata = session.starts_at.astimezone(ZoneInfo("Asia/Kolkata"))
    la = session.local_start
    assert dateformat.format(kolkata, "D j M Y, H:i T") in body
    assert dateformat.format(la, "D j M Y, H:i T") in body
    assert dateformat.format(la, "H:i") == "12:00"
    assert "(Asia/Kolkata)" in body
    assert "(America/Los_Angeles)" in body


def test_session_page_shows_the_outline_headings_until_notes_are_written(
    client, club, organizer, member
):
    session = _weekly(club, organizer)[0]
    client.force_login(member)
    body = client.get(_url("session", session)).content.decode()
    for heading in ["Big idea", "Results", "Relevance", "Related work", "Open questions"]:
        assert f"<strong>{heading}</strong>" in body
    Session.objects.filter(pk=session.pk).update(notes="## Big idea\n\nAttention <em>is</em> it")
    body = client.get(_url("session", session)).content.decode()
    assert "<h2>Big idea</h2>" in body
    assert "<strong>Results</strong>" not in body


def test_session_page_lists_who_is_going_to_members_only(client, club, organizer, member):
    session = _weekly(club, organizer)[0]
    goer = _member(club, display_name="Grace Hopper")
    rsvp_set(session=session, user=goer, answer="going")
    client.force_login(member)
    assert "Grace Hopper" in client.get(_url("session", session)).content.decode()
    client.logout()
    body = client.get(_url("session", session)).content.decode()
    assert "Grace Hopper" not in body
    assert "1 going · 0 maybe · 0 not going" in body


def test_facilitator_chooses_papers_top_voted_first(client, club, organizer, member):
    session = _weekly(club, organizer)[0]
    low = _nominate(club, _paper(club, "2301.00001", "Low votes"), votes=1)
    high = _nominate(club, _paper(club, "2301.00002", "High votes"), votes=5)
    session_claim(session=session, user=member)
    client.force_login(member)
    page = client.get(_url("session", session))
    assert [n.pk for n in page.context["candidates"]] == [high.pk, low.pk]

    response = client.post(_url("papers", session), {"nomination": [high.pk]}, follow=True)

    assert _messages(response) == ["Saved: 1 paper for this session."]
    assert list(session.papers.values_list("nomination_id", flat=True)) == [high.pk]
    high.refresh_from_db()
    assert high.state == Nomination.State.SCHEDULED
    assert [n.pk for n in response.context["candidates"]] == [high.pk, low.pk]
    assert response.context["candidates"][0].chosen is True


def test_survey_week_takes_minutes_per_paper(client, club, organizer, member):
    session = _weekly(club, organizer)[0]
    Session.objects.filter(pk=session.pk).update(format=Session.Format.SURVEY)
    first = _nominate(club, _paper(club, "2301.00001", "One"))
    second = _nominate(club, _paper(club, "2301.00002", "Two"))
    client.force_login(organizer)
    client.post(
        _url("papers", session),
        {
            "nomination": [second.pk, first.pk],
            f"minutes-{second.pk}": "20",
            f"minutes-{first.pk}": "",
        },
    )
    assert list(
        SessionPaper.objects.filter(session=session).values_list("nomination", "minutes")
    ) == [
        (second.pk, 20),
        (first.pk, None),
    ]


@pytest.mark.parametrize("name", ["papers", "details", "done"])
def test_a_member_who_does_not_facilitate_gets_403(client, club, organizer, member, name):
    session = _weekly(club, organizer)[0]
    client.force_login(member)
    with unchanged():
        assert client.post(_url(name, session), {"format": "single"}).status_code == 403


def test_facilitator_edits_the_details(client, club, organizer, member):
    session = _weekly(club, organizer)[0]
    session_claim(session=session, user=member)
    client.force_login(member)
    response = client.post(
        _url("details", session),
        {
            "title": "Attention, slowly",
            "format": "single",
            "co_facilitator": organizer.profile.display_name.upper(),  # any case
            "notes": "## Big idea\nAttention",
            "meeting_link": "https://meet.example.com/other",
            "location": "",
            "slides_url": "https://slides.example.com/1",
            "recording_url": "",
        },
    )
    assert response.status_code == 302
    session.refresh_from_db()
    assert (session.title, session.co_facilitator_id, session.slides_url) == (
        "Attention, slowly",
        organizer.pk,
        "https://slides.example.com/1",
    )


def test_details_with_a_bad_link_shows_the_form_again(client, club, organizer, member):
    session = _weekly(club, organizer)[0]
    session_claim(session=session, user=member)
    client.force_login(member)
    response = client.post(
        _url("details", session), {"format": "single", "slides_url": "not a link at all"}
    )
    assert response.status_code == 200
    assert response.context["details_form"].errors == {"slides_url": ["Enter a valid URL."]}


def test_facilitator_marks_a_started_session_done(client, club, organizer, member):
    session = _weekly(club, organizer)[0]
    session_claim(session=session, user=member)
    nomination = _nominate(club, _paper(club, "2301.00001", "One"))
    session_papers_set(session=session, by=member, picks=[(nomination.pk, None)])
    past = timezone.now() - timedelta(minutes=30)
    Session.objects.filter(pk=session.pk).update(starts_at=past, ends_at=past + timedelta(hours=1))
    client.force_login(member)
    assert "Mark done" in client.get(_url("session", session)).content.decode()
    client.post(_url("done", session))
    session.refresh_from_db()
    nomination.refresh_from_db()
    assert session.state == Session.State.DONE
    assert nomination.state == Nomination.State.COVERED


# --- RSVP ----------------------------------------------------------------------------------


def test_rsvp_with_htmx_returns_the_pressed_answer_and_counts(client, club, organizer, member):
    session = _weekly(club, organizer)[0]
    rsvp_set(session=session, user=organizer, answer="going")
    client.force_login(member)
    response = client.post(
        _url("rsvp", session), {"answer": "maybe", "with_people": "1"}, headers=HTMX
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert next(t.name for t in response.templates) == "sessions/_rsvp.html"
    assert (
        'value="going" class="rsvp__choice" aria-pressed="false">'
        'Going <span class="rsvp__count">1</span>'
    ) in body
    assert (
        'value="maybe" class="rsvp__choice" aria-pressed="true">'
        'Maybe <span class="rsvp__count">1</span>'
    ) in body
    assert 'aria-pressed="true"' in body
    assert body.count('aria-pressed="true"') == 1
    assert '<span class="muted">Going:</span> Person ' in body
    assert Rsvp.objects.get(session=session, user=member).answer == "maybe"

    response = client.post(_url("rsvp", session), {"answer": "going"}, headers=HTMX)
    body = response.content.decode()
    assert (
        'value="going" class="rsvp__choice" aria-pressed="true">'
        'Going <span class="rsvp__count">2</span>'
    ) in body
    assert 'Maybe <span class="rsvp__count">0</span>' in body


def test_rsvp_with_a_plain_post_goes_back(client, club, organizer, member):
    session = _weekly(club, organizer)[0]
    client.force_login(member)
    home = reverse("clubs:home", args=[club.slug])
    response = client.post(_url("rsvp", session), {"answer": "going", "next": home}, follow=True)
    assert response.redirect_chain == [(home, 302)]
    assert _messages(response) == ["Thanks, your answer is saved."]
    assert Rsvp.objects.get(session=session, user=member).answer == "going"


def _calendar_prompt(body: str) -> str:
    found = re.search(r'<div class="calendar-prompt.*?</div>', body, re.S)
    return found.group(0) if found else ""


def _feed_webcal(user) -> str:
    token = FeedToken.objects.get(user=user).token
    return (
        "webcal://"
        + (settings.SITE_URL + reverse("calendars:personal", args=[token])).split("://", 1)[1]
    )


def test_rsvp_going_with_htmx_offers_the_calendars(client, club, organizer, member):
    session = _weekly(club, organizer)[0]
    client.force_login(member)
    prompt = _calendar_prompt(
        client.post(_url("rsvp", session), {"answer": "going"}, headers=HTMX).content.decode()
    )
    assert "<strong>You're going. Add it to your calendar:</strong>" in prompt
    assert f'href="{escape(google_event(session))}"' in prompt
    assert f'href="{_feed_webcal(member)}">Apple Calendar</a>' in prompt
    ics = reverse("calendars:session_ics", args=[club.slug, session.pk])
    assert f'href="{ics}" download>Download .ics</a>' in prompt


@pytest.mark.parametrize("answer", ["maybe", "not_going"])
def test_rsvp_other_answers_offer_no_calendar(client, club, organizer, member, answer):
    session = _weekly(club, organizer)[0]
    client.force_login(member)
    body = client.post(_url("rsvp", session), {"answer": answer}, headers=HTMX).content.decode()
    assert _calendar_prompt(body) == ""
    client.post(_url("rsvp", session), {"answer": answer, "next": _url("session", session)})
    assert _calendar_prompt(client.get(_url("session", session)).content.decode()) == ""


@pytest.mark.parametrize("back_to", ["session", "home"])
def test_rsvp_going_without_javascript_offers_the_calendars_once(
    client, club, organizer, member, back_to
):
    session = _weekly(club, organizer)[0]
    client.force_login(member)
    page = (
        _url("session", session)
        if back_to == "session"
        else reverse("clubs:home", args=[club.slug])
    )
    response = client.post(_url("rsvp", session), {"answer": "going", "next": page}, follow=True)
    assert response.redirect_chain == [(page, 302)]
    prompt = _calendar_prompt(response.content.decode())
    assert f'href="{_feed_webcal(member)}">Apple Calendar</a>' in prompt
    assert (
        f'href="{reverse("calendars:session_ics", args=[club.slug, session.pk])}" download>'
        in prompt
    )
    assert _calendar_prompt(client.get(page).content.decode()) == ""  # one moment only


def test_rsvp_to_a_cancelled_week_is_refused(client, club, organizer, member):
    session = _weekly(club, organizer)[0]
    session_skip(session=session, by=organizer, reason="Holiday")
    client.force_login(member)
    response = client.post(_url("rsvp", session), {"answer": "going"}, headers=HTMX)
    assert '<p class="rsvp__error" role="alert">This week is cancelled.</p>' in (
        response.content.decode()
    )
    assert not Rsvp.objects.exists()


# --- The club home -------------------------------------------------------------------------


def test_club_home_calls_for_a_facilitator_with_a_one_click_claim(client, club, organizer, member):
    session = _weekly(club, organizer)[0]
    client.force_login(member)
    home = reverse("clubs:home", args=[club.slug])
    body = client.get(home).content.decode()
    assert "<strong>This week needs a facilitator.</strong>" in body
    assert f'action="{_url("claim", session)}"' in body
    assert f'action="{_url("rsvp", session)}"' in body

    response = client.post(_url("claim", session), {"next": home}, follow=True)

    body = response.content.decode()
    assert response.redirect_chain == [(home, 302)]
    assert "This week needs a facilitator." not in body
    name = member.profile.display_name
    assert f'<span>{name} <span class="badge badge--you">you</span></span>' in body
    assert f'action="{_url("withdraw", session)}"' not in body


def test_club_home_lists_open_weeks_for_organizers(client, club, organizer, member):
    sessions = _weekly(club, organizer, weeks=3)
    session_claim(session=sessions[0], user=member)
    client.force_login(organizer)
    response = client.get(reverse("clubs:home", args=[club.slug]))
    body = response.content.decode()
    assert [s.pk for s in response.context["open_weeks"]] == [sessions[1].pk, sessions[2].pk]
    assert "Weeks that need a facilitator" in body
    client.force_login(member)
    assert (
        "Weeks that need a facilitator"
        not in client.get(reverse("clubs:home", args=[club.slug])).content.decode()
    )


def test_club_home_without_a_schedule_asks_organizers_to_set_one(client, club, organizer):
    client.force_login(organizer)
    body = client.get(reverse("clubs:home", args=[club.slug])).content.decode()
    assert "No session scheduled" in body
    assert f'<a class="button" href="/c/{club.slug}/schedule/">Set the schedule</a>' in body


# --- The archive ---------------------------------------------------------------------------


@pytest.fixture
def archive_club(db):
    """Two past sessions of a club whose name needs escaping in BibTeX."""
    club = ClubFactory(name="Ampersand & Co Readers", slug="amp", time_zone="America/Los_Angeles")
    organizer = MembershipFactory(club=club, role="organizer").user
    ada = _member(club, display_name="Ada Lovelace")
    grace = _member(club, display_name="Grace Hopper")
    attention = _paper(
        club,
        "1706.03762",
        "Attention Is All You Need",
        authors=["Ashish Vaswani", "Noam Shazeer"],
        published_at=datetime(2017, 6, 12, tzinfo=UTC),
        year=2017,
        primary_category="cs.CL",
        abs_url="https://arxiv.org/abs/1706.03762",
    )
    lora = _paper(
        club,
        "2106.09685",
        "LoRA: Low-Rank Adaptation of Large Language Models",
        authors=["Edward J. Hu", "Yelong Shen"],
        published_at=datetime(2021, 6, 17, tzinfo=UTC),
        year=2021,
        primary_category="cs.CL",
    )
    notes = Paper.objects.create(
        club=club,
        title="Notes on {Sets} & 50% of $x_1$ #1 ~ ^",
        url="https://example.com/notes_1",
        metadata_state=Paper.MetadataState.READY,
    )
    # Two Wednesdays at noon in Los Angeles, planned as the beat would have.
    schedule_save(
        club=club,
        by=organizer,
        data=ScheduleInput(
            weekday=2,
            start_time=time(12, 0),
            duration_minutes=60,
            meeting_link=LINK,
            weeks_ahead=4,
            first_date=date(2024, 1, 3),
            last_date=date(2024, 1, 10),
        ),
        based_on_version=None,
    )
    sessions_plan(club=club, now=datetime(2024, 1, 1, tzinfo=UTC))
    first, second = Session.objects.filter(club=club).order_by("starts_at")
    for session, person, papers, fields in [
        (
            first,
            ada,
            [attention],
            {"title": "Transformers week", "slides_url": "https://slides.example.com/1"},
        ),
        (
            second,
            grace,
            [lora, notes],
            {"title": "=HYPERLINK(x)", "recording_url": "https://video.example.com/2"},
        ),
    ]:
        Session.objects.filter(pk=session.pk).update(
            facilitator=person, state=Session.State.SCHEDULED, **fields
        )
        SessionPaper.objects.bulk_create(
            SessionPaper(session=session, nomination=_nominate(club, paper), position=i)
            for i, paper in enumerate(papers)
        )
        session_mark_done(session=session)
    return club, notes


def test_archive_csv_lists_past_sessions_newest_first(client, archive_club):
    club, _ = archive_club
    response = client.get(reverse("sessions:archive_csv", args=[club.slug]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="amp-archive.csv"'
    assert response.content.decode() == (
        "date,title,papers,arxiv_ids,facilitator,slides,recording,write_up_url,write_up\r\n"
        "2024-01-10,'=HYPERLINK(x),LoRA: Low-Rank Adaptation of Large Language Models; "
        "Notes on {Sets} & 50% of $x_1$ #1 ~ ^,2106.09685,Grace Hopper,,"
        "https://video.example.com/2,,\r\n"
        "2024-01-03,Transformers week,Attention Is All You Need,1706.03762,Ada Lovelace,"
        "https://slides.example.com/1,,,\r\n"
    )


def test_archive_bibtex_has_one_entry_per_paper_read(client, archive_club):
    club, notes = archive_club
    response = client.get(reverse("sessions:archive_bib", args=[club.slug]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-bibtex; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="amp-archive.bib"'
    assert response.content.decode() == (
        "@misc{hu2021lora,\n"
        "  title = {LoRA: Low-Rank Adaptation of Large Language Models},\n"
        "  author = {Edward J. Hu and Yelong Shen},\n"
        "  year = {2021},\n"
        "  eprint = {2106.09685},\n"
        "  archivePrefix = {arXiv},\n"
        "  primaryClass = {cs.CL},\n"
        "  url = {https://arxiv.org/abs/2106.09685},\n"
        "  note = {Read by Ampersand \\& Co Readers on 2024-01-10}\n"
        "}\n"
        "\n"
        f"@misc{{paper-{notes.pk},\n"
        "  title = {Notes on \\{Sets\\} \\& 50\\% of \\$x\\_1\\$ \\#1 "
        "\\textasciitilde{} \\textasciicircum{}},\n"
        "  url = {https://example.com/notes_1},\n"
        "  note = {Read by Ampersand \\& Co Readers on 2024-01-10}\n"
        "}\n"
        "\n"
        "@misc{vaswani2017attention,\n"
        "  title = {Attention Is All You Need},\n"
        "  author = {Ashish Vaswani and Noam Shazeer},\n"
        "  year = {2017},\n"
        "  eprint = {1706.03762},\n"
        "  archivePrefix = {arXiv},\n"
        "  primaryClass = {cs.CL},\n"
        "  url = {https://arxiv.org/abs/1706.03762},\n"
        "  note = {Read by Ampersand \\& Co Readers on 2024-01-03}\n"
        "}\n"
    )


def test_archive_page_is_public(client, archive_club):
    club, _ = archive_club
    response = client.get(reverse("sessions:archive", args=[club.slug]))
    body = response.content.decode()
    assert response.status_code == 200
    assert [s.title for s in response.context["page"].object_list] == [
        "=HYPERLINK(x)",
        "Transformers week",
    ]
    assert '<a href="https://slides.example.com/1" rel="noopener">Slides</a>' in body
    assert f'href="/c/{club.slug}/archive.bib"' in body
    assert LINK not in body


def test_an_archive_row_shows_its_people_papers_and_links(
    client, django_assert_num_queries, archive_club
):
    """What the page reads of each row (selectors.archive_page) is all it shows:
    names from a profile or an address, papers with authors, year and minutes,
    write-up and discussion, without one more statement."""
    club, notes = archive_club
    second = Session.objects.filter(club=club).order_by("-starts_at")[0]
    nameless = _member(club, display_name="")
    nameless.email = "quiet.reader@example.com"
    nameless.save()
    Session.objects.filter(pk=second.pk).update(co_facilitator=nameless)
    SessionPaper.objects.filter(session=second, nomination__paper=notes).update(minutes=25)
    Writeup.objects.create(session=second, text="We read LoRA.")
    post_add(subject=session_subject(club, second), user=nameless, body="A thought")

    with django_assert_num_queries(4):
        body = client.get(reverse("sessions:archive", args=[club.slug])).content.decode()

    assert "Grace Hopper with quiet.reader</td>" in body
    assert "Ada Lovelace</td>" in body
    lora = Nomination.objects.get(club=club, paper__arxiv_id="2106.09685")
    assert (
        f'<a href="/c/{club.slug}/papers/{lora.pk}/">LoRA: Low-Rank Adaptation of Large '
        "Language Models</a>" in body
    )
    assert '<span class="session-papers__meta">Edward J. Hu, Yelong Shen, 2021</span>' in body
    assert '<span class="session-papers__meta"> · 25 min</span>' in body
    writeup = reverse("writeups:page", args=[club.slug, second.pk])
    assert f'<a href="{writeup}">Write-up</a>' in body
    assert "Discussion (1 post)</a>" in body


def test_archive_of_a_private_club_is_hidden_from_outsiders(client, archive_club):
    club, _ = archive_club
    Club.objects.filter(pk=club.pk).update(visibility="private", join_policy="invite")
    for name in ["archive", "archive_csv", "archive_bib"]:
        with unchanged():
            assert client.get(reverse(f"sessions:{name}", args=[club.slug])).status_code == 404


# --- Query budgets: a literal count, the same at one row as at three ------------------

ROWS = [1, 3]


def _busy_weeks(club, organizer, weeks: int, version: int | None) -> list[Session]:
    """`weeks` coming weeks, every other one claimed with a paper, with RSVPs."""
    sessions = _weekly(club, organizer, weeks=weeks, version=version)
    people = [_member(club) for _ in range(3)]
    for index, session in enumerate(sessions):
        if session.papers.exists() or session.state != Session.State.OPEN:
            continue
        if index % 2 == 0:
            person = people[index % 3]
            session_claim(session=session, user=person)
            nomination = _nominate(club, _paper(club, f"2402.{session.pk:05d}", f"Paper {index}"))
            session_papers_set(session=session, by=person, picks=[(nomination.pk, None)])
        for person in people:
            rsvp_set(session=session, user=person, answer="going")
    _nominate(club, _paper(club, f"2403.{weeks:05d}", f"Spare {weeks}"), votes=weeks)
    return sessions


@pytest.mark.parametrize("rows", ROWS)
@pytest.mark.parametrize(("role", "queries"), [("anonymous", 4), ("member", 9), ("organizer", 9)])
def test_rota_queries(
    client, django_assert_num_queries, club, organizer, member, role, queries, rows
):
    _busy_weeks(club, organizer, rows, None)
    _sign_in(client, club, role, organizer, member)
    with django_assert_num_queries(queries):
        response = client.get(_rota(club))
    assert len(response.context["sessions"]) == rows


@pytest.mark.parametrize("rows", ROWS)
@pytest.mark.parametrize(
    # With the papers the club read, for the top cards' signals (papers/signals.py).
    ("role", "queries"),
    [("anonymous", 11), ("member", 14), ("organizer", 14)],
)
def test_club_home_queries_with_weeks(
    client, django_assert_num_queries, club, organizer, member, role, queries, rows
):
    _busy_weeks(club, organizer, rows, None)
    _sign_in(client, club, role, organizer, member)
    with django_assert_num_queries(queries):
        response = client.get(reverse("clubs:home", args=[club.slug]))
    assert len(response.context["open_weeks"]) == rows // 2  # every other week is claimed


def _full_week(club, organizer, member, rows: int) -> Session:
    """Next week, a survey week (several papers) facilitated by `member`, with
    `rows` papers and `rows` people going."""
    session = _weekly(club, organizer, weeks=1)[0]
    Session.objects.filter(pk=session.pk).update(format=Session.Format.SURVEY)
    session.refresh_from_db()
    session_claim(session=session, user=member)
    picks = [
        (_nominate(club, _paper(club, f"2404.{n:05d}", f"Paper {n}")).pk, None) for n in range(rows)
    ]
    session_papers_set(session=session, by=member, picks=picks)
    session.refresh_from_db()
    subject = session_subject(club, session)
    for person in [_member(club) for _ in range(rows)]:
        rsvp_set(session=session, user=person, answer="going")
        # The week's discussion: a post and a reply each.
        top = post_add(subject=subject, user=person, body="A thought")
        post_add(subject=subject, user=member, body="A reply", parent_id=top.pk)
    return session


@pytest.mark.parametrize("rows", ROWS)
@pytest.mark.parametrize(
    ("role", "queries"),
    [("anonymous", 7), ("member", 10), ("facilitator", 14), ("organizer", 14)],
)
def test_session_page_queries(
    client, django_assert_num_queries, club, organizer, member, role, queries, rows
):
    session = _full_week(club, organizer, member, rows)
    if role == "facilitator":
        client.force_login(member)
    else:
        _sign_in(client, club, role, organizer, _member(club))
    with django_assert_num_queries(queries):
        response = client.get(_url("session", session))
    assert len(response.context["session"].ordered_papers) == rows
    if role != "anonymous":  # who is going is for members' eyes; the facilitator is going
        assert len(response.context["going"]) == rows + 1


@pytest.mark.parametrize("rows", ROWS)
def test_facilitators_queries(client, django_assert_num_queries, club, organizer, member, rows):
    _members_with_names(club, [f"Person {n:03d}" for n in range(rows)])
    client.force_login(member)
    with django_assert_num_queries(6):
        response = client.get(reverse("sessions:facilitators", args=[club.slug]))
    assert len(response.context["people"]) == rows + 2  # and the organizer and the member


def _finish(club, organizer, count: int) -> None:
    """Move the next `count` coming weeks into the past, one week apart, and mark them done."""
    done = Session.objects.filter(club=club, state=Session.State.DONE).count()
    coming = Session.objects.filter(club=club).exclude(state=Session.State.DONE)
    for weeks_ago, session in enumerate(list(coming.order_by("starts_at")[:count]), done + 1):
        past = timezone.now() - timedelta(weeks=weeks_ago)
        Session.objects.filter(pk=session.pk).update(
            starts_at=past,
            ends_at=past + timedelta(hours=1),
            facilitator=organizer,
            state=Session.State.SCHEDULED,
        )
        session_mark_done(session=session)


@pytest.mark.parametrize("rows", ROWS)
@pytest.mark.parametrize(
    ("name", "queries"), [("archive", 4), ("archive_csv", 3), ("archive_bib", 3)]
)
def test_archive_queries(client, django_assert_num_queries, club, organizer, name, queries, rows):
    _busy_weeks(club, organizer, rows, None)
    _finish(club, organizer, rows)
    assert Session.objects.filter(club=club, state=Session.State.DONE).count() == rows
    with django_assert_num_queries(queries):
        response = client.get(reverse(f"sessions:{name}", args=[club.slug]))
    assert response.status_code == 200
    if name == "archive":
        assert len(response.context["page"].object_list) == rows


def test_a_cancelled_week_offers_nothing_to_join_or_prepare(client, club, organizer, member):
    session = _weekly(club, organizer)[0]
    session_skip(session=session, by=organizer, reason="Snow")
    client.force_login(member)
    body = client.get(_url("session", session)).content.decode()
    assert "This week is cancelled</strong>: Snow" in body
    for gone in (
        LINK,  # the meeting link
        reverse("calendars:session_ics", args=[club.slug, session.pk]),  # add to calendar
        'name="answer"',  # RSVP
        'id="pre-read"',
        'id="questions"',
        reverse("reading:ask", args=[club.slug, session.pk]),
    ):
        assert gone not in body


def test_the_facilitator_counts_as_going(client, club, organizer, member):
    claimed, assigned = _weekly(club, organizer)[:2]
    session_claim(session=claimed, user=member)
    client.force_login(organizer)
    client.post(_url("assign", assigned), {"facilitator": member.email})
    for session in (claimed, assigned):
        assert Rsvp.objects.get(session=session, user=member).answer == Rsvp.Answer.GOING
    card = client.get(_rota(club)).content.decode()
    assert card.count("1 going · 0 maybe") == 2
