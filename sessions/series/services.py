"""Joining and leaving a club's series ("I'll come every week"), and the weeks
it fills. See sessions/series/__init__.py."""

from collections.abc import Iterable

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from clubs.models import Club, Membership

from ..calendars.stamps import feeds_changed
from ..models import Rsvp, SeriesRsvp, Session
from ..permissions import require_member


def series_weeks(club: Club):
    """The weeks a series member counts as going to: the club's regular weeks
    (one-offs aside) still to come, open or scheduled (not skipped or done)."""
    return Session.objects.filter(
        club=club,
        series_date__isnull=False,
        starts_at__gt=timezone.now(),
        state__in=[Session.State.OPEN, Session.State.SCHEDULED],
    )


def in_series(*, club: Club, user: User) -> bool:
    return SeriesRsvp.objects.filter(club=club, user=user).exists()


def series_fill(*, club: Club, user_ids: Iterable[int] | None = None) -> int:
    """Count the club's series members (or these of them) as going to each
    series week they have not answered. Idempotent; returns the rows written.
    An answer for a week (not going, say) is never overwritten."""
    members = SeriesRsvp.objects.filter(
        club=club,
        user__memberships__club=club,
        user__memberships__state=Membership.State.ACTIVE,
    )
    if user_ids is not None:
        members = members.filter(user_id__in=list(user_ids))
    people = list(members.values_list("user_id", flat=True))
    if not people:
        return 0
    weeks = list(series_weeks(club).values_list("pk", flat=True))
    answered = set(
        Rsvp.objects.filter(session_id__in=weeks, user_id__in=people).values_list(
            "session_id", "user_id"
        )
    )
    now = timezone.now()
    rows = [
        Rsvp(
            session_id=week,
            user_id=person,
            answer=Rsvp.Answer.GOING,
            via_series=True,
            updated_at=now,
        )
        for week in weeks
        for person in people
        if (week, person) not in answered
    ]
    # ignore_conflicts: an answer given at this moment wins over the series'.
    Rsvp.objects.bulk_create(rows, ignore_conflicts=True)
    if rows:
        feeds_changed(user_ids={row.user_id for row in rows})
    return len(rows)


def _take_back(*, club: Club, user_id: int) -> int:
    """The series' own "going" for weeks to come (answers given for a week stay)."""
    deleted, _ = Rsvp.objects.filter(
        session__in=series_weeks(club), user_id=user_id, via_series=True
    ).delete()
    return deleted


@transaction.atomic
def series_join(*, club: Club, user: User) -> int:
    """ "I'll come every week": returns how many weeks to come now count them."""
    require_member(club, user)
    SeriesRsvp.objects.get_or_create(club=club, user=user)
    series_fill(club=club, user_ids=[user.pk])
    return series_weeks(club).filter(rsvps__user=user, rsvps__answer=Rsvp.Answer.GOING).count()


@transaction.atomic
def series_leave(*, club: Club, user: User) -> int:
    """No longer every week: the weeks the series answered for them are
    unanswered again (nothing leaves their calendar: it held those weeks before
    they said yes). Returns how many."""
    require_member(club, user)
    SeriesRsvp.objects.filter(club=club, user=user).delete()
    taken = _take_back(club=club, user_id=user.pk)
    feeds_changed(user_ids=[user.pk])
    return taken


def series_membership_ended(membership: Membership) -> None:
    """A member who leaves the club (or is removed) leaves its series, and is no
    longer counted for the weeks to come (clubs.membership_hooks)."""
    SeriesRsvp.objects.filter(club_id=membership.club_id, user_id=membership.user_id).delete()
    _take_back(club=membership.club, user_id=membership.user_id)
    feeds_changed(user_ids=[membership.user_id])
