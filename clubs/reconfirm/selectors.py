"""Reads for re-confirmation: the organizers' page and the members page."""

from django.db.models import F, QuerySet
from django.utils import timezone

from ..models import Club, Membership, ReconfirmAsk
from . import participation
from .services import policy_for, quiet_members


def inactive_members(*, club: Club) -> QuerySet[Membership]:
    """Members who did not answer in time, most recent first (shown apart)."""
    return (
        Membership.objects.filter(club=club, state=Membership.State.INACTIVE)
        .select_related("user__profile")
        .order_by("-updated_at", "pk")
    )


def reconfirm_overview(*, club: Club) -> dict:
    """What the policy page shows: the policy, who would be asked now (its
    next run), who is waiting to answer, and who is inactive."""
    policy = policy_for(club=club)
    now = timezone.now()
    return {
        "policy": policy,
        "would_ask": list(quiet_members(club=club, policy=policy, now=now)[:50]),
        "would_ask_count": quiet_members(club=club, policy=policy, now=now).count(),
        "waiting": list(
            ReconfirmAsk.objects.filter(club=club, outcome=ReconfirmAsk.Outcome.OPEN)
            .select_related("membership__user__profile")
            .order_by(F("answer_by").asc(nulls_last=True), "pk")[:50]
        ),
        "inactive": list(inactive_members(club=club)[:50]),
        "inactive_count": inactive_members(club=club).count(),
        "missing_sources": participation.missing_sources(),
    }
