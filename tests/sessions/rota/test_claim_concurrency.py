"""Claims and schedule edits under real concurrency, on PostgreSQL: one wins, the rest are told."""

import threading
from datetime import time, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from sessions.errors import SessionError
from sessions.models import ClubSchedule, Session
from sessions.rota.facilitators import session_claim
from sessions.rota.planning import ScheduleInput, schedule_save
from tests.factories import ClubFactory, MembershipFactory
from tests.services import need_postgres

THREADS = 20
TAKEN = "Someone just took this week. Pick another open week."
STALE = (
    "Another organizer changed the schedule while you were editing it. "
    "Here it is as they left it: make your change again."
)


def _run_at_once(work, threads: int) -> tuple[list, list[BaseException]]:
    """Start `threads` calls of work(index) together; collect results and errors."""
    barrier = threading.Barrier(threads)
    results: list = []
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            barrier.wait()
            results.append((index, work(index)))
        except BaseException as error:  # collected and asserted on below
            errors.append(error)
        finally:
            connection.close()

    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    return results, errors


def _snapshot(club) -> list[tuple]:
    return list(
        Session.objects.filter(club=club)
        .order_by("pk")
        .values_list("pk", "starts_at", "ends_at", "state", "facilitator_id", "change_count")
    )


def _input(**fields) -> ScheduleInput:
    today = timezone.now().date()
    values = {
        "weekday": (today + timedelta(days=2)).weekday(),
        "start_time": time(12, 0),
        "duration_minutes": 60,
        "meeting_link": "https://meet.example.com/club",
        "weeks_ahead": 4,
        "first_date": today,
        "last_date": None,
    }
    return ScheduleInput(**(values | fields))


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
    schedule_save(club=club, by=organizers[0], data=_input(), based_on_version=None)
    week, *others = Session.objects.filter(club=club).order_by("starts_at")
    session_claim(session=others[1], user=organizers[1])  # a week someone holds
    members = [MembershipFactory(club=club).user for _ in range(THREADS)]
    before = _snapshot(club)

    results, errors = _run_at_once(lambda i: session_claim(session=week, user=members[i]), THREADS)

    assert len(results) == 1
    (winner_index, _), *_ = results
    assert [(type(e), str(e)) for e in errors] == [(SessionError, TAKEN)] * (THREADS - 1)
    week.refresh_from_db()
    assert (week.state, week.facilitator_id, week.change_count) == (
        Session.State.SCHEDULED,
        members[winner_index].pk,
        1,
    )
    after = _snapshot(club)
    assert [row for row in after if row[0] != week.pk] == [
        row for row in before if row[0] != week.pk
    ]
    assert len(after) == len(before)


@pytest.mark.django_db(transaction=True)
def test_two_organizers_saving_the_schedule_at_once_one_wins(club, organizers):
    schedule_save(club=club, by=organizers[0], data=_input(), based_on_version=None)
    edits = [_input(start_time=time(9)), _input(start_time=time(18))]

    results, errors = _run_at_once(
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
    edits = [_input(start_time=time(9)), _input(start_time=time(18))]

    results, errors = _run_at_once(
        lambda i: schedule_save(club=club, by=organizers[i], data=edits[i], based_on_version=None),
        2,
    )

    assert len(results) == 1
    assert [(type(e), str(e)) for e in errors] == [(SessionError, STALE)]
    (winner_index, _), *_ = results
    schedule = ClubSchedule.objects.get(club=club)
    assert (schedule.version, schedule.start_time) == (1, edits[winner_index].start_time)
    assert Session.objects.filter(club=club).count() == 4
