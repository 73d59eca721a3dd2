"""Every API URL, for every kind of caller, in a public and a private club: the
site's permission matrix (tests/clubs/test_permissions.py) for the API, on the
same planted scene. Refusals write nothing and leak none of the planted data."""

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

import api.urls
from tests.clubs.test_permissions import (  # noqa: F401 - scene is the fixture
    ROLES,
    SECRET_LINK,
    SECRET_MEMBER,
    SECRET_NAME,
    SECRET_NOTE,
    SECRET_PITCH,
    SECRET_TOKEN,
    scene,
)
from tests.unchanged import unchanged

OK = [200] * 5
MEMBERS = [401, 403, 403, 200, 200]
# (url name, method) -> (body, outcome per role) in a PUBLIC club.
PUBLIC = {
    ("api:clubs", "get"): (None, OK),
    ("api:club", "get"): (None, OK),
    ("api:members", "get"): (None, MEMBERS),
    ("api:backlog", "get"): (None, OK),
    ("api:backlog", "post"): ({"arxiv_id": "2106.09685"}, [401, 403, 403, 201, 201]),
    ("api:nomination", "get"): (None, OK),
    ("api:vote", "put"): ({"voted": True}, MEMBERS),
    # Voting rounds: counts only in a closed round's `result` (see below).
    ("api:rounds", "get"): (None, OK),
    ("api:round", "get"): (None, OK),
    ("api:ballot", "put"): ({"marks": {}}, MEMBERS),
    ("api:sessions", "get"): (None, OK),
    ("api:session", "get"): (None, OK),
    ("api:rsvp", "put"): ({"answer": "maybe"}, MEMBERS),
    ("api:preread", "get"): (None, MEMBERS),
    ("api:preread", "put"): ({"level": 0}, MEMBERS),
    ("api:questions", "get"): (None, OK),
    ("api:questions", "post"): ({"text": "And the baselines?"}, [401, 403, 403, 201, 201]),
    ("api:archive", "get"): (None, OK),
    ("api:my_rsvps", "get"): (None, [401, 200, 200, 200, 200]),
    ("api:my_prereads", "get"): (None, [401, 200, 200, 200, 200]),
    ("api:schema", "get"): (None, OK),
    ("api:docs", "get"): (None, OK),
}
NOT_ABOUT_A_CLUB = {"api:clubs", "api:my_rsvps", "api:my_prereads", "api:schema", "api:docs"}
ABOUT_A_WEEK = {"api:sessions", "api:session", "api:questions", "api:archive", "api:rsvp"}
PRIVATE = {
    key: (body, outcomes if key[0] in NOT_ABOUT_A_CLUB else [404, 404, *outcomes[2:]])
    for key, (body, outcomes) in PUBLIC.items()
}


def _url(name, club, nomination, session):
    if name in NOT_ABOUT_A_CLUB:
        return reverse(name)
    if name in ("api:nomination", "api:vote"):
        return reverse(name, args=[club.slug, nomination.pk])
    if name in ("api:session", "api:rsvp", "api:preread", "api:questions"):
        return reverse(name, args=[club.slug, session.pk])
    if name in ("api:round", "api:ballot"):
        return reverse(name, args=[club.slug, session.voting_round.pk])
    return reverse(name, args=[club.slug])


def _call(client, scene, name, method, body, expected):  # noqa: F811 - the scene's rows
    club, _people, _hidden, _requester, _invitation, nomination, session = scene
    url = _url(name, club, nomination, session)
    send = getattr(client, method)
    if expected in (401, 403, 404):
        with unchanged():  # a refusal writes nothing
            response = send(url, body, format="json") if body else send(url)
    else:
        response = send(url, body, format="json") if body else send(url)
    return response.status_code, response.content.decode()


def _leaks(visibility, role, name, code, text) -> list[str]:
    secrets = [SECRET_NOTE, SECRET_TOKEN]  # never, to anyone
    if visibility == "private" and role in ("anonymous", "outsider"):
        secrets += [SECRET_NAME, SECRET_MEMBER, SECRET_PITCH, SECRET_LINK]
    if code >= 400:
        secrets += [SECRET_MEMBER, SECRET_PITCH, SECRET_LINK]
    if role in ("anonymous", "outsider", "pending"):
        # The meeting link is for members; so is who goes and who asked anonymously
        # (the backlog names a paper's proposer to anyone, as the site does).
        secrets.append(SECRET_LINK)
        if name in ABOUT_A_WEEK:
            secrets.append(SECRET_MEMBER)
    return sorted({secret for secret in secrets if secret in text})


# One scene per caller and club (the scene is costly): every URL in turn.
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("visibility", ["public", "private"])
def test_api_outcome_and_leaks_for_every_url(scene, visibility, role):  # noqa: F811 - the fixture
    club, people = scene[0], scene[1]
    if visibility == "private":
        type(club).objects.filter(pk=club.pk).update(visibility="private", join_policy="invite")
    matrix = PRIVATE if visibility == "private" else PUBLIC
    client = APIClient()
    if role != "anonymous":
        client.force_login(people[role])
    wrong = []
    for (name, method), (body, outcomes) in sorted(matrix.items()):
        expected = outcomes[ROLES.index(role)]
        code, text = _call(client, scene, name, method, body, expected)
        if code != expected:
            wrong.append((name, method, code, expected, text[:200]))
        if leaked := _leaks(visibility, role, name, code, text):
            wrong.append((name, method, "leaks", leaked))
    assert wrong == []


def test_the_matrix_covers_every_api_url():
    routed = {(f"api:{p.name}") for p in api.urls.urlpatterns} - {"api:not_found"}
    assert routed == {name for name, _ in PUBLIC}


def test_every_documented_operation_is_in_the_matrix(client):
    schema = json.loads(client.get(reverse("api:schema") + "?format=json").content)
    documented = {
        (path, method) for path, operations in schema["paths"].items() for method in operations
    }
    assert len(documented) == len(
        [key for key in PUBLIC if key[0] not in ("api:schema", "api:docs")]
    )


@pytest.mark.parametrize("role", ROLES)
def test_the_api_shows_no_count_of_an_open_round(scene, role):  # noqa: F811 - the fixture
    """Nobody, organizers included, reads a count before the deadline; after it
    the same answers carry the result."""
    club, people, *_, session = scene
    client = APIClient()
    if role != "anonymous":
        client.force_login(people[role])
    detail = reverse("api:round", args=[club.slug, session.voting_round.pk])
    listed = reverse("api:rounds", args=[club.slug])
    assert client.get(detail).json()["result"] is None
    assert [r["result"] for r in client.get(listed).json()] == [None]
    for text in (client.get(detail).content.decode(), client.get(listed).content.decode()):
        assert '"total"' not in text
        assert '"ballots"' not in text
    past = timezone.now() - timedelta(minutes=1)
    type(session.voting_round).objects.filter(pk=session.voting_round.pk).update(
        created_at=past - timedelta(days=1), closes_at=past
    )
    result = client.get(detail).json()["result"]
    assert result["ballots"] == 1
    assert [(c["total"], c["winner"]) for c in result["counts"]] == [(1, True)]
