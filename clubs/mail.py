"""Mail clubs owes people, as kinds of outbox message (clubs/outbox): club
invitations and account mail (allauth's sign-up confirmation, password reset,
email change and the notices that follow). Registered from ClubsConfig.ready.

Both are owed in the transaction of the change that owes them and sent by the
outbox's workers, so they are recorded, retried with the outbox's backoff and,
when they fail for good, shown with the reason:
- an invitation's mail on the club's outbox page and its invitations page,
  for its organizers (the row carries the club);
- an account mail in the site's admin (Outbox messages, kind "Account mail"):
  it belongs to no club, and nobody but the site's operators may see who asked
  for a password reset.
"""

import uuid

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from .models import Invitation
from .outbox import kinds
from .outbox.models import OutboxMessage
from .outbox.services import outbox_enqueue

INVITATION = "clubs.invitation"
ACCOUNT = "clubs.account"


def invitation_topic(invitation_id: int) -> str:
    return f"invitation:{invitation_id}"


class InvitationMail(kinds.MessageKind):
    """One emailed invitation to its address, built when it is sent: one that was
    revoked, used or has expired by then is not sent (skipped)."""

    name = INVITATION
    label = "Club invitation"
    subject_type = "invitation"

    def prepare(self, messages: list[OutboxMessage], memo: dict) -> dict[int, Invitation]:
        return Invitation.objects.select_related("club", "created_by__profile").in_bulk(
            {m.subject_id for m in messages if m.subject_id}
        )

    def render(self, message: OutboxMessage, context: dict[int, Invitation]):
        invitation = context.get(message.subject_id or 0)
        if invitation is None or not invitation.email or invitation.status() != "valid":
            return None
        return invitation_message(invitation)


def invitation_owe(*, invitation: Invitation) -> None:
    """Owe an invitation's mail (inside the service's transaction)."""
    outbox_enqueue(
        kind=INVITATION,
        topic=invitation_topic(invitation.pk),
        recipients=[kinds.Recipient(address=invitation.email)],
        club=invitation.club,
        subject_id=invitation.pk,
    )


def invitation_message(invitation: Invitation) -> EmailMultiAlternatives:
    context = {
        "invitation": invitation,
        "club": invitation.club,
        "site_name": settings.SITE_NAME,
        "inviter": getattr(invitation.created_by, "profile", None),
        "accept_url": settings.SITE_URL
        + reverse("clubs:invitation_accept", args=[invitation.token]),
    }
    message = EmailMultiAlternatives(
        subject=f"You are invited to {invitation.club.name} on {settings.SITE_NAME}",
        body=render_to_string("clubs/email/invitation.txt", context),
        to=[invitation.email],
        headers={"Auto-Submitted": "auto-generated"},
    )
    message.attach_alternative(
        render_to_string("clubs/email/invitation.html", context), "text/html"
    )
    return message


class AccountMail(kinds.MessageKind):
    """A mail allauth has written (its templates, with the site named from
    settings), carried whole in the row's payload: its links are signed when
    written, so it is sent as written. Each is its own topic: two reset mails
    asked for a minute apart are two messages, both sent."""

    name = ACCOUNT
    label = "Account mail"
    subject_type = "account"
    # What it says holds a signed link (a password reset's): not kept once sent.
    forget_payload_when_sent = True

    def render(self, message: OutboxMessage, context) -> EmailMessage:
        written = message.payload
        mail = EmailMultiAlternatives(
            subject=written["subject"],
            body=written["body"],
            from_email=written.get("from_email") or None,
            to=[message.address],
            headers={"Auto-Submitted": "auto-generated"},
        )
        mail.content_subtype = written.get("subtype") or "plain"
        if written.get("html"):
            mail.attach_alternative(written["html"], "text/html")
        return mail


def account_mail_owe(*, message: EmailMessage, user_id: int | None) -> None:
    """Owe a mail allauth rendered, to each of its addresses. Called inside the
    request's transaction (ATOMIC_REQUESTS is off, so allauth's own writes have
    committed or it runs in autocommit): the doorbell rings after commit and a
    worker sends it within a moment; in the embedded mode it is sent at once,
    to the console."""
    html = [
        content
        for content, mimetype in getattr(message, "alternatives", [])
        if mimetype == "text/html"
    ]
    payload = {
        "subject": message.subject,
        "body": message.body,
        "subtype": message.content_subtype,  # "html" when allauth wrote only HTML
        "html": html[0] if html else "",
        "from_email": message.from_email,
    }
    outbox_enqueue(
        kind=ACCOUNT,
        topic=f"account:{uuid.uuid4().hex}",
        recipients=[kinds.Recipient(address=address, user_id=user_id) for address in message.to],
        payload=payload,
    )


def register_kinds() -> None:
    kinds.register(InvitationMail())
    kinds.register(AccountMail())
