"""Where outbox messages go: email (Django's mail) and HTTP posts (chat
webhooks, and signed webhooks: `HttpPost` through `HttpChannel`, which speaks
through the one client in http.py). A further channel is another class with
the same three methods.

A channel tells three outcomes apart, since the outbox treats them differently:
- success: the receiving system took the message;
- `Refused` (permanent): that one message can never go (an address that does
  not exist, SMTP 5xx): the row fails, the others go on;
- `Unavailable` (transient): try again later with backoff. With `stop=True` the
  whole channel is down (connection refused, timeout, 421), so the batch stops
  instead of hammering it; otherwise only this recipient was deferred (RCPT 4xx).
  `retry_after`: the receiver said when (HTTP 429), which the outbox honours
  instead of its own backoff.

`Refused(gone=True)`: the destination itself no longer exists (a webhook that
answers 404): the kind's `refused()` hook hears of it (chat disables the
webhook, with a notice).
"""

import contextlib
import json
import smtplib
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Protocol

from django.core.mail import EmailMessage, get_connection

from ..limits import clip
from ..smtp_errors import describe, is_permanent
from . import http


class Refused(Exception):
    """This message can never be delivered (permanent). `gone`: nor can any
    other to the same destination (it was deleted)."""

    def __init__(self, message: str, *, gone: bool = False):
        super().__init__(message)
        self.gone = gone


class Unavailable(Exception):
    """Not now; try later. `stop`: the channel itself is down. `retry_after`:
    seconds the receiver asked us to wait."""

    def __init__(self, message: str, *, stop: bool, retry_after: float | None = None):
        super().__init__(message)
        self.stop = stop
        self.retry_after = retry_after


class Channel(Protocol):
    def open(self) -> None: ...
    def send(self, message) -> None: ...
    def close(self) -> None: ...


class EmailChannel:
    """One SMTP connection (Django's mail backend) for a batch of messages."""

    name = "email"

    def __init__(self):
        self.connection = None

    def open(self) -> None:
        if self.connection is None:
            connection = get_connection()
            try:
                connection.open()
            except (smtplib.SMTPException, OSError) as error:
                raise self._classify(error) from error
            self.connection = connection

    def send(self, message: EmailMessage) -> None:
        self.open()
        message.connection = self.connection
        try:
            message.send()
        except (smtplib.SMTPException, OSError) as error:  # OSError covers timeouts
            problem = self._classify(error)
            if getattr(problem, "stop", False):
                self.close()  # broken: the next batch opens a new one
            raise problem from error

    def close(self) -> None:
        connection, self.connection = self.connection, None
        if connection is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                connection.close()

    @staticmethod
    def _classify(error: Exception) -> Exception:
        text = describe(error)
        if is_permanent(error):  # 5xx
            return Refused(text)
        if isinstance(error, smtplib.SMTPRecipientsRefused):
            return Unavailable(text, stop=False)  # 4xx for this address: later
        # 421 and friends (the server wants no more from us for now), or
        # disconnected, refused, timed out.
        return Unavailable(text, stop=True)


@dataclass
class HttpPost:
    """What an HTTP kind's render() returns: one POST. `url` is secret (a
    webhook's token is in it): it is never written to the row, the log or an
    error. `name` says where it goes in words ("Discord", "Slack")."""

    url: str
    body: bytes
    name: str
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    # The header that carries the outbox's delivery id (the Message-ID: the
    # same at every attempt), for receivers that drop duplicates; "" for none.
    delivery_header: str = ""
    delivery_id: str = ""
    # Seconds to wait for the answer (None: OUTGOING_HTTP_TIMEOUT_SECONDS).
    timeout: float | None = None
    # What the attempt met, for the kind's attempted() hook (a delivery log):
    # the receiver's status (None: no answer) and how long the exchange took.
    status: int | None = None
    elapsed_ms: int | None = None

    @classmethod
    def json(cls, url: str, payload: dict, *, name: str, **kwargs) -> "HttpPost":
        return cls(url=url, body=json.dumps(payload).encode(), name=name, **kwargs)

    def stamp(self, delivery_id: str) -> None:
        self.delivery_id = delivery_id


# Statuses that mean the destination is gone for good (deleted, revoked).
GONE = {401, 403, 404, 410}
ANSWER_IN_ERROR = 300  # characters of the receiver's own words kept in an error


def retry_after(answer: http.HttpAnswer) -> float | None:
    """Seconds to wait as a 429 says: Discord's JSON `retry_after` (seconds,
    fractional; its Retry-After header is the same rounded up), else the
    Retry-After header (seconds or an HTTP date: Slack's)."""
    body = answer.json().get("retry_after")
    if isinstance(body, int | float) and not isinstance(body, bool) and body >= 0:
        return float(body)
    header = answer.headers.get("retry-after", "").strip()
    if not header:
        return None
    try:
        return max(float(header), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return None
    return max((when - datetime.now(UTC)).total_seconds(), 0.0)


class HttpChannel:
    """POSTs through http.post; tells the answers apart. Each row may go to a
    different host, so no failure stops the batch (`stop=False`): only that
    row waits, and in a queued stream the rows behind it wait with it."""

    name = "http"

    def open(self) -> None:
        return None

    def send(self, message: HttpPost) -> None:
        headers = dict(message.headers)
        if message.delivery_header and message.delivery_id:
            headers[message.delivery_header] = message.delivery_id
        message.status, message.elapsed_ms = None, None
        started = time.monotonic()
        try:
            answer = http.post(
                message.url,
                body=message.body,
                content_type=message.content_type,
                headers=headers,
                timeout=message.timeout,
            )
        except http.HttpDown as down:
            message.elapsed_ms = round((time.monotonic() - started) * 1000)
            raise Unavailable(f"{message.name}: {down}", stop=False) from down
        message.status = answer.status
        message.elapsed_ms = round((time.monotonic() - started) * 1000)
        if 200 <= answer.status < 300:
            return
        said = clip(" ".join(answer.text.split()), ANSWER_IN_ERROR)
        words = f"{message.name} answered {answer.status}" + (f": {said}" if said else "")
        if answer.status == 429:
            raise Unavailable(words, stop=False, retry_after=retry_after(answer) or 1.0)
        if answer.status in GONE:
            raise Refused(words, gone=True)
        if answer.status == 408 or answer.status >= 500:
            raise Unavailable(words, stop=False)
        raise Refused(words)  # 4xx: what we sent is wrong; sending it again will not help

    def close(self) -> None:
        return None


CHANNELS: dict[str, type] = {"email": EmailChannel, "http": HttpChannel}


def channel_for(name: str) -> Channel:
    return CHANNELS[name]()
