import random

from celery import shared_task

from .models import Invitation
from .services import InvitationMailDeferred, invitation_email_send, invitations_owed


@shared_task(name="clubs.send_invitation_email", bind=True, max_retries=7)
def send_invitation_email(self, invitation_id: int) -> None:
    """Mail one invitation; a server that cannot take it now is tried again with
    backoff (the row keeps the reason; after the last try it is failed, shown)."""
    invitation = Invitation.objects.filter(pk=invitation_id).first()
    if invitation is None:
        return
    try:
        invitation_email_send(invitation=invitation)
    except InvitationMailDeferred as error:
        if self.request.is_eager:
            return  # in-process there is no later: the sweeper sends it again
        raise self.retry(countdown=_backoff(self.request.retries)) from error


@shared_task(name="clubs.resend_owed_invitations")
def resend_owed_invitations() -> int:
    """Beat: invitations still owed a while after they were made (a lost task,
    a dead worker, a mail server that was down) are sent again."""
    owed = invitations_owed()
    for invitation_id in owed:
        send_invitation_email.delay(invitation_id)
    return len(owed)


def _backoff(retries: int) -> float:
    """30 s, 60 s, 120 s… with jitter, capped at 30 minutes."""
    base = min(1800.0, 30.0 * (2**retries))
    return random.uniform(base / 2, base)


# The outbox's tasks (outbox.expand, outbox.drain, outbox.sweep) live with it.
from .outbox import tasks as outbox_tasks  # noqa: E402,F401
