"""Loading what session mail is about, in the shapes messages need.

Sending itself is the outbox's (clubs/outbox): sessions only says who a message
reaches (invites.py, reminders.py) and what it says (messages.py), through the
kinds registered in outbox.py.
"""

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.db.models import Prefetch

from clubs.models import Membership

from ..models import Session, SessionPaper


def _shaped(qs):
    papers = Prefetch(
        "papers",
        queryset=SessionPaper.objects.select_related("nomination__paper").order_by("position"),
        to_attr="ordered_papers",
    )
    return qs.select_related(
        "club", "facilitator__profile", "co_facilitator__profile"
    ).prefetch_related(papers)


def load_session(session_id: int) -> Session | None:
    return _shaped(Session.objects.filter(pk=session_id)).first()


def load_sessions(session_ids: Iterable[int]) -> dict[int, Session]:
    return {s.pk: s for s in _shaped(Session.objects.filter(pk__in=set(session_ids)))}


def active_members(session: Session):
    return (
        get_user_model()
        .objects.filter(memberships__club=session.club, memberships__state=Membership.State.ACTIVE)
        .select_related("profile", "mail_preferences")
        .order_by("pk")
    )


def load_people(user_ids: Iterable[int]) -> dict:
    return (
        get_user_model()
        .objects.select_related("profile", "mail_preferences")
        .in_bulk(set(user_ids))
    )
