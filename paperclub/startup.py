"""What every serving or working process checks before it starts."""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def require_secret_key() -> None:
    """Refuse to serve or work without a secret key (DEBUG off and none set)."""
    try:
        key = settings.SECRET_KEY  # Django refuses an empty one when it is read
    except ImproperlyConfigured:
        key = ""
    if not key:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
