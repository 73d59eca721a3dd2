"""Club invitations and account mail go through the outbox (clubs/mail.py): owed
in the change's transaction, sent after commit, retried with the outbox's
backoff, and failures shown where someone can act on them (an invitation's on
the club's invitations and outbox pages; an account mail's in the admin).

Each fault is reproduced for both kinds against a real SMTP server on loopback:
an address refused for good, the server down and then back, and the task that
was sending killed (its lease lapses and the sweeper re-drives it).

(The first of these were written first and failed: invitations were marked sent
before they were sent, and allauth's mail was sent in the request and lost on
the first SMTP error.)"""

import logging
from datetime import timedelta

import pytest
from django.core import mail
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from clubs import services
from clubs.mail import ACCOUNT, INVITATION
from clubs.models import Invitation, OutboxMessage
from clubs.outbox.sending import claim, outbox_drain
from clubs.outbox.sweeper import outbox_sweep
from tests.factories import UserFactory
from tests.smtp_sink import free_port, smtp_sink

pytestmark = pytest.mark.django_db


def _smtp(port):
    return override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=port,
        EMAIL_TIMEOUT=5,
    )


@pytest.fixture(params=[INVITATION, ACCOUNT])
def owe(request, client, club, organizer):
    """Owe one mail to ada@example.org of the kind under test, as people do: an
    organizer's invitation, or a password reset asked for on the site."""
    kind = request.param
    UserFactory(email="ada@example.org")

    def owe(*, ring: bool = True):
        def act():
            if kind == INVITATION:
                services.invitation_emails_create(
                    club=club, by=organizer, emails=["ada@example.org"]
                )
            else:
                response = client.post(
                    reverse("account_reset_password"), {"email": "ada@example.org"}
                )
                assert response.status_code == 302

        if ring:
            with request.getfixturevalue("django_capture_on_commit_callbacks")(execute=True):
                act()
        else:
            act()  # the doorbell is lost: the callbacks never run
        return OutboxMessage.objects.get(kind=kind)

    owe.kind = kind
    return owe


def _received_subjects(sink) -> list[str]:
    return [m.message["Subject"] for m in sink.to("ada@example.org")]


def test_club_mail_is_sent_after_commit_once(owe, club):
    with smtp_sink() as (sink, port), _smtp(port):
        row = owe()
        again = outbox_drain()  # a second doorbell, a redelivered task
        received = sink.to("ada@example.org")

    assert again.sent == 0
    assert len(received) == 1
    row.refresh_from_db()
    assert (row.state, row.attempts, row.message_id) == ("sent", 1, received[0].message_id.strip())
    assert row.club_id == (club.pk if owe.kind == INVITATION else None)
    # An account mail's words (its signed reset link) are not kept once sent.
    if owe.kind == ACCOUNT:
        assert row.payload == {}
    expected = (
        f"You are invited to {club.name} on Paper Club"
        if owe.kind == INVITATION
        else "[Paper Club] Reset your password"
    )
    assert received[0].message["Subject"] == expected


def test_club_mail_to_an_address_the_server_refuses_fails_with_the_reason(owe):
    with smtp_sink() as (sink, port), _smtp(port):
        sink.refuse["ada@example.org"] = "550 No such user here"
        row = owe()
        assert sink.to("ada@example.org") == []

    row.refresh_from_db()
    assert (row.state, row.error) == ("failed", "ada@example.org: 550 No such user here")


def test_club_mail_while_the_server_is_down_is_retried_and_sent_once(owe):
    port = free_port()  # nothing listens here: the mail server is down
    with _smtp(port):
        before = timezone.now()
        row = owe()
        row.refresh_from_db()
        assert (row.state, row.attempts) == ("pending", 1)
        assert row.error.startswith("ConnectionRefusedError")
        assert row.due_at > before + timedelta(seconds=14)  # the outbox's backoff
        assert outbox_drain().sent == 0  # not due yet: the server is left alone

        # The backoff passes (the clock, not the setting, moves) and the server is back.
        OutboxMessage.objects.filter(pk=row.pk).update(due_at=timezone.now())
        with smtp_sink(port=port) as (sink, _):
            assert outbox_drain().sent == 1
            assert outbox_drain().sent == 0
            received = sink.to("ada@example.org")

    assert len(received) == 1
    row.refresh_from_db()
    assert (row.state, row.attempts, row.error) == ("sent", 2, "")


def test_club_mail_whose_task_was_killed_is_sent_again_by_the_sweeper(
    owe, django_capture_on_commit_callbacks
):
    with smtp_sink() as (sink, port), _smtp(port):
        row = owe(ring=False)
        # A task took it and its process was killed before it sent anything.
        assert [r.pk for r in claim(owner="task:killed", limit=10)] == [row.pk]
        with django_capture_on_commit_callbacks(execute=True):
            assert outbox_sweep().released == 0  # its lease is still running
        assert sink.to("ada@example.org") == []

        # Its lease lapses (OUTBOX_LEASE_SECONDS later); the next sweep re-drives it.
        OutboxMessage.objects.filter(pk=row.pk).update(
            lease_until=timezone.now() - timedelta(seconds=1)
        )
        with django_capture_on_commit_callbacks(execute=True):
            assert outbox_sweep().released == 1
        received = sink.to("ada@example.org")

    assert len(received) == 1
    row.refresh_from_db()
    assert (row.state, row.attempts) == ("sent", 2)


def _fail(row: OutboxMessage) -> None:
    OutboxMessage.objects.filter(pk=row.pk).update(
        state="failed", error="ada@example.org: 550 No such user here"
    )


@pytest.mark.parametrize("kind", [INVITATION])
def test_failed_invitation_mail_is_shown_to_organizers_with_send_again(
    client, club, organizer, django_capture_on_commit_callbacks, kind
):
    with django_capture_on_commit_callbacks(execute=True):
        services.invitation_emails_create(club=club, by=organizer, emails=["ada@example.org"])
    row = OutboxMessage.objects.get(kind=kind)
    _fail(row)
    client.force_login(organizer)

    page = client.get(reverse("clubs:invitations", args=[club.slug])).content.decode()
    assert '<span class="badge badge--failed">Not delivered</span>' in page
    assert "ada@example.org: 550 No such user here" in page
    resend = reverse("clubs:outbox_resend", args=[club.slug, row.pk])
    assert f'action="{resend}"' in page
    outbox = client.get(reverse("clubs:outbox", args=[club.slug])).content.decode()
    assert "Club invitation" in outbox
    assert "ada@example.org: 550 No such user here" in outbox

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(resend, {"next": reverse("clubs:invitations", args=[club.slug])})
    assert response.url == reverse("clubs:invitations", args=[club.slug])
    row.refresh_from_db()
    assert row.state == "sent"
    assert [m.to for m in mail.outbox] == [["ada@example.org"], ["ada@example.org"]]


def test_failed_account_mail_is_shown_in_the_admin_and_to_no_club(client, club, organizer):
    UserFactory(email="ada@example.org")
    client.post(reverse("account_reset_password"), {"email": "ada@example.org"})
    row = OutboxMessage.objects.get(kind=ACCOUNT)
    _fail(row)

    client.force_login(organizer)
    outbox = client.get(reverse("clubs:outbox", args=[club.slug])).content.decode()
    assert "ada@example.org" not in outbox  # it belongs to no club

    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    admin = client.get(
        reverse("admin:clubs_outboxmessage_changelist"), {"state__exact": "failed"}
    ).content.decode()
    assert "clubs.account" in admin
    assert "ada@example.org" in admin
    detail = client.get(reverse("admin:clubs_outboxmessage_change", args=[row.pk])).content.decode()
    assert "550 No such user here" in detail
    assert "password/reset/key" not in detail  # what it said (a reset link) is not shown


def test_invitation_withdrawn_before_its_turn_is_not_mailed(club, organizer):
    [invitation] = services.invitation_emails_create(
        club=club, by=organizer, emails=["late@example.org"]
    )  # owed; the doorbell has not rung yet
    services.invitation_revoke(invitation=invitation, by=organizer)
    result = outbox_drain()
    assert (result.sent, result.skipped) == (0, 1)
    assert mail.outbox == []
    assert Invitation.objects.get(pk=invitation.pk).status() == "revoked"


def _mail_records(caplog) -> list[tuple[str, str]]:
    return [
        (r.levelname, r.getMessage()) for r in caplog.records if r.name == "clubs.outbox.sending"
    ]


def test_refused_invitation_is_logged_for_the_operator(
    club, organizer, django_capture_on_commit_callbacks, caplog
):
    caplog.set_level(logging.INFO, logger="clubs.outbox.sending")
    with smtp_sink() as (sink, port), _smtp(port):
        sink.refuse["ada@example.org"] = "550 No such user here"
        with django_capture_on_commit_callbacks(execute=True):
            [invitation] = services.invitation_emails_create(
                club=club, by=organizer, emails=["ada@example.org"]
            )
    row = OutboxMessage.objects.get(kind=INVITATION)
    assert _mail_records(caplog) == [
        (
            "WARNING",
            f"outbox: clubs.invitation #{row.pk} (club {club.pk}, invitation {invitation.pk}) "
            "failed for good after 1 attempt(s): ada@example.org: 550 No such user here",
        )
    ]


def test_deferred_invitation_is_logged_as_retried(
    club, organizer, django_capture_on_commit_callbacks, caplog
):
    caplog.set_level(logging.INFO, logger="clubs.outbox.sending")
    with _smtp(free_port()), django_capture_on_commit_callbacks(execute=True):
        [invitation] = services.invitation_emails_create(
            club=club, by=organizer, emails=["ada@example.org"]
        )
    row = OutboxMessage.objects.get(kind=INVITATION)
    [(level, message)] = _mail_records(caplog)
    assert level == "INFO"
    assert message.startswith(
        f"outbox: clubs.invitation #{row.pk} (club {club.pk}, invitation {invitation.pk}), "
        "attempt 1 deferred (next in "
    )
    assert "ConnectionRefusedError" in message
