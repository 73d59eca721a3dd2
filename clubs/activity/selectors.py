"""Reads for the activity log."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils import timezone

from ..models import ActivityEntry, Club
from ..templatetags.paperclub import display_name


@dataclass(frozen=True)
class LogFilter:
    kind: str = ""
    actor_id: int | None = None
    since: date | None = None  # inclusive, in the viewer's zone
    until: date | None = None  # inclusive


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def club_log(*, club: Club, options: LogFilter = LogFilter()) -> QuerySet[ActivityEntry]:
    """The club's entries, newest first, with who did each (and who undid it)."""
    entries = ActivityEntry.objects.filter(club=club)
    if options.kind:
        entries = entries.filter(kind=options.kind)
    if options.actor_id:
        entries = entries.filter(actor_id=options.actor_id)
    if options.since:
        entries = entries.filter(created_at__gte=_start_of(options.since))
    if options.until:
        entries = entries.filter(created_at__lt=_start_of(options.until + timedelta(days=1)))
    return entries.select_related("actor__profile", "undone_by__actor__profile", "undid").order_by(
        "-created_at", "-pk"
    )


def log_actors(*, club: Club) -> list:
    """Everyone who appears in the club's log, by name (the person filter)."""
    ids = ActivityEntry.objects.filter(club=club, actor__isnull=False).values("actor_id")
    people = get_user_model().objects.filter(pk__in=ids).select_related("profile")
    return sorted(people, key=lambda user: (display_name(user).lower(), user.pk))


def club_entry(*, club: Club, entry_id: int) -> ActivityEntry:
    return (
        ActivityEntry.objects.select_related("actor__profile", "undone_by__actor__profile")
        .filter(club=club)
        .get(pk=entry_id)
    )
