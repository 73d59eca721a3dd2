"""What the rota's services share: times in a club's zone, the row lock and
checks for changing one week, and the hook that sends changed weeks to
calendars. (Their errors are `sessions.errors`; who may do what,
`sessions.permissions`.)"""

import zoneinfo
from datetime import UTC, date, datetime, time, timedelta

from django.utils import timezone

from papers.models import Nomination
from papers.services import nominations_set_state

from ..calendars.changes import sessions_calendar_changed
from ..errors import SessionError
from ..mail.invites import assignment_owe
from ..models import ClubSchedule, Session, SessionPaper

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


# --- Club-weeks: one regular session per week ------------------------------------------
#
# A club-week runs Monday to Sunday in the club's zone. A club meets at most once
# a week on its schedule: two live (not cancelled) series sessions never share a
# club-week; one-offs (no series date) are extra and only must not overlap
# another session in time. The services check this under the schedule's row lock
# (`lock_schedule`), which every change of a week's slot takes; a database
# constraint cannot, as the week depends on the club's zone.


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def week_bounds(moment: datetime, zone: zoneinfo.ZoneInfo) -> tuple[datetime, datetime]:
    """The club-week holding `moment`: from Monday 00:00 to the next Monday 00:00."""
    monday = week_start(moment.astimezone(zone).date())
    return local_datetime(monday, time(0), zone), local_datetime(
        monday + timedelta(days=7), time(0), zone
    )


def slot_of(
    schedule: ClubSchedule | None, day: date | None, zone: zoneinfo.ZoneInfo
) -> tuple[datetime, datetime] | None:
    """The start and end the schedule gives a series date (None for a one-off)."""
    if schedule is None or day is None:
        return None
    return slot_at(schedule, day, zone)


def slot_at(
    schedule: ClubSchedule, day: date, zone: zoneinfo.ZoneInfo
) -> tuple[datetime, datetime]:
    starts = local_datetime(day, schedule.start_time, zone)
    return starts, ends_after(starts, schedule.duration_minutes)


def lock_schedule(club) -> ClubSchedule | None:
    """Serialise changes to a club's slots (the planner takes the same lock)."""
    return ClubSchedule.objects.select_for_update().filter(club=club).first()


def week_clash(*, session: Session, starts_at: datetime, ends_at: datetime) -> Session | None:
    """The live session that keeps `session` from being at starts_at–ends_at, if
    any: one overlapping that time, or, for a series week, another series week
    in the same club-week."""
    others = (
        Session.objects.filter(club_id=session.club_id)
        .exclude(pk=session.pk)
        .exclude(state=Session.State.CANCELLED)
        .select_related("club")
        .order_by("starts_at")
    )
    overlapping = others.filter(starts_at__lt=ends_at, ends_at__gt=starts_at).first()
    if overlapping is not None or session.series_date is None:
        return overlapping
    start, end = week_bounds(starts_at, session.club.tzinfo)
    return others.filter(series_date__isnull=False, starts_at__gte=start, starts_at__lt=end).first()


# --- Calendars follow every material change ------------------------------------------


def calendar_changed(*session_ids: int) -> None:
    """The week(s) changed as calendars show them (their change_count already
    raised, once): owe the update to those it concerns and renew the feeds, in
    this transaction (sessions.calendars.changes)."""
    sessions_calendar_changed(session_ids=session_ids)


def assignment_told(session: Session, facilitator) -> None:
    """Owe the person an organizer assigned a mail saying they facilitate, in
    this transaction (sent by the outbox; nothing if the week changed hands
    by then)."""
    assignment_owe(session=session, user=facilitator)


# --- Organizer changes to one week --------------------------------------------------


def lock_session(session: Session) -> Session:
    return Session.objects.select_for_update().select_related("club").get(pk=session.pk)


def ensure_future(session: Session, what: str) -> None:
    if session.state == Session.State.DONE or session.starts_at <= timezone.now():
        raise SessionError(f"This session has already happened, so it cannot be {what}.")


def release_papers(session: Session, *, unlink: bool = False) -> list[Nomination]:
    """The week's scheduled papers go back to the proposed backlog (their votes
    never left them). `unlink` also takes them off the week: a skipped week
    keeps its links so a restore brings the same papers back; a week whose
    facilitator stepped back does not. Returns the nominations released."""
    links = list(session.papers.select_related("nomination"))
    released = [
        link.nomination for link in links if link.nomination.state == Nomination.State.SCHEDULED
    ]
    nominations_set_state(nominations=released, state=Nomination.State.PROPOSED)
    if unlink and links:
        SessionPaper.objects.filter(pk__in=[link.pk for link in links]).delete()
    return released
