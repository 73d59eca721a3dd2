"""Writes for attendance: the facilitator's sheet and a member's own check-in.

Who may do what:
- the session's facilitator or co-facilitator (while active members) and the
  club's organizers mark who came, from CHECK_IN_OPENS before the start, during
  the session and any time after it (late sheets are normal);
- an active member checks themselves in (or out again) from CHECK_IN_OPENS
  before the start until the session ends;
- nobody attends a cancelled week.

An organizer's changes are written to the club's activity log.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import dateformat, timezone

from clubs.activity.services import person
from clubs.models import Membership
from papers.voting.options import attendance_changed

from ..errors import SessionError
from ..models import Attendance, Session
from ..permissions import active_membership, require_member, require_runner
from ..rota import activity

CHECK_IN_OPENS = timedelta(minutes=15)


@dataclass
class AttendanceChange:
    added: list[int] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.added or self.removed)


def attendance_opens(session: Session) -> datetime:
    return session.starts_at - CHECK_IN_OPENS


def check_in_open(session: Session, now: datetime | None = None) -> bool:
    """Whether members may check themselves in now."""
    now = now or timezone.now()
    return (
        session.state != Session.State.CANCELLED
        and attendance_opens(session) <= now < session.ends_at
    )


def _ensure_takes_attendance(session: Session, now: datetime) -> None:
    if session.state == Session.State.CANCELLED:
        raise SessionError("This week is cancelled, so nobody attends it.")
    if now < attendance_opens(session):
        opens = dateformat.format(attendance_opens(session).astimezone(session.club_tz), "H:i T")
        raise SessionError(
            f"Attendance opens {CHECK_IN_OPENS.seconds // 60} minutes before the start "
            f"({opens} on the day)."
        )


@transaction.atomic
def attendance_set(
    *, session: Session, by: User, shown: set[int], was_present: set[int], present: set[int]
) -> AttendanceChange:
    """Apply one attendance sheet: of the people it `shown`, those ticked
    (`present`) and not shown present when it was drawn (`was_present`) are
    added, those shown present and unticked removed. Nobody else changes, so a
    member who checked in after the sheet was drawn keeps their check-in."""
    require_runner(session, by)
    now = timezone.now()
    _ensure_takes_attendance(session, now)
    if not present <= shown or not was_present <= shown:
        raise SessionError("The sheet names someone it does not list; reload the page.")
    members = set(
        Membership.objects.filter(
            club_id=session.club_id, state=Membership.State.ACTIVE, user_id__in=shown
        ).values_list("user_id", flat=True)
    )
    existing = set(
        Attendance.objects.select_for_update()
        .filter(session=session, user_id__in=shown)
        .values_list("user_id", flat=True)
    )
    if shown - members - existing:
        raise SessionError("Only the club's active members can be marked present.")
    change = AttendanceChange(
        added=sorted((present - was_present) - existing),
        removed=sorted((was_present - present) & existing),
    )
    # Conflicts: somebody checked in meanwhile, and they are present either way.
    Attendance.objects.bulk_create(
        [
            Attendance(session=session, user_id=user_id, marked_by=by, created_at=now)
            for user_id in change.added
        ],
        ignore_conflicts=True,
    )
    Attendance.objects.filter(session=session, user_id__in=change.removed).delete()
    Session.objects.filter(pk=session.pk).update(attendance_taken_at=now)
    session.attendance_taken_at = now
    attendance_changed(club_id=session.club_id)  # the backlog's vote weights
    membership = active_membership(session.club, by)
    if change and membership is not None and membership.role == Membership.Role.ORGANIZER:
        _log(session=session, by=by, change=change)
    return change


def _log(*, session: Session, by: User, change: AttendanceChange) -> None:
    names = {
        user.pk: person(user)
        for user in User.objects.filter(pk__in=change.added + change.removed).select_related(
            "profile"
        )
    }
    parts = []
    if change.added:
        parts.append("came: " + ", ".join(names[pk] for pk in change.added))
    if change.removed:
        parts.append("did not come: " + ", ".join(names[pk] for pk in change.removed))
    activity.log(
        session=session,
        by=by,
        kind="attendance.change",
        summary=f"took attendance for the week of {activity.when(session)} ({'; '.join(parts)})",
        data={"added": change.added, "removed": change.removed},
    )


@transaction.atomic
def attendance_check_in(*, session: Session, user: User, present: bool = True) -> bool:
    """A member says they are here (or, having pressed it by mistake, that they
    are not). Returns whether anything changed."""
    require_member(session.club, user)
    now = timezone.now()
    _ensure_takes_attendance(session, now)
    if now >= session.ends_at:
        raise SessionError("This session is over; the facilitator can still mark you present.")
    if not present:
        deleted, _ = Attendance.objects.filter(session=session, user=user).delete()
        if deleted:
            attendance_changed(club_id=session.club_id)  # the backlog's vote weights
        return bool(deleted)
    _, created = Attendance.objects.get_or_create(
        session=session, user=user, defaults={"source": Attendance.Source.CHECK_IN}
    )
    if created:
        attendance_changed(club_id=session.club_id)
    return created
