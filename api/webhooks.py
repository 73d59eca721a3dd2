"""What a webhook delivery says about its subject (clubs/webhooks/payloads.py):
the API's own shapes, as GET /api/v1/clubs/<slug>/sessions/<id>/ and
…/backlog/<id>/ answer, read through the same selectors, as an outsider sees
them (a webhook's receiver is no member: no meeting link, no one's own vote or
RSVP). Registered from ApiConfig.ready; built by the worker at a delivery's
first attempt."""

from typing import Any

from clubs.models import Club
from clubs.webhooks import payloads
from papers import selectors as paper_selectors
from papers.models import Nomination
from sessions.models import Session
from sessions.rota import selectors as rota_selectors

from . import serializers as out


def session_shape(*, club: Club, subject_id: int) -> dict[str, Any] | None:
    try:
        session = rota_selectors.session_detail(club=club, session_id=subject_id, user=None)
    except Session.DoesNotExist:
        return None
    return dict(out.SessionOut(session, context={"is_member": False}).data)


def nomination_shape(*, club: Club, subject_id: int) -> dict[str, Any] | None:
    try:
        nomination = paper_selectors.nomination_detail(
            club=club, nomination_id=subject_id, user=None
        )
    except Nomination.DoesNotExist:
        return None
    return dict(out.NominationOut(nomination).data)


def register_payloads() -> None:
    payloads.register("session", session_shape)
    payloads.register("nomination", nomination_shape)
