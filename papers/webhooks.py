"""The backlog's events for the club's webhooks (clubs/webhooks): a paper
proposed (a nomination made, whichever door it came in by: a form, an import,
the API) and a paper covered (its week is done). Owed inside the change's
transaction; each costs one query when no webhook of the club listens."""

from clubs.webhooks.events import Event
from clubs.webhooks.services import webhook_event_owe, webhooks_listening

from .models import Nomination


def webhook_proposed(nomination: Nomination) -> int:
    if nomination.club_id not in webhooks_listening(
        club_ids={nomination.club_id}, event=Event.PAPER_PROPOSED
    ):
        return 0
    return webhook_event_owe(
        club=nomination.club,
        event=Event.PAPER_PROPOSED,
        key=f"proposed:{nomination.pk}",
        subject_id=nomination.pk,
    )


def webhook_covered_before(nominations: list[Nomination]) -> list[int]:
    """Before they are marked covered: those not covered yet, of clubs whose
    webhooks listen (one query when none does)."""
    listening = webhooks_listening(
        club_ids={n.club_id for n in nominations}, event=Event.PAPER_COVERED
    )
    if not listening:
        return []
    return list(
        Nomination.objects.filter(pk__in=[n.pk for n in nominations], club_id__in=listening)
        .exclude(state=Nomination.State.COVERED)
        .values_list("pk", flat=True)
    )


def webhook_covered(nomination_ids: list[int]) -> int:
    """Nominations newly covered (their state was something else before)."""
    if not nomination_ids:
        return 0
    nominations = list(
        Nomination.objects.filter(pk__in=nomination_ids).select_related("club").order_by("pk")
    )
    owed = 0
    for nomination in nominations:
        owed += webhook_event_owe(
            club=nomination.club,
            event=Event.PAPER_COVERED,
            key=f"covered:{nomination.pk}:{nomination.covered_on}",
            subject_id=nomination.pk,
        )
    return owed
