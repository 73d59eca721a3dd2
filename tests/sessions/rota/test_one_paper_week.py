"""A one-paper week holds one paper (issue 13: it accepted two); choosing more
offers to make it a survey week, and nothing is saved until the person says so."""

from datetime import timedelta

import pytest
from django.urls import reverse

from papers.models import Nomination, Paper
from sessions.errors import OnePaperWeek, SessionError
from sessions.models import Session, SessionPaper
from sessions.rota.facilitators import session_papers_set
from sessions.rota.weeks import SessionDetails, session_details_update
from tests.factories import MembershipFactory, session_at

pytestmark = pytest.mark.django_db


@pytest.fixture
def week(club, member):
    return session_at(club, starts_in=timedelta(days=3), facilitator=member)


def _nomination(club, title: str) -> Nomination:
    paper = Paper.objects.create(club=club, title=title, metadata_state="ready")
    return Nomination.objects.create(club=club, paper=paper)


def _url(name: str, session: Session) -> str:
    return reverse(f"sessions:{name}", args=[session.club.slug, session.pk])


def _chosen(session: Session) -> list[int]:
    return list(
        SessionPaper.objects.filter(session=session)
        .order_by("position")
        .values_list("nomination_id", flat=True)
    )


def test_two_papers_for_a_one_paper_week_are_not_saved_but_offered_a_survey(
    client, club, member, week
):
    first, second = _nomination(club, "First paper"), _nomination(club, "Second paper")
    client.force_login(member)

    response = client.post(_url("papers", week), {"nomination": [first.pk, second.pk]})

    assert response.status_code == 200
    assert _chosen(week) == []
    assert [n.state for n in Nomination.objects.filter(pk__in=[first.pk, second.pk])] == [
        Nomination.State.PROPOSED
    ] * 2
    week.refresh_from_db()
    assert week.format == Session.Format.SINGLE
    body = response.content.decode()
    assert "This week reads one paper and 2 are chosen" in body
    assert "Make it a survey week with these 2 papers" in body
    assert body.count('name="make_survey" value="1"') == 1
    # Both boxes stay ticked, so choosing one is one click away.
    assert f'value="{first.pk}" id="pick-{first.pk}" checked' in body
    assert f'value="{second.pk}" id="pick-{second.pk}" checked' in body


def test_accepting_the_offer_makes_it_a_survey_week_with_both(client, club, member, week):
    first, second = _nomination(club, "First paper"), _nomination(club, "Second paper")
    client.force_login(member)

    response = client.post(
        _url("papers", week),
        {"nomination": [second.pk, first.pk], f"minutes-{second.pk}": "25", "make_survey": "1"},
        follow=True,
    )

    assert [str(m) for m in response.context["messages"]] == [
        "Saved: 2 papers for this session. It is a survey week now: "
        "give each paper its minutes if you like."
    ]
    week.refresh_from_db()
    assert week.format == Session.Format.SURVEY
    assert list(
        SessionPaper.objects.filter(session=week).values_list("nomination_id", "minutes")
    ) == [(second.pk, 25), (first.pk, None)]
    assert week.change_count == 1


def test_one_paper_in_a_one_paper_week_is_saved_as_before(client, club, member, week):
    only = _nomination(club, "Only paper")
    client.force_login(member)
    response = client.post(_url("papers", week), {"nomination": [only.pk]}, follow=True)
    assert [str(m) for m in response.context["messages"]] == ["Saved: 1 paper for this session."]
    assert _chosen(week) == [only.pk]


def test_the_service_refuses_several_papers_for_a_one_paper_week(club, member, week):
    first, second = _nomination(club, "A"), _nomination(club, "B")
    with pytest.raises(OnePaperWeek) as raised:
        session_papers_set(session=week, by=member, picks=[(first.pk, None), (second.pk, None)])
    assert raised.value.count == 2
    assert _chosen(week) == []


@pytest.mark.parametrize("format", [Session.Format.SURVEY, Session.Format.GUEST])
def test_survey_and_guest_weeks_take_several(club, member, week, format):
    Session.objects.filter(pk=week.pk).update(format=format)
    first, second = _nomination(club, "A"), _nomination(club, "B")
    session_papers_set(session=week, by=member, picks=[(first.pk, None), (second.pk, None)])
    assert _chosen(week) == [first.pk, second.pk]


def _details(week, format: str) -> SessionDetails:
    return SessionDetails(
        title="",
        format=format,
        notes="",
        meeting_link="",
        location="",
        slides_url="",
        recording_url="",
        co_facilitator_id=None,
    )


def test_a_survey_week_with_two_papers_cannot_become_a_one_paper_week(club, member, week):
    Session.objects.filter(pk=week.pk).update(format=Session.Format.SURVEY)
    first, second = _nomination(club, "A"), _nomination(club, "B")
    session_papers_set(session=week, by=member, picks=[(first.pk, None), (second.pk, None)])
    with pytest.raises(SessionError) as raised:
        session_details_update(session=week, by=member, details=_details(week, "single"))
    assert str(raised.value) == (
        "This week reads 2 papers: choose one before making it a one-paper week."
    )
    week.refresh_from_db()
    assert week.format == Session.Format.SURVEY


def test_a_survey_week_with_one_paper_can_become_a_one_paper_week(club, member, week):
    Session.objects.filter(pk=week.pk).update(format=Session.Format.SURVEY)
    only = _nomination(club, "A")
    session_papers_set(session=week, by=member, picks=[(only.pk, None)])
    session_details_update(session=week, by=member, details=_details(week, "single"))
    week.refresh_from_db()
    assert week.format == Session.Format.SINGLE


def test_an_organizer_gets_the_same_offer(client, club, week):
    organizer = MembershipFactory(club=club, role="organizer").user
    first, second = _nomination(club, "A"), _nomination(club, "B")
    client.force_login(organizer)
    response = client.post(_url("papers", week), {"nomination": [first.pk, second.pk]})
    assert response.status_code == 200
    assert "Make it a survey week" in response.content.decode()
