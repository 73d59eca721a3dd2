"""Claims and schedule edits under real concurrency, on PostgreSQL: one wins, the rest are told."""

from datetime import UTC, time

import pytest

from sessions.errors import SessionError
from sessions.models import ClubSchedule, Session
from sessions.rota.facilitators import session_claim
from sessions.rota.planning import schedule_save
from tests.concurrency import run_at_once
from tests.factories import ClubFactory, MembershipFactory
from tests.services import need_postgres
from tests.sessions.rota.helpers import schedule_input, sessions_snapshot

THREADS = 20
TAKEN = "Someone just took this week. Pick another open week."
STALE = (
    "Another organizer changed the schedule while you were editing it. "
    "Here it is as they left it: make your change again."
)


@pytest.fixture
def club(transactional_db):
    need_postgres()
    club = ClubFactory(time_zone="UTC")
    MembershipFactory(club=club, role="organizer")
    return club


@pytest.fixture
def organizers(club):
    first = club.memberships.get(role="organizer").user
    return [first, MembershipFactory(club=club, role="organizer").user]


@pytest.mark.django_db(transaction=True)
def test_twenty_members_claiming_one_week_at_once_one_wins(club, organizers):
    schedule_save(club=club, by=organizers[0], data=schedule_input(zone=UTC), based_on_version=None)
    week, *others = Session.objects.filter(club=club).order_by("starts_at")
    session_claim(session=others[1], user=organizers[1])  # a week someone holds
    members = [MembershipFactory(club=club).user for _ in range(THREADS)]
    before = sessions_snapshot(club)

    results, errors = run_at_once(lambda i: session_claim(session=week, user=members[i]), THREADS)

    assert len(results) == 1
    (winner_index, _), *_ = results
    assert [(type(e), str(e)) for e in errors] == [(SessionError, TAKEN)] * (THREADS - 1)
    week.refresh_from_db()
    assert (week.state, week.facilitator_id, week.change_count) == (
        Session.State.SCHEDULED,
        members[winner_index].pk,
        1,
    )
    after = sessions_snapshot(club)
    assert [row for row in after if row[0] != week.pk] == [
        row for row in before if row[0] != week.pk
    ]
    assert len(after) == len(before)


@pytest.mark.django_db(transaction=True)
def test_two_organizers_saving_the_schedule_at_once_one_wins(club, organizers):
    schedule_save(club=club, by=organizers[0], data=schedule_input(zone=UTC), based_on_version=None)
    edits = [
        schedule_input(zone=UTC, start_time=time(9)),
        schedule_input(zone=UTC, start_time=time(18)),
    ]

    results, errors = run_at_once(
        lambda i: schedule_save(club=club, by=organizers[i], data=edits[i], based_on_version=1),
        2,
    )

    assert len(results) == 1
    assert [(type(e), str(e)) for e in errors] == [(SessionError, STALE)]
    (winner_index, _), *_ = results
    schedule = ClubSchedule.objects.get(club=club)
    assert (schedule.version, schedule.start_time) == (2, edits[winner_index].start_time)
    assert {s.starts_at.time() for s in Session.objects.filter(club=club)} == {
        edits[winner_index].start_time
    }


@pytest.mark.django_db(transaction=True)
def test_two_organizers_creating_the_schedule_at_once_one_wins(club, organizers):
    edits = [
        schedule_input(zone=UTC, start_time=time(9)),
        schedule_input(zone=UTC, start_time=time(18)),
    ]

    results, errors = run_at_once(
        lambda i: schedule_save(club=club, by=organizers[i], data=edits[i], based_on_version=None),
        2,
    )

    assert len(results) == 1
    assert [(type(e), str(e)) for e in errors] == [(SessionError, STALE)]
    (winner_index, _), *_ = results
    schedule = ClubSchedule.objects.get(club=club)
    assert (schedule.version, schedule.start_time) == (1, edits[winner_index].start_time)
    assert Session.objects.filter(club=club).count() == 4
