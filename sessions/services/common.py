"""What the session services share: their errors, times in a club's zone, who may
do what, and the after-commit hook that sends changed weeks to calendars."""

import zoneinfo
from datetime import UTC, date, datetime, time, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from clubs.models import Club, Membership
from papers.models import Nomination
from papers.services import nominations_set_state

from ..models import ClubSchedule, Session

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


# --- Calendars follow every material change ------------------------------------------


def _calendar_changed(*session_ids: int) -> None:
    """After commit, send the changed week(s) to the calendars of those invited."""

    def send() -> None:
        from ..tasks import send_invites

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
