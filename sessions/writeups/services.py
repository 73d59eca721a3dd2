"""Writes for write-ups: saving a new revision, refused when someone else saved
first.

Who may edit a session's write-up: the members who attended it (an Attendance
row), its facilitator and co-facilitator, and the club's organizers, all while
active members; nobody writes up a cancelled week.

Two people editing at once: each save names the revision it started from
(`base`, 0 for a write-up not yet written). The write-up row moves from `base`
to `base + 1` in one conditional UPDATE (the first save: one INSERT against the
one-per-session constraint), so of two saves from the same base exactly one is
taken and the other raises WriteupConflict carrying the version that won,
which the page shows beside the text the person typed. Nothing is overwritten.
"""

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from clubs.activity.services import person
from clubs.models import Membership

from ..errors import NotAllowed, SessionError
from ..models import Attendance, Session, Writeup, WriteupRevision
from ..permissions import active_membership, session_runners


class WriteupConflict(SessionError):
    """Someone saved the write-up since `base`; `current` is their version."""

    def __init__(self, current: Writeup) -> None:
        name = person(current.updated_by) if current.updated_by is not None else "Someone"
        super().__init__(
            f"{name} saved the write-up while you were editing it. Nothing was overwritten: "
            "their version is below and your text is still in the box. "
            "Merge the two and save again."
        )
        self.current = current


def may_edit_writeup(
    *, session: Session, user_id: int | None, is_member: bool, is_organizer: bool, attended: bool
) -> bool:
    """The rule, for the services and for what pages show."""
    if session.state == Session.State.CANCELLED or user_id is None or not is_member:
        return False
    return is_organizer or attended or user_id in session_runners(session)


def require_editor(session: Session, user: User) -> None:
    membership = active_membership(session.club, user)
    if session.state == Session.State.CANCELLED:
        raise SessionError("This week was cancelled, so it has no write-up.")
    attended = Attendance.objects.filter(session=session, user=user).exists()
    if not may_edit_writeup(
        session=session,
        user_id=user.pk,
        is_member=membership is not None,
        is_organizer=membership is not None and membership.role == Membership.Role.ORGANIZER,
        attended=attended,
    ):
        raise NotAllowed(
            "Only members who came to this session, its facilitator and the club's organizers "
            "can edit its write-up."
        )


def _current(session: Session) -> Writeup:
    return Writeup.objects.select_related("updated_by__profile").get(session=session)


@transaction.atomic
def writeup_save(*, session: Session, by: User, text: str, base: int) -> WriteupRevision | None:
    """Save `text` as the write-up's next revision, based on revision `base`.
    Returns the new revision, or None when the text is what the write-up
    already says. Raises WriteupConflict if another save came after `base`."""
    require_editor(session, by)
    text = (text or "").replace("\r\n", "\n")
    if len(text) > Writeup.TEXT_MAX:
        raise SessionError(f"A write-up holds at most {Writeup.TEXT_MAX:,} characters.")
    current = Writeup.objects.filter(session=session).first()
    if current is not None and current.text == text:
        return None  # the same words, whoever saved them first: nothing to add
    if current is None and base == 0 and not text.strip():
        return None
    now = timezone.now()
    if base == 0:
        try:
            with transaction.atomic():
                writeup = Writeup.objects.create(
                    session=session, text=text, revision=1, updated_by=by, updated_at=now
                )
        except IntegrityError as error:  # another first save won the race
            raise WriteupConflict(_current(session)) from error
    else:
        taken = Writeup.objects.filter(session=session, revision=base).update(
            text=text, revision=base + 1, updated_by=by, updated_at=now
        )
        if not taken:
            if current is None:
                raise SessionError("That revision is not this write-up's; reload the page.")
            raise WriteupConflict(_current(session))
        writeup = Writeup.objects.get(session=session)
    return WriteupRevision.objects.create(
        writeup=writeup, number=writeup.revision, text=text, author=by, created_at=now
    )
