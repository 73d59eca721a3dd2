"""Two scans at once (a beat and a worker's retry, or two beats after a
restart), on PostgreSQL: each quiet member is asked once and owed one mail."""

from datetime import timedelta

import pytest
from django.utils import timezone

from clubs.models import ActivityEntry, OutboxMessage, ReconfirmAsk
from clubs.reconfirm.services import reconfirm_ask_due, reconfirm_policy_save
from tests.concurrency import run_at_once
from tests.factories import ClubFactory, MembershipFactory
from tests.services import need_postgres

QUIET = 5


@pytest.mark.django_db(transaction=True)
def test_two_scans_at_once_ask_each_member_once():
    need_postgres()
    club = ClubFactory()
    organizer = MembershipFactory(club=club, role="organizer").user
    long_ago = timezone.now() - timedelta(weeks=30)
    for _ in range(QUIET):
        MembershipFactory(club=club, joined_at=long_ago)
    reconfirm_policy_save(club=club, by=organizer, enabled=True, quiet_weeks=8, answer_days=10)

    results, errors = run_at_once(lambda i: len(reconfirm_ask_due(club=club)), 2)

    assert errors == []
    assert sum(count for _, count in results) == QUIET
    assert ReconfirmAsk.objects.filter(club=club).count() == QUIET
    assert OutboxMessage.objects.filter(kind="clubs.reconfirm").count() == QUIET
    assert ActivityEntry.objects.filter(club=club, kind="reconfirm.ask").count() in (1, 2)
