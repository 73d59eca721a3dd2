"""The API's lists run a fixed number of statements, whatever their length."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.api.conftest import bearer
from tests.factories import (
    NominationFactory,
    RsvpFactory,
    SessionPaperFactory,
    TagFactory,
    VoteFactory,
    session_at,
)


def _fill(club, member, rows):
    for i in range(rows):
        nomination = NominationFactory(club=club)
        nomination.tags.add(TagFactory(club=club))
        VoteFactory(nomination=nomination, user=member)
        week = session_at(club, starts_in=timedelta(days=i + 1), state="open")
        SessionPaperFactory(session=week, nomination=nomination)
        RsvpFactory(session=week, user=member, answer="going")
        done = session_at(
            club, starts_in=-timedelta(days=7 * (i + 1)), state="done", facilitator=member
        )
        SessionPaperFactory(session=done, nomination=NominationFactory(club=club))


@pytest.mark.parametrize("name", ["api:backlog", "api:sessions", "api:archive"])
def test_api_list_statements_do_not_grow_with_rows(api, club, member, make_token, name):
    headers = bearer(make_token(member, club, "read"))
    url = reverse(name, args=[club.slug])
    api.get(url, **headers)  # the token's first use writes its last-used time
    counts = []
    for rows in (1, 6):
        _fill(club, member, rows)
        with CaptureQueriesContext(connection) as queries:
            assert api.get(url, **headers).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert counts[1] <= 15
