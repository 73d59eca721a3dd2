"""The app's own rate limits: how much mail a club may send, how many test
messages it may post to its chat, and how many papers a member may add in an
hour. (Sign-in, sign-up and the account mail are allauth's, set by
ACCOUNT_RATE_LIMITS; the README's "Rate limits" table lists both.)

Counts live in the cache (Redis in production, shared by every web process)
under keys that say what they count, e.g. `ratelimit:invitations:club:12:493417`
(the last part is the hour since the epoch). A window is a clock hour: simple,
and at worst twice the limit across the turn of an hour. An exceeded limit
raises RateLimited; views answer it with the 429 page (paperclub.views.error_429).
"""

import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

# What each limit counts and for whom, for its message ("At most 200 invitation
# emails an hour from one club").
_WHAT = {
    "invitations": ("invitation emails", "from one club"),
    "proposals": ("papers proposed", "by one person"),
    "uploads": ("PDF uploads", "by one person"),
    "chat_tests": ("test messages to Discord or Slack", "from one club"),
}
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Rate:
    amount: int
    seconds: int

    @classmethod
    def parse(cls, text: str) -> "Rate":
        """ "200/h", "20/10m": an amount per duration (s, m, h or d, with an optional count)."""
        amount, duration = text.split("/")
        count, unit = duration[:-1], duration[-1]
        return cls(amount=int(amount), seconds=int(count or 1) * _UNITS[unit])

    @property
    def per(self) -> str:
        """ "an hour", "a day", "every 600 seconds" """
        names = {86400: "a day", 3600: "an hour", 60: "a minute"}
        return names.get(self.seconds, f"every {self.seconds:,} seconds")

    def __str__(self) -> str:
        return f"{self.amount:,} {self.per}"


class RateLimited(Exception):
    """`str(error)` is a message for the person; `retry_after` is in seconds."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def rate_for(action: str) -> Rate | None:
    """The configured rate of `action`, or None when it is not limited."""
    rates = settings.PAPERCLUB_RATE_LIMITS or {}
    text = rates.get(action)
    return Rate.parse(text) if text else None


def rate_limit_take(*, action: str, scope: str, amount: int = 1) -> None:
    """Count `amount` uses of `action` for `scope` (e.g. "club:12", "user:7"), or
    raise RateLimited, counting nothing, when they would pass the limit."""
    rate = rate_for(action)
    if rate is None or amount <= 0:
        return
    now = time.time()
    window = int(now // rate.seconds)
    key = f"ratelimit:{action}:{scope}:{window}"
    cache.add(key, 0, timeout=rate.seconds + 60)
    used = cache.incr(key, amount)
    if used <= rate.amount:
        return
    cache.decr(key, amount)
    left = max(0, rate.amount - (used - amount))
    retry_after = int(rate.seconds - now % rate.seconds) + 1
    minutes = max(1, round(retry_after / 60))
    noun, whose = _WHAT.get(action, (action, ""))
    message = f"At most {rate.amount:,} {noun} {rate.per} {whose}".rstrip() + ": "
    message += (
        f"{left:,} more can go now, {amount:,} were asked for. "
        if left
        else "that many have gone already. "
    )
    message += f"Try again in about {minutes} minute{'s' if minutes != 1 else ''}."
    raise RateLimited(message, retry_after=retry_after)
