"""Sending: the send log, one fan-out per session at a time, and delivery.

Every message has a send-log row (Delivery) keyed by (kind, session, person,
sequence), inserted before the message goes out, so a retried task, a
redelivered message or a restarted beat sends nothing more. A row left
"sending" by a worker that died mid-send is sent again with the same
Message-ID. (The whole story: the package's docstring.)
"""

import logging
import smtplib
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.mail import get_connection
from django.db import IntegrityError, transaction
from django.db.models import Count, Prefetch
from django.utils import timezone

from clubs.limits import clip
from clubs.models import Membership

from ..models import Delivery, Session, SessionPaper
from .messages import build_message, invites_for, message_id_for

log = logging.getLogger(__name__)

Kind = Delivery.Kind


class TransientMailError(Exception):
    """The mail server could not take a message now; the task retries later."""


class FanOutBusy(Exception):
    """Another fan-out for this session is running; try again shortly."""


# Rows are claimed for this many messages at a time (see _claim_many).
CLAIM_BATCH = 50


def _new_delivery(*, kind: str, session: Session, user: User, sequence: int) -> Delivery:
    """A send-log row for one message, first attempt, not saved yet."""
    return Delivery(
        kind=kind,
        session=session,
        user=user,
        sequence=sequence,
        email=user.email,
        attempts=1,
        message_id=message_id_for(kind, session, user, sequence),
    )


def _claim(*, kind: str, session: Session, user: User, sequence: int) -> Delivery | None:
    """The send-log row to send now, or None if this message is already settled."""
    try:
        with transaction.atomic():
            delivery = _new_delivery(kind=kind, session=session, user=user, sequence=sequence)
            delivery.save(force_insert=True)
            return delivery
    except IntegrityError:
        pass
    delivery = Delivery.objects.get(kind=kind, session=session, user=user, sequence=sequence)
    return _claim_again(delivery)


def _claim_again(delivery: Delivery) -> Delivery | None:
    if delivery.state != Delivery.State.SENDING:
        return None
    # Left "sending" by a run that died or hit a transient error: send it again,
    # with the same Message-ID.
    Delivery.objects.filter(pk=delivery.pk).update(attempts=delivery.attempts + 1)
    delivery.attempts += 1
    return delivery


def _claim_many(
    *, kind: str, session: Session, users: list, sequence: int
) -> list[tuple[User, Delivery | None]]:
    """_claim for several messages: each person with the row to send now, or None.

    The new rows go in with one insert rather than one each (a fan-out of
    thousands spends its time sending, not committing). A row claimed here whose
    message has not gone out when a worker dies, or when a transient error stops
    the fan-out, waits "sending" like the row that was on the wire: the next run
    sends it (nobody gets two, it never went out), or give_up fails it after the
    last retry."""
    found = {
        delivery.user_id: delivery
        for delivery in Delivery.objects.filter(
            kind=kind, session=session, sequence=sequence, user__in=[user.pk for user in users]
        )
    }
    new = [
        _new_delivery(kind=kind, session=session, user=user, sequence=sequence)
        for user in users
        if user.pk not in found
    ]
    try:
        with transaction.atomic():
            Delivery.objects.bulk_create(new)
    except IntegrityError:
        # Another run claimed some of them a moment ago: one at a time, then.
        return [
            (user, _claim(kind=kind, session=session, user=user, sequence=sequence))
            for user in users
        ]
    made = {delivery.user_id: delivery for delivery in new}
    return [
        (user, made[user.pk] if user.pk in made else _claim_again(found[user.pk])) for user in users
    ]


def _is_permanent(error: Exception) -> bool:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        return all(code >= 500 for code in codes)
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code >= 500
    return False


def _text(value) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def _describe(error: Exception) -> str:
    """What went wrong, short enough for the send log (Delivery.ERROR_MAX)."""
    return clip(_describe_in_full(error), Delivery.ERROR_MAX)


def _describe_in_full(error: Exception) -> str:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "; ".join(
            f"{address}: {code} {_text(message)}"
            for address, (code, message) in error.recipients.items()
        )
    if isinstance(error, smtplib.SMTPResponseException):
        return f"{error.smtp_code} {_text(error.smtp_error)}"
    return f"{type(error).__name__}: {error}"


@dataclass
class FanOutResult:
    sent: int = 0
    failed: int = 0
    skipped: int = 0


def deliver_all(*, kind: str, session: Session, recipients: list, sequence: int) -> FanOutResult:
    """Send one kind of message to each recipient over one SMTP connection.

    Permanent refusals fail that person only; a transient error stops the
    fan-out with TransientMailError (the task retries; sent rows are skipped).
    Rows are claimed a batch at a time; each is marked sent right after its
    message is handed over, so a crash leaves at most that one unmarked.

    One message is on the wire (in a second thread) while the next is written:
    the SMTP server's answers take about as long as writing a message, and this
    way they overlap. Only one is ever unsettled, and the rows are only ever
    touched from this thread."""
    result = FanOutResult()
    connection = None
    invites = invites_for(session) if kind in (Kind.INVITE, Kind.CANCEL) else None
    claims = (
        claim
        for start in range(0, len(recipients), CLAIM_BATCH)
        for claim in _claim_many(
            kind=kind,
            session=session,
            users=recipients[start : start + CLAIM_BATCH],
            sequence=sequence,
        )
    )
    try:
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="smtp") as wire:
            on_the_wire: tuple[Delivery, Future] | None = None
            for user, delivery in claims:
                if delivery is None:
                    result.skipped += 1
                    continue
                if connection is None:
                    connection = get_connection()
                    connection.open()
                message = build_message(
                    kind=kind,
                    session=session,
                    user=user,
                    sequence=sequence,
                    message_id=delivery.message_id,
                    invites=invites,
                )
                message.connection = connection
                if on_the_wire is not None:
                    _settle(*on_the_wire, result=result)
                on_the_wire = (delivery, wire.submit(message.send))
            if on_the_wire is not None:
                _settle(*on_the_wire, result=result)
    finally:
        # The executor has finished with the connection by now.
        if connection is not None:
            try:
                connection.close()
            except (smtplib.SMTPException, OSError):
                log.warning("could not close the SMTP connection cleanly")
    return result


def _settle(delivery: Delivery, sending: Future, *, result: FanOutResult) -> None:
    """Wait for one message's hand-over and record how it went."""
    try:
        sending.result()
    except (smtplib.SMTPException, OSError) as error:  # OSError covers timeouts
        if _is_permanent(error):
            Delivery.objects.filter(pk=delivery.pk).update(
                state=Delivery.State.FAILED, error=_describe(error)
            )
            result.failed += 1
            return
        Delivery.objects.filter(pk=delivery.pk).update(error=_describe(error))
        raise TransientMailError(_describe(error)) from error
    _mark_sent(delivery)
    result.sent += 1
    _progress()


def _mark_sent(delivery: Delivery) -> None:
    Delivery.objects.filter(pk=delivery.pk).update(
        state=Delivery.State.SENT, sent_at=timezone.now(), error=""
    )


def give_up(*, session_id: int, kind: str, reason: str) -> int:
    """After the last retry: rows still "sending" for this fan-out are failed."""
    return Delivery.objects.filter(
        session_id=session_id, kind=kind, state=Delivery.State.SENDING
    ).update(state=Delivery.State.FAILED, error=reason)


class SessionLock:
    """One fan-out per session at a time. It lapses MAIL_FANOUT_LOCK_SECONDS
    after its holder last made progress, so a crashed worker frees it soon."""

    def __init__(self, session_id: int):
        self.key = f"sessions:fanout:{session_id}"
        self.ttl = settings.MAIL_FANOUT_LOCK_SECONDS
        # Progress comes with every message; telling the cache a few times per
        # lock lifetime (at most once a second) keeps the lock just as alive.
        self.refresh_every = min(1.0, self.ttl / 4)
        self.refreshed = 0.0

    def __enter__(self):
        if not cache.add(self.key, "1", timeout=self.ttl):
            raise FanOutBusy(self.key)
        self.refreshed = time.monotonic()
        _current_lock.append(self)
        return self

    def refresh(self) -> None:
        now = time.monotonic()
        if now - self.refreshed >= self.refresh_every:
            cache.touch(self.key, self.ttl)
            self.refreshed = now

    def __exit__(self, *exc):
        _current_lock.remove(self)
        cache.delete(self.key)


_current_lock: list[SessionLock] = []


def _progress() -> None:
    for lock in _current_lock:
        lock.refresh()


def load_session(session_id: int) -> Session | None:
    papers = Prefetch(
        "papers",
        queryset=SessionPaper.objects.select_related("nomination__paper").order_by("position"),
        to_attr="ordered_papers",
    )
    return (
        Session.objects.select_related("club", "facilitator__profile", "co_facilitator__profile")
        .prefetch_related(papers)
        .filter(pk=session_id)
        .first()
    )


def active_members(session: Session):
    return (
        get_user_model()
        .objects.filter(memberships__club=session.club, memberships__state=Membership.State.ACTIVE)
        .select_related("profile", "mail_preferences")
        .order_by("pk")
    )


# --- The organizers' outbox -----------------------------------------------------------------


def outbox(*, session: Session) -> dict:
    counts = (
        Delivery.objects.filter(session=session)
        .values("kind", "state")
        .annotate(n=Count("pk"))
        .order_by("kind", "state")
    )
    failures = Delivery.objects.filter(session=session, state=Delivery.State.FAILED).order_by(
        "kind", "email"
    )
    return {"counts": list(counts), "failures": list(failures)}
