"""Two people saving one write-up at once, on PostgreSQL: one save is taken,
the other is told, and nothing is overwritten."""

from datetime import timedelta

import pytest

from sessions.models import Attendance, Writeup, WriteupRevision
from sessions.writeups.services import WriteupConflict, writeup_save
from tests.concurrency import run_at_once
from tests.factories import ClubFactory, MembershipFactory, session_at
from tests.services import need_postgres

THREADS = 8


@pytest.fixture
def attended(transactional_db):
    need_postgres()
    club = ClubFactory()
    session = session_at(club, starts_in=-timedelta(days=1), state="done")
    people = [MembershipFactory(club=club).user for _ in range(THREADS)]
    Attendance.objects.bulk_create(Attendance(session=session, user=user) for user in people)
    return session, people


def _outcome(session, people, results, errors):
    assert len(results) == 1, errors
    (winner, revision), *_ = results
    assert [type(e) for e in errors] == [WriteupConflict] * (THREADS - 1)
    writeup = Writeup.objects.get(session=session)
    return winner, revision, writeup


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("first", [True, False], ids=["first save", "later save"])
def test_saves_from_one_revision_at_once_one_is_taken(attended, first):
    session, people = attended
    base = 0
    if not first:
        writeup_save(session=session, by=people[0], text="Start", base=0)
        base = 1

    results, errors = run_at_once(
        lambda i: writeup_save(session=session, by=people[i], text=f"Version {i}", base=base),
        THREADS,
    )

    winner, _revision, writeup = _outcome(session, people, results, errors)
    assert (writeup.revision, writeup.text, writeup.updated_by_id) == (
        base + 1,
        f"Version {winner}",
        people[winner].pk,
    )
    # Each loser was shown the winner's version.
    assert {e.current.text for e in errors} == {f"Version {winner}"}
    assert list(WriteupRevision.objects.filter(writeup=writeup).values_list("number", "text")) == (
        [] if first else [(1, "Start")]
    ) + [(base + 1, f"Version {winner}")]
