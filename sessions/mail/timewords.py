"""Time in words, as a person reads it in their own zone: "in 30 minutes",
"in 3 hours, at 15:00", "tomorrow at 12:00", "in 3 days, on Wednesday at 12:00".

Written by hand: the phrases are few and English like the rest of the copy,
and no library writes "tomorrow at 12:00" for a zone (babel's
format_timedelta says "in 1 day", humanize's naturaltime "1 day from now").
"""

import zoneinfo
from datetime import datetime

_HOURS_BEFORE_DATES = 6


def _count(n: int, unit: str) -> str:
    return f"{n} {unit}{'' if n == 1 else 's'}"


def when_phrase(starts_at: datetime, *, now: datetime, zone_name: str) -> str:
    """How far off `starts_at` is from `now`, for a reader in `zone_name`."""
    zone = zoneinfo.ZoneInfo(zone_name)
    start = starts_at.astimezone(zone)
    seconds = (starts_at - now).total_seconds()
    if seconds <= 30:
        return "now"
    minutes = round(seconds / 60)
    clock = f"{start:%H:%M}"
    if minutes < 60:
        return f"in {_count(minutes, 'minute')}"
    days = (start.date() - now.astimezone(zone).date()).days
    # Within a few hours the distance reads better than the date, also across
    # the reader's midnight: "in 2 hours, at 00:30", not "tomorrow at 00:30".
    if days == 0 or minutes < _HOURS_BEFORE_DATES * 60:
        return f"in {_count(round(minutes / 60), 'hour')}, at {clock}"
    if days == 1:
        return f"tomorrow at {clock}"
    return f"in {days} days, on {start:%A} at {clock}"
