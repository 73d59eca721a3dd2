"""Invites by email: parsed back with independent parsers, at the right local time,
sent once to those who want them, in order (update, cancel)."""

from datetime import timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from clubs.models import OutboxMessage
from clubs.outbox.sending import outbox_flush
from sessions.models import MailPreferences, Session
from sessions.rota.facilitators import session_claim
from sessions.rota.weeks import session_move, session_skip
from tests.factories import MembershipFactory, UserFactory
from tests.sessions.ics import LA, parse_everywhere, planned_club
from tests.smtp_sink import smtp_sink

pytestmark = pytest.mark.django_db


def _after_dst_changes(sessions):
    """Sessions whose UTC offset differs from the week before (just after a change)."""
    return [
        later
        for earlier, later in pairwise(sessions)
        if earlier.starts_at.astimezone(LA).utcoffset()
        != later.starts_at.astimezone(LA).utcoffset()
    ]


def _invite_parts(message):
    calendars = [
        (content, mimetype)
        for content, mimetype in message.alternatives
        if mimetype.startswith("text/calendar")
    ]
    assert len(calendars) == 1
    content, mimetype = calendars[0]
    attached = [a for a in message.attachments if a[0] == "invite.ics"]
    assert len(attached) == 1
    return content, mimetype


def _fan_out(session):
    mail.outbox.clear()
    outbox_flush()
    assert len(mail.outbox) == 1
    return mail.outbox[0]


@pytest.mark.parametrize("which", [0, 1], ids=["first-change", "second-change"])
def test_invite_is_noon_local_on_both_sides_of_dst(which):
    club, _ = planned_club()
    member = MembershipFactory(club=club).user
    MailPreferences.objects.create(user=member, invites=True)
    sessions = list(Session.objects.filter(club=club).order_by("starts_at"))
    after = _after_dst_changes(sessions)[which]
    before = sessions[sessions.index(after) - 1]
    offsets = []
    for session in (before, after):
        session_claim(session=session, user=member)
        event = parse_everywhere(_invite_parts(_fan_out(session))[0].encode()).walk("VEVENT")[0]
        start = event.decoded("DTSTART")
        assert (start.hour, start.minute) == (12, 0)
        offsets.append(start.utcoffset())
    assert offsets[0] != offsets[1]


def test_invite_update_and_cancel_keep_uid_raise_sequence_and_say_method():
    club, organizer = planned_club()
    member = MembershipFactory(club=club, user=UserFactory(profile__time_zone="Europe/Berlin"))
    MailPreferences.objects.create(user=member.user, invites=True)
    session = Session.objects.filter(club=club).order_by("starts_at")[2]
    session_claim(session=session, user=member.user)
    session.refresh_from_db()

    first = _fan_out(session)
    content, mimetype = _invite_parts(first)
    calendar = parse_everywhere(content.encode())
    event = calendar.walk("VEVENT")[0]
    assert (calendar["METHOD"], mimetype) == ("REQUEST", "text/calendar; method=REQUEST")
    uid, sequence = str(event["UID"]), int(event["SEQUENCE"])
    assert sequence == session.change_count
    assert str(event["ATTENDEE"]) == f"mailto:{member.user.email}"
    berlin = session.starts_at.astimezone(ZoneInfo("Europe/Berlin"))
    assert f"{berlin:%A %-d %B %Y, %H:%M} (Europe/Berlin)" in first.body
    assert "https://meet.example.com/llm" in first.body
    assert first.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    new_start = session.starts_at + timedelta(days=1, hours=-3)
    session_move(session=session, by=organizer, starts_at=new_start, duration_minutes=90)
    update = _fan_out(session)
    event = parse_everywhere(_invite_parts(update)[0].encode()).walk("VEVENT")[0]
    assert (str(event["UID"]), int(event["SEQUENCE"])) == (uid, sequence + 1)
    assert event.decoded("DTEND") == new_start + timedelta(minutes=90)

    session_skip(session=session, by=organizer, reason="Holiday")
    cancel = _fan_out(session)
    content, mimetype = _invite_parts(cancel)
    calendar = parse_everywhere(content.encode())
    event = calendar.walk("VEVENT")[0]
    assert (calendar["METHOD"], mimetype) == ("CANCEL", "text/calendar; method=CANCEL")
    assert (str(event["UID"]), int(event["SEQUENCE"]), str(event["STATUS"])) == (
        uid,
        sequence + 2,
        "CANCELLED",
    )
    # Run again: every message is already in the outbox, nothing more leaves.
    mail.outbox.clear()
    outbox_flush()
    assert mail.outbox == []
    assert OutboxMessage.objects.filter(subject_id=session.pk, state="sent").count() == 3


def test_invites_only_to_people_who_opted_in():
    club, _ = planned_club()
    yes, no = MembershipFactory(club=club).user, MembershipFactory(club=club).user
    MailPreferences.objects.create(user=yes, invites=True)
    MailPreferences.objects.create(user=no, invites=False)
    session = Session.objects.filter(club=club).order_by("starts_at").first()
    session_claim(session=session, user=no)
    outbox_flush()
    assert [m.to for m in mail.outbox] == [[yes.email]]


def test_refused_address_fails_for_that_person_only(settings):
    club, _ = planned_club()
    people = [MembershipFactory(club=club).user for _ in range(3)]
    for person in people:
        MailPreferences.objects.create(user=person, invites=True)
    session = Session.objects.filter(club=club).order_by("starts_at").first()
    session_claim(session=session, user=people[0])
    with smtp_sink() as (sink, port):
        sink.refuse[people[1].email] = "550 5.1.1 No such user"
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
        result = outbox_flush()
        received = sorted(r for m in sink.messages for r in m.recipients)
    assert (result.sent, result.failed) == (2, 1)
    assert received == sorted([people[0].email, people[2].email])
    failed = OutboxMessage.objects.get(state="failed")
    assert (failed.address, failed.error) == (
        people[1].email,
        f"{people[1].email}: 550 5.1.1 No such user",
    )


def test_session_cancelled_before_its_invite_went_out_sends_nothing_stale():
    """The cancellation supersedes the invite nobody was sent yet: the person
    gets neither a stale invite nor a pointless cancellation."""
    club, organizer = planned_club()
    person = MembershipFactory(club=club).user
    MailPreferences.objects.create(user=person, invites=True)
    session = Session.objects.filter(club=club).order_by("starts_at").first()
    session_claim(session=session, user=person)  # owes the invite (sequence 1)
    session_skip(session=session, by=organizer, reason="Snow")  # owes the cancel (2)
    outbox_flush()
    assert mail.outbox == []


def test_session_cancelled_after_its_invite_sends_the_cancellation_last():
    club, organizer = planned_club()
    person = MembershipFactory(club=club).user
    MailPreferences.objects.create(user=person, invites=True)
    session = Session.objects.filter(club=club).order_by("starts_at").first()
    session_claim(session=session, user=person)
    outbox_flush()  # the invite (sequence 1)
    session_skip(session=session, by=organizer, reason="Snow")
    outbox_flush()  # the cancel (sequence 2)
    outbox_flush()  # a late, repeated run: nothing
    methods = [
        next(m for c, m in message.alternatives if m.startswith("text/calendar"))
        for message in mail.outbox
    ]
    assert methods == ["text/calendar; method=REQUEST", "text/calendar; method=CANCEL"]
