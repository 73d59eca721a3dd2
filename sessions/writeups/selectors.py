"""Reads for write-ups: the current text, the history with who wrote each
revision, a diff between two revisions, who wrote each line now, and what the
session page shows. Each is a fixed number of queries, whatever the number of
revisions (the texts of a history are read in one query)."""

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import User
from django.http import Http404, HttpRequest
from django.urls import reverse

from clubs.permissions import ClubAccess

from ..models import Attendance, Session, Writeup, WriteupRevision
from ..permissions import session_runners
from . import diffing
from .services import may_edit_writeup


def writeup_url(session: Session) -> str:
    """The write-up's page, absolute (for exports)."""
    return settings.SITE_URL + reverse("writeups:page", args=[session.club.slug, session.pk])


def writeup_of(*, session: Session) -> Writeup | None:
    """The session's write-up: as rota.selectors.session_detail selected it with
    the session (no query), or read now."""
    if Session.writeup.is_cached(session):
        return getattr(session, "writeup", None)  # None: selected, and there is none
    return Writeup.objects.select_related("updated_by__profile").filter(session=session).first()


def viewer_may_edit(access: ClubAccess, session: Session, user) -> bool:
    """Whether to show `user` the editor (display only: the service decides).
    Asks whether they came only when that decides it: a plain member, a week
    that has started."""
    if not access.is_member or session.state == Session.State.CANCELLED:
        return False
    attended = False
    runs = access.is_organizer or user.pk in session_runners(session)
    if not runs and session.is_past:
        attended = Attendance.objects.filter(session=session, user_id=user.pk).exists()
    return may_edit_writeup(
        session=session,
        user_id=user.pk,
        is_member=access.is_member,
        is_organizer=access.is_organizer,
        attended=attended,
    )


def writeup_context(request: HttpRequest, access: ClubAccess, session: Session) -> dict:
    """What the session page shows of the write-up."""
    if session.state == Session.State.CANCELLED:
        return {"writeup_shown": False}
    return {
        "writeup_shown": True,
        "writeup": writeup_of(session=session),
        "can_edit_writeup": viewer_may_edit(access, session, request.user),
    }


@dataclass(frozen=True)
class HistoryRow:
    revision: WriteupRevision
    stats: diffing.DiffStats


def _revisions(session: Session) -> list[WriteupRevision]:
    return list(
        WriteupRevision.objects.filter(writeup__session=session)
        .select_related("author__profile")
        .order_by("number")
    )


def writeup_history(
    *, session: Session
) -> tuple[list[HistoryRow], list[diffing.AttributedLine[User | None]]]:
    """Every revision, newest first, with the lines it added and removed; and
    each line of the current text with who wrote it."""
    revisions = _revisions(session)
    rows, previous = [], ""
    for revision in revisions:
        rows.append(HistoryRow(revision, diffing.diff_stats(previous, revision.text)))
        previous = revision.text
    lines = diffing.attribute_lines([(r.number, r.author, r.text) for r in revisions])
    return rows[::-1], lines


@dataclass(frozen=True)
class RevisionDiff:
    old: WriteupRevision | None
    new: WriteupRevision
    hunks: list[list[diffing.DiffLine]]
    numbers: list[int]  # every revision's number, for choosing what to compare


def writeup_diff(*, session: Session, number: int, against: int | None = None) -> RevisionDiff:
    """Revision `number` against `against` (by default the one before it)."""
    numbers = list(
        WriteupRevision.objects.filter(writeup__session=session)
        .order_by("number")
        .values_list("number", flat=True)
    )
    if number not in numbers or (against is not None and against not in numbers):
        raise Http404("No such revision of this write-up.")
    if against is None:
        against = number - 1 if number > 1 else None
    wanted = {number} | ({against} if against is not None else set())
    found = {
        r.number: r
        for r in WriteupRevision.objects.filter(
            writeup__session=session, number__in=wanted
        ).select_related("author__profile")
    }
    old = found.get(against) if against is not None else None
    new = found[number]
    return RevisionDiff(
        old=old,
        new=new,
        hunks=diffing.diff_hunks(old.text if old else "", new.text),
        numbers=numbers,
    )


def conflict_hunks(*, theirs: str, mine: str) -> list[list[diffing.DiffLine]]:
    """What the person typed against the version saved meanwhile."""
    return diffing.diff_hunks(theirs, mine)
