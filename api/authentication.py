"""`Authorization: Bearer <token>` with a personal token, rate-limited per token."""

from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from clubs.ratelimits import RateLimited, rate_limit_take

from . import schema  # noqa: F401 - registers how the schema describes this scheme
from .tokens import token_for_secret, token_touch


class PersonalTokenAuthentication(BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None  # not ours: the session (the browsable API), or nobody
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                "Give the token as 'Authorization: Bearer <token>'."
            )
        try:
            secret = header[1].decode()
        except UnicodeError as error:
            raise exceptions.AuthenticationFailed("That token is not valid.") from error
        token = token_for_secret(secret)
        if token is None:
            # Unknown, revoked, or its owner's account is closed: nothing is done.
            raise exceptions.AuthenticationFailed("That token is not valid (revoked or unknown).")
        try:
            rate_limit_take(action="api", scope=f"token:{token.pk}")
        except RateLimited as limited:
            raise exceptions.Throttled(wait=limited.retry_after, detail=str(limited)) from limited
        token_touch(token)
        return token.user, token

    def authenticate_header(self, request) -> str:
        # Makes DRF answer 401 (with WWW-Authenticate) rather than 403 to a caller
        # without credentials.
        return f'{self.keyword} realm="api"'
