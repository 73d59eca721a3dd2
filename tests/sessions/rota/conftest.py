"""Fixtures of the rota's service tests (the club, organizer and member come from
tests/conftest.py)."""

import pytest

from sessions.models import Session
from sessions.rota.facilitators import session_claim
from sessions.rota.planning import schedule_save
from tests.sessions.rota.helpers import schedule_input, session_in


@pytest.fixture
def planned(club, organizer):
    """A schedule saved by the organizer: four open weeks, two days apart from today."""
    schedule, result = schedule_save(
        club=club, by=organizer, data=schedule_input(), based_on_version=None
    )
    assert result.created == 4
    return schedule


@pytest.fixture
def weeks(planned):
    return list(Session.objects.filter(club=planned.club).order_by("starts_at"))


@pytest.fixture
def open_week(club):
    return session_in(club)


@pytest.fixture
def facilitated(open_week, member):
    """The open week, claimed by the member."""
    return session_claim(session=open_week, user=member)
