"""Signing in is an answer: allauth's (Django's) user_logged_in keeps every
open question's member and brings back every inactive membership."""

from django.contrib.auth.signals import user_logged_in

from .services import reconfirm_signed_in


def _signed_in(sender, request, user, **kwargs) -> None:
    reconfirm_signed_in(user=user)


def connect() -> None:
    user_logged_in.connect(_signed_in, dispatch_uid="clubs.reconfirm.signed_in")
