"""What a delivery's body says.

    {"id": "<delivery id>", "event": "session.scheduled",
     "occurred_at": "2026-12-01T20:15:03Z",
     "club": {"slug": …, "name": …, "url": …},
     "subject_type": "session", "subject": {…}}

The subject is what the REST API says about it (GET /api/v1/…): the apps above
register a builder per subject type (api/webhooks.py, from ApiConfig.ready),
so the shapes are the API's own and documented by its schema. clubs knows no
sessions or papers: without a builder the subject is just its id. A subject
gone by the first attempt (a paper deleted) is sent as {"id": …, "deleted":
true}: the event still happened.
"""

import json
from collections.abc import Callable
from datetime import UTC
from typing import Any

from django.conf import settings
from django.urls import reverse

from ..models import Club

# builder(*, club, subject_id) -> the subject's shape, or None when it is gone.
Builder = Callable[..., dict[str, Any] | None]
_BUILDERS: dict[str, Builder] = {}


def register(subject_type: str, builder: Builder) -> Builder:
    _BUILDERS[subject_type] = builder
    return builder


def subject_of(*, club: Club, subject_type: str, subject_id: int | None) -> dict[str, Any]:
    builder = _BUILDERS.get(subject_type)
    if subject_id is None:
        return {}
    if builder is None:
        return {"id": subject_id}
    shape = builder(club=club, subject_id=subject_id)
    return shape if shape is not None else {"id": subject_id, "deleted": True}


def club_shape(club: Club) -> dict[str, str]:
    return {
        "slug": club.slug,
        "name": club.name,
        "url": settings.SITE_URL + reverse("clubs:home", args=[club.slug]),
    }


def body_of(*, delivery_id: str, event, club: Club) -> str:
    """The body of a delivery of `event` (a WebhookEvent), as text."""
    occurred = event.occurred_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    payload = {
        "id": delivery_id,
        "event": event.event,
        "occurred_at": occurred,
        "club": club_shape(club),
        "subject_type": event.subject_type,
        "subject": subject_of(
            club=club, subject_type=event.subject_type, subject_id=event.subject_id
        ),
    }
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=str)


register("club", lambda *, club, subject_id: club_shape(club))
