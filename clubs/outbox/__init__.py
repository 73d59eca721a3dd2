"""The outbox: every message the app owes anyone, written in the same transaction
as the change that owes it, and sent by workers, once.

It lives in clubs, the lowest app, so every app can use it (club invitations
and account mail from clubs, session mail from sessions). It knows no app
above it: they register *kinds* of message (kinds.py).

The database row is the source of truth; the broker is only a doorbell.

Tables (models.py):
- OutboxMessage: one message owed to one recipient, with its state (pending,
  sending, sent, failed, superseded, skipped), attempts, last error, the time
  it is due and the lease of the worker sending it.
- OutboxFanOut: one message owed to an audience a worker lists later, so a
  change that concerns a club of 10,000 costs one insert in the request.

Using it from another app:

    # 1. A kind (once, from your AppConfig.ready()):
    from clubs.outbox import kinds

    class InvitationMail(kinds.MessageKind):
        name = "clubs.invitation"          # unique, "<app>.<what>"
        label = "Club invitation"          # shown in the organizers' outbox
        subject_type = "invitation"

        def prepare(self, messages, memo):   # load subjects for a batch, once
            ids = {m.subject_id for m in messages}
            return Invitation.objects.select_related("club").in_bulk(ids)

        def render(self, message, invitations):
            invitation = invitations.get(message.subject_id)
            if invitation is None or invitation.status() != "valid":
                return None                # nothing to send any more: skipped
            return EmailMultiAlternatives(subject=..., body=..., to=[message.address])

    kinds.register(InvitationMail())

    # 2. Owing it, inside the service's transaction:
    from clubs.outbox.kinds import Recipient
    from clubs.outbox.services import outbox_enqueue, outbox_fan_out

    outbox_enqueue(kind="clubs.invitation", topic=f"invitation:{invitation.pk}",
                   recipients=[Recipient(address=invitation.email)],
                   club=invitation.club, subject_id=invitation.pk)
    # or, for an audience listed later by kind.audience(fan_out):
    outbox_fan_out(kind="sessions.invite", topic=..., sequence=..., club=..., subject_id=...)

A message that carries what it says (an account mail allauth has written, say)
can put it in `payload=` (JSON) and have render() build from message.payload.

What it guarantees (README, "Mail: what the outbox guarantees"):
- Once: one row per (topic, recipient, sequence) (a unique constraint); a
  retried task, a redelivered message or a repeated fan-out adds nothing. The
  Message-ID is the same at every attempt (kind.message_id).
- In order: within a topic, one message is on its way to a recipient at a time
  (a partial unique index), and a newer sequence supersedes older unsent ones;
  a message whose subject moved on (kind.current_sequence) is superseded at
  the last moment. So an update or a cancellation never overtakes the invite,
  and nobody gets yesterday's invite after today's.
- Never lost: claims are leases (OUTBOX_LEASE_SECONDS) renewed while a worker
  works; the sweeper (beat, OUTBOX_SWEEP_SECONDS) makes lapsed ones pending
  again, expands forgotten fan-outs and rings for what is due. Transient
  failures retry with backoff, jitter and a cap; permanent ones fail that
  message only, with the reason, for organizers to see and resend.
- What it cannot: a message handed to the mail server just before its worker
  died may be sent again (with the same Message-ID, which receivers use to drop
  the copy).

Channels (channels.py): email today; chat posts and signed webhooks (issues
16, 18) are further channels with the same three outcomes (sent, refused for
good, not now).

Modules: models, kinds (the registry), services (owing, resending, doorbells),
expanding (fan-outs), sending (claiming, leases, delivery), sweeper, tasks,
channels, selectors and views (the organizers' outbox pages).
"""
