"""The organizers' outbox: every message owed to the club's people, its state and
its error; a failed one can be sent again. Organizers only (@club_view)."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from ..permissions import ORGANIZER, ClubAccess, club_view
from ..redirects import redirect_back
from . import selectors, services
from .errors import OutboxError
from .models import OutboxMessage

PAGE_SIZE = 50


def outbox_context(
    request: HttpRequest, access: ClubAccess, *, subject_type: str = "", subject_id=None
) -> dict:
    """What the outbox list shows (shared by the club's and a session's page)."""
    state = request.GET.get("state", "")
    if state not in OutboxMessage.State.values:
        state = ""
    to = request.GET.get("to", "").strip()[:254]
    found = selectors.outbox_messages(
        club=access.club, subject_type=subject_type, subject_id=subject_id, state=state, to=to
    )
    return {
        "club": access.club,
        "access": access,
        "counts": selectors.outbox_counts(
            club=access.club, subject_type=subject_type, subject_id=subject_id
        ),
        "page": Paginator(found, PAGE_SIZE).get_page(request.GET.get("page")),
        "state": state,
        "to": to,
        "states": OutboxMessage.State.choices,
        "here": request.get_full_path(),
    }


@club_view(needs=ORGANIZER)
def club_outbox(request: HttpRequest, access: ClubAccess) -> HttpResponse:
    """Organizers: every message for the club (invitations, invites, reminders)."""
    return render(request, "clubs/outbox.html", outbox_context(request, access))


@require_POST
@club_view(needs=ORGANIZER)
def outbox_resend(request: HttpRequest, access: ClubAccess, message_id: int) -> HttpResponse:
    """Organizers: send a failed message again (built afresh from now)."""
    message = get_object_or_404(OutboxMessage, club=access.club, pk=message_id)
    try:
        services.outbox_resend(message=message, by=request.user)
        messages.success(request, f"The message to {message.address} will be sent again.")
    except OutboxError as error:
        messages.error(request, str(error))
    return redirect_back(request, reverse("clubs:outbox", args=[access.club.slug]))
