"""What mail each person wants, and the one-click unsubscribe links in every message."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core import signing
from django.db import transaction
from django.urls import reverse

from ..models import MailPreferences
from .kinds import Kind

UNSUBSCRIBE_SALT = "paperclub.unsubscribe"


def preferences_for(*, user: User) -> MailPreferences:
    preferences, _ = MailPreferences.objects.get_or_create(user=user)
    return preferences


def unsubscribe_token(*, user: User, kind: str) -> str:
    return signing.dumps({"u": user.pk, "k": kind}, salt=UNSUBSCRIBE_SALT, compress=True)


def unsubscribe_url(*, user: User, kind: str) -> str:
    token = unsubscribe_token(user=user, kind=kind)
    return settings.SITE_URL + reverse("calendars:unsubscribe", args=[token])


@dataclass(frozen=True)
class Unsubscription:
    user_id: int
    kind: str  # a Kind, or "all"


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


def no_email_users(user_ids: Iterable[int]) -> set[int]:
    """Of these users, who said "no email at all" (registered with clubs.no_email)."""
    return set(
        MailPreferences.objects.filter(user_id__in=list(user_ids), no_email=True).values_list(
            "user_id", flat=True
        )
    )


def wants(user, kind: str) -> bool:
    preferences = getattr(user, "mail_preferences", None)
    if preferences is None:
        # Invites are opt-in; reminders are on until a person turns them off.
        return kind not in (Kind.INVITE, Kind.CANCEL)
    if kind in (Kind.INVITE, Kind.CANCEL):
        return preferences.invites and not preferences.no_email
    return preferences.wants(kind)
