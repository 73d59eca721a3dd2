"""How the API answers errors: DRF's shapes, plus the apps' own errors and limits."""

from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler

from clubs.ratelimits import RateLimited
from papers.errors import NotAllowed as PaperNotAllowed
from papers.errors import PaperError
from sessions.errors import NotAllowed as SessionNotAllowed
from sessions.errors import SessionError


class Refused(exceptions.APIException):
    status_code = 400
    default_detail = "The rules do not allow that."
    default_code = "refused"


def exception_handler(exc, context):
    """A rule a service refused is a 400 with its message (403 when the person may
    not do it at all); a rate limit is a 429 with Retry-After."""
    if isinstance(exc, PaperNotAllowed | SessionNotAllowed):
        exc = exceptions.PermissionDenied(str(exc))
    elif isinstance(exc, PaperError | SessionError):
        exc = Refused(str(exc))
    elif isinstance(exc, RateLimited):
        exc = exceptions.Throttled(wait=exc.retry_after, detail=str(exc))
    return drf_exception_handler(exc, context)
