"""What each message says, to whom: the facilitator's invite says they facilitate,
reminders say the club's own timing in the reader's zone, every mail names the
site from settings (never a host and port)."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.test import override_settings
from django.utils import timezone

from clubs.outbox.sending import outbox_flush
from sessions.calendars.changes import sessions_calendar_changed
from sessions.mail import reminders
from sessions.mail.kinds import Kind
from sessions.mail.messages import build_message
from sessions.models import ClubReminders, MailPreferences, Session
from sessions.rota.weeks import SessionDetails, session_details_update
from tests.factories import ClubFactory, MembershipFactory, UserFactory, session_at

pytestmark = pytest.mark.django_db


def _send_invites(session):
    """What a material change owes, and a worker's run (here and now)."""
    sessions_calendar_changed(session_ids=[session.pk])
    outbox_flush()


def _people(club, n):
    return [MembershipFactory(club=club).user for _ in range(n)]


def _opt_in(*users):
    for user in users:
        MailPreferences.objects.create(user=user, invites=True)


def _body(message) -> str:
    return message.body


def _html(message) -> str:
    return next(content for content, mime in message.alternatives if mime == "text/html")


def _to(address):
    found = [m for m in mail.outbox if m.to == [address]]
    assert len(found) == 1, [m.to for m in mail.outbox]
    return found[0]


def test_invite_tells_facilitator_co_facilitator_and_member_their_part():
    club = ClubFactory(name="Attention Club")
    facilitator, co, member = _people(club, 3)
    _opt_in(facilitator, co, member)
    session = session_at(club, starts_in=timedelta(days=4), facilitator=facilitator)
    session.co_facilitator = co
    session.save()

    _send_invites(session)

    mine = _to(facilitator.email)
    assert mine.subject.startswith("You facilitate Attention Club, ")
    assert "You are facilitating this session." in _body(mine)
    assert f"{co.profile.name} co-facilitates with you." in _body(mine)
    assert "You are invited" not in _body(mine)
    theirs = _to(co.email)
    assert theirs.subject.startswith("You co-facilitate Attention Club, ")
    assert f"You are co-facilitating this session with {facilitator.profile.name}." in _body(theirs)
    everyone = _to(member.email)
    assert everyone.subject.startswith("Attention Club, ")
    assert "You are invited to this session." in _body(everyone)
    assert "Say whether you're going on the session page" in _body(everyone)


def test_second_invite_is_an_update_for_those_who_had_the_first():
    club = ClubFactory(name="Attention Club")
    facilitator, member = _people(club, 2)
    _opt_in(member)
    session = session_at(club, starts_in=timedelta(days=4), facilitator=facilitator)
    _send_invites(session)
    latecomer = MembershipFactory(club=club).user
    _opt_in(latecomer)
    mail.outbox.clear()

    session_details_update(
        session=session,
        by=facilitator,
        details=SessionDetails(
            title="",
            format="single",
            notes="",
            meeting_link="https://meet.example.com/new",
            location="",
            slides_url="",
            recording_url="",
            co_facilitator_id=None,
        ),
    )
    _send_invites(session)

    update = _to(member.email)
    assert update.subject.startswith("Updated: Attention Club, ")
    assert "The details of this session changed" in _body(update)
    first = _to(latecomer.email)
    assert first.subject.startswith("Attention Club, ")
    assert "You are invited to this session." in _body(first)


@pytest.mark.parametrize(
    ("kind", "setting", "value", "starts_in", "expected"),
    [
        (Kind.SOON, "starting_soon_minutes", 30, timedelta(minutes=30), "in 30 minutes"),
        (Kind.SOON, "starting_soon_minutes", 120, timedelta(hours=2), "in 2 hours, at "),
        (Kind.NUDGE, "preread_nudge_hours", 72, timedelta(hours=72), "in 3 days, on "),
        (Kind.PREP, "facilitator_prep_days", 1, timedelta(days=1), "tomorrow at "),
        (Kind.VOLUNTEER, "volunteer_needed_days", 7, timedelta(days=7), "in 7 days, on "),
    ],
)
def test_reminder_says_the_clubs_timing(kind, setting, value, starts_in, expected):
    club = ClubFactory(time_zone="UTC")
    ClubReminders.objects.create(club=club, **{setting: value})
    facilitator, member = _people(club, 2)
    state = "open" if kind == Kind.VOLUNTEER else "scheduled"
    # The scan came four minutes late: the text still says what the club set.
    session = session_at(
        club,
        starts_in=starts_in - timedelta(minutes=4),
        state=state,
        facilitator=None if state == "open" else facilitator,
    )

    message = build_message(kind=kind, session=session, user=member, sequence=0, message_id="<x@y>")

    assert expected in _body(message)
    assert "two days" not in _body(message)
    assert "within the hour" not in _body(message)


def test_reminder_sent_long_after_its_moment_says_the_true_distance():
    club = ClubFactory(time_zone="UTC")
    ClubReminders.objects.create(club=club, preread_nudge_hours=48)
    member = _people(club, 1)[0]
    session = session_at(club, starts_in=timedelta(hours=40), facilitator=member)

    message = build_message(
        kind=Kind.NUDGE, session=session, user=member, sequence=0, message_id="<x@y>"
    )

    start = session.starts_at
    days = (start.date() - timezone.now().date()).days
    expected = "tomorrow at" if days == 1 else "in 2 days, on"
    assert f"The session is {expected} " in _body(message)


def test_reminder_is_written_in_the_recipients_zone():
    club = ClubFactory(time_zone="UTC")
    ClubReminders.objects.create(club=club, starting_soon_minutes=120)
    member = MembershipFactory(club=club, user=UserFactory(profile__time_zone="Asia/Tokyo")).user
    session = session_at(club, starts_in=timedelta(hours=2), facilitator=member)
    local = session.starts_at.astimezone(ZoneInfo("Asia/Tokyo"))

    message = build_message(
        kind=Kind.SOON, session=session, user=member, sequence=0, message_id="<x@y>"
    )

    assert f"in 2 hours, at {local:%H:%M}" in message.subject
    assert "(Asia/Tokyo)" in _body(message)


ALL_KINDS = [Kind.INVITE, Kind.CANCEL, Kind.ASSIGNED, *reminders.REMINDER_KINDS]


@override_settings(SITE_NAME="Reading Room", SITE_URL="http://127.0.0.1:8000")
@pytest.mark.parametrize("kind", ALL_KINDS)
def test_every_session_mail_names_the_site_not_a_host(kind):
    club = ClubFactory()
    facilitator = _people(club, 1)[0]
    state = {Kind.CANCEL: "cancelled", Kind.VOLUNTEER: "open", Kind.FOLLOW_UP: "done"}
    session = session_at(
        club,
        starts_in=timedelta(days=2),
        state=state.get(kind, "scheduled"),
        facilitator=None if kind == Kind.VOLUNTEER else facilitator,
    )
    if kind == Kind.CANCEL:
        Session.objects.filter(pk=session.pk).update(facilitator=None)
        session.refresh_from_db()

    message = build_message(
        kind=kind, session=session, user=facilitator, sequence=1, message_id="<x@y>"
    )

    for text in (message.subject, _body(message), _html(message)):
        assert "Paper Club" not in text
    for text in (_body(message), _html(message)):
        assert f"{club.name} on Reading Room." in text
        without_links = text.replace("http://127.0.0.1:8000/", "")
        assert "127.0.0.1" not in without_links
