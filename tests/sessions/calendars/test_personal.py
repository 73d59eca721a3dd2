"""One person's copy of a week, as the outbox reads it just before sending
(copy_now: one plain statement, see its docstring)."""

import pytest
from django.db.models import F

from sessions.calendars.personal import copy_now, copy_of_annotated, sessions_for
from sessions.models import Rsvp, Session
from tests.factories import RsvpFactory, SessionFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("answer", "changes", "expected"),
    [
        (None, 0, (4, False)),
        (Rsvp.Answer.GOING, 0, (4, False)),
        (Rsvp.Answer.MAYBE, 1, (5, False)),
        (Rsvp.Answer.NOT_GOING, 3, (7, True)),
    ],
    ids=["no-answer", "going", "maybe-after-a-change", "not-going"],
)
def test_copy_now_is_the_weeks_count_plus_their_own_changes(answer, changes, expected):
    me, someone_else = UserFactory(), UserFactory()
    week = SessionFactory(change_count=4)
    # Another person's answer, and mine to another week, are not my copy of this one.
    RsvpFactory(session=week, user=someone_else, answer=Rsvp.Answer.NOT_GOING, calendar_changes=9)
    RsvpFactory(session=SessionFactory(), user=me, answer=Rsvp.Answer.NOT_GOING, calendar_changes=8)
    if answer is not None:
        RsvpFactory(session=week, user=me, answer=answer, calendar_changes=changes)

    assert copy_now(session_id=week.pk, user_id=me.pk) == expected
    # The same as the pages' annotated copy.
    annotated = copy_of_annotated(sessions_for(Session.objects.filter(pk=week.pk), user=me).get())
    assert (annotated.sequence, annotated.dropped) == expected


def test_copy_now_reads_a_change_committed_after_the_last_read():
    me = UserFactory()
    week = SessionFactory(change_count=1)
    assert copy_now(session_id=week.pk, user_id=me.pk) == (1, False)

    Session.objects.filter(pk=week.pk).update(change_count=F("change_count") + 1)
    RsvpFactory(session=week, user=me, answer=Rsvp.Answer.NOT_GOING, calendar_changes=1)

    assert copy_now(session_id=week.pk, user_id=me.pk) == (3, True)


def test_copy_now_of_a_week_that_is_gone_is_none():
    me = UserFactory()
    week = SessionFactory()
    gone = week.pk
    week.delete()

    assert copy_now(session_id=gone, user_id=me.pk) is None
