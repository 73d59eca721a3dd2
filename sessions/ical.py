"""The one adapter to iCalendar: feeds (PUBLISH) and emailed invites (REQUEST/CANCEL).

Every event keeps its session's UID for life and takes SEQUENCE from the
session's change counter, so calendars update or remove the event in place.
Times are written as local wall-clock times with the club's TZID, and the
VTIMEZONE is included, so 12:00 stays 12:00 across daylight saving changes.
"""

import re
import zoneinfo
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

PRODID = "-//Paper Club//Paper Club calendar//EN"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean(text: str) -> str:
    """User text without control characters (they break some calendar parsers)."""
    return _CONTROL.sub("", text or "")


@dataclass(frozen=True)
class EventData:
    """What an event says; built from a session by the caller (no ORM here)."""

    uid: str
    sequence: int
    starts_at: datetime  # aware
    ends_at: datetime  # aware
    time_zone: str
    summary: str
    description: str
    url: str
    cancelled: bool
    location: str = ""
    meeting_link: str = ""  # only in feeds and mail that belong to a member


def _event(data: EventData, *, attendee: str = "", organizer: str = ""):
    from icalendar import Event, vCalAddress

    zone = zoneinfo.ZoneInfo(data.time_zone)
    description = clean(data.description)
    if data.meeting_link:
        description = f"{description}\n\nJoin: {clean(data.meeting_link)}".strip()
    location = clean(data.location) or clean(data.meeting_link)
    event = Event.new(
        uid=data.uid,
        sequence=data.sequence,
        stamp=timezone.now(),
        start=data.starts_at.astimezone(zone),
        end=data.ends_at.astimezone(zone),
        summary=clean(data.summary),
        description=description or None,
        url=data.url or None,
        location=location or None,
    )
    event.add("STATUS", "CANCELLED" if data.cancelled else "CONFIRMED")
    if organizer:
        event.add("ORGANIZER", vCalAddress(f"mailto:{organizer}"), parameters={"CN": "Paper Club"})
    if attendee:
        event.add(
            "ATTENDEE",
            vCalAddress(f"mailto:{attendee}"),
            parameters={
                "ROLE": "REQ-PARTICIPANT",
                "PARTSTAT": "NEEDS-ACTION",
                "RSVP": "TRUE",
            },
        )
    return event


def _calendar(events: list, *, method: str, name: str, span, uid: str):
    from icalendar import Calendar

    calendar = Calendar.new(prodid=PRODID, method=method, name=clean(name) or None, uid=uid)
    for event in events:
        calendar.add_component(event)
    first, last = span
    # Only the transitions the events need: a narrow VTIMEZONE stays small.
    calendar.add_missing_timezones(first_date=first, last_date=last)
    return calendar


def _span(items: list[EventData]):
    if not items:
        today = timezone.now().date()
        return today, today + timedelta(days=1)
    return (
        min(i.starts_at for i in items).date() - timedelta(days=1),
        max(i.ends_at for i in items).date() + timedelta(days=1),
    )


def feed(items: list[EventData], *, name: str, uid: str) -> bytes:
    """A subscribable feed (METHOD:PUBLISH); `uid` names the feed itself, stably."""
    events = [_event(item) for item in items]
    calendar = _calendar(events, method="PUBLISH", name=name, span=_span(items), uid=uid)
    return calendar.to_ical()


def invite(item: EventData, *, attendee: str, organizer: str) -> tuple[bytes, str]:
    """An emailed invite for one person: REQUEST, or CANCEL for a cancelled session.

    Returns (the calendar, its METHOD) so the MIME part can say the same method."""
    method = "CANCEL" if item.cancelled else "REQUEST"
    event = _event(item, attendee=attendee, organizer=organizer)
    calendar = _calendar([event], method=method, name="", span=_span([item]), uid=item.uid)
    return calendar.to_ical(), method
