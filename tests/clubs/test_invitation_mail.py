"""Invitation mail that could not be sent is not "sent": a mail server that
refuses or is down leaves the invitation owed, with the reason shown to the
organizers; it is retried, and goes out once the server answers.

(The first two tests were written first and failed: invitations were marked
sent before they were sent.)"""

import logging

import pytest
from django.test import override_settings
from django.urls import reverse

from clubs import services, tasks
from clubs.models import Invitation
from tests.smtp_sink import free_port, smtp_sink

pytestmark = pytest.mark.django_db


def _smtp(port):
    return override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=port,
        EMAIL_TIMEOUT=5,
    )


def _invite(club, organizer, capture, address="ada@example.org") -> Invitation:
    with capture(execute=True):
        services.invitation_emails_create(club=club, by=organizer, emails=[address])
    return Invitation.objects.get(email=address)


def test_invitation_mail_to_a_server_that_is_down_is_not_marked_sent(
    club, organizer, django_capture_on_commit_callbacks
):
    closed = free_port()  # nothing listens here: the mail server is down
    with _smtp(closed):
        invitation = _invite(club, organizer, django_capture_on_commit_callbacks)

    assert invitation.sent_at is None
    assert invitation.send_failed is False
    assert invitation.send_attempts == 1
    assert invitation.send_error.startswith("ConnectionRefusedError")
    assert invitation.delivery == "retrying"


def test_refused_invitation_address_is_recorded_for_organizers(
    client, club, organizer, django_capture_on_commit_callbacks
):
    with smtp_sink() as (sink, port), _smtp(port):
        sink.refuse["ada@example.org"] = "550 No such user here"
        invitation = _invite(club, organizer, django_capture_on_commit_callbacks)
        assert sink.to("ada@example.org") == []

    assert invitation.sent_at is None
    assert invitation.send_failed is True
    assert invitation.send_error == "ada@example.org: 550 No such user here"
    client.force_login(organizer)
    page = client.get(reverse("clubs:invitations", args=[club.slug])).content.decode()
    assert '<span class="badge badge--failed">Not delivered</span>' in page
    assert "ada@example.org: 550 No such user here" in page


def test_owed_invitation_goes_out_once_the_server_answers(
    club, organizer, django_capture_on_commit_callbacks
):
    with _smtp(free_port()):
        invitation = _invite(club, organizer, django_capture_on_commit_callbacks)
    Invitation.objects.filter(pk=invitation.pk).update(
        created_at=invitation.created_at - services.timedelta(minutes=6)
    )

    with smtp_sink() as (sink, port), _smtp(port):
        assert tasks.resend_owed_invitations() == 1  # the sweeper finds it
        assert tasks.resend_owed_invitations() == 0  # and only once
        received = sink.to("ada@example.org")

    assert len(received) == 1
    assert received[0].message["Subject"] == f"You are invited to {club.name} on Paper Club"
    invitation.refresh_from_db()
    assert (invitation.delivery, invitation.send_attempts, invitation.send_error) == (
        "sent",
        2,
        "",
    )


def _mail_records(caplog) -> list[tuple[str, str]]:
    return [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "clubs.services"]


def test_refused_invitation_is_logged_for_the_operator(
    club, organizer, django_capture_on_commit_callbacks, caplog
):
    caplog.set_level(logging.INFO, logger="clubs.services")
    with smtp_sink() as (sink, port), _smtp(port):
        sink.refuse["ada@example.org"] = "550 No such user here"
        invitation = _invite(club, organizer, django_capture_on_commit_callbacks)

    assert _mail_records(caplog) == [
        (
            "WARNING",
            f"invitation {invitation.pk} (club {club.pk}): mail failed for good after 1 "
            "attempts: ada@example.org: 550 No such user here",
        )
    ]


def test_deferred_invitation_is_logged_as_retried(
    club, organizer, django_capture_on_commit_callbacks, caplog
):
    caplog.set_level(logging.INFO, logger="clubs.services")
    with _smtp(free_port()):
        invitation = _invite(club, organizer, django_capture_on_commit_callbacks)

    [(level, message)] = _mail_records(caplog)
    assert level == "INFO"
    assert message.startswith(
        f"invitation {invitation.pk} (club {club.pk}): mail attempt 1 deferred: "
        "ConnectionRefusedError"
    )
