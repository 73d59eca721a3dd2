"""Schemathesis against the served OpenAPI schema (issue 18, Tests).

The schema is read from the app itself (/api/v1/schema/) and every operation is
called with generated requests, valid and invalid, as a member of a private
club (read-and-write token) and as an outsider (a token for another club):
no server error, no response the schema does not describe, and nothing of the
private club's planted data in any answer to the outsider.

Bounded: a few examples per operation, mode and caller (about 15 s here);
SCHEMATHESIS_EXAMPLES raises it for a longer run."""

import os
from datetime import timedelta

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.tokens import token_create
from sessions.reading.services import question_ask
from sessions.rota.weeks import rsvp_set
from tests.factories import (
    ClubFactory,
    MembershipFactory,
    NominationFactory,
    RoundCandidateFactory,
    SessionPaperFactory,
    UserFactory,
    VotingRoundFactory,
    session_at,
)

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "6"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
PLANTED = {
    "name": "Okapi Hidden Circle",
    "member": "Ulrike Planted-Member",
    "pitch": "Planted pitch: read before the rivals",
    "link": "https://meet.example.com/okapi-planted-room",
    "question": "Planted question about the okapi",
}


@pytest.fixture
def wsgi_app(db):
    """The app as a WSGI callable in this test's transaction: the per-request
    connection cleanup would close the test's connection, as Django's own test
    client knows (it disconnects the same receiver)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield get_wsgi_application()
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def planted(db):
    private = ClubFactory(
        name=PLANTED["name"], slug="okapi", visibility="private", join_policy="invite"
    )
    member = MembershipFactory(
        club=private, user=UserFactory(profile__display_name=PLANTED["member"])
    ).user
    nomination = NominationFactory(club=private, pitch=PLANTED["pitch"], proposed_by=member)
    week = session_at(
        private, starts_in=timedelta(days=3), state="open", meeting_link=PLANTED["link"]
    )
    SessionPaperFactory(session=week, nomination=nomination)
    rsvp_set(session=week, user=member, answer="going")
    question_ask(session=week, user=member, text=PLANTED["question"])

    public = ClubFactory(slug="open-club")
    outsider = MembershipFactory(club=public).user
    public_nomination = NominationFactory(club=public)
    public_week = session_at(public, starts_in=timedelta(days=3), state="open")
    _, member_secret = token_create(user=member, club=private, name="bot", scope="write")
    _, outsider_secret = token_create(user=outsider, club=public, name="bot", scope="write")
    # A voting round in each club, open, over its paper (papers.voting).
    rounds = [
        RoundCandidateFactory(round=VotingRoundFactory(club=club), nomination=candidate).round
        for club, candidate in ((private, nomination), (public, public_nomination))
    ]
    places = [
        {
            "slug": "okapi",
            "nomination_id": nomination.pk,
            "session_id": week.pk,
            "round_id": rounds[0].pk,
        },
        {
            "slug": "open-club",
            "nomination_id": public_nomination.pk,
            "session_id": public_week.pk,
            "round_id": rounds[1].pk,
        },
    ]
    return member_secret, outsider_secret, places


def _operations(app):
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", app)
    return [result.ok() for result in schema.get_all_operations()]


def _cases(operation, places):
    """Cases whose path names one of the two clubs and its real rows."""
    names = {p.name for p in operation.path_parameters}

    def for_place(place):
        fixed = {name: value for name, value in place.items() if name in names}
        return st.one_of(
            operation.as_strategy(GenerationMode.POSITIVE, path_parameters=fixed),
            operation.as_strategy(GenerationMode.NEGATIVE, path_parameters=fixed),
        )

    return st.sampled_from(places).flatmap(for_place) if names else for_place({})


def _exercise(operation, places, who: str, secret: str) -> None:
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=_cases(operation, places))
    def run(case):
        response = case.call(headers={"Authorization": f"Bearer {secret}"})
        case.validate_response(response, checks=CHECKS)
        if who == "outsider":
            leaked = [key for key, text in PLANTED.items() if text in response.text]
            assert leaked == [], f"{operation.label} told an outsider {leaked}"

    run()


@pytest.mark.django_db
def test_every_operation_keeps_to_the_schema_and_the_private_club(wsgi_app, planted):
    member_secret, outsider_secret, places = planted
    operations = _operations(wsgi_app)
    assert len(operations) == 20
    failures = []
    for operation in operations:
        for who, secret in (("member", member_secret), ("outsider", outsider_secret)):
            try:
                _exercise(operation, places, who, secret)
            except Exception as failure:  # every operation's outcome is reported
                failures.append(f"{operation.label} as the {who}: {failure}")
    assert failures == []


@pytest.mark.django_db
def test_stateful_runs_follow_the_schemas_links_as_a_member(wsgi_app, planted):
    """Schemathesis's state machine over the schema: sequences of calls in the
    member's private club, where the schema's links (propose, then read or vote
    on it; list the weeks, then RSVP or ask; ask, then list the questions) let
    an answer's ids feed the next call. Each answer keeps to the schema, none is
    a 5xx. (It found that a malformed id under /api/ got the site's HTML 404.)"""
    member_secret, _outsider_secret, places = planted
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", wsgi_app)
    followed = []

    class MemberWorkflow(schema.as_state_machine()):
        def before_call(self, case):
            if "slug" in (case.path_parameters or {}):
                case.path_parameters["slug"] = places[0]["slug"]

        def get_call_kwargs(self, case):
            return {"headers": {"Authorization": f"Bearer {member_secret}"}}

        def after_call(self, response, case):
            followed.append((case.operation.label, response.status_code))

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, checks=CHECKS)

    MemberWorkflow.run(
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=6,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
    )
    assert len(followed) >= EXAMPLES
    # The links were followed: some call used an id an earlier answer gave.
    assert any(code < 400 for _, code in followed)
