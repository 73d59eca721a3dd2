"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives.

`smtp_sink(delay=0.25)` answers each message after a quarter of a second, as an
ordinary provider does (each connection waits on its own: several connections
are served at once); `port=` lets a test start it late on a port a worker was
already told about (a server that was down and comes back)."""

import asyncio
import contextlib
import email
import email.message
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass

from aiosmtpd.controller import Controller


@dataclass
class Received:
    recipients: list[str]
    message: email.message.Message

    @property
    def message_id(self) -> str:
        return self.message["Message-ID"]


class SinkHandler:
    def __init__(self, delay: float = 0.0):
        self.delay = delay
        self.messages: list[Received] = []
        self.refuse: dict[str, str] = {}  # address -> SMTP reply, e.g. "550 No such user"
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.refuse.get(address.lower())
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        parsed = email.message_from_bytes(envelope.content)
        with self.lock:
            self.messages.append(Received(list(envelope.rcpt_tos), parsed))
        return "250 Message accepted"

    def to(self, address: str) -> list[Received]:
        with self.lock:
            return [m for m in self.messages if address in m.recipients]

    def count(self) -> int:
        with self.lock:
            return len(self.messages)


@contextlib.contextmanager
def smtp_sink(
    *, delay: float = 0.0, port: int | None = None, handler: SinkHandler | None = None
) -> Iterator[tuple[SinkHandler, int]]:
    handler = handler or SinkHandler(delay)
    controller = Controller(handler, hostname="127.0.0.1", port=port or free_port())
    controller.start()
    try:
        yield handler, controller.port
    finally:
        controller.stop()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
