"""Reads for the series: which clubs a person comes to every week."""

from django.contrib.auth.models import User

from clubs.models import Club, Membership

from ..models import SeriesRsvp


def series_clubs(*, user: User) -> list[Club]:
    """The clubs `user` comes to every week (as an active member), by name."""
    return list(
        Club.objects.filter(
            memberships__user=user,
            memberships__state=Membership.State.ACTIVE,
            pk__in=SeriesRsvp.objects.filter(user=user).values("club_id"),
        ).order_by("name", "pk")
    )
