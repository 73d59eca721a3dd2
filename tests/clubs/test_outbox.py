"""The outbox's machinery (clubs/outbox), with a kind of its own: owing once,
superseding, one message of a stream on its way at a time, leases and the
sweeper, retries and failures, fan-outs, resending, doorbells that fail."""

import logging
from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from clubs.models import OutboxFanOut, OutboxMessage
from clubs.outbox import kinds
from clubs.outbox.errors import OutboxError
from clubs.outbox.expanding import outbox_expand
from clubs.outbox.sending import claim, outbox_drain, outbox_flush
from clubs.outbox.services import outbox_enqueue, outbox_fan_out, outbox_resend
from clubs.outbox.sweeper import outbox_sweep
from tests.celery_worker import sending_to
from tests.factories import ClubFactory, MembershipFactory, OutboxMessageFactory
from tests.smtp_sink import free_port, smtp_sink

pytestmark = pytest.mark.django_db

# The subject's "current version", as a versioned kind would read it.
VERSIONS: dict[int, int] = {}


class Note(kinds.MessageKind):
    name = "tests.note"
    label = "Test note"
    subject_type = "note"
    broken = False

    def audience(self, fan_out):
        return [kinds.Recipient(address=a) for a in fan_out.payload["to"]]

    def current_sequence(self, message, context):
        return VERSIONS.get(message.subject_id)

    def render(self, message, context):
        if self.broken:
            raise ValueError("a bug in the renderer")
        if message.payload.get("skip"):
            return None
        if message.payload.get("taken_over"):
            # As if this run's lease had lapsed and another worker had taken
            # the row back while this message was being built.
            OutboxMessage.objects.filter(pk=message.pk).update(lease_owner="task:other")
        return EmailMessage(
            subject=f"Note {message.subject_id} v{message.sequence}",
            body=message.payload.get("body", ""),
            to=[message.address],
        )


NOTE = kinds.register(Note())


@pytest.fixture(autouse=True)
def _versions():
    VERSIONS.clear()
    NOTE.broken = False
    yield
    VERSIONS.clear()


def _owe(address="ada@example.org", *, sequence=0, subject_id=1, club=None, **payload):
    return outbox_enqueue(
        kind="tests.note",
        topic=f"note:{subject_id}",
        recipients=[kinds.Recipient(address=address)],
        sequence=sequence,
        subject_id=subject_id,
        club=club,
        payload=payload,
    )


def _row(address="ada@example.org", sequence=0) -> OutboxMessage:
    return OutboxMessage.objects.get(recipient_key=f"email:{address}", sequence=sequence)


def test_owing_the_same_message_twice_owes_it_once():
    assert _owe() == 1
    assert _owe() == 0
    outbox_flush()
    outbox_flush()
    assert [m.to for m in mail.outbox] == [["ada@example.org"]]
    row = _row()
    assert (row.state, row.attempts, row.error) == ("sent", 1, "")
    assert mail.outbox[0].extra_headers["Message-ID"] == row.message_id


def test_a_sent_message_is_settled_with_its_time_and_its_lease_let_go():
    _owe()
    before = timezone.now()
    assert outbox_drain().sent == 1
    row = _row()
    assert (row.state, row.error, row.lease_owner, row.lease_until) == ("sent", "", "", None)
    assert before <= row.sent_at <= timezone.now()
    assert row.message_id == mail.outbox[0].extra_headers["Message-ID"]


def test_a_row_another_worker_took_back_is_theirs_to_settle(caplog):
    _owe(taken_over=True)
    caplog.set_level(logging.WARNING, logger="clubs.outbox.sending")
    outbox_drain(owner="task:mine")
    row = _row()
    assert (row.state, row.lease_owner, row.message_id, row.sent_at) == (
        "sending",
        "task:other",
        "",
        None,
    )
    assert [r.getMessage() for r in caplog.records] == [
        f"outbox: row {row.pk} was no longer task:mine's to settle"
    ]


def test_the_database_refuses_a_second_row_for_one_message():
    _owe()
    duplicate = OutboxMessage(
        kind="tests.note", topic="note:1", recipient_key="email:ada@example.org"
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()


def test_a_newer_sequence_supersedes_the_older_unsent_one():
    _owe(sequence=1, body="old")
    _owe(sequence=2, body="new")
    result = outbox_flush()
    assert [m.subject for m in mail.outbox] == ["Note 1 v2"]
    assert result.sent == 1
    assert _row(sequence=1).state == "superseded"


def test_a_message_whose_subject_moved_on_is_superseded_at_the_last_moment():
    VERSIONS[1] = 3  # the subject changed again after this was owed
    _owe(sequence=2)
    assert outbox_flush().superseded == 1
    assert mail.outbox == []
    row = _row(sequence=2)
    assert (row.state, row.attempts) == ("superseded", 0)  # never handed over


def test_only_one_message_of_a_stream_is_on_its_way_to_a_person():
    _owe(sequence=1)
    first = claim(owner="worker-a", limit=10)
    assert [row.sequence for row in first] == [1]
    _owe(sequence=2)  # a newer one, owed while the first is on its way
    assert claim(owner="worker-b", limit=10) == []  # waits its turn, nobody waits for it
    with pytest.raises(IntegrityError), transaction.atomic():
        OutboxMessage.objects.filter(sequence=2).update(state="sending", lease_until=timezone.now())
    OutboxMessage.objects.filter(pk=first[0].pk).update(state="sent")
    assert [row.sequence for row in claim(owner="worker-b", limit=10)] == [2]


def test_another_persons_message_in_the_same_stream_goes_meanwhile():
    _owe("ada@example.org")
    claim(owner="worker-a", limit=1)
    _owe("bob@example.org")
    assert [row.address for row in claim(owner="worker-b", limit=10)] == ["bob@example.org"]


def test_a_lapsed_lease_is_swept_back_and_sent_again_with_the_same_message_id(caplog):
    _owe()
    outbox_flush()
    sent = _row()
    # As a worker that died mid-send leaves it: "sending", its lease lapsed.
    OutboxMessage.objects.filter(pk=sent.pk).update(
        state="sending", lease_owner="dead", lease_until=timezone.now() - timedelta(seconds=1)
    )
    alive = OutboxMessage.objects.create(
        kind="tests.note",
        topic="note:9",
        recipient_key="email:bob@example.org",
        address="bob@example.org",
        state="sending",
        lease_owner="alive",
        lease_until=timezone.now() + timedelta(seconds=20),
    )
    caplog.set_level(logging.WARNING, logger="clubs.outbox.sweeper")
    result = outbox_sweep()
    assert (result.released, result.due) == (1, True)
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ("WARNING", "outbox: 1 messages whose sender's lease lapsed are due again")
    ]
    alive.refresh_from_db()
    assert alive.state == "sending"  # a live lease is left alone
    mail.outbox.clear()
    outbox_drain()
    assert [m.extra_headers["Message-ID"] for m in mail.outbox] == [sent.message_id]
    assert (_row().state, _row().attempts) == ("sent", 2)


def test_a_task_run_again_after_its_process_died_takes_back_its_own_rows():
    _owe()
    claim(owner="task:abc", limit=10)  # the run that died
    claim(owner="task:other", limit=10)  # nothing left to take
    result = outbox_drain(owner="task:abc")
    assert result.sent == 1
    assert _row().state == "sent"


def test_a_row_that_keeps_killing_its_worker_fails_after_the_last_attempt(settings, caplog):
    _owe()
    OutboxMessage.objects.update(
        state="sending",
        lease_owner="dead",
        lease_until=timezone.now() - timedelta(seconds=1),
        attempts=settings.OUTBOX_MAX_ATTEMPTS,
    )
    caplog.set_level(logging.WARNING, logger="clubs.outbox.sweeper")
    assert outbox_sweep().given_up == 1
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        (
            "ERROR",
            f"outbox: 1 messages failed after {settings.OUTBOX_MAX_ATTEMPTS} attempts "
            "whose workers each stopped mid-send",
        )
    ]
    row = _row()
    assert row.state == "failed"
    assert "Gave up after" in row.error


def _smtp(settings, port):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 5


def test_a_permanently_refused_address_fails_alone_with_the_reason(settings):
    with smtp_sink() as (sink, port):
        _smtp(settings, port)
        sink.refuse["bob@example.org"] = "550 5.1.1 No such user"
        for address in ("ada@example.org", "bob@example.org", "cy@example.org"):
            _owe(address)
        result = outbox_flush()
        received = sorted(r for m in sink.messages for r in m.recipients)
    assert (result.sent, result.failed) == (2, 1)
    assert received == ["ada@example.org", "cy@example.org"]
    assert (_row("bob@example.org").state, _row("bob@example.org").error) == (
        "failed",
        "bob@example.org: 550 5.1.1 No such user",
    )


def test_a_mail_server_that_is_down_defers_every_row_with_backoff(settings):
    _smtp(settings, free_port())  # nothing listens there
    for address in ("ada@example.org", "bob@example.org", "cy@example.org"):
        _owe(address)
    before = timezone.now()
    result = outbox_drain()
    assert result.deferred == 3
    assert result.retry_in is not None
    assert result.retry_in >= settings.OUTBOX_BACKOFF_FIRST_SECONDS / 2
    rows = OutboxMessage.objects.order_by("address")
    assert {r.state for r in rows} == {"pending"}
    assert all(r.due_at > before for r in rows)
    assert all("Connection refused" in r.error for r in rows)
    # Only the one that met the closed door counts an attempt.
    assert sorted(r.attempts for r in rows) == [0, 0, 1]
    # Not due yet: a drain now sends nothing and does not hammer the server.
    assert outbox_drain().deferred == 0


def test_a_mail_server_down_for_ten_minutes_loses_nothing_and_sends_once(settings):
    """Down for ten minutes: every retry is deferred by the backoff (never failed),
    and once the server is back each message goes exactly once. The clock is
    moved by each row's own due time, not by shortening any delay."""
    port = free_port()
    _smtp(settings, port)
    for address in ("ada@example.org", "bob@example.org"):
        _owe(address)
    waited = 0.0
    while waited < 600:
        outbox_drain()
        due = OutboxMessage.objects.order_by("due_at").first().due_at
        waited += max((due - timezone.now()).total_seconds(), 0)
        OutboxMessage.objects.update(due_at=timezone.now())  # that much later
    rows = OutboxMessage.objects.all()
    assert {r.state for r in rows} == {"pending"}
    assert max(r.attempts for r in rows) < settings.OUTBOX_MAX_ATTEMPTS
    with smtp_sink(port=port) as (sink, _):
        assert outbox_drain().sent == 2
        assert outbox_drain().sent == 0
        received = sorted(r for m in sink.messages for r in m.recipients)
    assert received == ["ada@example.org", "bob@example.org"]


def test_a_renderer_that_raises_fails_that_row_visibly():
    NOTE.broken = True
    _owe()
    assert outbox_flush().failed == 1
    assert "a bug in the renderer" in _row().error


def test_a_message_of_a_kind_nobody_registered_fails_visibly():
    OutboxMessage.objects.create(
        kind="tests.gone", topic="x", recipient_key="email:a@example.org", address="a@example.org"
    )
    outbox_flush()
    row = OutboxMessage.objects.get()
    assert (row.state, row.error) == (
        "failed",
        "No kind of message called “tests.gone” is registered.",
    )


def test_a_message_with_nothing_left_to_say_is_skipped():
    _owe(skip=True)
    outbox_flush()
    assert (mail.outbox, _row().state) == ([], "skipped")


def test_a_fan_out_expands_once_even_when_run_again():
    outbox_fan_out(
        kind="tests.note",
        topic="note:5",
        subject_id=5,
        payload={"to": ["a@example.org", "b@example.org", "A@example.org"]},
    )
    assert outbox_expand() == 1
    fan_out = OutboxFanOut.objects.get()
    assert (fan_out.state, fan_out.recipients) == ("done", 2)
    # As if the worker had died after writing the rows: expanding again adds nothing.
    OutboxFanOut.objects.update(state="pending")
    outbox_expand()
    assert sorted(OutboxMessage.objects.values_list("address", flat=True)) == [
        "a@example.org",
        "b@example.org",
    ]


def test_a_fan_out_with_a_newer_one_is_superseded_without_listing_anyone():
    for sequence in (1, 2):
        outbox_fan_out(
            kind="tests.note",
            topic="note:5",
            sequence=sequence,
            subject_id=5,
            payload={"to": ["a@example.org"]},
        )
    outbox_expand()
    assert dict(OutboxFanOut.objects.values_list("sequence", "state")) == {
        1: "superseded",
        2: "done",
    }
    assert list(OutboxMessage.objects.values_list("sequence", flat=True)) == [2]


def test_resend_tries_a_failed_message_again_and_only_a_failed_one():
    _owe()
    OutboxMessage.objects.update(state="failed", error="550 No such user", attempts=1)
    outbox_resend(message=_row())
    assert (_row().state, _row().attempts) == ("pending", 0)
    outbox_flush()
    assert _row().state == "sent"
    with pytest.raises(OutboxError):
        outbox_resend(message=_row())


def test_a_broker_that_is_down_does_not_undo_or_fail_the_change(django_capture_on_commit_callbacks):
    nowhere = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    with (
        sending_to(nowhere),
        django_capture_on_commit_callbacks(execute=True),
        transaction.atomic(),
    ):
        _owe()
    assert _row().state == "pending"  # written, waiting for the sweeper


# A literal count, the same at one message of each kind and state per person as at three.
@pytest.mark.parametrize("rows", [1, 3])
def test_club_outbox_page_queries(client, django_assert_num_queries, rows):
    club = ClubFactory()
    organizer = MembershipFactory(club=club, role="organizer").user
    for n in range(rows):
        person = MembershipFactory(club=club).user
        OutboxMessageFactory(club=club, recipient=person, subject_id=n + 1)
        OutboxMessageFactory(
            club=club,
            recipient=person,
            kind="sessions.soon",
            subject_id=n + 1,
            topic=f"session:{n + 1}:soon",
            state="failed",
            error="550 No such user",
        )
    client.force_login(organizer)

    with django_assert_num_queries(7):
        response = client.get(reverse("clubs:outbox", args=[club.slug]))

    assert len(response.context["page"].object_list) == 2 * rows


def test_organizers_see_failures_and_can_resend_from_the_outbox_page(client):
    club = ClubFactory()
    organizer = MembershipFactory(club=club, role="organizer").user
    other_club = ClubFactory()
    _owe("ada@example.org", club=club)
    _owe("secret@example.org", club=other_club, subject_id=2)
    OutboxMessage.objects.filter(address="ada@example.org").update(
        state="failed", error="550 5.1.1 No such user"
    )
    client.force_login(organizer)
    page = client.get(reverse("clubs:outbox", args=[club.slug]))
    body = page.content.decode()
    assert page.status_code == 200
    assert "550 5.1.1 No such user" in body
    assert "secret@example.org" not in body  # another club's mail stays its own
    row = _row()
    response = client.post(reverse("clubs:outbox_resend", args=[club.slug, row.pk]))
    assert response.status_code == 302
    assert _row().state == "pending"
    # Another club's message is not found from this club.
    elsewhere = _row("secret@example.org")
    OutboxMessage.objects.filter(pk=elsewhere.pk).update(state="failed")
    response = client.post(reverse("clubs:outbox_resend", args=[club.slug, elsewhere.pk]))
    assert response.status_code == 404


def test_the_outbox_lists_one_persons_messages_and_links_each_recipient(client):
    club = ClubFactory()
    organizer = MembershipFactory(club=club, role="organizer").user
    for subject_id in (1, 2):
        _owe("ada@example.org", club=club, subject_id=subject_id)
    _owe("bob@example.org", club=club, subject_id=3)
    client.force_login(organizer)
    url = reverse("clubs:outbox", args=[club.slug])
    everyone = client.get(url).content.decode()
    assert '<a href="?to=ada%40example.org" title="Every message to ada@example.org">' in everyone
    page = client.get(url, {"to": "ADA@"})
    assert [m.address for m in page.context["page"].object_list] == ["ada@example.org"] * 2
    body = page.content.decode()
    assert "bob@example.org" not in body
    assert "Messages to “ADA@”." in body
    assert list(client.get(url, {"to": "nobody"}).context["page"].object_list) == []
