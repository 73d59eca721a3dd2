"""Where outbox messages go. Only email today; a channel for chat posts or
webhooks (issues 16, 18) is another class with the same three methods.

A channel tells three outcomes apart, since the outbox treats them differently:
- success: the receiving system took the message;
- `Refused` (permanent): that one message can never go (an address that does
  not exist, SMTP 5xx): the row fails, the others go on;
- `Unavailable` (transient): try again later with backoff. With `stop=True` the
  whole channel is down (connection refused, timeout, 421), so the batch stops
  instead of hammering it; otherwise only this recipient was deferred (RCPT 4xx).
"""

import contextlib
import smtplib
from typing import Protocol

from django.core.mail import EmailMessage, get_connection

from ..smtp_errors import describe, is_permanent


class Refused(Exception):
    """This message can never be delivered (permanent)."""


class Unavailable(Exception):
    """Not now; try later. `stop`: the channel itself is down."""

    def __init__(self, message: str, *, stop: bool):
        super().__init__(message)
        self.stop = stop


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


CHANNELS = {"email": EmailChannel}


def channel_for(name: str) -> Channel:
    return CHANNELS[name]()
