"""What the organizers' outbox pages show: counts by kind and state, and the
messages themselves a page at a time (a club of thousands is still one quick
page)."""

from django.db.models import Count, Q, QuerySet

from ..models import Club
from . import kinds
from .models import OutboxMessage

State = OutboxMessage.State


def outbox_messages(
    *,
    club: Club,
    subject_type: str = "",
    subject_id: int | None = None,
    state: str = "",
    to: str = "",
) -> QuerySet[OutboxMessage]:
    """`to`: one person's messages, by part of their address or name."""
    qs = OutboxMessage.objects.filter(club=club)
    if to:
        qs = qs.filter(Q(address__icontains=to) | Q(recipient__profile__display_name__icontains=to))
    if subject_type:
        qs = qs.filter(subject_type=subject_type)
    if subject_id is not None:
        qs = qs.filter(subject_id=subject_id)
    if state:
        qs = qs.filter(state=state)
    return qs.select_related("recipient__profile").order_by("-created_at", "-pk")


def outbox_counts(
    *, club: Club, subject_type: str = "", subject_id: int | None = None
) -> list[dict]:
    """[{"kind", "label", "total", <state>: n, ...}] with every state present."""
    qs = outbox_messages(club=club, subject_type=subject_type, subject_id=subject_id)
    rows: dict[str, dict] = {}
    for row in qs.order_by().values("kind", "state").annotate(n=Count("pk")):
        entry = rows.setdefault(
            row["kind"], {"kind": row["kind"], "label": kinds.label(row["kind"]), "total": 0}
        )
        entry[row["state"]] = row["n"]
        entry["total"] += row["n"]
    for entry in rows.values():
        for state in State.values:
            entry.setdefault(state, 0)
    return sorted(rows.values(), key=lambda e: e["label"])
