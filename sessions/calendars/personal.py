"""One person's copy of a week's event: their own answer can take it out of
their calendar.

A member who answers "not going" to a week (a series member's "not this week")
has that one occurrence cancelled in their own calendar: their emailed copy is
a CANCEL, their personal feed and their .ics of the week say
STATUS:CANCELLED. Answering going or maybe again puts it back (an invite
again). Everyone else's copy is untouched.

Their copy's SEQUENCE is the session's change_count plus Rsvp.calendar_changes
(how often their answer took it out or put it back). Both only rise, so the
sum rises at every change of either kind: calendars apply the newest, and the
outbox's stream for that session and person (same topic, this sequence) keeps
the cancellation and the invite again in order with the club's own updates.
"""

from dataclasses import dataclass

from django.db import connection
from django.db.models import OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from ..models import Rsvp, Session


@dataclass(frozen=True)
class Copy:
    """What one person's copy of a session's event says apart from everyone's."""

    sequence: int
    dropped: bool  # they said they're not going: cancelled for them


def drops_week(answer: str | None) -> bool:
    return answer == Rsvp.Answer.NOT_GOING


def copy_of(session: Session, *, answer: str | None, changes: int) -> Copy:
    return Copy(sequence=session.change_count + changes, dropped=drops_week(answer))


def with_answer_of(qs: QuerySet, *, user_ref, session_ref) -> QuerySet:
    """Annotate `my_answer` and `my_calendar_changes` (0 without an answer):
    `user_ref` and `session_ref` name the person and the session of each row
    (OuterRef expressions or values)."""
    mine = Rsvp.objects.filter(session=session_ref, user=user_ref)
    return qs.annotate(
        my_answer=Subquery(mine.values("answer")[:1]),
        my_calendar_changes=Coalesce(Subquery(mine.values("calendar_changes")[:1]), Value(0)),
    )


def sessions_for(qs: QuerySet[Session], *, user) -> QuerySet[Session]:
    """Sessions with the person's answer and changes annotated (see copy_of_annotated)."""
    return with_answer_of(qs, user_ref=user.pk, session_ref=OuterRef("pk"))


def copy_of_annotated(session: Session) -> Copy:
    return copy_of(
        session,
        answer=getattr(session, "my_answer", None),
        changes=getattr(session, "my_calendar_changes", 0) or 0,
    )


# Rsvp is unique per (session, user): at most one row joins.
_COPY_NOW_SQL = """
    SELECT s.change_count, r.answer, COALESCE(r.calendar_changes, 0)
    FROM meetings_session s
    LEFT JOIN meetings_rsvp r ON r.session_id = s.id AND r.user_id = %s
    WHERE s.id = %s
"""


def copy_now(*, session_id: int, user_id: int) -> tuple[int, bool] | None:
    """(sequence, dropped) of one person's copy, read fresh; None if the session is gone.

    One plain statement rather than the ORM: the outbox asks this just before
    every calendar message it sends (a fan-out of 10,000 asks 10,000 times,
    against issue 14's budget of 60 s for them), and building the ORM's query
    (with_answer_of's two subqueries) cost 1.7 ms of CPU a call against 0.13 ms
    for this statement, measured on the bench's database (2 Dec 2026; a
    FilteredRelation join through the ORM: 1.0 ms)."""
    with connection.cursor() as cursor:
        cursor.execute(_COPY_NOW_SQL, [user_id, session_id])
        row = cursor.fetchone()
    if row is None:
        return None
    count, answer, changes = row
    return count + changes, drops_week(answer)
