"""Who may run a session (sessions/permissions.py)."""

import pytest

from sessions.models import Session
from sessions.permissions import session_may_run


@pytest.mark.parametrize(
    ("who", "is_member", "is_organizer", "may"),
    [
        ("facilitator", True, False, True),
        ("co-facilitator", True, False, True),
        ("facilitator", False, False, False),  # left the club since
        ("someone else", True, False, False),
        ("someone else", True, True, True),
        ("nobody signed in", False, False, False),
    ],
)
def test_who_may_run_a_session(who, is_member, is_organizer, may):
    session = Session(facilitator_id=1, co_facilitator_id=2)
    user_id = {"facilitator": 1, "co-facilitator": 2, "someone else": 3}.get(who)
    assert (
        session_may_run(
            session=session, user_id=user_id, is_member=is_member, is_organizer=is_organizer
        )
        is may
    )
