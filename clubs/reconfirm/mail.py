"""The re-confirmation mail as a kind of outbox message: "Still reading with
<club>?" with the one-click "keep me" link. Built when it is sent: a question
answered meanwhile (the member took part, signed in, or the question lapsed)
is not sent (skipped)."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from ..models import ReconfirmAsk
from ..outbox import kinds
from ..outbox.models import OutboxMessage
from .services import RECONFIRM_MAIL
from .tokens import keep_url


class ReconfirmMail(kinds.MessageKind):
    name = RECONFIRM_MAIL
    label = "Still with us?"
    subject_type = "reconfirm_ask"
    # The keep-me link is a signed secret: not kept once the mail has gone.
    forget_payload_when_sent = True

    def prepare(self, messages: list[OutboxMessage], memo: dict) -> dict[int, ReconfirmAsk]:
        return ReconfirmAsk.objects.select_related("club", "membership__user__profile").in_bulk(
            {m.subject_id for m in messages if m.subject_id}
        )

    def render(self, message: OutboxMessage, context: dict[int, ReconfirmAsk]):
        ask = context.get(message.subject_id or 0)
        if ask is None or ask.outcome != ReconfirmAsk.Outcome.OPEN or ask.answer_by is None:
            return None  # answered meanwhile; or asked on the site, never by mail
        return reconfirm_message(ask)


def reconfirm_message(ask: ReconfirmAsk) -> EmailMultiAlternatives:
    assert ask.answer_by is not None  # a mail's question has its deadline
    user = ask.membership.user
    profile = getattr(user, "profile", None)
    context = {
        "club": ask.club,
        "name": profile.name if profile else user.email,
        "site_name": settings.SITE_NAME,
        "keep_url": keep_url(ask.pk),
        "club_url": settings.SITE_URL + reverse("clubs:home", args=[ask.club.slug]),
        "answer_by": ask.answer_by,
        # The reader's own zone, as every page shows times.
        "zone": profile.time_zone if profile else ask.club.time_zone,
        "answer_days": (ask.answer_by - ask.asked_at).days,
    }
    message = EmailMultiAlternatives(
        subject=f"Still reading with {ask.club.name}?",
        body=render_to_string("clubs/email/reconfirm.txt", context),
        to=[user.email],
        headers={"Auto-Submitted": "auto-generated"},
    )
    message.attach_alternative(render_to_string("clubs/email/reconfirm.html", context), "text/html")
    return message


def register_kind() -> None:
    kinds.register(ReconfirmMail())
