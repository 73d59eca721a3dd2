"""Calendar invites and reminders by email, sent exactly once.

How "exactly once" holds:
- Every message has a send-log row (Delivery) keyed by (kind, session,
  person, sequence). The row is inserted before the message goes out, so a
  retried task, a redelivered message or a restarted beat finds it and sends
  nothing more.
- One fan-out per session runs at a time (a cache lock, Redis in production),
  so for one session messages leave in order and a cancellation never
  overtakes its invite.
- A row left "sending" by a worker that died mid-send is sent again on the
  next run with the same Message-ID, so the receiving mail system sees one
  message. Everything else in the fan-out that was already sent is skipped.

Reminders are found by a frequent scan of what is due (no far-future eta). A
reminder whose moment passed longer ago than its kind's window (the app was
down) is not sent late; see LATE_WINDOWS.
"""

import logging
import smtplib
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core import signing
from django.core.cache import cache
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from clubs.models import Membership

from . import ical
from .models import (
    ClubReminders,
    Delivery,
    MailPreferences,
    PreRead,
    Rsvp,
    Session,
    SessionPaper,
)

log = logging.getLogger(__name__)

Kind = Delivery.Kind

# How long after its moment a reminder may still go out (after downtime).
LATE_WINDOWS = {
    Kind.VOLUNTEER: timedelta(hours=24),
    Kind.PREP: timedelta(hours=24),
    Kind.NUDGE: timedelta(hours=12),
    Kind.SOON: timedelta(minutes=45),
    Kind.FOLLOW_UP: timedelta(days=7),
}
REMINDER_KINDS = list(LATE_WINDOWS)
UNSUBSCRIBE_SALT = "paperclub.unsubscribe"


class TransientMailError(Exception):
    """The mail server could not take a message now; the task retries later."""


class FanOutBusy(Exception):
    """Another fan-out for this session is running; try again shortly."""


# --- Preferences and unsubscribe ------------------------------------------------------


def preferences_for(*, user: AbstractBaseUser) -> MailPreferences:
    preferences, _ = MailPreferences.objects.get_or_create(user=user)
    return preferences


def unsubscribe_token(*, user: AbstractBaseUser, kind: str) -> str:
    return signing.dumps({"u": user.pk, "k": kind}, salt=UNSUBSCRIBE_SALT, compress=True)


def unsubscribe_url(*, user: AbstractBaseUser, kind: str) -> str:
    token = unsubscribe_token(user=user, kind=kind)
    return settings.SITE_URL + reverse("calendars:unsubscribe", args=[token])


@dataclass(frozen=True)
class Unsubscription:
    user_id: int
    kind: str  # a Delivery.Kind, or "all"


def unsubscribe_read(*, token: str) -> Unsubscription:
    """Raises signing.BadSignature for a tampered or made-up link."""
    data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    kind = data.get("k")
    if kind not in {*Kind.values, "all"} or not isinstance(data.get("u"), int):
        raise signing.BadSignature("Unknown unsubscribe link.")
    return Unsubscription(user_id=data["u"], kind=kind)


@transaction.atomic
def unsubscribe_apply(*, token: str) -> tuple[MailPreferences, str]:
    """One click, no sign-in: stop this kind of mail for the person in the link."""
    from django.contrib.auth import get_user_model

    request = unsubscribe_read(token=token)
    user = get_user_model().objects.get(pk=request.user_id)
    preferences = preferences_for(user=user)
    if request.kind == "all":
        preferences.no_email = True
    elif request.kind in (Kind.INVITE, Kind.CANCEL):
        preferences.invites = False
    elif request.kind not in preferences.muted_kinds:
        preferences.muted_kinds = [*preferences.muted_kinds, request.kind]
    preferences.save()
    return preferences, request.kind


# --- What a message says ------------------------------------------------------------------


def session_url(session: Session) -> str:
    # Kept on the instance: a fan-out asks for it in every message.
    url = session.__dict__.get("_absolute_url")
    if url is None:
        url = settings.SITE_URL + reverse("sessions:session", args=[session.club.slug, session.pk])
        session.__dict__["_absolute_url"] = url
    return url


def _papers(session: Session) -> list:
    links = getattr(session, "ordered_papers", None)
    if links is None:
        links = list(session.papers.select_related("nomination__paper").order_by("position"))
    return [link.nomination.paper for link in links]


def event_data(session: Session, *, with_link: bool) -> ical.EventData:
    papers = _papers(session)
    topic = session.title or "; ".join(p.display_title for p in papers) or "Paper club"
    lines = []
    if papers:
        lines.append("Papers:")
        lines += [f"- {p.display_title} {p.link}".rstrip() for p in papers]
    facilitator = session.facilitator
    if facilitator is not None:
        profile = getattr(facilitator, "profile", None)
        lines.append(f"Facilitator: {profile.name if profile else facilitator.email}")
    lines.append(f"Session page: {session_url(session)}")
    return ical.EventData(
        uid=f"session-{session.uid}@paperclub",
        sequence=session.change_count,
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        time_zone=session.club.time_zone,
        summary=f"{session.club.name}: {topic}",
        description="\n".join(lines),
        url=session_url(session),
        cancelled=session.state == Session.State.CANCELLED,
        location=session.location,
        meeting_link=session.meeting_link if with_link else "",
    )


def _local(moment: datetime, zone_name: str) -> str:
    import zoneinfo

    local = moment.astimezone(zoneinfo.ZoneInfo(zone_name))
    return f"{local:%A %-d %B %Y, %H:%M} ({zone_name})"


def _reason(session: Session) -> str:
    return f": {session.cancel_reason}" if session.cancel_reason else ""


def _copy(kind: str, session: Session) -> tuple[str, list[str]]:
    """Subject and paragraphs for a kind of message."""
    club = session.club.name
    topic = session.title or "; ".join(p.display_title for p in _papers(session))
    about = f": {topic}" if topic else ""
    day = f"{session.local_start:%a %-d %b}"
    copy = {
        Kind.INVITE: (f"{club}, {day}{about}", ["You are invited to this session."]),
        Kind.CANCEL: (
            f"Cancelled: {club}{about}",
            [f"This session is cancelled{_reason(session)}."],
        ),
        Kind.VOLUNTEER: (
            f"{club} needs a facilitator",
            ["Nobody has volunteered to facilitate this session yet. Could it be you?"],
        ),
        Kind.PREP: (
            f"You facilitate {club} soon",
            [
                "Time to prepare: the big idea, the results, why it matters, "
                "related work and open questions.",
                "Members' questions are on the session page.",
            ],
        ),
        Kind.NUDGE: (
            f"Pre-read for {club}{about}",
            ["The session is in two days. Even a ten-minute first pass helps."],
        ),
        Kind.SOON: (f"Starting soon: {club}{about}", ["The session starts within the hour."]),
        Kind.FOLLOW_UP: (
            f"Slides and recording: {club}{about}",
            ["Thanks for coming. The slides and recording are linked on the session page."],
        ),
    }
    return copy[kind]


def build_message(
    *,
    kind: str,
    session: Session,
    user: AbstractBaseUser,
    sequence: int,
    message_id: str,
    invites: ical.Invites | None = None,
) -> EmailMultiAlternatives:
    """One person's message. A fan-out passes `invites`, the session's calendar
    written once for everyone (see ical.Invites)."""
    profile = getattr(user, "profile", None)
    zone = profile.time_zone if profile else session.club.time_zone
    subject, paragraphs = _copy(kind, session)
    unsubscribe = unsubscribe_url(user=user, kind=kind)
    member_link = kind in (Kind.INVITE, Kind.SOON) and session.meeting_link
    context = {
        "kind": kind,
        "session": session,
        "papers": _papers(session),
        "paragraphs": paragraphs,
        "when": _local(session.starts_at, zone),
        "when_club": _local(session.starts_at, session.club.time_zone),
        "session_url": session_url(session),
        "meeting_link": session.meeting_link if member_link else "",
        "unsubscribe_url": unsubscribe,
        "name": profile.name if profile else "",
        "slides_url": session.slides_url if kind == Kind.FOLLOW_UP else "",
        "recording_url": session.recording_url if kind == Kind.FOLLOW_UP else "",
    }
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("sessions/email/message.txt", context),
        to=[user.email],
        headers={
            "Message-ID": message_id,
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
        },
    )
    message.attach_alternative(
        render_to_string("sessions/email/message.html", context), "text/html"
    )
    if kind in (Kind.INVITE, Kind.CANCEL):
        invites = invites or _invites(session)
        calendar, method = invites.for_attendee(user.email), invites.method
        # The same calendar twice: as the text/calendar part Gmail and Outlook
        # act on (its method= must equal the body's METHOD), and as a file.
        message.attach_alternative(calendar.decode(), f"text/calendar; method={method}")
        message.attach("invite.ics", calendar, f"application/ics; method={method}")
    return message


def _invites(session: Session) -> ical.Invites:
    return ical.Invites(event_data(session, with_link=True), organizer=_sender_address())


def _sender_address() -> str:
    from email.utils import parseaddr

    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1] or "noreply@localhost"


def _message_id(kind: str, session: Session, user: AbstractBaseUser, sequence: int) -> str:
    domain = _sender_address().rsplit("@", 1)[-1] or "paperclub"
    return f"<{kind}.{session.uid}.{user.pk}.{sequence}@{domain}>"


# --- Sending ---------------------------------------------------------------------------


# Rows are claimed for this many messages at a time (see _claim_many).
CLAIM_BATCH = 50


def _new_delivery(
    *, kind: str, session: Session, user: AbstractBaseUser, sequence: int
) -> Delivery:
    """A send-log row for one message, first attempt, not saved yet."""
    return Delivery(
        kind=kind,
        session=session,
        user=user,
        sequence=sequence,
        email=user.email,
        attempts=1,
        message_id=_message_id(kind, session, user, sequence),
    )


def _claim(
    *, kind: str, session: Session, user: AbstractBaseUser, sequence: int
) -> Delivery | None:
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
) -> list[tuple[AbstractBaseUser, Delivery | None]]:
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
    invites = _invites(session) if kind in (Kind.INVITE, Kind.CANCEL) else None
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


class _SessionLock:
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


_current_lock: list[_SessionLock] = []


def _progress() -> None:
    for lock in _current_lock:
        lock.refresh()


def _load(session_id: int) -> Session | None:
    papers = Prefetch(
        "papers",
        queryset=SessionPaper.objects.select_related("nomination__paper").order_by("position"),
        to_attr="ordered_papers",
    )
    return (
        Session.objects.select_related("club", "facilitator__profile")
        .prefetch_related(papers)
        .filter(pk=session_id)
        .first()
    )


def _members(session: Session):
    from django.contrib.auth import get_user_model

    return (
        get_user_model()
        .objects.filter(memberships__club=session.club, memberships__state=Membership.State.ACTIVE)
        .select_related("profile", "mail_preferences")
        .order_by("pk")
    )


def _wants(user, kind: str) -> bool:
    preferences = getattr(user, "mail_preferences", None)
    if preferences is None:
        # Invites are opt-in; reminders are on until a person turns them off.
        return kind not in (Kind.INVITE, Kind.CANCEL)
    if kind in (Kind.INVITE, Kind.CANCEL):
        return preferences.invites and not preferences.no_email
    return preferences.wants(kind)


# --- Invites -----------------------------------------------------------------------------


def invites_send(*, session_id: int) -> FanOutResult:
    """Send the session's current state to everyone who should have it.

    Scheduled: a REQUEST (sequence = change counter) to members who opted in.
    Open again: the updated REQUEST to those already invited.
    Cancelled: a CANCEL to everyone who was sent an invite. Each run sends the
    session as it is now, so a late, older task only finds its work done."""
    with _SessionLock(session_id):
        session = _load(session_id)
        if session is None:
            return FanOutResult()
        sequence = session.change_count
        upcoming = session.starts_at > timezone.now()
        if upcoming and session.state == Session.State.SCHEDULED:
            recipients = [u for u in _members(session) if _wants(u, Kind.INVITE)]
            return deliver_all(
                kind=Kind.INVITE, session=session, recipients=recipients, sequence=sequence
            )
        if upcoming and session.state == Session.State.OPEN:
            # The facilitator stepped back: people who hold the event get the
            # update; nobody new is invited until the week is taken again.
            invited = Delivery.objects.filter(
                session=session, kind=Kind.INVITE, state=Delivery.State.SENT
            ).values("user")
            recipients = [
                u for u in _members(session).filter(pk__in=invited) if _wants(u, Kind.INVITE)
            ]
            return deliver_all(
                kind=Kind.INVITE, session=session, recipients=recipients, sequence=sequence
            )
        if session.state == Session.State.CANCELLED:
            invited = Delivery.objects.filter(
                session=session, kind=Kind.INVITE, state=Delivery.State.SENT
            ).values("user")
            recipients = list(
                _members(session).filter(pk__in=invited)
            )  # even if they opted out since: their calendar holds the event
            return deliver_all(
                kind=Kind.CANCEL, session=session, recipients=recipients, sequence=sequence
            )
        return FanOutResult()


# --- Reminders ----------------------------------------------------------------------------


def _settings(club) -> ClubReminders:
    return getattr(club, "reminders", None) or ClubReminders(club=club)


def _moment(kind: str, session: Session, rules: ClubReminders) -> datetime | None:
    if kind == Kind.VOLUNTEER and rules.volunteer_needed_days:
        return session.starts_at - timedelta(days=rules.volunteer_needed_days)
    if kind == Kind.PREP and rules.facilitator_prep_days:
        return session.starts_at - timedelta(days=rules.facilitator_prep_days)
    if kind == Kind.NUDGE and rules.preread_nudge_hours:
        return session.starts_at - timedelta(hours=rules.preread_nudge_hours)
    if kind == Kind.SOON and rules.starting_soon_minutes:
        return session.starts_at - timedelta(minutes=rules.starting_soon_minutes)
    if kind == Kind.FOLLOW_UP and rules.follow_up:
        return session.ends_at
    return None


def _applies(kind: str, session: Session) -> bool:
    if kind == Kind.VOLUNTEER:
        return session.state == Session.State.OPEN
    if kind in (Kind.PREP, Kind.NUDGE, Kind.SOON):
        return session.state == Session.State.SCHEDULED
    if kind == Kind.FOLLOW_UP:
        return session.state == Session.State.DONE and bool(
            session.slides_url or session.recording_url
        )
    return False


def reminders_due(*, now: datetime | None = None) -> list[tuple[int, str]]:
    """(session id, kind) pairs whose moment has come and not long passed."""
    now = now or timezone.now()
    candidates = Session.objects.filter(
        Q(starts_at__gt=now, starts_at__lte=now + timedelta(days=15))
        | Q(state=Session.State.DONE, ends_at__gte=now - LATE_WINDOWS[Kind.FOLLOW_UP])
    ).select_related("club__reminders")
    due = []
    for session in candidates:
        rules = _settings(session.club)
        for kind in REMINDER_KINDS:
            moment = _moment(kind, session, rules)
            if (
                moment is not None
                and _applies(kind, session)
                and moment <= now <= moment + LATE_WINDOWS[kind]
            ):
                due.append((session.pk, kind))
    return due


def _reminder_recipients(kind: str, session: Session) -> list:
    members = _members(session)
    if kind == Kind.VOLUNTEER:
        people = members
    elif kind == Kind.PREP:
        people = members.filter(pk__in=[session.facilitator_id, session.co_facilitator_id])
    else:
        going = Rsvp.objects.filter(session=session, answer=Rsvp.Answer.GOING).values("user")
        people = members.filter(pk__in=going)
        if kind == Kind.NUDGE:
            started = PreRead.objects.filter(
                session=session, user=OuterRef("pk"), level__gt=PreRead.Level.NONE
            )
            people = people.exclude(Exists(started))
        if kind == Kind.SOON and session.facilitator_id:
            people = members.filter(Q(pk__in=going) | Q(pk=session.facilitator_id))
    return [user for user in people if _wants(user, kind)]


def reminder_send(*, session_id: int, kind: str) -> FanOutResult:
    with _SessionLock(session_id):
        session = _load(session_id)
        if session is None:
            return FanOutResult()
        if not _applies(kind, session):
            return FanOutResult()  # the week changed since the scan
        recipients = _reminder_recipients(kind, session)
        return deliver_all(kind=kind, session=session, recipients=recipients, sequence=0)


# --- The organizers' outbox -----------------------------------------------------------------


def outbox(*, session: Session) -> dict:
    from django.db.models import Count

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
