"""The schedule and the planner that keeps its weeks open ahead."""

import logging
import zoneinfo
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import dateformat, timezone

from clubs.activity.services import activity_record
from clubs.models import Club

from ..calendars.stamps import feeds_changed
from ..errors import SessionError
from ..models import ClubSchedule, Session, SessionPaper
from ..permissions import require_organizer
from ..series.services import series_fill
from . import activity
from .common import (
    calendar_changed,
    local_datetime,
    lock_schedule,
    occurrence_dates,
    slot_at,
    slot_of,
    week_clash,
    week_start,
)

log = logging.getLogger(__name__)

# --- Planning ------------------------------------------------------------------------


@dataclass
class PlanResult:
    created: int = 0
    updated: int = 0
    removed: int = 0
    # Claimed weeks (or weeks with papers) that the schedule no longer fits: they
    # keep their time until an organizer moves them (`sessions_refit`) or keeps them.
    misfits: list[Session] = field(default_factory=list)


def _wanted(schedule: ClubSchedule, zone, now: datetime) -> dict[date, tuple[datetime, datetime]]:
    """The future slots on the horizon: series date -> (start, end)."""
    today = now.astimezone(zone).date()
    wanted = {}
    for day in occurrence_dates(
        schedule, start=today, end=today + timedelta(weeks=schedule.weeks_ahead)
    ):
        slot = slot_at(schedule, day, zone)
        if slot[0] > now:
            wanted[day] = slot
    return wanted


def _is_fixed(session: Session, with_papers: set[int]) -> bool:
    """A week the planner must not move or remove: claimed, with papers, done or
    placed by hand. The rest (open and empty, or skipped) follow the schedule."""
    if session.moved:
        return True
    if session.state == Session.State.CANCELLED:
        return False
    return session.state != Session.State.OPEN or session.pk in with_papers


def _series(session: Session) -> date:
    """A series week's date (the queries here read series weeks only)."""
    if session.series_date is None:
        raise ValueError(f"Session {session.pk} is a one-off, not a series week.")
    return session.series_date


def _local_week(session: Session, zone) -> date:
    return week_start(session.starts_at.astimezone(zone).date())


@transaction.atomic
def sessions_plan(*, club: Club, now: datetime | None = None) -> PlanResult:
    """Keep the weeks on the rolling horizon in step with the schedule. Idempotent.

    One regular session per club-week (sessions.rota.common): open empty weeks
    and skipped weeks follow the schedule within their week (a skip stays a
    skip: the week is still cancelled on its new day); claimed weeks keep their
    time and hold their week (reported as misfits when the schedule no longer
    fits them); a week moved away by hand keeps its old slot free until an
    organizer plans it again (`session_slot_replan`)."""
    now = now or timezone.now()
    result = PlanResult()
    # The lock serialises planners of one club (beat, a schedule edit) and every
    # change to a week's slot.
    schedule = lock_schedule(club)
    if schedule is None:
        return result
    zone = zoneinfo.ZoneInfo(club.time_zone)
    wanted = _wanted(schedule, zone, now)
    by_week = {week_start(day): day for day in wanted}

    future = list(
        Session.objects.select_for_update()
        .filter(club=club, series_date__isnull=False, starts_at__gt=now)
        .order_by("starts_at", "pk")
    )
    with_papers = set(
        SessionPaper.objects.filter(session__in=future).values_list("session_id", flat=True)
    )
    used = set(
        Session.objects.filter(club=club, series_date__in=list(wanted)).values_list(
            "series_date", flat=True
        )
    )
    # Weeks that already have their session: one that has started (this week's,
    # say), or a fixed week below. Skipped weeks keep theirs too.
    taken: set[date] = set()
    if by_week:
        started = Session.objects.filter(
            club=club,
            series_date__isnull=False,
            starts_at__lte=now,
            starts_at__gte=local_datetime(min(by_week), time(0), zone),
        ).exclude(state=Session.State.CANCELLED)
        taken.update(
            week_start(s.astimezone(zone).date())
            for s in started.values_list("starts_at", flat=True)
        )
    flexible = []
    for session in future:
        if not _is_fixed(session, with_papers):
            flexible.append(session)
            continue
        week = _local_week(session, zone)
        if session.state != Session.State.CANCELLED:
            taken.add(week)
        if session.moved:
            # The slot it left is planned again only when an organizer asks.
            taken.add(week_start(_series(session)))
        elif session.state != Session.State.CANCELLED:
            target = by_week.get(week)
            if (
                target is None
                or target != session.series_date
                or wanted[target]
                != (
                    session.starts_at,
                    session.ends_at,
                )
            ):
                result.misfits.append(session)

    for session in flexible:
        week = week_start(_series(session))
        target = by_week.get(week)
        if target is None or week in taken or (target != session.series_date and target in used):
            session.delete()
            result.removed += 1
            continue
        taken.add(week)
        slot = wanted[target]
        if (session.series_date, session.starts_at, session.ends_at) == (target, *slot):
            continue
        used.discard(session.series_date)
        used.add(target)
        session.series_date = target
        session.starts_at, session.ends_at = slot
        session.change_count += 1
        session.save(update_fields=["series_date", "starts_at", "ends_at", "change_count"])
        if session.state != Session.State.CANCELLED:
            calendar_changed(session.pk)
        result.updated += 1

    new = [
        Session(
            club=club,
            series_date=day,
            starts_at=starts,
            ends_at=ends,
            meeting_link=schedule.meeting_link,
        )
        for day, (starts, ends) in wanted.items()
        if day not in used and week_start(day) not in taken
    ]
    # ignore_conflicts: a planner in another process may have made the same week.
    Session.objects.bulk_create(new, ignore_conflicts=True)
    result.created = len(new)
    if new:
        series_fill(club=club)  # new weeks count those who come every week
    if result.created or result.removed:
        feeds_changed(club_ids=[club.pk])  # weeks came or went
    return result


# --- Weeks the schedule no longer fits ---------------------------------------------------


@dataclass
class Misfit:
    session: Session
    # Where "move these" would put it: the schedule's slot in its own club-week,
    # or None when that week has no future slot (move it by hand, or keep it).
    target: date | None
    starts_at: datetime | None = None
    ends_at: datetime | None = None


def schedule_misfits(*, club: Club, now: datetime | None = None) -> list[Misfit]:
    """Claimed weeks (or weeks with papers) that do not sit on the schedule's
    slot of their club-week, and were not kept or placed by hand."""
    now = now or timezone.now()
    schedule = ClubSchedule.objects.filter(club=club).first()
    if schedule is None:
        return []
    zone = club.tzinfo
    candidates = list(
        Session.objects.filter(club=club, series_date__isnull=False, starts_at__gt=now, moved=False)
        .exclude(state=Session.State.CANCELLED)
        .select_related("club", "facilitator__profile")
        .order_by("starts_at")
    )
    with_papers = set(
        SessionPaper.objects.filter(session__in=candidates).values_list("session_id", flat=True)
    )
    misfits = []
    for session in candidates:
        if not _is_fixed(session, with_papers):
            continue
        day = _schedule_day(schedule, _local_week(session, zone))
        slot = slot_of(schedule, day, zone) if day else None
        if day == session.series_date and slot == (session.starts_at, session.ends_at):
            continue
        if slot is None or slot[0] <= now:
            misfits.append(Misfit(session=session, target=None))
        else:
            misfits.append(Misfit(session=session, target=day, starts_at=slot[0], ends_at=slot[1]))
    return misfits


def _schedule_day(schedule: ClubSchedule, monday: date) -> date | None:
    """The schedule's date in the club-week starting `monday`, if it has one."""
    days = occurrence_dates(schedule, start=monday, end=monday + timedelta(days=6))
    return days[0] if days else None


@transaction.atomic
def sessions_refit(*, club: Club, by: User, session_ids: list[int]) -> list[Session]:
    """ "Move these N weeks to the new day and time": each misfit among
    `session_ids` goes to the schedule's slot in its club-week, and its invitees
    get the update. Weeks with no slot in their week are left as they are."""
    require_organizer(club, by)
    lock_schedule(club)
    chosen = set(session_ids)
    moved = []
    for misfit in schedule_misfits(club=club):
        session = misfit.session
        if session.pk not in chosen or misfit.target is None:
            continue
        if misfit.starts_at is None or misfit.ends_at is None:
            continue
        holder = (
            Session.objects.filter(club=club, series_date=misfit.target)
            .exclude(pk=session.pk)
            .first()
        )
        if holder is not None:
            raise SessionError(
                f"{activity.week_name(holder)} already holds that slot; move or skip it first."
            )
        clash = week_clash(session=session, starts_at=misfit.starts_at, ends_at=misfit.ends_at)
        if clash is not None:
            raise SessionError(f"That week already has a session: {activity.week_name(clash)}.")
        was = activity.when(session)
        Session.objects.select_for_update().filter(pk=session.pk).update(
            series_date=misfit.target,
            starts_at=misfit.starts_at,
            ends_at=misfit.ends_at,
            change_count=F("change_count") + 1,
        )
        session.refresh_from_db()
        calendar_changed(session.pk)
        moved.append((was, session))
    if moved:
        activity_record(
            club=club,
            actor=by,
            kind="schedule.refit",
            summary=f"moved {_weeks(len(moved))} to the new day and time ("
            + "; ".join(f"{was} → {activity.when(s)}" for was, s in moved)
            + ")",
            data={"sessions": [s.pk for _, s in moved]},
        )
    return [s for _, s in moved]


@transaction.atomic
def sessions_keep(*, club: Club, by: User, session_ids: list[int]) -> list[Session]:
    """ "Keep them": the misfits among `session_ids` stay at their time, as if
    placed by hand (re-planning leaves them alone and stops offering them)."""
    require_organizer(club, by)
    lock_schedule(club)
    chosen = set(session_ids)
    kept = [m.session for m in schedule_misfits(club=club) if m.session.pk in chosen]
    Session.objects.filter(pk__in=[s.pk for s in kept]).update(moved=True)
    if kept:
        activity_record(
            club=club,
            actor=by,
            kind="schedule.keep",
            summary=f"kept {_weeks(len(kept))} at their old time ("
            + "; ".join(activity.when(s) for s in kept)
            + ")",
            data={"sessions": [s.pk for s in kept]},
        )
    return kept


def _weeks(n: int) -> str:
    return f"{n} week{'s' if n != 1 else ''}"


# --- The slot a week was moved away from --------------------------------------------------


@dataclass
class VacatedSlot:
    starts_at: datetime  # the slot's time on its series date
    session: Session  # the week that moved away from it


def vacated_slots(*, club: Club, now: datetime | None = None) -> list[VacatedSlot]:
    """Slots a week was moved away from (into another club-week), shown on the
    rota as "moved to …" until an organizer plans the slot again."""
    now = now or timezone.now()
    moved = (
        Session.objects.filter(club=club, moved=True, series_date__isnull=False, ends_at__gt=now)
        .exclude(state=Session.State.DONE)
        .select_related("club")
        .order_by("starts_at")
    )
    return vacated_among(
        schedule=ClubSchedule.objects.filter(club=club).first(), sessions=list(moved), now=now
    )


def vacated_among(
    *, schedule: ClubSchedule | None, sessions: list[Session], now: datetime | None = None
) -> list[VacatedSlot]:
    """`vacated_slots` out of sessions a page has already read (the rota's
    coming weeks), so it costs no statement of its own."""
    if schedule is None:
        return []
    now = now or timezone.now()
    zone = schedule.club.tzinfo
    slots = []
    for session in sessions:
        if not session.moved or session.series_date is None:
            continue
        week = week_start(_series(session))
        if _local_week(session, zone) == week:
            continue
        starts, _ = slot_at(schedule, _series(session), zone)
        if starts <= now:
            continue
        slots.append(VacatedSlot(starts_at=starts, session=session))
    return slots


@transaction.atomic
def session_slot_replan(*, session: Session, by: User, now: datetime | None = None) -> PlanResult:
    """Plan the slot `session` was moved away from again: the moved week takes
    the schedule's date of the club-week it is in now, and the planner fills the
    old slot's week."""
    club = session.club
    require_organizer(club, by)
    schedule = lock_schedule(club)
    if schedule is None:
        raise SessionError("The club has no schedule, so there is no slot to plan.")
    session = Session.objects.select_for_update().select_related("club").get(pk=session.pk)
    zone = club.tzinfo
    old_week = week_start(_series(session))
    if not session.moved or _local_week(session, zone) == old_week:
        raise SessionError("This week did not leave its slot, so there is nothing to plan.")
    start = local_datetime(old_week, time(0), zone)
    other = (
        Session.objects.filter(
            club=club,
            series_date__isnull=False,
            starts_at__gte=start,
            starts_at__lt=local_datetime(old_week + timedelta(days=7), time(0), zone),
        )
        .exclude(state=Session.State.CANCELLED)
        .exclude(pk=session.pk)
        .first()
    )
    if other is not None:
        raise SessionError(f"That week already has a session: {activity.week_name(other)}.")
    local_day = session.starts_at.astimezone(zone).date()
    for day in (_schedule_day(schedule, week_start(local_day)), local_day):
        if day and not Session.objects.filter(club=club, series_date=day).exists():
            new_key = day
            break
    else:
        raise SessionError(
            "The week it moved to has another session on its date; move that one first."
        )
    old_slot = dateformat.format(
        local_datetime(_series(session), schedule.start_time, zone), "D j M Y"
    )
    # It stays "placed by hand" (moved), so the planner never removes it.
    session.series_date = new_key
    session.save(update_fields=["series_date"])
    activity.log(
        session=session,
        by=by,
        kind="rota.replan",
        summary=f"planned the slot of {old_slot} again (its week had moved to "
        f"{activity.when(session)})",
    )
    return sessions_plan(club=club, now=now)


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
        was = None
    else:
        if based_on_version != schedule.version:
            raise SessionError(SCHEDULE_CHANGED)
        schedule.version += 1
        old_link = schedule.meeting_link
        was = describe_schedule(schedule)
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
    plan = sessions_plan(club=club)
    now = describe_schedule(schedule)
    summary = (
        f"set the schedule: {now}" if was is None else f"changed the schedule from {was} to {now}"
    )
    if was == now:
        summary = "saved the schedule without changing when the club meets"
    activity_record(
        club=club,
        actor=by,
        kind="schedule.change",
        summary=summary + f" ({_weeks(plan.created)} planned, {_weeks(plan.updated)} re-timed, "
        f"{_weeks(plan.removed)} removed, {_weeks(len(plan.misfits))} that no longer fit)",
        data={"version": schedule.version},
        subject=schedule,
    )
    return schedule, plan


def describe_schedule(schedule: ClubSchedule) -> str:
    """ "Wednesdays at 12:00 for 60 minutes" (and its end, when it has one)."""
    text = (
        f"{schedule.get_weekday_display()}s at {schedule.start_time:%H:%M} "
        f"for {schedule.duration_minutes} minutes"
    )
    if schedule.last_date:
        text += f" until {dateformat.format(schedule.last_date, 'j M Y')}"
    return text


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
