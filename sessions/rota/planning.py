"""The schedule and the planner that keeps its weeks open ahead."""

import logging
import zoneinfo
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from clubs.models import Club

from ..errors import SessionError
from ..models import ClubSchedule, Session, SessionPaper
from ..permissions import require_organizer
from .common import calendar_changed, ends_after, local_datetime, occurrence_dates

log = logging.getLogger(__name__)

# --- Planning ------------------------------------------------------------------------


@dataclass
class PlanResult:
    created: int = 0
    updated: int = 0
    removed: int = 0
    # Claimed (or hand-moved) weeks that the new schedule no longer fits.
    misfits: list[Session] = field(default_factory=list)


@transaction.atomic
def sessions_plan(*, club: Club, now: datetime | None = None) -> PlanResult:
    """Create the weeks on the rolling horizon and re-plan unclaimed ones. Idempotent."""
    now = now or timezone.now()
    result = PlanResult()
    # The lock serialises planners of one club (beat, a schedule edit).
    schedule = ClubSchedule.objects.select_for_update().filter(club=club).first()
    if schedule is None:
        return result
    zone = zoneinfo.ZoneInfo(club.time_zone)
    today = now.astimezone(zone).date()
    wanted = {}
    for day in occurrence_dates(
        schedule, start=today, end=today + timedelta(weeks=schedule.weeks_ahead)
    ):
        starts = local_datetime(day, schedule.start_time, zone)
        if starts > now:
            wanted[day] = (starts, ends_after(starts, schedule.duration_minutes))

    future = list(
        Session.objects.select_for_update().filter(
            club=club, series_date__isnull=False, starts_at__gt=now
        )
    )
    with_papers = set(
        SessionPaper.objects.filter(session__in=future).values_list("session_id", flat=True)
    )
    # A week that has already started keeps its date, even if the schedule now puts
    # that date's slot later today: planning it again would only hit the constraint.
    seen = set(
        Session.objects.filter(
            club=club, series_date__in=list(wanted), starts_at__lte=now
        ).values_list("series_date", flat=True)
    )
    for session in future:
        seen.add(session.series_date)
        untouched = (
            session.state == Session.State.OPEN
            and not session.moved
            and session.pk not in with_papers
        )
        slot = wanted.get(session.series_date)  # type: ignore[arg-type]  # series weeks (filtered)
        if slot is None:
            if untouched or (session.state == Session.State.CANCELLED and not session.moved):
                session.delete()
                result.removed += 1
            elif session.state != Session.State.CANCELLED:
                result.misfits.append(session)
            continue
        changed_time = (session.starts_at, session.ends_at) != slot
        if changed_time and untouched:
            session.starts_at, session.ends_at = slot
            session.change_count += 1
            session.save(update_fields=["starts_at", "ends_at", "change_count"])
            calendar_changed(session.pk)
            result.updated += 1
        elif changed_time and session.state != Session.State.CANCELLED and not session.moved:
            result.misfits.append(session)

    new = [
        Session(
            club=club,
            series_date=day,
            starts_at=starts,
            ends_at=ends,
            meeting_link=schedule.meeting_link,
        )
        for day, (starts, ends) in wanted.items()
        if day not in seen
    ]
    # ignore_conflicts: a planner in another process may have made the same week.
    Session.objects.bulk_create(new, ignore_conflicts=True)
    result.created = len(new)
    return result


SCHEDULE_CHANGED = (
    "Another organizer changed the schedule while you were editing it. "
    "Here it is as they left it: make your change again."
)


@dataclass
class ScheduleInput:
    weekday: int
    start_time: time
    duration_minutes: int
    meeting_link: str
    weeks_ahead: int
    first_date: date
    last_date: date | None


@transaction.atomic
def schedule_save(
    *, club: Club, by: User, data: ScheduleInput, based_on_version: int | None
) -> tuple[ClubSchedule, PlanResult]:
    """Set the club's cadence and re-plan. `based_on_version` is the version the
    organizer saw (None for a new schedule); an edit based on an older one is refused."""
    require_organizer(club, by)
    if data.last_date is not None and data.last_date < data.first_date:
        raise SessionError("The last date must be on or after the first date.")
    schedule = ClubSchedule.objects.select_for_update().filter(club=club).first()
    if schedule is None:
        if based_on_version is not None:
            raise SessionError("The schedule changed while you were editing it; look again.")
        schedule = ClubSchedule(club=club)
        old_link = None
    else:
        if based_on_version != schedule.version:
            raise SessionError(SCHEDULE_CHANGED)
        schedule.version += 1
        old_link = schedule.meeting_link
    for name, value in vars(data).items():
        setattr(schedule, name, value)
    schedule.updated_at = timezone.now()
    try:
        schedule.full_clean(exclude=["club"])
    except ValidationError as error:
        raise SessionError(" ".join(error.messages)) from error
    try:
        with transaction.atomic():
            schedule.save()
    except IntegrityError:
        # Two organizers creating the first schedule at once: one per club.
        raise SessionError(SCHEDULE_CHANGED) from None
    if old_link is not None and old_link != schedule.meeting_link:
        # Weeks that used the club's link follow it; a link set for one week stays.
        following = Session.objects.filter(
            club=club, starts_at__gt=timezone.now(), meeting_link=old_link
        ).exclude(state=Session.State.CANCELLED)
        changed = list(following.values_list("pk", flat=True))
        following.update(meeting_link=schedule.meeting_link, change_count=F("change_count") + 1)
        calendar_changed(*changed)
    return schedule, sessions_plan(club=club)


def sessions_plan_all(*, now: datetime | None = None) -> int:
    """The beat job: keep every club's horizon full. A club whose planning
    fails is logged and skipped, so one bad schedule holds up no other club."""
    created = failed = 0
    for club in Club.objects.filter(schedule__isnull=False):
        try:
            created += sessions_plan(club=club, now=now).created
        except Exception:
            failed += 1
            log.exception("planner: club %s (%s) could not be planned", club.pk, club.slug)
    if created or failed:
        log.info("planner: %d new weeks; %d clubs failed", created, failed)
    return created
