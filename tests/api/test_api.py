"""The REST API: reads, writes, tokens and their faults (issue 18)."""

import json
import time
from datetime import timedelta

import pytest
from django.test import override_settings
from django.urls import reverse

from api.models import PersonalToken
from api.tokens import token_revoke
from papers.models import Nomination, Vote
from sessions.models import PreRead, Question, Rsvp
from tests.api.conftest import bearer
from tests.factories import (
    ClubFactory,
    MembershipFactory,
    NominationFactory,
    SessionPaperFactory,
    VoteFactory,
    session_at,
)
from tests.unchanged import unchanged


@pytest.fixture
def week(club):
    session = session_at(
        club, starts_in=timedelta(days=2), state="open", meeting_link="https://meet.example.com/x"
    )
    SessionPaperFactory(session=session, nomination=NominationFactory(club=club))
    return session


def _backlog(club):
    return reverse("api:backlog", args=[club.slug])


def test_backlog_lists_votes_and_the_callers_own_vote(api, club, member, make_token):
    top = NominationFactory(club=club, vote_count=2)
    other = NominationFactory(club=club, vote_count=1)
    VoteFactory(nomination=top, user=member)
    response = api.get(_backlog(club), **bearer(make_token(member, club, "read")))
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [(r["id"], r["vote_count"], r["voted"]) for r in rows] == [
        (top.pk, 2, True),
        (other.pk, 1, False),
    ]
    assert rows[0]["paper"]["title"] == top.paper.title


def test_backlog_cursor_pages_walk_every_row_once(api, club):
    made = [NominationFactory(club=club).pk for _ in range(5)]
    seen, url = [], _backlog(club) + "?sort=new&page_size=2"
    while url:
        page = api.get(url).json()
        seen += [row["id"] for row in page["results"]]
        url = page["next"]
    assert seen == list(reversed(made))


def test_backlog_filters_as_the_site_does(api, club):
    NominationFactory(club=club)
    covered = NominationFactory(club=club, state=Nomination.State.COVERED)
    response = api.get(_backlog(club) + "?state=covered")
    assert [row["id"] for row in response.json()["results"]] == [covered.pk]


def test_reads_carry_an_etag_and_answer_304_when_unchanged(api, club):
    NominationFactory(club=club)
    first = api.get(_backlog(club))
    etag = first["ETag"]
    assert api.get(_backlog(club), HTTP_IF_NONE_MATCH=etag).status_code == 304
    NominationFactory(club=club)
    assert api.get(_backlog(club), HTTP_IF_NONE_MATCH=etag).status_code == 200
    assert "Authorization" in first["Vary"]


def test_a_bot_votes_with_a_members_token_once(api, club, member, make_token):
    nomination = NominationFactory(club=club)
    url = reverse("api:vote", args=[club.slug, nomination.pk])
    headers = bearer(make_token(member, club))
    for _ in range(2):  # the same answer twice is one vote
        response = api.put(url, {"voted": True}, format="json", **headers)
        assert response.json() == {"voted": True, "vote_count": 1}
    assert Vote.objects.filter(nomination=nomination, user=member).count() == 1
    response = api.put(url, {"voted": False}, format="json", **headers)
    assert response.json() == {"voted": False, "vote_count": 0}
    assert not Vote.objects.filter(nomination=nomination).exists()


def test_a_read_only_token_voting_is_403_and_nothing_changes(api, club, member, make_token):
    nomination = NominationFactory(club=club)
    url = reverse("api:vote", args=[club.slug, nomination.pk])
    with unchanged():
        response = api.put(
            url, {"voted": True}, format="json", **bearer(make_token(member, club, "read"))
        )
    assert response.status_code == 403
    assert "only read" in response.json()["detail"]


@pytest.mark.parametrize("secret", ["pc_wrong", "not-even-ours", ""])
def test_a_wrong_token_is_401_and_nothing_changes(api, club, member, secret):
    nomination = NominationFactory(club=club)
    url = reverse("api:vote", args=[club.slug, nomination.pk])
    with unchanged():
        response = api.put(
            url, {"voted": True}, format="json", HTTP_AUTHORIZATION=f"Bearer {secret}"
        )
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_a_revoked_token_is_401_from_then_on(api, club, member, make_token):
    secret = make_token(member, club)
    assert api.get(reverse("api:my_rsvps"), **bearer(secret)).status_code == 200
    token_revoke(user=member, token_id=PersonalToken.objects.get(user=member).pk)
    nomination = NominationFactory(club=club)
    with unchanged():
        response = api.put(
            reverse("api:vote", args=[club.slug, nomination.pk]),
            {"voted": True},
            format="json",
            **bearer(secret),
        )
    assert response.status_code == 401


def test_token_records_when_it_was_last_used(api, club, member, make_token):
    secret = make_token(member, club, "read")
    assert PersonalToken.objects.get().last_used_at is None
    api.get(_backlog(club), **bearer(secret))
    assert PersonalToken.objects.get().last_used_at is not None


@override_settings(PAPERCLUB_RATE_LIMITS={"api": "3/h"})
def test_a_token_past_its_rate_is_429_with_retry_after(api, club, member, make_token):
    # The window is a clock hour; four requests must fall inside one, so a run
    # that starts in the last seconds of an hour waits for the next one (CI once
    # crossed a minute's turn between the 4th and a 5th request).
    left = 3600 - time.time() % 3600
    if left < 10:
        time.sleep(left + 0.1)
    headers = bearer(make_token(member, club, "read"))
    responses = [api.get(_backlog(club), **headers) for _ in range(4)]
    assert [r.status_code for r in responses] == [200, 200, 200, 429]
    assert 0 < int(responses[-1]["Retry-After"]) <= 3601
    # Another token of the same person has its own count.
    assert (
        api.get(_backlog(club), **bearer(make_token(member, club, "read", "two"))).status_code
        == 200
    )


def test_a_token_for_another_club_has_no_standing_there(api, club, member, make_token):
    elsewhere = ClubFactory(visibility="private", join_policy="invite")
    MembershipFactory(club=elsewhere, user=member)
    secret = make_token(member, club, "write")
    assert api.get(reverse("api:club", args=[elsewhere.slug]), **bearer(secret)).status_code == 404
    public = ClubFactory()
    MembershipFactory(club=public, user=member)
    nomination = NominationFactory(club=public)
    with unchanged():
        response = api.put(
            reverse("api:vote", args=[public.slug, nomination.pk]),
            {"voted": True},
            format="json",
            **bearer(secret),
        )
    assert response.status_code == 403


def test_malformed_json_is_400_and_nothing_changes(api, club, member, make_token):
    nomination = NominationFactory(club=club)
    with unchanged():
        response = api.generic(
            "PUT",
            reverse("api:vote", args=[club.slug, nomination.pk]),
            '{"voted": tru',
            content_type="application/json",
            **bearer(make_token(member, club)),
        )
    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]


def test_an_unknown_field_is_400_naming_it(api, club, member, make_token, week):
    with unchanged():
        response = api.put(
            reverse("api:rsvp", args=[club.slug, week.pk]),
            {"answer": "going", "plus_one": True},
            format="json",
            **bearer(make_token(member, club)),
        )
    assert response.status_code == 400
    assert response.json() == {"plus_one": ["Unknown field."]}


def test_a_bad_value_is_400_naming_the_field(api, club, member, make_token, week):
    response = api.put(
        reverse("api:rsvp", args=[club.slug, week.pk]),
        {"answer": "perhaps"},
        format="json",
        **bearer(make_token(member, club)),
    )
    assert response.status_code == 400
    assert list(response.json()) == ["answer"]


def test_a_bot_rsvps_marks_a_preread_and_asks(api, club, member, make_token, week):
    headers = bearer(make_token(member, club))
    rsvp = api.put(
        reverse("api:rsvp", args=[club.slug, week.pk]),
        {"answer": "going"},
        format="json",
        **headers,
    )
    assert rsvp.status_code == 200
    assert Rsvp.objects.get(session=week, user=member).answer == "going"
    preread = api.put(
        reverse("api:preread", args=[club.slug, week.pk]), {"level": 2}, format="json", **headers
    )
    assert preread.json()["level"] == 2
    assert PreRead.objects.get(session=week, user=member).level == 2
    asked = api.post(
        reverse("api:questions", args=[club.slug, week.pk]),
        {"text": "Why attention?", "anonymous": True},
        format="json",
        **headers,
    )
    assert asked.status_code == 201
    assert Question.objects.get(session=week).text == "Why attention?"
    mine = api.get(reverse("api:my_rsvps"), **headers).json()["results"]
    assert [(row["session_id"], row["answer"]) for row in mine] == [(week.pk, "going")]


def test_a_service_refusal_is_400_with_its_message(api, club, member, make_token, week):
    week.state = "cancelled"
    week.save()
    with unchanged():
        response = api.put(
            reverse("api:rsvp", args=[club.slug, week.pk]),
            {"answer": "going"},
            format="json",
            **bearer(make_token(member, club)),
        )
    assert response.status_code == 400
    assert response.json() == {"detail": "This week is cancelled."}


def test_next_week_shows_papers_and_counts_and_the_link_to_members_only(
    api, club, member, make_token, week
):
    Rsvp.objects.create(session=week, user=member, answer="going")
    anonymous = api.get(reverse("api:sessions", args=[club.slug])).json()["results"][0]
    assert anonymous["meeting_link"] is None
    assert anonymous["rsvp_counts"] == {"going": 1, "maybe": 0, "not_going": 0}
    assert anonymous["my_rsvp"] is None
    assert len(anonymous["papers"]) == 1
    mine = api.get(
        reverse("api:sessions", args=[club.slug]), **bearer(make_token(member, club, "read"))
    ).json()["results"][0]
    assert mine["meeting_link"] == "https://meet.example.com/x"
    assert mine["my_rsvp"] == "going"


def test_what_we_read_is_the_archive(api, club, organizer):
    done = session_at(club, starts_in=-timedelta(days=7), state="done", facilitator=organizer)
    session_at(club, starts_in=timedelta(days=7), state="open")
    rows = api.get(reverse("api:archive", args=[club.slug])).json()["results"]
    assert [row["id"] for row in rows] == [done.pk]


def test_propose_by_arxiv_id_adds_and_counts_the_vote(
    api, club, member, make_token, django_capture_on_commit_callbacks
):
    headers = bearer(make_token(member, club))
    with django_capture_on_commit_callbacks():  # the fetch is the worker's
        response = api.post(_backlog(club), {"arxiv_id": "1706.03762"}, format="json", **headers)
    assert response.status_code == 201
    assert response.json()["paper"]["arxiv_id"] == "1706.03762"
    assert response.json()["vote_count"] == 1
    with django_capture_on_commit_callbacks():
        again = api.post(
            _backlog(club), {"arxiv_id": "arXiv:1706.03762v2"}, format="json", **headers
        )
    assert again.status_code == 200
    assert Nomination.objects.filter(club=club).count() == 1


def test_propose_names_a_malformed_id(api, club, member, make_token):
    with unchanged():
        response = api.post(
            _backlog(club), {"arxiv_id": "17x6"}, format="json", **bearer(make_token(member, club))
        )
    assert response.status_code == 400
    assert list(response.json()) == ["arxiv_id"]


def test_schema_is_openapi_3_at_a_stable_url(client):
    response = client.get(reverse("api:schema") + "?format=json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/clubs/{slug}/backlog/{nomination_id}/vote/" in schema["paths"]
    assert schema["components"]["securitySchemes"]["PersonalToken"]["scheme"] == "bearer"


def test_docs_page_serves_its_assets_from_this_site(client):
    response = client.get(reverse("api:docs"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in body
    assert "https://" not in body.replace("https://github.com", "")


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/clubs/x/sessions/-3/questions/",
        "/api/v1/nothing/",
        "/api/v1/clubs/x/backlog/" + "9" * 30 + "/",
    ],
)
def test_an_unknown_api_url_is_a_json_404(path):
    from rest_framework.test import APIClient  # noqa: PLC0415 - one that checks CSRF

    for method in ("get", "post"):
        response = getattr(APIClient(enforce_csrf_checks=True), method)(path)
        assert response.status_code == 404
        assert response.json() == {"detail": "Not found."}
