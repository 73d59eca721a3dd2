"""What the rota's service tests share: the club fixture's zone, a schedule input
that fits any day the suite runs, and rows built and read back in one line."""

from datetime import date, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

from django.utils import timezone

from papers.models import Nomination
from sessions.models import Session
from sessions.rota.planning import ScheduleInput
from tests.factories import NominationFactory, SessionFactory

LA = ZoneInfo("America/Los_Angeles")  # the club fixture's zone
LINK = "https://meet.example.com/club"

OPEN, SCHEDULED = Session.State.OPEN, Session.State.SCHEDULED
CANCELLED, DONE = Session.State.CANCELLED, Session.State.DONE
PROPOSED = Nomination.State.PROPOSED


def local_today(zone: tzinfo = LA) -> date:
    return timezone.now().astimezone(zone).date()


def schedule_input(*, zone: tzinfo = LA, **fields) -> ScheduleInput:
    """A schedule on the weekday two days from now in the club's `zone`, so the
    horizon holds exactly `weeks_ahead` weeks whatever day and hour the suite runs."""
    today = local_today(zone)
    values = {
        "weekday": (today + timedelta(days=2)).weekday(),
        "start_time": time(12, 0),
        "duration_minutes": 60,
        "meeting_link": LINK,
        "weeks_ahead": 4,
        "first_date": today,
        "last_date": None,
    }
    return ScheduleInput(**(values | fields))


def sessions_snapshot(club) -> list[tuple]:
    """Every session of the club as the fields a refused change must leave alone."""
    return list(
        Session.objects.filter(club=club)
        .order_by("pk")
        .values_list(
            "pk",
            "series_date",
            "starts_at",
            "ends_at",
            "state",
            "facilitator_id",
            "meeting_link",
            "change_count",
        )
    )


def session_in(club, *, starts_in=timedelta(days=7), minutes=60, **fields) -> Session:
    """An open (unless `state=`) session `starts_in` from now, `minutes` long."""
    starts = timezone.now() + starts_in
    return SessionFactory(
        club=club, starts_at=starts, ends_at=starts + timedelta(minutes=minutes), **fields
    )


def nomination_titled(club, title, *, state=PROPOSED) -> Nomination:
    return NominationFactory(club=club, paper__title=title, state=state)


def state_of(nomination) -> str:
    nomination.refresh_from_db()
    return nomination.state
