"""Material changes: what a session's calendar shows has changed.

Every service that changes something a calendar shows (time, length, title,
location, meeting link, papers or a paper's title, facilitator, co-facilitator,
cancellation, restoration) raises the session's change_count once and calls
`sessions_calendar_changed` in the same transaction. That one call
- owes the new version to everyone whose calendar should have it: one outbox
  fan-out per session and sequence (clubs/outbox), expanded by a worker, so an
  organizer's click costs one insert whatever the club's size;
- renews the feed stamps of the sessions' clubs, so feeds are rebuilt at once;
- owes the club's chat posts (sessions/chat.py) and webhook deliveries
  (sessions/webhooks.py: updated, cancelled, scheduled) of the weeks to come.
All commit with the change or not at all.
"""

from collections.abc import Iterable

from django.utils import timezone

from clubs.outbox.services import outbox_fan_outs

from ..chat import chat_scheduled
from ..mail.kinds import Kind, calendar_topic, outbox_kind
from ..models import Session
from ..webhooks import webhook_calendar_changed
from .stamps import feeds_changed


def sessions_calendar_changed(*, session_ids: Iterable[int]) -> None:
    """Call after raising change_count, inside the change's transaction."""
    ids = sorted(set(session_ids))
    if not ids:
        return
    now = timezone.now()
    rows = list(
        Session.objects.filter(pk__in=ids).values_list(
            "pk", "club_id", "change_count", "state", "starts_at"
        )
    )
    owed = []
    to_come = []
    for pk, club_id, sequence, state, starts_at in rows:
        if starts_at <= now or state == Session.State.DONE:
            continue  # it happened: calendars keep it as it was
        to_come.append((pk, club_id, sequence, state))
        kind = Kind.CANCEL if state == Session.State.CANCELLED else Kind.INVITE
        owed.append(
            {
                "kind": outbox_kind(kind),
                "topic": calendar_topic(pk),
                "sequence": sequence,
                "club_id": club_id,
                "subject_id": pk,
            }
        )
    outbox_fan_outs(owed)
    feeds_changed(club_ids={club_id for _, club_id, *_ in rows})
    chat_scheduled(pk for pk, _, _, state, _ in rows if state == Session.State.SCHEDULED)
    webhook_calendar_changed(to_come)
