"""Making, finding and revoking personal API tokens."""

import hashlib
import secrets
from datetime import timedelta

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from clubs.models import Club, Membership

from .models import PersonalToken

PREFIX = "pc_"
# last_used_at is written at most this often per token: one UPDATE a minute, not
# one per request.
LAST_USED_GRANULARITY = timedelta(minutes=1)


class TokenError(Exception):
    """str(error) is shown to the person."""


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def token_create(*, user: User, club: Club, name: str, scope: str) -> tuple[PersonalToken, str]:
    """A new token and its secret (which is never stored and so never shown again)."""
    name = (name or "").strip()
    if not name:
        raise TokenError("Name the token (what will use it?).")
    if len(name) > 80:
        raise TokenError(f"A token's name is at most 80 characters (yours has {len(name):,}).")
    if scope not in PersonalToken.Scope.values:
        raise TokenError("Choose read, or read and write.")
    if not Membership.objects.filter(club=club, user=user, state=Membership.State.ACTIVE).exists():
        raise TokenError("A token works in a club you are a member of.")
    secret = PREFIX + secrets.token_urlsafe(32)
    token = PersonalToken.objects.create(
        user=user, club=club, name=name, scope=scope, prefix=secret[:10], key_hash=_hash(secret)
    )
    return token, secret


@transaction.atomic
def token_revoke(*, user: User, token_id: int) -> PersonalToken:
    """Revoke one of the person's tokens (again: nothing changes)."""
    token = PersonalToken.objects.select_for_update().get(pk=token_id, user=user)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def token_for_secret(secret: str) -> PersonalToken | None:
    """The active token with this secret (its owner and club loaded), or None."""
    if not secret.startswith(PREFIX) or len(secret) > 100:
        return None
    return (
        PersonalToken.objects.select_related("user", "club")
        .filter(key_hash=_hash(secret), revoked_at__isnull=True, user__is_active=True)
        .first()
    )


def token_touch(token: PersonalToken) -> None:
    """Note that the token was used now (to the minute)."""
    now = timezone.now()
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_GRANULARITY:
        return
    PersonalToken.objects.filter(pk=token.pk).update(last_used_at=now)
    token.last_used_at = now


def tokens_of(*, user: User) -> QuerySet[PersonalToken]:
    return PersonalToken.objects.filter(user=user).select_related("club")
