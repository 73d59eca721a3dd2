"""The one adapter to iCalendar: feeds (PUBLISH) and emailed invites (REQUEST/CANCEL).

Every event keeps its session's UID for life and takes SEQUENCE from the
session's change counter, so calendars update or remove the event in place.
Times are written as local wall-clock times with the club's TZID, and the
VTIMEZONE is included, so 12:00 stays 12:00 across daylight saving changes.

ORGANIZER, and why invites ask for no reply:
- Emailed invites carry an ORGANIZER: the sender address (DEFAULT_FROM_EMAIL)
  named after the site (SITE_NAME). iTIP (RFC 5546) requires it in REQUEST
  and CANCEL, and without it Outlook and Apple Calendar file the event as one
  the recipient organizes, and some clients cannot match a later CANCEL to it.
  It is never the recipient, so Gmail treats the message as an invitation to
  them (it shows its buttons only to an ATTENDEE who is not the ORGANIZER).
- A calendar's reply (Yes/No/Maybe) goes to the ORGANIZER's address, which is
  noreply@: nobody reads it, and the session page's RSVP would never learn of
  it. So the ATTENDEE is written with RSVP=FALSE (no reply expected), and the
  mail says to answer on the session page. Feeds (PUBLISH) carry no ORGANIZER
  or ATTENDEE: they are not invitations.
- An organizer's or facilitator's own address as ORGANIZER would send every
  member's reply to one person's inbox and hand that address to the whole
  club; Paper Club has no inbound mail to turn replies into RSVPs.

Feeds ask calendar apps to poll every FEED_REFRESH (REFRESH-INTERVAL, RFC 7986,
and X-PUBLISHED-TTL for Apple and Outlook); a feed request costs one small
query while nothing changed, and people who want changes at once opt in to
emailed updates.
"""

import re
import zoneinfo
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

PRODID = "-//Paper Club//Paper Club calendar//EN"
FEED_REFRESH = timedelta(hours=1)
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


def _event(data: EventData, *, attendee: str = "", organizer: str = "", organizer_name: str = ""):
    from icalendar import Event, vCalAddress  # noqa: PLC0415 - slow library imported where used (icalendar: ~0.1 s; only feeds and invites need it)

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
        event.add(
            "ORGANIZER",
            vCalAddress(f"mailto:{organizer}"),
            parameters={"CN": clean(organizer_name) or "Paper Club"},
        )
    if attendee:
        _add_attendee(event, attendee)
    return event


def _add_attendee(event, attendee: str) -> None:
    from icalendar import vCalAddress  # noqa: PLC0415 - slow library imported where used (icalendar: ~0.1 s; only feeds and invites need it)

    event.add(
        "ATTENDEE",
        vCalAddress(f"mailto:{attendee}"),
        parameters={
            "ROLE": "REQ-PARTICIPANT",
            "PARTSTAT": "NEEDS-ACTION",
            # Replies would go to noreply@ (see the module's docstring).
            "RSVP": "FALSE",
        },
    )


def _calendar(events: list, *, method: str, name: str, span, uid: str):
    from icalendar import Calendar  # noqa: PLC0415 - slow library imported where used (icalendar: ~0.1 s; only feeds and invites need it)

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
    from icalendar import vDuration  # noqa: PLC0415 - slow library imported where used (icalendar: ~0.1 s; only feeds and invites need it)

    events = [_event(item) for item in items]
    calendar = _calendar(events, method="PUBLISH", name=name, span=_span(items), uid=uid)
    calendar.add("REFRESH-INTERVAL", vDuration(FEED_REFRESH), parameters={"VALUE": "DURATION"})
    calendar.add("X-PUBLISHED-TTL", vDuration(FEED_REFRESH))
    return calendar.to_ical()


_PLACEHOLDER_ATTENDEE = "attendee@placeholder.invalid"


class Invites:
    """One session's emailed invite, for each of many people: REQUEST, or CANCEL
    for a cancelled session.

    The calendar (event, VTIMEZONE) is built and written once, for a placeholder
    attendee; each person's copy replaces that one ATTENDEE line with theirs, as
    the library writes it. A fan-out of thousands then writes one calendar."""

    def __init__(self, item: EventData, *, organizer: str, organizer_name: str = ""):
        self.method = "CANCEL" if item.cancelled else "REQUEST"
        event = _event(
            item,
            attendee=_PLACEHOLDER_ATTENDEE,
            organizer=organizer,
            organizer_name=organizer_name,
        )
        calendar = _calendar([event], method=self.method, name="", span=_span([item]), uid=item.uid)
        text = calendar.to_ical()
        line = _attendee_line(_PLACEHOLDER_ATTENDEE)
        if text.count(line) != 1:
            raise ValueError("The invite's ATTENDEE line was not found once.")
        self._head, self._tail = text.split(line)

    def for_attendee(self, attendee: str) -> bytes:
        return self._head + _attendee_line(attendee) + self._tail


def _attendee_line(attendee: str) -> bytes:
    """The ATTENDEE content line (folded, with its CRLF) exactly as to_ical writes it."""
    from icalendar import Event  # noqa: PLC0415 - slow library imported where used (icalendar: ~0.1 s; only feeds and invites need it)

    event = Event()
    _add_attendee(event, attendee)
    return event.content_line("ATTENDEE", event["ATTENDEE"]).to_ical() + b"\r\n"


def invite(
    item: EventData, *, attendee: str, organizer: str, organizer_name: str = ""
) -> tuple[bytes, str]:
    """An emailed invite for one person, its calendar written whole: REQUEST, or
    CANCEL for a cancelled session. A fan-out writes `Invites` instead, which
    gives each person these same bytes from one calendar.

    Returns (the calendar, its METHOD) so the MIME part can say the same method."""
    method = "CANCEL" if item.cancelled else "REQUEST"
    event = _event(item, attendee=attendee, organizer=organizer, organizer_name=organizer_name)
    calendar = _calendar([event], method=method, name="", span=_span([item]), uid=item.uid)
    return calendar.to_ical(), method
