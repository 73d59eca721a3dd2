"""Kinds of outbox message: what higher apps register so the outbox can send
their messages without knowing them (clubs knows no papers or sessions).

A kind says who a fan-out reaches (`audience`), how to load what its messages
are about in one go (`prepare`), which sequence of its subject is current
(`current_sequence`, so a message made stale by a newer change is never sent)
and what a message says, built from the subject's state *now* (`render`).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from email.utils import parseaddr
from typing import TYPE_CHECKING, Any

from django.conf import settings

if TYPE_CHECKING:
    from django.core.mail import EmailMessage

    from .channels import HttpPost, Refused
    from .models import OutboxFanOut, OutboxMessage


@dataclass(frozen=True)
class Recipient:
    """Someone a message is owed to: an account, or just an address; or a thing
    named by `ref` (a chat webhook: "chat:12"), with `address` saying in words
    where it goes (never a secret: it is shown on the outbox page)."""

    address: str
    user_id: int | None = None
    # This recipient's own version of a fan-out's message, when a kind versions
    # each person's copy apart (None: the fan-out's sequence).
    sequence: int | None = None
    ref: str = ""

    @property
    def key(self) -> str:
        if self.ref:
            return self.ref
        if self.user_id is not None:
            return f"user:{self.user_id}"
        return f"email:{self.address.strip().lower()}"


def first_of_each(recipients: Iterable[Recipient]) -> list[Recipient]:
    """Each recipient once (by key), the first time they are named."""
    seen: dict[str, Recipient] = {}
    for recipient in recipients:
        seen.setdefault(recipient.key, recipient)
    return list(seen.values())


class MessageKind:
    """Subclass, set `name` (unique, "<app>.<what>") and `label`, and register()."""

    name: str = ""
    label: str = ""
    channel: str = "email"
    # A payload that carries a secret (an account mail's signed link) is wiped
    # once the message is sent: it is needed only to send it (or send it again
    # after a failure, which keeps it).
    forget_payload_when_sent: bool = False
    subject_type: str = ""
    # A queued kind's streams are queues, not versions: every message of a
    # stream goes, oldest sequence first, one after the other (a later one
    # waits while an earlier one is retried) and none supersedes another (chat
    # announcements, outgoing webhooks). Otherwise a newer sequence replaces
    # the older unsent ones (a calendar's update replaces its invite).
    queued: bool = False

    def audience(self, fan_out: "OutboxFanOut") -> Iterable[Recipient]:
        """Who a fan-out reaches, listed from the current state (by a worker)."""
        raise NotImplementedError(f"{self.name} has no fan-out audience")

    def fan_out_current(self, fan_out: "OutboxFanOut") -> bool:
        """False if the fan-out's subject has moved past its sequence (or is gone)."""
        return True

    def prepare(self, messages: list["OutboxMessage"], memo: dict) -> Any:
        """Load what a batch of messages needs, once. `memo` lasts one worker run."""
        return None

    def current_sequence(self, message: "OutboxMessage", context: Any) -> int | None:
        """The subject's current sequence, read fresh (it is asked just before
        each message goes out, while a change may be committing): a message with
        another one is superseded. None: this kind is not versioned."""
        return None

    def message_id(self, message: "OutboxMessage", context: Any) -> str:
        """The same for every attempt at one message (receivers drop duplicates)."""
        local = f"{message.kind}.{message.topic}.{message.recipient_key}.{message.sequence}"
        return f"<{local.replace(':', '-').replace('@', '=')}@{domain()}>"

    def render(self, message: "OutboxMessage", context: Any) -> "EmailMessage | HttpPost | None":
        """The message as its subject is now (an email, or for channel "http" an
        HttpPost), or None when nothing needs saying any more (the row is marked
        skipped). Raising channels.Refused fails the row with its words; raising
        anything else fails it too, visibly, as a bug."""
        raise NotImplementedError

    def refused(self, message: "OutboxMessage", error: "Refused") -> None:
        """Told when the channel refused `message` for good; `error.gone` says
        its destination no longer exists (a webhook answering 404)."""
        return None

    def attempted(
        self, message: "OutboxMessage", sent: Any, *, outcome: str, error: str = ""
    ) -> None:
        """Told after each attempt the channel made at `message` (what render()
        built: for channel "http" an HttpPost with the answer's `status` and
        `elapsed_ms`), once its row is settled, in the worker's main thread:
        `outcome` is "sent", "retrying" (due again later) or "failed" (for
        good: refused, or the last attempt). A delivery log listens here
        (clubs/webhooks); a channel that is down as a whole (SMTP) tells no
        kind."""
        return None


_KINDS: dict[str, MessageKind] = {}


def register(kind: MessageKind) -> MessageKind:
    """Register a kind (from an AppConfig.ready). Registering a name again
    replaces it, so a reloaded module does not fail."""
    if not kind.name:
        raise ValueError("A message kind needs a name.")
    _KINDS[kind.name] = kind
    return kind


def get(name: str) -> MessageKind:
    """Raises KeyError for a kind nobody registered (the row fails, visibly)."""
    return _KINDS[name]


def registered() -> dict[str, MessageKind]:
    return dict(_KINDS)


def label(name: str) -> str:
    kind = _KINDS.get(name)
    return kind.label if kind else name


def sender_address() -> str:
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1] or "noreply@localhost"


def domain() -> str:
    return sender_address().rsplit("@", 1)[-1] or "paperclub"
