"""The migration that moves invitation mail into the outbox (0007), run on
invitations of the old shape: owed ones become pending rows the outbox sends,
sent and failed ones keep their history, and nothing owed is lost."""

from datetime import UTC, datetime, timedelta

import pytest

from tests.migrating import apps_before, migrate

BEFORE = [("clubs", "0006_outbox")]
AFTER = [("clubs", "0007_invitation_mail_in_outbox")]


@pytest.fixture
def old_apps(transactional_db):
    yield from apps_before(BEFORE)


def test_owed_invitations_become_outbox_rows_and_sent_ones_keep_their_history(old_apps):
    Club = old_apps.get_model("clubs", "Club")
    Invitation = old_apps.get_model("clubs", "Invitation")
    club = Club.objects.create(name="Old", slug="old")
    now = datetime.now(UTC)
    later = now + timedelta(days=7)
    sent_at = now - timedelta(hours=1)

    def invitation(email, **fields):
        return Invitation.objects.create(
            club=club, token=email or "link", email=email, expires_at=later, **fields
        ).pk

    owed = invitation("owed@example.org", send_attempts=2, send_error="421 Try later")
    sent = invitation("sent@example.org", sent_at=sent_at, send_attempts=1)
    failed = invitation("Failed@Example.org", send_failed=True, send_error="550 No such user")
    revoked = invitation("revoked@example.org", revoked_at=now)
    invitation("")  # a link: no mail

    apps = migrate(AFTER)
    rows = {
        row.subject_id: row
        for row in apps.get_model("clubs", "OutboxMessage").objects.filter(kind="clubs.invitation")
    }
    assert {pk: (r.state, r.attempts, r.error) for pk, r in rows.items()} == {
        owed: ("pending", 2, "421 Try later"),
        sent: ("sent", 1, ""),
        failed: ("failed", 0, "550 No such user"),
        revoked: ("skipped", 0, ""),
    }
    assert rows[sent].sent_at == sent_at
    assert rows[failed].recipient_key == "email:failed@example.org"
    assert {r.topic for r in rows.values()} == {f"invitation:{pk}" for pk in rows}
    assert {r.club_id for r in rows.values()} == {club.pk}
