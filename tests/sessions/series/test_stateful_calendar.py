"""A stateful property test: whatever a member answers, however often, in
whatever order with the week's own changes, the series and the outbox's
deliveries, their calendar (the invites and cancellations they were sent,
applied as a calendar app applies them) ends up holding the week cancelled
exactly when they said they're not going, and otherwise its latest version;
every message they get carries a higher SEQUENCE than the one before.

Each example runs inside one savepoint, rolled back at its end (about 20 s
here with the defaults; PAPERCLUB_STATEFUL_EXAMPLES raises it)."""

import os
from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule, run_state_machine_as_test

from clubs.outbox.sending import outbox_flush
from sessions.calendars.changes import sessions_calendar_changed
from sessions.calendars.personal import copy_now
from sessions.models import MailPreferences, Session
from sessions.rota.weeks import rsvp_set
from sessions.series.services import series_join, series_leave
from tests.factories import ClubFactory, MembershipFactory, SessionFactory
from tests.services import need_postgres
from tests.sessions.ics import parse_everywhere

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("PAPERCLUB_STATEFUL_EXAMPLES", "5"))
STEPS = int(os.environ.get("PAPERCLUB_STATEFUL_STEPS", "10"))


class MemberCalendar(RuleBasedStateMachine):
    @initialize()
    def setup(self):
        self.savepoint = transaction.savepoint()
        mail.outbox.clear()
        self.club = ClubFactory()
        facilitator = MembershipFactory(club=self.club).user
        self.member = MembershipFactory(club=self.club).user
        MailPreferences.objects.create(user=self.member, invites=True)
        starts = timezone.now() + timedelta(days=5)
        self.week = SessionFactory(
            club=self.club,
            series_date=starts.date(),
            starts_at=starts,
            ends_at=starts + timedelta(hours=1),
            state="scheduled",
            facilitator=facilitator,
            title="Version 0",
        )
        self.answer = None
        self.version = 0
        self.held = None  # (SEQUENCE, STATUS, SUMMARY) of the event in their calendar
        sessions_calendar_changed(session_ids=[self.week.pk])
        self.deliver()

    def teardown(self):
        transaction.savepoint_rollback(self.savepoint)

    @rule(answer=st.sampled_from(["going", "maybe", "not_going"]))
    def answer_the_week(self, answer):
        rsvp_set(session=self.week, user=self.member, answer=answer)
        self.answer = answer

    @rule()
    def the_week_changes(self):
        self.version += 1
        Session.objects.filter(pk=self.week.pk).update(
            change_count=F("change_count") + 1, title=f"Version {self.version}"
        )
        sessions_calendar_changed(session_ids=[self.week.pk])

    @rule(every_week=st.booleans())
    def series(self, every_week):
        if every_week:
            series_join(club=self.club, user=self.member)
            self.answer = self.answer or "going"
        else:
            series_leave(club=self.club, user=self.member)
            if not Session.objects.filter(pk=self.week.pk, rsvps__user=self.member).exists():
                self.answer = None

    @rule()
    def deliver(self):
        outbox_flush()
        for message in mail.outbox:
            assert message.to == [self.member.email]
            [(content, _mime)] = [
                (c, m) for c, m in message.alternatives if m.startswith("text/calendar")
            ]
            [event] = parse_everywhere(content.encode()).walk("VEVENT")
            got = (int(event["SEQUENCE"]), str(event["STATUS"]), str(event["SUMMARY"]))
            # A calendar app ignores a SEQUENCE it has seen: each must be newer.
            assert self.held is None or got[0] > self.held[0], (self.held, got)
            self.held = got
        mail.outbox.clear()
        sequence, dropped = copy_now(session_id=self.week.pk, user_id=self.member.pk)
        assert dropped == (self.answer == "not_going")
        assert self.held is not None  # they were invited at the start
        if dropped:
            assert self.held[1] == "CANCELLED"
        else:
            assert self.held == (sequence, "CONFIRMED", f"{self.club.name}: Version {self.version}")


def test_member_calendar_follows_their_answers_under_any_sequence(db):
    need_postgres()
    Session.objects.count()  # the database is up before hypothesis starts
    run_state_machine_as_test(
        MemberCalendar,
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=STEPS,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
