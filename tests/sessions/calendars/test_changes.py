"""Every change a calendar shows is a material change: one more SEQUENCE, an
update by mail to those who hold the event, and feeds renewed at once."""

import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.db import close_old_connections
from django.utils import timezone

from clubs.models import OutboxMessage
from clubs.outbox.sending import outbox_flush
from papers import services as papers_services
from papers.hooks import paper_details_changed
from papers.models import Paper
from sessions.calendars import feeds
from sessions.models import MailPreferences, Session
from sessions.rota.facilitators import session_assign, session_papers_set
from sessions.rota.weeks import (
    rsvp_set,
    session_details,
    session_details_update,
    session_move,
    session_restore,
    session_skip,
)
from tests.factories import ClubFactory, MembershipFactory
from tests.services import need_postgres
from tests.sessions.ics import parse_everywhere

pytestmark = pytest.mark.django_db


def _event(ics: bytes, session: Session):
    uid = f"session-{session.uid}@paperclub"
    return next(e for e in parse_everywhere(ics).walk("VEVENT") if str(e["UID"]) == uid)


def _calendars(messages):
    found = []
    for message in messages:
        text = next(c for c, m in message.alternatives if m.startswith("text/calendar"))
        found.append(_event(text.encode(), session=_calendars.session))
    return found


@pytest.fixture
def week():
    """A scheduled week two days ahead; a member opted in to invites has had one."""
    club = ClubFactory()
    organizer = MembershipFactory(club=club, role="organizer").user
    member = MembershipFactory(club=club).user
    MailPreferences.objects.create(user=member, invites=True)
    starts = timezone.now() + timedelta(days=2)
    session = Session.objects.create(
        club=club, starts_at=starts, ends_at=starts + timedelta(hours=1), title="Attention"
    )
    session_assign(session=session, by=organizer, facilitator=member)
    outbox_flush()
    assert len(mail.outbox) == 2  # the invite, and the mail saying they were assigned
    session.refresh_from_db()
    _calendars.session = session
    return session, organizer, member


@pytest.mark.parametrize(
    ("field", "value", "prop"),
    [("title", "Attention, corrected", "SUMMARY"), ("location", "Room 4.02", "LOCATION")],
)
def test_an_edit_reaches_the_feeds_at_once_and_invitees_as_an_update(week, field, value, prop):
    session, organizer, member = week
    club_before = feeds.club_feed(club=session.club)  # cached now
    personal_before = feeds.personal_feed(user=member)
    assert value not in club_before.decode()
    session_details_update(
        session=session, by=organizer, details=session_details(session, **{field: value})
    )
    for ics in (feeds.club_feed(club=session.club), feeds.personal_feed(user=member)):
        event = _event(ics, session)
        assert value in str(event[prop])
        assert int(event["SEQUENCE"]) == session.change_count + 1
    assert personal_before != feeds.personal_feed(user=member)
    mail.outbox.clear()
    outbox_flush()
    assert [m.to for m in mail.outbox] == [[member.email]]
    update = _calendars(mail.outbox)[0]
    assert value in str(update[prop])
    assert int(update["SEQUENCE"]) == session.change_count + 1


def _move(session, organizer, other, *, hours=0, minutes=60):
    session_move(
        session=session,
        by=organizer,
        starts_at=session.starts_at + timedelta(hours=hours),
        duration_minutes=minutes,
    )


def _papers(session, organizer, other):
    nomination = papers_services.papers_propose(
        club=session.club, user=other, text="1706.03762"
    ).added[0]
    session_papers_set(session=session, by=organizer, picks=[(nomination.pk, None)])


def _details(**changes):
    def change(session, organizer, other):
        values = {k: (other.pk if v is OTHER else v) for k, v in changes.items()}
        session_details_update(
            session=session, by=organizer, details=session_details(session, **values)
        )

    return change


OTHER = object()  # stands for the week's other member
CALENDAR_CHANGES = {
    "time": lambda s, o, x: _move(s, o, x, hours=2),
    "length": lambda s, o, x: _move(s, o, x, minutes=90),
    "meeting link": _details(meeting_link="https://meet.example.com/elsewhere"),
    "papers": _papers,
    "facilitator": lambda s, o, x: session_assign(session=s, by=o, facilitator=x),
    "co-facilitator": _details(co_facilitator_id=OTHER),
    "cancellation": lambda s, o, x: session_skip(session=s, by=o, reason="Holiday"),
    "restoration": lambda s, o, x: session_restore(session=s, by=o),
}


@pytest.mark.parametrize("change", sorted(CALENDAR_CHANGES))
def test_every_calendar_change_raises_sequence_once_updates_invitees_and_feeds(week, change):
    """Each kind of change the issue names (title and location above, a paper's
    title below): SEQUENCE once, the feeds at once, the invitee an update (or
    the cancellation), each once."""
    session, organizer, member = week
    other = MembershipFactory(club=session.club).user
    if change == "restoration":
        session_skip(session=session, by=organizer, reason="Holiday")
        outbox_flush()
        session.refresh_from_db()
    before = session.change_count
    cached = feeds.club_feed(club=session.club)
    mail.outbox.clear()

    CALENDAR_CHANGES[change](session, organizer, other)

    session.refresh_from_db()
    assert session.change_count == before + 1
    assert feeds.club_feed(club=session.club) != cached
    assert int(_event(feeds.club_feed(club=session.club), session)["SEQUENCE"]) == before + 1
    outbox_flush()
    calendar = [
        m for m in mail.outbox if any(t.startswith("text/calendar") for _, t in m.alternatives)
    ]
    assert [m.to for m in calendar] == [[member.email]]
    _calendars.session = session
    [event] = _calendars(calendar)
    assert int(event["SEQUENCE"]) == before + 1
    expected = "CANCEL" if change == "cancellation" else "REQUEST"
    assert [t for _, t in calendar[0].alternatives if t.startswith("text/calendar")] == [
        f"text/calendar; method={expected}"
    ]


def test_an_edit_that_no_calendar_shows_sends_nothing(week):
    session, organizer, _member = week
    session_details_update(
        session=session, by=organizer, details=session_details(session, notes="Bring questions.")
    )
    mail.outbox.clear()
    outbox_flush()
    assert mail.outbox == []
    assert Session.objects.get(pk=session.pk).change_count == session.change_count


def test_a_corrected_paper_title_reaches_the_weeks_that_read_it(week):
    session, organizer, member = week
    nomination = papers_services.papers_propose(
        club=session.club, user=member, text="1706.03762"
    ).added[0]
    session_papers_set(session=session, by=organizer, picks=[(nomination.pk, None)])
    session.refresh_from_db()
    feeds.club_feed(club=session.club)  # cached with the old title
    outbox_flush()
    Paper.objects.filter(pk=nomination.paper_id).update(title="Attention Is All You Need")
    # As papers' edit service does, in its transaction:
    paper_details_changed(nomination_ids=[nomination.pk], fields=["title"])
    assert "Attention Is All You Need" in str(
        _event(feeds.club_feed(club=session.club), session)["DESCRIPTION"]
    )
    mail.outbox.clear()
    outbox_flush()
    assert [m.to for m in mail.outbox] == [[member.email]]
    update = _calendars(mail.outbox)[0]
    assert int(update["SEQUENCE"]) == session.change_count + 1
    assert "Attention Is All You Need" in str(update["DESCRIPTION"])


def test_a_feed_of_my_sessions_follows_my_rsvp_at_once(week):
    session, _organizer, _member = week
    other = MembershipFactory(club=session.club).user
    MailPreferences.objects.create(user=other, feed_scope="mine")
    assert parse_everywhere(feeds.personal_feed(user=other)).walk("VEVENT") == []
    rsvp_set(session=session, user=other, answer="going")
    assert len(parse_everywhere(feeds.personal_feed(user=other)).walk("VEVENT")) == 1


@pytest.mark.django_db(transaction=True)
def test_two_organizers_changing_a_week_within_a_second_each_reach_everyone_once():
    """Two changes at once (a new time and a new link): both apply (the row lock
    orders them), and everyone's last message is the version with both."""
    need_postgres()
    club = ClubFactory()
    organizers = [MembershipFactory(club=club, role="organizer").user for _ in range(2)]
    people = [MembershipFactory(club=club).user for _ in range(5)]
    MailPreferences.objects.bulk_create([MailPreferences(user=p, invites=True) for p in people])
    starts = timezone.now() + timedelta(days=4)
    session = Session.objects.create(
        club=club, starts_at=starts, ends_at=starts + timedelta(hours=1), meeting_link=""
    )
    session_assign(session=session, by=organizers[0], facilitator=people[0])
    outbox_flush()  # (in this test's mode each commit also sends what it owes at once)
    assert len(mail.outbox) == 6  # five invites, and the assignment
    mail.outbox.clear()
    new_start = (starts + timedelta(hours=2)).replace(microsecond=0)
    gate = threading.Barrier(2)
    errors = []

    def move():
        try:
            gate.wait()
            session_move(
                session=session, by=organizers[0], starts_at=new_start, duration_minutes=90
            )
        except Exception as error:
            errors.append(error)
        finally:
            close_old_connections()

    def relink():
        try:
            fresh = Session.objects.get(pk=session.pk)
            gate.wait()
            session_details_update(
                session=fresh,
                by=organizers[1],
                details=session_details(fresh, meeting_link="https://meet.example.com/new"),
            )
        except Exception as error:
            errors.append(error)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=move), threading.Thread(target=relink)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    session.refresh_from_db()
    assert (session.change_count, session.meeting_link) == (3, "https://meet.example.com/new")
    outbox_flush()
    _calendars.session = session
    last = {}
    for message, event in zip(mail.outbox, _calendars(mail.outbox), strict=True):
        last[message.to[0]] = event
    assert sorted(last) == sorted(p.email for p in people)
    for event in last.values():
        assert int(event["SEQUENCE"]) == 3
        assert event.decoded("DTSTART") == new_start
        assert "https://meet.example.com/new" in str(event["DESCRIPTION"])
    ids = [m.extra_headers["Message-ID"] for m in mail.outbox]
    assert len(ids) == len(set(ids))
    assert not OutboxMessage.objects.filter(state__in=["pending", "sending"]).exists()
