"""Mail pages over HTTP: the organizers' outbox for a session."""

import pytest
from django.urls import reverse

from sessions.models import Delivery
from tests.factories import DeliveryFactory, MembershipFactory, SessionFactory

pytestmark = pytest.mark.django_db


def test_outbox_counts_what_was_sent_and_names_what_failed(client, club, organizer):
    session = SessionFactory(club=club)
    DeliveryFactory.create_batch(2, session=session)
    DeliveryFactory(session=session, kind=Delivery.Kind.NUDGE)
    failed = DeliveryFactory(
        session=session, state=Delivery.State.FAILED, error="550 No such user", sent_at=None
    )
    client.force_login(organizer)
    response = client.get(reverse("calendars:outbox", args=[club.slug, session.pk]))
    assert response.context["rows"] == {
        "invite": {"label": "Calendar invite", "sent": 2, "failed": 1},
        "nudge": {"label": "Pre-read nudge", "sent": 1},
    }
    assert list(response.context["failures"]) == [failed]
    assert "550 No such user" in response.content.decode()


# A literal count, the same at one message of each kind as at three.
@pytest.mark.parametrize("rows", [1, 3])
def test_outbox_queries(client, django_assert_num_queries, club, organizer, rows):
    session = SessionFactory(club=club)
    for _ in range(rows):
        person = MembershipFactory(club=club).user
        DeliveryFactory(session=session, user=person)
        DeliveryFactory(session=session, user=person, kind=Delivery.Kind.NUDGE)
        DeliveryFactory(
            session=session, user=person, kind=Delivery.Kind.SOON, state=Delivery.State.FAILED
        )
    client.force_login(organizer)
    with django_assert_num_queries(8):
        response = client.get(reverse("calendars:outbox", args=[club.slug, session.pk]))
    assert len(response.context["failures"]) == rows
