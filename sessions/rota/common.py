"""What the rota's services share: times in a club's zone, the row lock and
checks for changing one week, and the after-commit hook that sends changed
weeks to calendars. (Their errors are `sessions.errors`; who may do what,
`sessions.permissions`.)"""

import zoneinfo
from datetime import UTC, date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from papers.models import Nomination
from papers.services import nominations_set_state

from ..errors import SessionError
from ..models import ClubSchedule, Session

# A scheduled session counts as done this long after it ends (beat task).
AUTO_DONE_AFTER = timedelta(hours=6)


# --- Time --------------------------------------------------------------------------


def local_datetime(day: date, at: time, zone: zoneinfo.ZoneInfo) -> datetime:
    """The aware moment `at` o'clock on `day` in `zone` (wall-clock, DST-safe)."""
    return datetime.combine(day, at).replace(tzinfo=zone)


def ends_after(starts: datetime, minutes: int) -> datetime:
    """The moment `minutes` of real time after `starts`. Arithmetic on a datetime in
    a zone is wall-clock arithmetic, an hour off across a DST change: add in UTC."""
    return starts.astimezone(UTC) + timedelta(minutes=minutes)


def occurrence_dates(schedule: ClubSchedule, *, start: date, end: date) -> list[date]:
    """Every date from start to end (inclusive) that falls on the schedule's weekday."""
    first = max(start, schedule.first_date)
    last = min(end, schedule.last_date) if schedule.last_date else end
    offset = (schedule.weekday - first.weekday()) % 7
    day = first + timedelta(days=offset)
    dates = []
    while day <= last:
        dates.append(day)
        day += timedelta(days=7)
    return dates


# --- Calendars follow every material change ------------------------------------------


def calendar_changed(*session_ids: int) -> None:
    """After commit, send the changed week(s) to the calendars of those invited."""

    def send() -> None:
        from ..tasks import send_invites  # noqa: PLC0415 - avoids an import cycle: sessions.tasks imports the rota

        for session_id in session_ids:
            send_invites.delay(session_id)

    if session_ids:
        transaction.on_commit(send)


def assignment_told(session: Session, facilitator) -> None:
    """After commit, tell the person an organizer assigned that they facilitate."""
    from ..tasks import send_assignment  # noqa: PLC0415 - avoids an import cycle: sessions.tasks imports the rota

    args = (session.pk, facilitator.pk, session.change_count)
    transaction.on_commit(lambda: send_assignment.delay(*args))


# --- Organizer changes to one week --------------------------------------------------


def lock_session(session: Session) -> Session:
    return Session.objects.select_for_update().select_related("club").get(pk=session.pk)


def ensure_future(session: Session, what: str) -> None:
    if session.state == Session.State.DONE or session.starts_at <= timezone.now():
        raise SessionError(f"This session has already happened, so it cannot be {what}.")


def release_papers(session: Session) -> None:
    nominations = [link.nomination for link in session.papers.select_related("nomination")]
    nominations_set_state(
        nominations=[n for n in nominations if n.state == Nomination.State.SCHEDULED],
        state=Nomination.State.PROPOSED,
    )
