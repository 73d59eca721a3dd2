"""Writes for re-confirming quiet members: the policy, asking, keeping, lapsing
and coming back. Each step writes the club's activity log in its own
transaction.

- `reconfirm_policy_save`: an organizer turns it on or off and sets N and M.
- `reconfirm_ask_due`: for one club, owe the question to every quiet member
  (an active member, not an organizer, in the club for N weeks, with no sign
  of taking part and not asked in those N weeks), through the outbox; a member
  who takes no email at all (clubs.no_email) is asked on their next visit
  instead, and their M days start when they first see it
  (`reconfirm_ask_shown`), so nobody lapses without having been asked.
- `reconfirm_keep`: the link in the mail, no sign-in: an open question is
  answered "keep me"; a member who lapsed since is active again.
- `reconfirm_lapse_due`: questions past their deadline: a member who took part
  since being asked keeps their place, the others become inactive.
- `membership_reactivate` and `reconfirm_signed_in`: coming back by visiting
  the club or signing in.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from .. import no_email
from ..activity.services import activity_record, person
from ..models import Club, Membership, ReconfirmAsk, ReconfirmPolicy
from ..outbox.kinds import Recipient
from ..outbox.services import outbox_enqueue
from . import participation
from .tokens import BadKeepLink, ask_id_from

log = logging.getLogger(__name__)

RECONFIRM_MAIL = "clubs.reconfirm"
# After its deadline a link still brings a lapsed member back for this long;
# then it has expired and the page says to sign in instead.
LINK_GRACE = timedelta(days=14)
# How many names a log line spells out before "and N more".
NAMES_IN_LOG = 10


class ExpiredKeepLink(Exception):
    """The link is genuine but too old; `club` is whose it was."""

    def __init__(self, club: Club) -> None:
        super().__init__(club.name)
        self.club = club


def link_expires(ask: ReconfirmAsk) -> datetime | None:
    """None while a question asked on the site has not been seen (no deadline yet)."""
    return ask.answer_by + LINK_GRACE if ask.answer_by is not None else None


def _expired(ask: ReconfirmAsk, now: datetime) -> bool:
    expires = link_expires(ask)
    return expires is not None and now > expires


def _names(memberships: list[Membership]) -> str:
    names = [person(m.user) for m in memberships[:NAMES_IN_LOG]]
    if len(memberships) > NAMES_IN_LOG:
        names.append(f"{len(memberships) - NAMES_IN_LOG} more")
    return ", ".join(names)


def policy_for(*, club: Club) -> ReconfirmPolicy:
    """The club's policy (off, with the defaults, if none was saved)."""
    return ReconfirmPolicy.objects.filter(club=club).first() or ReconfirmPolicy(club=club)


@transaction.atomic
def reconfirm_policy_save(
    *, club: Club, by: User, enabled: bool, quiet_weeks: int, answer_days: int
) -> ReconfirmPolicy:
    policy, _ = ReconfirmPolicy.objects.select_for_update().get_or_create(club=club)
    before = (policy.enabled, policy.quiet_weeks, policy.answer_days)
    policy.enabled, policy.quiet_weeks, policy.answer_days = enabled, quiet_weeks, answer_days
    policy.updated_by, policy.updated_at = by, timezone.now()
    policy.full_clean(exclude=["club"])
    policy.save()
    if before != (enabled, quiet_weeks, answer_days):
        summary = (
            f"chose to ask members with no RSVP, attendance, vote or post in {quiet_weeks} "
            f"weeks whether to stay, giving them {answer_days} days to answer"
            if enabled
            else "stopped asking quiet members whether to stay"
        )
        activity_record(
            club=club,
            actor=by,
            kind="reconfirm.settings",
            summary=summary,
            data={"enabled": enabled, "quiet_weeks": quiet_weeks, "answer_days": answer_days},
            subject=policy,
        )
    return policy


def quiet_members(*, club: Club, policy: ReconfirmPolicy, now: datetime) -> QuerySet[Membership]:
    """Who would be asked now: active members (organizers aside) in the club for
    N weeks, with no sign of taking part in them and not asked in them."""
    since = now - timedelta(weeks=policy.quiet_weeks)
    asked_lately = ReconfirmAsk.objects.filter(
        Q(asked_at__gte=since) | Q(closed_at__gte=since) | Q(outcome=ReconfirmAsk.Outcome.OPEN),
        club=club,
    ).values("membership_id")
    return (
        Membership.objects.filter(
            club=club, state=Membership.State.ACTIVE, role=Membership.Role.MEMBER
        )
        .alias(since_joined=Coalesce("joined_at", "created_at"))
        .filter(since_joined__lte=since)
        .exclude(user_id__in=participation.took_part(club_id=club.pk, since=since))
        .exclude(pk__in=asked_lately)
        .select_related("user__profile")
        .order_by("pk")
    )


@transaction.atomic
def reconfirm_ask_due(*, club: Club, now: datetime | None = None) -> list[ReconfirmAsk]:
    """Ask every quiet member of `club` whether to stay (its policy on)."""
    now = now or timezone.now()
    policy = ReconfirmPolicy.objects.filter(club=club, enabled=True).first()
    if policy is None:
        return []
    quiet = list(quiet_members(club=club, policy=policy, now=now))
    # "No email at all" holds here too: they are asked on their next visit.
    on_site = no_email.without_email(m.user_id for m in quiet)
    asks, asked, asked_on_site = [], [], []
    for membership in quiet:
        by_mail = membership.user_id not in on_site
        try:
            with transaction.atomic():  # a scan running at once asked them already
                ask = ReconfirmAsk.objects.create(
                    membership=membership,
                    club=club,
                    asked_at=now,
                    by_mail=by_mail,
                    answer_by=now + timedelta(days=policy.answer_days) if by_mail else None,
                )
        except IntegrityError:
            continue
        if by_mail:
            outbox_enqueue(
                kind=RECONFIRM_MAIL,
                topic=f"reconfirm:{ask.pk}",
                recipients=[Recipient(address=membership.user.email, user_id=membership.user_id)],
                club=club,
                subject_id=ask.pk,
            )
        else:
            asked_on_site.append(membership)
        asks.append(ask)
        asked.append(membership)
    if asked:
        count = len(asked)
        summary = (
            f"asked {count} member{'s' if count != 1 else ''} with nothing in "
            f"{policy.quiet_weeks} weeks whether to stay: {_names(asked)}"
        )
        if asked_on_site:
            takes = "takes" if len(asked_on_site) == 1 else "take"
            summary += (
                f" ({_names(asked_on_site)} {takes} no email: asked on their next visit instead)"
            )
        activity_record(
            club=club,
            actor=None,
            kind="reconfirm.ask",
            summary=summary,
            data={
                "asks": [a.pk for a in asks],
                "members": [m.pk for m in asked],
                "on_site": [m.pk for m in asked_on_site],
            },
        )
    return asks


def reconfirm_ask_shown(*, ask_id: int, now: datetime | None = None) -> datetime | None:
    """A question asked on the site is on the member's screen for the first
    time: their days to answer start now. Returns the new deadline, or None if
    it was seen before (or is closed, or was a mail's): nothing changes then."""
    now = now or timezone.now()
    ask = ReconfirmAsk.objects.filter(pk=ask_id).only("club_id").first()
    if ask is None:
        return None
    answer_by = now + timedelta(days=policy_for(club=ask.club).answer_days)
    seen = ReconfirmAsk.objects.filter(
        pk=ask_id, outcome=ReconfirmAsk.Outcome.OPEN, by_mail=False, shown_at__isnull=True
    ).update(shown_at=now, answer_by=answer_by)
    return answer_by if seen else None


@dataclass(frozen=True)
class KeepResult:
    club: Club
    outcome: str  # "kept", "returned", "already" or "gone"


def keep_link_check(*, token: str, now: datetime | None = None) -> ReconfirmAsk:
    """The ask a link is for, read only (the page before the button): raises
    BadKeepLink or ExpiredKeepLink as reconfirm_keep does."""
    now = now or timezone.now()
    ask = ReconfirmAsk.objects.select_related("club").filter(pk=ask_id_from(token)).first()
    if ask is None:
        raise BadKeepLink
    if _expired(ask, now):
        raise ExpiredKeepLink(ask.club)
    return ask


@transaction.atomic
def reconfirm_keep(*, token: str, now: datetime | None = None) -> KeepResult:
    """The "keep me" link: raises BadKeepLink (tampered or unknown) or
    ExpiredKeepLink; otherwise keeps (or gives back) the member's place."""
    now = now or timezone.now()
    ask = (
        ReconfirmAsk.objects.select_for_update(of=("self",))
        .select_related("club")
        .filter(pk=ask_id_from(token))
        .first()
    )
    if ask is None:
        raise BadKeepLink
    if _expired(ask, now):
        raise ExpiredKeepLink(ask.club)
    membership = (
        Membership.objects.select_for_update(of=("self",))
        .select_related("user__profile")
        .get(pk=ask.membership_id)
    )
    if ask.outcome == ReconfirmAsk.Outcome.OPEN:
        _close(ask, ReconfirmAsk.Outcome.KEPT, now)
        activity_record(
            club=ask.club,
            actor=membership.user,
            kind="reconfirm.keep",
            summary="answered “keep me” to the question whether to stay",
            data={"ask": ask.pk, "membership": membership.pk},
            subject=membership,
        )
        return KeepResult(ask.club, "kept")
    if membership.state == Membership.State.INACTIVE:
        membership_reactivate(membership=membership, how="used the link in the mail", now=now)
        return KeepResult(ask.club, "returned")
    if membership.state == Membership.State.ACTIVE:
        return KeepResult(ask.club, "already")
    return KeepResult(ask.club, "gone")  # left or removed since: the link is no way back


def _close(ask: ReconfirmAsk, outcome: str, now: datetime) -> None:
    ask.outcome, ask.closed_at = outcome, now
    ask.save(update_fields=["outcome", "closed_at"])


@transaction.atomic
def reconfirm_lapse_due(*, now: datetime | None = None) -> int:
    """Close every question past its deadline, in every club: a member who took
    part since being asked keeps their place; the others become inactive.
    Returns how many became inactive."""
    now = now or timezone.now()
    due = list(
        ReconfirmAsk.objects.select_for_update(skip_locked=True)
        .filter(outcome=ReconfirmAsk.Outcome.OPEN, answer_by__lte=now)
        .order_by("club_id", "pk")
    )
    lapsed = 0
    for club_id in sorted({ask.club_id for ask in due}):
        asks = [ask for ask in due if ask.club_id == club_id]
        lapsed += _lapse_club(club_id=club_id, asks=asks, now=now)
    return lapsed


def _lapse_club(*, club_id: int, asks: list[ReconfirmAsk], now: datetime) -> int:
    memberships = (
        Membership.objects.select_for_update(of=("self",))
        .select_related("user__profile")
        .in_bulk([ask.membership_id for ask in asks])
    )
    since = min(ask.asked_at for ask in asks)
    active_since = participation.took_part(club_id=club_id, since=since)
    kept, gone = [], []
    for ask in asks:
        membership = memberships[ask.membership_id]
        if membership.user_id in active_since or not (
            membership.state == Membership.State.ACTIVE
            and membership.role == Membership.Role.MEMBER
        ):
            # Took part since (an answer too), left, or became an organizer: stays as is.
            _close(ask, ReconfirmAsk.Outcome.KEPT, now)
            kept.append(membership)
            continue
        _close(ask, ReconfirmAsk.Outcome.LAPSED, now)
        membership.state, membership.updated_at = Membership.State.INACTIVE, now
        membership.save(update_fields=["state", "updated_at"])
        gone.append(membership)
    if gone:
        first = asks[0]
        assert first.answer_by is not None  # only questions with a deadline lapse
        days = (first.answer_by - (first.shown_at or first.asked_at)).days
        activity_record(
            club=club_id,
            actor=None,
            kind="reconfirm.lapse",
            summary=(
                f"marked {len(gone)} member{'s' if len(gone) != 1 else ''} inactive, with no "
                f"answer in {days} days: {_names(gone)}"
            ),
            data={"members": [m.pk for m in gone]},
        )
    if kept:
        activity_record(
            club=club_id,
            actor=None,
            kind="reconfirm.keep",
            summary=f"kept {_names(kept)}, who took part again after being asked",
            data={"members": [m.pk for m in kept]},
        )
    return len(gone)


@transaction.atomic
def membership_reactivate(*, membership: Membership, how: str, now: datetime | None = None) -> bool:
    """An inactive member is active again (`how`: "signed in", "visited the
    club", "used the link in the mail"). False if they were not inactive."""
    now = now or timezone.now()
    changed = Membership.objects.filter(pk=membership.pk, state=Membership.State.INACTIVE).update(
        state=Membership.State.ACTIVE, updated_at=now
    )
    if not changed:
        return False
    membership.state = Membership.State.ACTIVE
    ReconfirmAsk.objects.filter(membership=membership, outcome=ReconfirmAsk.Outcome.LAPSED).update(
        outcome=ReconfirmAsk.Outcome.RETURNED, closed_at=now
    )
    activity_record(
        club=membership.club_id,
        actor=membership.user,
        kind="reconfirm.return",
        summary=f"is an active member again ({how})",
        data={"membership": membership.pk, "how": how},
        subject=membership,
    )
    return True


@transaction.atomic
def reconfirm_signed_in(*, user: User, now: datetime | None = None) -> None:
    """Signing in answers every open question and brings back every inactive
    membership of `user` (allauth's user_logged_in, clubs/apps.py)."""
    now = now or timezone.now()
    for ask in ReconfirmAsk.objects.select_for_update().filter(
        membership__user=user, outcome=ReconfirmAsk.Outcome.OPEN
    ):
        _close(ask, ReconfirmAsk.Outcome.KEPT, now)
        activity_record(
            club=ask.club_id,
            actor=user,
            kind="reconfirm.keep",
            summary="signed in, so stays (they had been asked whether to stay)",
            data={"ask": ask.pk},
        )
    for membership in Membership.objects.filter(user=user, state=Membership.State.INACTIVE):
        membership.user = user
        membership_reactivate(membership=membership, how="signed in", now=now)


def reconfirm_scan(*, now: datetime | None = None) -> tuple[int, int]:
    """The periodic job: ask in every club whose policy is on, then lapse what
    is due. Returns (asked, lapsed). One club's failure does not stop the rest."""
    now = now or timezone.now()
    asked = 0
    for club in Club.objects.filter(reconfirm_policy__enabled=True).order_by("pk"):
        try:
            asked += len(reconfirm_ask_due(club=club, now=now))
        except Exception:
            log.exception("re-confirmation scan failed for club %s", club.pk)
    return asked, reconfirm_lapse_due(now=now)
