from celery import shared_task

from .models import Invitation
from .services import invitation_email_send


@shared_task(name="clubs.send_invitation_email")
def send_invitation_email(invitation_id: int) -> None:
    invitation = (
        Invitation.objects.select_related("club", "created_by__profile")
        .filter(pk=invitation_id)
        .first()
    )
    if invitation is not None:
        invitation_email_send(invitation=invitation)
