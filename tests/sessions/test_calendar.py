"""Feeds and invites: parsed back with two independent parsers, at the right local time."""

from datetime import time, timedelta
from zoneinfo import ZoneInfo

import pytest
import vobject
from django.core import mail, signing
from django.urls import reverse
from django.utils import timezone
from ical.calendar_stream import IcsCalendarStream
from icalendar import Calendar

from sessions import feeds, mailing
from sessions.models import Delivery, FeedToken, MailPreferences, Session
from sessions.services import ScheduleInput, schedule_save, session_claim, session_skip
from tests.factories import ClubFactory, MembershipFactory, UserFactory
from tests.smtp_sink import smtp_sink

pytestmark = pytest.mark.django_db
LA = ZoneInfo("America/Los_Angeles")


def _parse_everywhere(ics: bytes) -> Calendar:
    text = ics.decode()
    vobject.readOne(text, validate=True)  # raises on a missing UID, DTSTAMP…
    IcsCalendarStream.calendar_from_ics(text)  # raises on bad zones or rules
    calendar = Calendar.from_ical(ics)
    assert [component.errors for component in calendar.walk()] == [[] for _ in calendar.walk()]
    return calendar


def _planned():
    """A weekly Wednesday-noon Los Angeles club, planned a year ahead from today,
    so its sessions cross both daylight saving changes, whatever today is."""
    club = ClubFactory(time_zone="America/Los_Angeles", name="LLM Club")
    organizer = MembershipFactory(club=club, role="organizer").user
    data = ScheduleInput(
        weekday=2,
        start_time=time(12, 0),
        duration_minutes=60,
        meeting_link="https://meet.example.com/llm",
        weeks_ahead=52,
        first_date=timezone.now().astimezone(LA).date(),
        last_date=None,
    )
    schedule_save(club=club, by=organizer, data=data, based_on_version=None)
    return club, organizer


def _after_dst_changes(sessions):
    """Sessions whose UTC offset differs from the week before (just after a change)."""
    return [
        later
        for earlier, later in zip(sessions, sessions[1:], strict=False)
        if earlier.starts_at.astimezone(LA).utcoffset()
        != later.starts_at.astimezone(LA).utcoffset()
    ]


def test_feed_keeps_noon_across_both_dst_changes():
    club, _ = _planned()
    ics = feeds.club_feed(club=club)
    calendar = _parse_everywhere(ics)
    assert calendar["METHOD"] == "PUBLISH"
    starts = [event.decoded("DTSTART") for event in calendar.walk("VEVENT")]
    assert len(starts) >= 52
    assert {(s.hour, s.minute, s.weekday()) for s in starts} == {(12, 0, 2)}
    offsets = [s.utcoffset() for s in starts]
    changes = [(a, b) for a, b in zip(offsets, offsets[1:], strict=False) if a != b]
    assert sorted(changes) == sorted(
        [(timedelta(hours=-8), timedelta(hours=-7)), (timedelta(hours=-7), timedelta(hours=-8))]
    )
    assert b"BEGIN:VTIMEZONE" in ics
    # Shared feeds never carry the meeting link.
    assert b"meet.example.com" not in ics


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
    mailing.invites_send(session_id=session.pk)
    assert len(mail.outbox) == 1
    return mail.outbox[0]


@pytest.mark.parametrize("which", [0, 1], ids=["first-change", "second-change"])
def test_invite_is_noon_local_on_both_sides_of_dst(which):
    club, _ = _planned()
    member = MembershipFactory(club=club).user
    MailPreferences.objects.create(user=member, invites=True)
    sessions = list(Session.objects.filter(club=club).order_by("starts_at"))
    after = _after_dst_changes(sessions)[which]
    before = sessions[sessions.index(after) - 1]
    offsets = []
    for session in (before, after):
        session_claim(session=session, user=member)
        event = _parse_everywhere(_invite_parts(_fan_out(session))[0].encode()).walk("VEVENT")[0]
        start = event.decoded("DTSTART")
        assert (start.hour, start.minute) == (12, 0)
        offsets.append(start.utcoffset())
    assert offsets[0] != offsets[1]


def test_invite_update_and_cancel_keep_uid_raise_sequence_and_say_method():
    club, organizer = _planned()
    member = MembershipFactory(club=club, user=UserFactory(profile__time_zone="Europe/Berlin"))
    MailPreferences.objects.create(user=member.user, invites=True)
    session = Session.objects.filter(club=club).order_by("starts_at")[2]
    session_claim(session=session, user=member.user)
    session.refresh_from_db()

    first = _fan_out(session)
    content, mimetype = _invite_parts(first)
    calendar = _parse_everywhere(content.encode())
    event = calendar.walk("VEVENT")[0]
    assert (calendar["METHOD"], mimetype) == ("REQUEST", "text/calendar; method=REQUEST")
    uid, sequence = str(event["UID"]), int(event["SEQUENCE"])
    assert sequence == session.change_count
    assert str(event["ATTENDEE"]) == f"mailto:{member.user.email}"
    berlin = session.starts_at.astimezone(ZoneInfo("Europe/Berlin"))
    assert f"{berlin:%A %-d %B %Y, %H:%M} (Europe/Berlin)" in first.body
    assert "https://meet.example.com/llm" in first.body
    assert first.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    from sessions.services import session_move

    new_start = session.starts_at + timedelta(days=1, hours=-3)
    session_move(session=session, by=organizer, starts_at=new_start, duration_minutes=90)
    update = _fan_out(session)
    event = _parse_everywhere(_invite_parts(update)[0].encode()).walk("VEVENT")[0]
    assert (str(event["UID"]), int(event["SEQUENCE"])) == (uid, sequence + 1)
    assert event.decoded("DTEND") == new_start + timedelta(minutes=90)

    session_skip(session=session, by=organizer, reason="Holiday")
    cancel = _fan_out(session)
    content, mimetype = _invite_parts(cancel)
    calendar = _parse_everywhere(content.encode())
    event = calendar.walk("VEVENT")[0]
    assert (calendar["METHOD"], mimetype) == ("CANCEL", "text/calendar; method=CANCEL")
    assert (str(event["UID"]), int(event["SEQUENCE"]), str(event["STATUS"])) == (
        uid,
        sequence + 2,
        "CANCELLED",
    )
    # Run again: every message is already in the send log, nothing more leaves.
    mail.outbox.clear()
    mailing.invites_send(session_id=session.pk)
    assert mail.outbox == []
    assert Delivery.objects.filter(session=session).count() == 3


def test_invites_only_to_people_who_opted_in():
    club, _ = _planned()
    yes, no = MembershipFactory(club=club).user, MembershipFactory(club=club).user
    MailPreferences.objects.create(user=yes, invites=True)
    MailPreferences.objects.create(user=no, invites=False)
    session = Session.objects.filter(club=club).order_by("starts_at").first()
    session_claim(session=session, user=no)
    mailing.invites_send(session_id=session.pk)
    assert [m.to for m in mail.outbox] == [[yes.email]]


def test_refused_address_fails_for_that_person_only(settings):
    club, _ = _planned()
    people = [MembershipFactory(club=club).user for _ in range(3)]
    for person in people:
        MailPreferences.objects.create(user=person, invites=True)
    session = Session.objects.filter(club=club).order_by("starts_at").first()
    session_claim(session=session, user=people[0])
    with smtp_sink() as (sink, port):
        sink.refuse[people[1].email] = "550 5.1.1 No such user"
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
        result = mailing.invites_send(session_id=session.pk)
        received = sorted(r for m in sink.messages for r in m.recipients)
    assert (result.sent, result.failed) == (2, 1)
    assert received == sorted([people[0].email, people[2].email])
    failed = Delivery.objects.get(state="failed")
    assert (failed.email, failed.error) == (
        people[1].email,
        f"{people[1].email}: 550 5.1.1 No such user",
    )


def test_session_cancelled_while_invites_go_out_sends_cancel_after():
    """The fan-out reads the session as it is when it runs: an invite task
    delayed past a cancellation sends the cancellation, never the stale invite."""
    club, organizer = _planned()
    person = MembershipFactory(club=club).user
    MailPreferences.objects.create(user=person, invites=True)
    session = Session.objects.filter(club=club).order_by("starts_at").first()
    session_claim(session=session, user=person)
    mailing.invites_send(session_id=session.pk)  # the invite (sequence 1)
    session_skip(session=session, by=organizer, reason="Snow")
    mailing.invites_send(session_id=session.pk)  # the cancel (sequence 2)
    mailing.invites_send(session_id=session.pk)  # the late, older task: nothing
    methods = [
        next(m for c, m in message.alternatives if m.startswith("text/calendar"))
        for message in mail.outbox
    ]
    assert methods == ["text/calendar; method=REQUEST", "text/calendar; method=CANCEL"]


def test_fan_out_waits_for_another_running_on_the_same_session():
    from django.core.cache import cache

    cache.add("sessions:fanout:999", "1", timeout=30)
    try:
        with pytest.raises(mailing.FanOutBusy):
            mailing.invites_send(session_id=999)
    finally:
        cache.delete("sessions:fanout:999")


# --- Tokens and feeds over HTTP ------------------------------------------------------


def test_private_club_feed_token_regenerated_old_url_404(client):
    club = ClubFactory(visibility="private", join_policy="invite")
    token = feeds.club_feed_token(club=club).token
    url = reverse("calendars:club_private", args=[token])
    assert client.get(url).status_code == 200
    feeds.feed_token_regenerate(club=club)
    assert client.get(url).status_code == 404
    new = FeedToken.objects.get(club=club).token
    assert client.get(reverse("calendars:club_private", args=[new])).status_code == 200


def test_wrong_feed_token_is_404(client):
    assert client.get(reverse("calendars:personal", args=["nope"])).status_code == 404
    assert client.get(reverse("calendars:club_private", args=["nope"])).status_code == 404


def test_private_club_has_no_public_feed(client):
    club = ClubFactory(visibility="private", join_policy="invite")
    member = MembershipFactory(club=club).user
    client.force_login(member)
    assert client.get(reverse("calendars:club_public", args=[club.slug])).status_code == 404


def test_personal_feed_has_meeting_link_and_scope():
    club, _ = _planned()
    member = MembershipFactory(club=club).user
    all_feed = _parse_everywhere(feeds.personal_feed(user=member))
    assert b"meet.example.com" in feeds.personal_feed(user=member)
    MailPreferences.objects.create(user=member, feed_scope="mine")
    mine = _parse_everywhere(feeds.personal_feed(user=member))
    assert len(all_feed.walk("VEVENT")) > 0
    assert mine.walk("VEVENT") == []


# --- Unsubscribe --------------------------------------------------------------------------


def test_unsubscribe_link_works_without_sign_in_for_that_person_and_kind(client):
    person, other = UserFactory(), UserFactory()
    token = mailing.unsubscribe_token(user=person, kind="nudge")
    url = reverse("calendars:unsubscribe", args=[token])
    assert client.get(url).status_code == 200  # asks first
    assert MailPreferences.objects.filter(user=person).exists() is False
    assert client.post(url).status_code == 200
    prefs = MailPreferences.objects.get(user=person)
    assert (prefs.muted_kinds, prefs.no_email, prefs.invites) == (["nudge"], False, False)
    assert prefs.wants("soon") is True
    assert not MailPreferences.objects.filter(user=other).exists()


def test_tampered_unsubscribe_link_is_refused_and_changes_nothing(client):
    person = UserFactory()
    token = mailing.unsubscribe_token(user=person, kind="nudge")
    data = signing.loads(token, salt=mailing.UNSUBSCRIBE_SALT)
    forged = signing.dumps({**data, "u": person.pk + 1}, salt="not-our-salt")
    for bad in (token[:-2] + "xx", forged):
        response = client.post(reverse("calendars:unsubscribe", args=[bad]))
        assert response.status_code == 400
    assert MailPreferences.objects.count() == 0
