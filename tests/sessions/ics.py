"""Helpers for tests that read calendars: parse with three parsers, plan a club across DST."""

from datetime import time
from zoneinfo import ZoneInfo

import vobject
from django.utils import timezone
from ical.calendar_stream import IcsCalendarStream
from icalendar import Calendar

from sessions.rota.planning import ScheduleInput, schedule_save
from tests.factories import ClubFactory, MembershipFactory

LA = ZoneInfo("America/Los_Angeles")


def parse_everywhere(ics: bytes) -> Calendar:
    text = ics.decode()
    vobject.readOne(text, validate=True)  # raises on a missing UID, DTSTAMP…
    IcsCalendarStream.calendar_from_ics(text)  # raises on bad zones or rules
    calendar = Calendar.from_ical(ics)
    assert [component.errors for component in calendar.walk()] == [[] for _ in calendar.walk()]
    return calendar


def planned_club():
    """A weekly Wednesday-noon Los Angeles club, planned a year ahead from today,
    so its sessions cross both daylight saving changes, whatever today is."""
    club = ClubFactory(time_zone="America/Los_Angeles", name="LLM Club")
    organizer = MembershipFactory(club=club, role="organizer").user
    data = ScheduleInput(
        weekday=2,
        start_time=time(12, 0),
        duration_minutes=60,
        meeting_link="https://meet.example.com/llm",
        weeks_ahead=52,
        first_date=timezone.now().astimezone(LA).date(),
        last_date=None,
    )
    schedule_save(club=club, by=organizer, data=data, based_on_version=None)
    return club, organizer
