"""The secret tokens behind private feed URLs: one per club and one per person,
revocable (a new token makes the old URL answer 404)."""

import secrets

from django.contrib.auth.models import User
from django.db import transaction

from clubs.activity.services import activity_record
from clubs.models import Club

from ..models import FeedToken


def _new_token() -> str:
    return secrets.token_urlsafe(24)


@transaction.atomic
def club_feed_token(*, club: Club) -> FeedToken:
    token, _ = FeedToken.objects.get_or_create(club=club, defaults={"token": _new_token()})
    return token


@transaction.atomic
def personal_feed_token(*, user: User) -> FeedToken:
    token, _ = FeedToken.objects.get_or_create(user=user, defaults={"token": _new_token()})
    return token


@transaction.atomic
def feed_token_regenerate(
    *,
    club: Club | None = None,
    user: User | None = None,
    by: User | None = None,
):
    """A new secret; the old feed URL answers 404 from now on. A club's new
    token is in its activity log (`by` is the organizer who asked)."""
    if (club is None) == (user is None):
        raise ValueError("Regenerate a club's token or a person's, not both.")
    if club is not None:
        FeedToken.objects.filter(club=club).delete()
        activity_record(
            club=club,
            actor=by,
            kind="calendar.regenerate",
            summary="replaced the club's private calendar link (the old one stopped working)",
        )
        return FeedToken.objects.create(club=club, token=_new_token())
    FeedToken.objects.filter(user=user).delete()
    return FeedToken.objects.create(user=user, token=_new_token())


def token_owner(*, token: str) -> FeedToken | None:
    return FeedToken.objects.select_related("club", "user").filter(token=token).first()
