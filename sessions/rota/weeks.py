"""Changes to one week: skipped, restored, moved, added, its details, done, RSVPs."""

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from clubs.models import Club, Membership
from papers.models import Nomination
from papers.services import nominations_set_state

from ..calendars.personal import drops_week
from ..calendars.stamps import feeds_changed
from ..chat import chat_materials
from ..errors import SessionError
from ..mail.invites import personal_calendar_owe
from ..models import ClubSchedule, Rsvp, Session, SessionPaper
from ..permissions import require_member, require_organizer, require_runner
from ..series.services import series_fill
from ..webhooks import webhook_recording
from . import activity
from .common import (
    AUTO_DONE_AFTER,
    calendar_changed,
    ends_after,
    ensure_future,
    lock_schedule,
    lock_session,
    release_papers,
    slot_of,
    week_clash,
)


@transaction.atomic
def session_skip(*, session: Session, by: User, reason: str) -> Session:
    """Cancel one week (a holiday, say). Its papers go back to the backlog."""
    require_organizer(session.club, by)
    session = lock_session(session)
    ensure_future(session, "cancelled")
    if session.state == Session.State.CANCELLED:
        raise SessionError("This week is already cancelled.")
    released = release_papers(session)
    session.state = Session.State.CANCELLED
    session.cancel_reason = reason.strip()[:200]
    session.change_count += 1
    session.save(update_fields=["state", "cancel_reason", "change_count"])
    calendar_changed(session.pk)
    activity.skipped(session=session, by=by, released=[n.pk for n in released])
    return session


@transaction.atomic
def session_restore(*, session: Session, by: User) -> Session:
    """Undo a skip: the week is open again (or scheduled, if it kept its facilitator)."""
    require_organizer(session.club, by)
    lock_schedule(session.club)
    session = lock_session(session)
    ensure_future(session, "restored")
    if session.state != Session.State.CANCELLED:
        raise SessionError("This week is not cancelled.")
    clash = week_clash(session=session, starts_at=session.starts_at, ends_at=session.ends_at)
    if clash is not None:
        raise SessionError(
            f"Its week already has a session: {activity.week_name(clash)}. "
            "Move or skip that one first."
        )
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
    calendar_changed(session.pk)
    series_fill(club=session.club)  # anyone who came every week since it was skipped
    activity.log(
        session=session,
        by=by,
        kind="rota.restore",
        summary=f"restored the week of {activity.when(session)}",
    )
    return session


@transaction.atomic
def session_move(
    *, session: Session, by: User, starts_at: datetime, duration_minutes: int
) -> Session:
    """Move one week by hand. Refused, naming it, when the new time's club-week
    already has a regular session (or any session overlaps it). The slot it left
    shows "moved to …" on the rota and is planned again only when asked."""
    require_organizer(session.club, by)
    schedule = lock_schedule(session.club)
    session = lock_session(session)
    ensure_future(session, "moved")
    if starts_at <= timezone.now():
        raise SessionError("A session cannot be moved into the past.")
    if not 15 <= duration_minutes <= 600:
        raise SessionError("A session lasts between 15 minutes and 10 hours.")
    ends_at = ends_after(starts_at, duration_minutes)
    clash = week_clash(session=session, starts_at=starts_at, ends_at=ends_at)
    if clash is not None:
        raise SessionError(
            f"That week already has a session: {activity.week_name(clash)}. "
            "Move or skip that one first."
        )
    was = activity.when(session)
    session.starts_at, session.ends_at = starts_at, ends_at
    # Back on its own slot, it follows the schedule again.
    session.moved = slot_of(schedule, session.series_date, session.club.tzinfo) != (
        starts_at,
        ends_at,
    )
    session.change_count += 1
    session.save(update_fields=["starts_at", "ends_at", "moved", "change_count"])
    calendar_changed(session.pk)
    activity.log(
        session=session,
        by=by,
        kind="rota.move",
        summary=f"moved the week of {was} to {activity.when(session)}",
        data={"from": was},
    )
    return session


@transaction.atomic
def session_add_one_off(
    *,
    club: Club,
    by: User,
    starts_at: datetime,
    duration_minutes: int,
    title: str = "",
    format: str = Session.Format.SINGLE,
    location: str = "",
    meeting_link: str = "",
) -> Session:
    """An extra week, or an in-person meetup with a location."""
    require_organizer(club, by)
    if starts_at <= timezone.now():
        raise SessionError("A new session must be in the future.")
    if not 15 <= duration_minutes <= 600:
        raise SessionError("A session lasts between 15 minutes and 10 hours.")
    schedule = ClubSchedule.objects.filter(club=club).first()
    session = Session.objects.create(
        club=club,
        starts_at=starts_at,
        ends_at=ends_after(starts_at, duration_minutes),
        title=title.strip(),
        format=format,
        location=location.strip(),
        meeting_link=meeting_link or (schedule.meeting_link if schedule else ""),
    )
    session.club = club
    activity.log(
        session=session,
        by=by,
        kind="rota.add",
        summary=f"added a session on {activity.when(session)}"
        + (f" (“{session.title}”)" if session.title else ""),
    )
    feeds_changed(club_ids=[club.pk])
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


def session_details(session: Session, **changes) -> SessionDetails:
    """The week's details as they are, with `changes` (the edit form's starting point)."""
    fields = {
        "title": session.title,
        "format": session.format,
        "notes": session.notes,
        "meeting_link": session.meeting_link,
        "location": session.location,
        "slides_url": session.slides_url,
        "recording_url": session.recording_url,
        "co_facilitator_id": session.co_facilitator_id,
    }
    return SessionDetails(**(fields | changes))


@transaction.atomic
def session_details_update(*, session: Session, by: User, details: SessionDetails) -> Session:
    session = lock_session(session)
    require_runner(session, by)
    if details.co_facilitator_id is not None:
        if details.co_facilitator_id == session.facilitator_id:
            raise SessionError("The co-facilitator must be someone other than the facilitator.")
        if not Membership.objects.filter(
            club=session.club, user_id=details.co_facilitator_id, state="active"
        ).exists():
            raise SessionError("Only an active member of the club can co-facilitate.")
    if details.format == Session.Format.SINGLE and session.format != Session.Format.SINGLE:
        chosen = session.papers.count()
        if chosen > 1:
            raise SessionError(
                f"This week reads {chosen} papers: choose one before making it a one-paper week."
            )
    # Whatever a calendar shows of the week (sessions.calendars.changes).
    material = (
        details.meeting_link != session.meeting_link
        or details.co_facilitator_id != session.co_facilitator_id
        or details.title.strip()[:200] != session.title
        or details.location.strip()[:300] != session.location
    )
    slides_before, recording_before = session.slides_url, session.recording_url
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
        calendar_changed(session.pk)
    chat_materials(session, slides_before=slides_before, recording_before=recording_before)
    webhook_recording(session, recording_before=recording_before)
    activity.log(
        session=session,
        by=by,
        kind="rota.details",
        summary=f"edited the details of the week of {activity.when(session)}",
    )
    return session


@transaction.atomic
def session_mark_done(*, session: Session, by: User | None = None) -> Session:
    """The session happened: its papers are covered on its (club-local) date."""
    session = lock_session(session)
    if by is not None:
        require_runner(session, by)
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
    if by is not None:
        activity.log(
            session=session,
            by=by,
            kind="rota.done",
            summary=f"marked the week of {activity.when(session)} done",
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
    # A week that passed with nobody to facilitate it did not happen. (It is
    # past, so nobody is mailed; the feeds show it cancelled.)
    with transaction.atomic():
        unfacilitated = list(
            Session.objects.select_for_update()
            .select_related("club")
            .filter(state=Session.State.OPEN, ends_at__lt=cutoff)
        )
        Session.objects.filter(pk__in=[s.pk for s in unfacilitated]).update(
            state=Session.State.CANCELLED,
            cancel_reason="Nobody facilitated this week.",
            change_count=F("change_count") + 1,
        )
        for session in unfacilitated:
            activity.log(
                session=session,
                by=None,
                kind="rota.cancel",
                summary=f"closed the week of {activity.when(session)}: nobody facilitated it",
            )
        feeds_changed(club_ids={s.club_id for s in unfacilitated})
    return done


@transaction.atomic
def rsvp_set(*, session: Session, user: User, answer: str) -> Rsvp:
    """One person's answer for one week. "Not going" takes the week out of their
    own calendar, and going or maybe again puts it back: that one person is owed
    a cancellation or an invite again (sessions.calendars.personal)."""
    require_member(session.club, user)
    if answer not in Rsvp.Answer.values:
        raise SessionError("Answer going, maybe or not going.")
    if session.state == Session.State.CANCELLED:
        raise SessionError("This week is cancelled.")
    if session.state == Session.State.DONE or session.ends_at <= timezone.now():
        raise SessionError("This session is over.")
    feeds_changed(user_ids=[user.pk])  # a feed of "sessions I am going to" changes
    before = Rsvp.objects.filter(session=session, user=user).values_list("answer", flat=True)
    if drops_week(answer) or drops_week(before.first()):
        # Their copy's sequence adds the week's change_count: no change of the
        # week may commit in between (the week's lock, taken before the answer's).
        lock_session(session)
    rsvp, old = _rsvp_locked(session=session, user=user, answer=answer)
    flips = drops_week(old) != drops_week(answer)
    rsvp.answer, rsvp.via_series, rsvp.updated_at = answer, False, timezone.now()
    if flips:
        rsvp.calendar_changes += 1
    rsvp.save(update_fields=["answer", "via_series", "updated_at", "calendar_changes"])
    if flips:
        count = Session.objects.filter(pk=session.pk).values_list("change_count", flat=True).get()
        personal_calendar_owe(
            session=session,
            user=user,
            sequence=count + rsvp.calendar_changes,
            dropped=drops_week(answer),
        )
    return rsvp


def _rsvp_locked(*, session: Session, user: User, answer: str) -> tuple[Rsvp, str | None]:
    """The person's answer row, locked, and what it said before (None: new)."""
    rsvp = Rsvp.objects.select_for_update().filter(session=session, user=user).first()
    if rsvp is not None:
        return rsvp, rsvp.answer
    try:
        with transaction.atomic():
            return Rsvp.objects.create(session=session, user=user, answer=answer), None
    except IntegrityError:
        # Two answers from one person at once: the later one wins.
        rsvp = Rsvp.objects.select_for_update().get(session=session, user=user)
        return rsvp, rsvp.answer
