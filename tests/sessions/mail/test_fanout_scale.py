"""A fan-out to many people: the calendar written once, rows claimed in batches,
and still one message per person with its own ATTENDEE."""

from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from clubs.models import OutboxMessage
from clubs.outbox.expanding import outbox_expand
from clubs.outbox.sending import outbox_drain, outbox_flush
from clubs.outbox.sweeper import outbox_sweep
from sessions.calendars import ical
from sessions.calendars.changes import sessions_calendar_changed
from sessions.models import MailPreferences, Session
from tests.factories import ClubFactory, MembershipFactory

pytestmark = pytest.mark.django_db


def _event(**changes) -> ical.EventData:
    starts = datetime(2026, 3, 4, 20, 0, tzinfo=UTC)
    data = {
        "uid": "session-1234@paperclub",
        "sequence": 2,
        "starts_at": starts,
        "ends_at": starts + timedelta(hours=1),
        "time_zone": "America/Los_Angeles",
        "summary": "LLM Club: Attention Is All You Need",
        "description": "Papers:\n- Attention Is All You Need",
        "url": "https://paperclub.example/c/llm/sessions/1/",
        "cancelled": False,
        "meeting_link": "https://meet.example.com/llm",
    }
    return ical.EventData(**(data | changes))


@pytest.mark.parametrize("cancelled", [False, True], ids=["request", "cancel"])
@pytest.mark.parametrize(
    "attendee",
    ["ada@example.org", "a.very.long.address.that.folds.the.attendee.line@subdomain.example.org"],
    ids=["short", "folded"],
)
def test_each_invite_is_the_calendar_written_for_that_person(attendee, cancelled):
    item = _event(cancelled=cancelled)
    frozen = datetime(2026, 2, 1, tzinfo=UTC)
    with mock.patch("django.utils.timezone.now", return_value=frozen):
        invites = ical.Invites(item, organizer="noreply@paperclub.example")
        # The calendar written whole for that one person.
        expected, method = ical.invite(
            item, attendee=attendee, organizer="noreply@paperclub.example"
        )
    assert invites.for_attendee(attendee) == expected
    assert method == invites.method
    assert invites.method == ("CANCEL" if cancelled else "REQUEST")
    assert invites.for_attendee("other@example.org").count(b"ATTENDEE") == 1


def _scheduled_session(people: int):
    club = ClubFactory()
    members = [MembershipFactory(club=club).user for _ in range(people)]
    MailPreferences.objects.bulk_create([MailPreferences(user=u, invites=True) for u in members])
    starts = timezone.now() + timedelta(days=3)
    session = Session.objects.create(
        club=club,
        starts_at=starts,
        ends_at=starts + timedelta(hours=1),
        state=Session.State.SCHEDULED,
        facilitator=members[0],
        change_count=1,
    )
    sessions_calendar_changed(session_ids=[session.pk])
    return session, members


def test_a_fan_out_larger_than_a_claim_batch_sends_one_message_each(settings):
    session, members = _scheduled_session(settings.OUTBOX_CLAIM_BATCH + 7)
    mail.outbox.clear()
    result = outbox_flush()
    assert (result.sent, result.skipped, result.failed) == (len(members), 0, 0)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(u.email for u in members)
    rows = OutboxMessage.objects.filter(subject_id=session.pk)
    assert rows.count() == len(members)
    assert set(rows.values_list("state", "attempts")) == {("sent", 1)}
    calendars = [m.alternatives[-1][0] for m in mail.outbox]
    assert all(
        f"mailto:{m.to[0]}" in c.replace("\r\n ", "")
        for m, c in zip(mail.outbox, calendars, strict=True)
    )


def test_a_run_after_a_crash_sends_only_what_did_not_go_out():
    session, _members = _scheduled_session(5)
    outbox_flush()
    # As a worker that died mid fan-out leaves it: one row still "sending"
    # (under a lease that has lapsed), and two people owed but not reached.
    rows = list(OutboxMessage.objects.filter(subject_id=session.pk).order_by("recipient_id"))
    left_sending = rows[0]
    OutboxMessage.objects.filter(pk=left_sending.pk).update(
        state="sending", lease_owner="dead", lease_until=timezone.now() - timedelta(seconds=1)
    )
    OutboxMessage.objects.filter(pk__in=[r.pk for r in rows[3:]]).update(
        state="pending", attempts=0, message_id=""
    )
    assert outbox_sweep().released == 1
    mail.outbox.clear()
    result = outbox_flush()
    assert result.sent == 3
    assert sorted(m.to[0] for m in mail.outbox) == sorted(r.address for r in [rows[0], *rows[3:]])
    again = next(m for m in mail.outbox if m.to[0] == left_sending.address)
    assert again.extra_headers["Message-ID"] == left_sending.message_id
    left_sending.refresh_from_db()
    assert (left_sending.state, left_sending.attempts) == ("sent", 2)


def _statements_to_send(people: int) -> int:
    """The statements a worker runs to send one fan-out's invites, once listed."""
    _scheduled_session(people)
    outbox_expand()
    with CaptureQueriesContext(connection) as statements:
        result = outbox_drain()
    assert result.sent == people
    return len(statements)


def test_a_batch_costs_two_statements_a_message_and_the_rest_once():
    one, six = _statements_to_send(1), _statements_to_send(6)

    # Each message: its person's copy read just before it goes (never the
    # batch's), and its outcome. The session, people, earlier messages and
    # earlier invites are read once for the batch.
    assert six - one == 2 * 5
    assert one == 17
