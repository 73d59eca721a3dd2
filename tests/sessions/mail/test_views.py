"""Mail pages over HTTP: the organizers' outbox for a session."""

import pytest
from django.urls import reverse

from tests.factories import MembershipFactory, OutboxMessageFactory, SessionFactory

pytestmark = pytest.mark.django_db


def _sent(session, **fields):
    fields.setdefault("topic", f"session:{session.pk}:calendar")
    return OutboxMessageFactory(club=session.club, subject_id=session.pk, **fields)


def test_outbox_counts_what_was_sent_and_names_what_failed(client, club, organizer):
    session = SessionFactory(club=club)
    _sent(session)
    _sent(session)
    _sent(session, kind="sessions.nudge", topic=f"session:{session.pk}:nudge")
    failed = _sent(session, state="failed", error="550 No such user", sent_at=None)
    client.force_login(organizer)
    response = client.get(reverse("calendars:outbox", args=[club.slug, session.pk]))
    counts = {
        row["kind"]: (row["label"], row["sent"], row["failed"])
        for row in response.context["counts"]
    }
    assert counts == {
        "sessions.invite": ("Calendar invite", 2, 1),
        "sessions.nudge": ("Pre-read nudge", 1, 0),
    }
    body = response.content.decode()
    assert "550 No such user" in body
    assert reverse("clubs:outbox_resend", args=[club.slug, failed.pk]) in body


# A literal count, the same at one message of each kind per person as at three.
@pytest.mark.parametrize("rows", [1, 3])
def test_outbox_queries(client, django_assert_num_queries, club, organizer, rows):
    session = SessionFactory(club=club)
    for _ in range(rows):
        person = MembershipFactory(club=club).user
        _sent(session, recipient=person)
        _sent(session, recipient=person, kind="sessions.nudge", topic=f"session:{session.pk}:nudge")
        _sent(
            session,
            recipient=person,
            kind="sessions.soon",
            topic=f"session:{session.pk}:soon",
            state="failed",
        )
    client.force_login(organizer)
    with django_assert_num_queries(9):
        response = client.get(reverse("calendars:outbox", args=[club.slug, session.pk]))
    assert len(response.context["page"].object_list) == 3 * rows
