"""Invitation mail moves into the outbox (issue 12 item 4): each emailed
invitation's mail becomes an outbox row (clubs.invitation), owed ones pending so
the outbox's workers send them; the interim sender's fields on Invitation go."""

from django.db import migrations
from django.utils import timezone

KIND = "clubs.invitation"


def invitations_to_outbox(apps, schema_editor):
    Invitation = apps.get_model("clubs", "Invitation")
    OutboxMessage = apps.get_model("clubs", "OutboxMessage")
    now = timezone.now()
    batch = []
    for invitation in Invitation.objects.exclude(email="").iterator(chunk_size=1000):
        if invitation.sent_at is not None:
            state = "sent"
        elif invitation.send_failed:
            state = "failed"
        elif invitation.revoked_at or invitation.accepted_at or invitation.expires_at <= now:
            state = "skipped"
        else:
            state = "pending"  # still owed: the outbox sends it
        batch.append(
            OutboxMessage(
                kind=KIND,
                channel="email",
                club_id=invitation.club_id,
                subject_type="invitation",
                subject_id=invitation.pk,
                topic=f"invitation:{invitation.pk}",
                sequence=0,
                recipient_key=f"email:{invitation.email.strip().lower()}",
                address=invitation.email,
                state=state,
                attempts=invitation.send_attempts,
                due_at=now,
                error=invitation.send_error,
                created_at=invitation.created_at,
                sent_at=invitation.sent_at,
            )
        )
        if len(batch) >= 1000:
            OutboxMessage.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    OutboxMessage.objects.bulk_create(batch, ignore_conflicts=True)


def outbox_to_invitations(apps, schema_editor):
    Invitation = apps.get_model("clubs", "Invitation")
    OutboxMessage = apps.get_model("clubs", "OutboxMessage")
    for row in OutboxMessage.objects.filter(kind=KIND).iterator(chunk_size=1000):
        Invitation.objects.filter(pk=row.subject_id).update(
            sent_at=row.sent_at,
            send_attempts=row.attempts,
            send_error=row.error[:1000],
            send_failed=row.state == "failed",
        )
    OutboxMessage.objects.filter(kind=KIND).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("clubs", "0006_outbox"),
    ]

    operations = [
        migrations.RunPython(invitations_to_outbox, outbox_to_invitations, elidable=True),
        migrations.RemoveField(model_name="invitation", name="send_attempts"),
        migrations.RemoveField(model_name="invitation", name="send_error"),
        migrations.RemoveField(model_name="invitation", name="send_failed"),
        migrations.RemoveField(model_name="invitation", name="sent_at"),
    ]
