"""Webhook URLs sealed at rest: their path holds a token that lets anyone post.

Fernet (AES-CBC with an HMAC) under a key derived from SECRET_KEY; the
fallbacks (SECRET_KEY_FALLBACKS) still open what an older key sealed, so a key
rotation does not lose the webhooks (saving one seals it under the new key).
Other secrets the app keeps for sending (clubs/webhooks: a webhook's URL and
its signing secret) are sealed here too, each under its own `purpose`, so a
value sealed for one use never opens as another.
"""

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

PURPOSE = b"paperclub.chat-webhook-url:"


def _fernet(secret: str, purpose: bytes) -> Fernet:
    digest = hashlib.sha256(purpose + secret.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def _keys(purpose: bytes) -> MultiFernet:
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet([_fernet(s, purpose) for s in secrets if s])


def seal(url: str, *, purpose: bytes = PURPOSE) -> str:
    return _keys(purpose).encrypt(url.encode()).decode()


def unseal(sealed: str, *, purpose: bytes = PURPOSE) -> str | None:
    """The URL, or None when no key we hold opens it (SECRET_KEY changed)."""
    try:
        return _keys(purpose).decrypt(sealed.encode()).decode()
    except (InvalidToken, ValueError):
        return None
