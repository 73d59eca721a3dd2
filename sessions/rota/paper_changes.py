"""A paper's corrected details reach the calendars of the weeks that read it.

papers knows no sessions: it calls the receivers registered with
papers.hooks.on_paper_details_changed (SessionsConfig.ready registers this one).
"""

from django.db.models import F
from django.utils import timezone

from ..calendars.stamps import feeds_changed
from ..models import Session
from .common import calendar_changed

# What a session's calendar event shows of its papers (calendars/events.py:
# the title and the link): a change to either is a material change.
SHOWN_IN_CALENDARS = frozenset({"title", "url"})


def paper_details_changed(*, nomination_ids: list[int], fields: list[str]) -> None:
    """Every week that reads these papers changed: its SEQUENCE rises (feeds
    rebuild) and the weeks still to come go to the invitees' calendars again.

    calendar_changed owes the coming weeks' update through the outbox
    (sessions.calendars.changes)."""
    if not SHOWN_IN_CALENDARS.intersection(fields):
        return
    weeks = Session.objects.filter(papers__nomination_id__in=nomination_ids).exclude(
        state=Session.State.CANCELLED
    )
    ids = set(weeks.values_list("pk", flat=True))
    if not ids:
        return
    Session.objects.filter(pk__in=ids).update(change_count=F("change_count") + 1)
    # Feeds show past weeks too; calendar_changed renews the stamps of the rest.
    feeds_changed(club_ids=weeks.values_list("club_id", flat=True).distinct())
    coming = Session.objects.filter(pk__in=ids, starts_at__gt=timezone.now()).exclude(
        state=Session.State.DONE
    )
    calendar_changed(*sorted(coming.values_list("pk", flat=True)))
