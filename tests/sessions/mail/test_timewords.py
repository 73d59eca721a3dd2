"""Time in words, in the reader's zone."""

from datetime import UTC, datetime, timedelta

import pytest

from sessions.mail.timewords import when_phrase

# Monday 2 March 2026, 09:00 UTC (10:00 in Berlin, 01:00 in Los Angeles).
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("ahead", "zone", "expected"),
    [
        (timedelta(minutes=30), "UTC", "in 30 minutes"),
        (timedelta(minutes=1), "UTC", "in 1 minute"),
        (timedelta(seconds=10), "UTC", "now"),
        (timedelta(hours=3), "UTC", "in 3 hours, at 12:00"),
        (timedelta(minutes=65), "UTC", "in 1 hour, at 10:05"),
        (timedelta(days=1, hours=3), "UTC", "tomorrow at 12:00"),
        (timedelta(days=3, hours=3), "UTC", "in 3 days, on Thursday at 12:00"),
        # 23:00 UTC on Monday is already Tuesday 00:00 in Berlin: "tomorrow" there.
        (timedelta(hours=14), "UTC", "in 14 hours, at 23:00"),
        (timedelta(hours=14), "Europe/Berlin", "tomorrow at 00:00"),
        # A few hours off reads as a distance even across the reader's midnight:
        # it is 23:00 on Kiritimati (UTC+14) now, and 01:00 there in two hours.
        (timedelta(hours=2), "Pacific/Kiritimati", "in 2 hours, at 01:00"),
        (timedelta(hours=5, minutes=50), "Pacific/Kiritimati", "in 6 hours, at 04:50"),
        (timedelta(hours=8), "Pacific/Kiritimati", "tomorrow at 07:00"),
        # 20:00 UTC on Tuesday is 12:00 the same Tuesday in Los Angeles, where it is
        # still Monday 01:00 now.
        (timedelta(days=1, hours=11), "America/Los_Angeles", "tomorrow at 12:00"),
    ],
)
def test_when_phrase_reads_in_the_readers_zone(ahead, zone, expected):
    assert when_phrase(NOW + ahead, now=NOW, zone_name=zone) == expected
