"""Writing the activity log and undoing what it records."""

from django.contrib.auth.models import User
from django.db import IntegrityError, models, transaction

from ..models import ActivityEntry, Club
from ..templatetags.paperclub import display_name
from .registry import kind_for


class UndoBlocked(Exception):
    """The change cannot be undone now; str(error) says what stands in the way."""


def subject_of(obj: models.Model) -> str:
    return f"{obj._meta.label_lower}:{obj.pk}"


def person(user: User | None) -> str:
    """How a log sentence names someone (their shown name, as pages do)."""
    if user is None:
        return "someone"
    return display_name(user)


@transaction.atomic
def activity_record(
    *,
    club: Club | int,
    actor: User | None,
    kind: str,
    summary: str,
    data: dict | None = None,
    subject: models.Model | str = "",
) -> ActivityEntry:
    """One entry in the club's log. Call it inside the change's own transaction,
    so the entry and the change are written together or not at all."""
    if kind_for(kind) is None:
        raise ValueError(f"Unknown activity kind {kind!r}: register it first.")
    if isinstance(subject, models.Model):
        subject = subject_of(subject)
    return ActivityEntry.objects.create(
        club_id=club if isinstance(club, int) else club.pk,
        actor=actor if actor is not None and actor.is_authenticated else None,
        kind=kind,
        summary=summary[:500],
        subject=subject,
        data=data or {},
    )


@transaction.atomic
def undo_blockers(*, entry: ActivityEntry) -> list[str]:
    """Why `entry` cannot be undone now (empty when it can). Atomic: handlers
    lock the rows they look at, so the answer holds for the undo that follows."""
    kind = kind_for(entry.kind)
    if kind is None or kind.undo is None:
        return ["This kind of change cannot be undone from the log."]
    if entry.is_undone:
        return ["This change has already been undone."]
    return kind.undo.blockers(entry)


@transaction.atomic
def activity_undo(*, entry: ActivityEntry, by: User) -> ActivityEntry:
    """Reverse a logged change exactly, or raise UndoBlocked saying why not.
    The undo is logged too (and cannot itself be undone: do the change again)."""
    entry = ActivityEntry.objects.select_for_update().get(pk=entry.pk)
    blockers = undo_blockers(entry=entry)
    kind = kind_for(entry.kind)
    if blockers or kind is None or kind.undo is None:
        raise UndoBlocked(" ".join(blockers))
    try:
        with transaction.atomic():
            summary = kind.undo.apply(entry, by)
    except IntegrityError as error:
        # A row written since stands where the old one would go back.
        raise UndoBlocked(
            "Something changed since that this undo would clash with; nothing was changed."
        ) from error
    undo = activity_record(
        club=entry.club_id,
        actor=by,
        kind=ActivityEntry.UNDO_KIND,
        summary=summary,
        data={"entry": entry.pk},
        subject=entry.subject,
    )
    entry.undone_by = undo
    entry.save(update_fields=["undone_by"])
    return undo


def later_entries(*, entry: ActivityEntry, subjects: list[str]) -> models.QuerySet[ActivityEntry]:
    """Changes made to any of `subjects` after `entry` (to say what blocks an undo)."""
    return (
        ActivityEntry.objects.filter(club_id=entry.club_id, subject__in=subjects, pk__gt=entry.pk)
        .exclude(kind=ActivityEntry.UNDO_KIND)
        .filter(undone_by__isnull=True)
        .select_related("actor__profile")
        .order_by("created_at", "pk")
    )
