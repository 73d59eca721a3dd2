"""Writes for schedules, sessions, facilitators, papers and RSVPs.

Times: a schedule is wall-clock time in the club's zone; each session is
planned from its local date and time, so noon stays noon across daylight
saving changes. Races are settled by the database: claims are one conditional
UPDATE, the planner relies on a unique (club, series date) and locks the
schedule row, and schedule edits carry the version they were based on.
"""

import zoneinfo
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from clubs.models import Club, Membership
from papers.models import Nomination
from papers.services import nominations_set_state

from .models import ClubSchedule, Rsvp, Session, SessionPaper

# A scheduled session counts as done this long after it ends (beat task).
AUTO_DONE_AFTER = timedelta(hours=6)


class SessionError(Exception):
    """A change the rules do not allow; str(error) is shown to the person."""


class NotAllowed(SessionError):
    """The person may not do this (views answer 403)."""


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


# --- Membership checks -----------------------------------------------------------


def _membership(club: Club, user: AbstractBaseUser) -> Membership | None:
    return Membership.objects.filter(club=club, user=user, state=Membership.State.ACTIVE).first()


def _require_member(club: Club, user: AbstractBaseUser) -> Membership:
    membership = _membership(club, user)
    if membership is None:
        raise NotAllowed("Only active members of this club can do that.")
    return membership


def _require_organizer(club: Club, user: AbstractBaseUser) -> None:
    membership = _membership(club, user)
    if membership is None or membership.role != Membership.Role.ORGANIZER:
        raise NotAllowed("Only the club's organizers can do that.")


def session_may_run(
    *, session: Session, user_id: int | None, is_member: bool, is_organizer: bool
) -> bool:
    """Who runs a session (edits it, picks its papers, marks questions answered,
    sees its dashboard): its facilitator or co-facilitator while an active
    member, or an organizer. Views ask it to decide what to show; the services
    below enforce it."""
    if is_organizer:
        return True
    return is_member and user_id is not None and user_id in _runners(session)


def _runners(session: Session) -> tuple:
    return (session.facilitator_id, session.co_facilitator_id)


def _require_runner(session: Session, user: AbstractBaseUser) -> None:
    membership = _membership(session.club, user)
    is_organizer = membership is not None and membership.role == Membership.Role.ORGANIZER
    if session_may_run(
        session=session,
        user_id=user.pk,
        is_member=membership is not None,
        is_organizer=is_organizer,
    ):
        return
    if user.pk in _runners(session):
        raise NotAllowed("Only active members of this club can do that.")
    raise NotAllowed("Only the club's organizers can do that.")


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
        slot = wanted.get(session.series_date)
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
            _calendar_changed(session.pk)
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
    *, club: Club, by: AbstractBaseUser, data: ScheduleInput, based_on_version: int | None
) -> tuple[ClubSchedule, PlanResult]:
    """Set the club's cadence and re-plan. `based_on_version` is the version the
    organizer saw (None for a new schedule); an edit based on an older one is refused."""
    _require_organizer(club, by)
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
        _calendar_changed(*changed)
    return schedule, sessions_plan(club=club)


def sessions_plan_all(*, now: datetime | None = None) -> int:
    """The daily beat job: keep every club's horizon full."""
    created = 0
    for club in Club.objects.filter(schedule__isnull=False):
        created += sessions_plan(club=club, now=now).created
    return created


# --- Calendars follow every material change ------------------------------------------


def _calendar_changed(*session_ids: int) -> None:
    """After commit, send the changed week(s) to the calendars of those invited."""

    def send() -> None:
        from .tasks import send_invites

        for session_id in session_ids:
            send_invites.delay(session_id)

    if session_ids:
        transaction.on_commit(send)


# --- Organizer changes to one week --------------------------------------------------


def _lock(session: Session) -> Session:
    return Session.objects.select_for_update().select_related("club").get(pk=session.pk)


def _ensure_future(session: Session, what: str) -> None:
    if session.state == Session.State.DONE or session.starts_at <= timezone.now():
        raise SessionError(f"This session has already happened, so it cannot be {what}.")


def _release_papers(session: Session) -> None:
    nominations = [link.nomination for link in session.papers.select_related("nomination")]
    nominations_set_state(
        nominations=[n for n in nominations if n.state == Nomination.State.SCHEDULED],
        state=Nomination.State.PROPOSED,
    )


@transaction.atomic
def session_skip(*, session: Session, by: AbstractBaseUser, reason: str) -> Session:
    """Cancel one week (a holiday, say). Its papers go back to the backlog."""
    _require_organizer(session.club, by)
    session = _lock(session)
    _ensure_future(session, "cancelled")
    if session.state == Session.State.CANCELLED:
        raise SessionError("This week is already cancelled.")
    _release_papers(session)
    session.state = Session.State.CANCELLED
    session.cancel_reason = reason.strip()[:200]
    session.change_count += 1
    session.save(update_fields=["state", "cancel_reason", "change_count"])
    _calendar_changed(session.pk)
    return session


@transaction.atomic
def session_restore(*, session: Session, by: AbstractBaseUser) -> Session:
    """Undo a skip: the week is open again (or scheduled, if it kept its facilitator)."""
    _require_organizer(session.club, by)
    session = _lock(session)
    _ensure_future(session, "restored")
    if session.state != Session.State.CANCELLED:
        raise SessionError("This week is not cancelled.")
    session.state = Session.State.SCHEDULED if session.facilitator_id else Session.State.OPEN
    session.cancel_reason = ""
    session.change_count += 1
    session.save(update_fields=["state", "cancel_reason", "change_count"])
    # Papers picked by another week (or covered) while this one was cancelled
    # stay where they are; the rest come back to this week.
    links = list(session.papers.select_related("nomination"))
    taken = [link for link in links if link.nomination.state != Nomination.State.PROPOSED]
    SessionPaper.objects.filter(pk__in=[link.pk for link in taken]).delete()
    nominations_set_state(
        nominations=[link.nomination for link in links if link not in taken],
        state=Nomination.State.SCHEDULED,
    )
    _calendar_changed(session.pk)
    return session


@transaction.atomic
def session_move(
    *, session: Session, by: AbstractBaseUser, starts_at: datetime, duration_minutes: int
) -> Session:
    _require_organizer(session.club, by)
    session = _lock(session)
    _ensure_future(session, "moved")
    if starts_at <= timezone.now():
        raise SessionError("A session cannot be moved into the past.")
    if not 15 <= duration_minutes <= 600:
        raise SessionError("A session lasts between 15 minutes and 10 hours.")
    session.starts_at = starts_at
    session.ends_at = ends_after(starts_at, duration_minutes)
    session.moved = True
    session.change_count += 1
    session.save(update_fields=["starts_at", "ends_at", "moved", "change_count"])
    _calendar_changed(session.pk)
    return session


@transaction.atomic
def session_add_one_off(
    *,
    club: Club,
    by: AbstractBaseUser,
    starts_at: datetime,
    duration_minutes: int,
    title: str = "",
    format: str = Session.Format.SINGLE,
    location: str = "",
    meeting_link: str = "",
) -> Session:
    """An extra week, or an in-person meetup with a location."""
    _require_organizer(club, by)
    if starts_at <= timezone.now():
        raise SessionError("A new session must be in the future.")
    if not 15 <= duration_minutes <= 600:
        raise SessionError("A session lasts between 15 minutes and 10 hours.")
    schedule = ClubSchedule.objects.filter(club=club).first()
    return Session.objects.create(
        club=club,
        starts_at=starts_at,
        ends_at=ends_after(starts_at, duration_minutes),
        title=title.strip(),
        format=format,
        location=location.strip(),
        meeting_link=meeting_link or (schedule.meeting_link if schedule else ""),
    )


# --- Facilitators ------------------------------------------------------------------------


@transaction.atomic
def session_claim(*, session: Session, user: AbstractBaseUser) -> Session:
    """ "I'll facilitate": one conditional UPDATE, so of two people claiming at
    once exactly one wins and the other is told."""
    _require_member(session.club, user)
    claimed = Session.objects.filter(
        pk=session.pk,
        state=Session.State.OPEN,
        facilitator__isnull=True,
        starts_at__gt=timezone.now(),
    ).update(facilitator=user, state=Session.State.SCHEDULED, change_count=F("change_count") + 1)
    session = Session.objects.select_related("club").get(pk=session.pk)
    if claimed:
        _calendar_changed(session.pk)
        return session
    if session.facilitator_id == user.pk:
        raise SessionError("You are already facilitating this week.")
    if session.state == Session.State.CANCELLED:
        raise SessionError("This week is cancelled, so nobody facilitates it.")
    if session.state == Session.State.DONE or session.starts_at <= timezone.now():
        raise SessionError("This session has already happened.")
    raise SessionError("Someone just took this week. Pick another open week.")


@transaction.atomic
def session_withdraw(*, session: Session, user: AbstractBaseUser) -> Session:
    """The facilitator steps back: the week is open again."""
    withdrawn = Session.objects.filter(
        pk=session.pk,
        facilitator=user,
        state=Session.State.SCHEDULED,
        starts_at__gt=timezone.now(),
    ).update(facilitator=None, state=Session.State.OPEN, change_count=F("change_count") + 1)
    if not withdrawn:
        raise SessionError("You are not facilitating an upcoming week here.")
    _calendar_changed(session.pk)
    return Session.objects.select_related("club").get(pk=session.pk)


@transaction.atomic
def session_assign(
    *, session: Session, by: AbstractBaseUser, facilitator: AbstractBaseUser | None
) -> Session:
    """Organizers assign, reassign or clear a week's facilitator."""
    _require_organizer(session.club, by)
    session = _lock(session)
    _ensure_future(session, "reassigned")
    if session.state == Session.State.CANCELLED:
        raise SessionError("This week is cancelled; restore it first.")
    if facilitator is not None and _membership(session.club, facilitator) is None:
        raise SessionError("Only an active member of the club can facilitate.")
    if facilitator is not None and facilitator.pk == session.co_facilitator_id:
        session.co_facilitator = None
    if session.facilitator_id == (facilitator.pk if facilitator else None):
        return session
    session.facilitator = facilitator
    session.state = Session.State.SCHEDULED if facilitator else Session.State.OPEN
    session.change_count += 1
    session.save(update_fields=["facilitator", "co_facilitator", "state", "change_count"])
    _calendar_changed(session.pk)
    return session


# --- Papers --------------------------------------------------------------------------


@transaction.atomic
def session_papers_set(
    *,
    session: Session,
    by: AbstractBaseUser,
    picks: list[tuple[int, int | None]],
) -> Session:
    """Choose the session's papers from the club's backlog, in order.

    `picks` is a list of (nomination id, minutes or None). Chosen nominations
    become scheduled; ones no longer chosen go back to proposed.
    """
    session = _lock(session)
    _require_runner(session, by)
    _ensure_future(session, "changed")
    if session.state == Session.State.CANCELLED:
        raise SessionError("This week is cancelled; restore it first.")
    ids = [nomination_id for nomination_id, _ in picks]
    if len(set(ids)) != len(ids):
        raise SessionError("Each paper can be chosen once.")
    if len(ids) > 12:
        raise SessionError("A session reads at most 12 papers.")
    current = {link.nomination_id: link for link in session.papers.select_related("nomination")}
    nominations = {
        n.pk: n
        for n in Nomination.objects.select_for_update().filter(club=session.club, pk__in=ids)
    }
    for nomination_id in ids:
        nomination = nominations.get(nomination_id)
        if nomination is None:
            raise SessionError("That paper is not in this club's backlog.")
        if nomination.state != Nomination.State.PROPOSED and nomination_id not in current:
            raise SessionError(
                f"“{nomination.paper}” is {nomination.get_state_display().lower()}; "
                "choose a paper that is still proposed."
            )
    before = [(link.nomination_id, link.minutes) for link in current.values()]
    if before == list(picks):
        return session
    dropped = [link.nomination for nid, link in current.items() if nid not in nominations]
    session.papers.all().delete()
    SessionPaper.objects.bulk_create(
        [
            SessionPaper(session=session, nomination_id=nid, position=index, minutes=minutes)
            for index, (nid, minutes) in enumerate(picks)
        ]
    )
    nominations_set_state(nominations=dropped, state=Nomination.State.PROPOSED)
    nominations_set_state(nominations=list(nominations.values()), state=Nomination.State.SCHEDULED)
    session.change_count += 1
    session.save(update_fields=["change_count"])
    _calendar_changed(session.pk)
    return session


# --- Details, done, RSVP -----------------------------------------------------------------


@dataclass
class SessionDetails:
    title: str
    format: str
    notes: str
    meeting_link: str
    location: str
    slides_url: str
    recording_url: str
    co_facilitator_id: int | None


@transaction.atomic
def session_details_update(
    *, session: Session, by: AbstractBaseUser, details: SessionDetails
) -> Session:
    session = _lock(session)
    _require_runner(session, by)
    if details.co_facilitator_id is not None:
        if details.co_facilitator_id == session.facilitator_id:
            raise SessionError("The co-facilitator must be someone other than the facilitator.")
        if not Membership.objects.filter(
            club=session.club, user_id=details.co_facilitator_id, state="active"
        ).exists():
            raise SessionError("Only an active member of the club can co-facilitate.")
    material = (
        details.meeting_link != session.meeting_link
        or details.co_facilitator_id != session.co_facilitator_id
    )
    session.title = details.title.strip()[:200]
    session.format = details.format
    session.notes = details.notes
    session.meeting_link = details.meeting_link
    session.location = details.location.strip()[:300]
    session.slides_url = details.slides_url
    session.recording_url = details.recording_url
    session.co_facilitator_id = details.co_facilitator_id
    if material:
        session.change_count += 1
    try:
        session.full_clean(exclude=["club", "facilitator", "co_facilitator"])
    except ValidationError as error:
        raise SessionError(" ".join(error.messages)) from error
    session.save()
    if material:
        _calendar_changed(session.pk)
    return session


@transaction.atomic
def session_mark_done(*, session: Session, by: AbstractBaseUser | None = None) -> Session:
    """The session happened: its papers are covered on its (club-local) date."""
    session = _lock(session)
    if by is not None:
        _require_runner(session, by)
    if session.state == Session.State.DONE:
        return session
    if session.state == Session.State.CANCELLED:
        raise SessionError("A cancelled week cannot be marked done.")
    if session.starts_at > timezone.now():
        raise SessionError("This session has not started yet.")
    session.state = Session.State.DONE
    session.done_at = timezone.now()
    session.save(update_fields=["state", "done_at"])
    nominations_set_state(
        nominations=[link.nomination for link in session.papers.select_related("nomination")],
        state=Nomination.State.COVERED,
        covered_on=session.local_start.date(),
    )
    return session


def sessions_close_finished(*, now: datetime | None = None) -> int:
    """Beat: weeks that ended a while ago are done (if facilitated) or closed."""
    now = now or timezone.now()
    cutoff = now - AUTO_DONE_AFTER
    done = 0
    for session in Session.objects.filter(state=Session.State.SCHEDULED, ends_at__lt=cutoff):
        session_mark_done(session=session)
        done += 1
    # A week that passed with nobody to facilitate it did not happen.
    Session.objects.filter(state=Session.State.OPEN, ends_at__lt=cutoff).update(
        state=Session.State.CANCELLED,
        cancel_reason="Nobody facilitated this week.",
        change_count=F("change_count") + 1,
    )
    return done


@transaction.atomic
def rsvp_set(*, session: Session, user: AbstractBaseUser, answer: str) -> Rsvp:
    _require_member(session.club, user)
    if answer not in Rsvp.Answer.values:
        raise SessionError("Answer going, maybe or not going.")
    if session.state == Session.State.CANCELLED:
        raise SessionError("This week is cancelled.")
    if session.state == Session.State.DONE or session.ends_at <= timezone.now():
        raise SessionError("This session is over.")
    try:
        with transaction.atomic():
            rsvp, _ = Rsvp.objects.update_or_create(
                session=session,
                user=user,
                defaults={"answer": answer, "updated_at": timezone.now()},
            )
    except IntegrityError:
        # Two answers from one person at once: the later one wins.
        rsvp = Rsvp.objects.get(session=session, user=user)
        rsvp.answer = answer
        rsvp.save(update_fields=["answer"])
    return rsvp
