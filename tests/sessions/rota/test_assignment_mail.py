"""An organizer's assignment tells the facilitator, with a way to step back that
asks first (a GET never changes anything) and works without JavaScript."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse

from clubs.models import OutboxMessage
from clubs.outbox.sending import outbox_flush
from sessions.models import MailPreferences, Session
from sessions.rota.facilitators import session_assign, session_claim
from tests.factories import ClubFactory, MembershipFactory, session_at

pytestmark = pytest.mark.django_db


@pytest.fixture
def week(db):
    club = ClubFactory(name="Attention Club")
    organizer = MembershipFactory(club=club, role="organizer").user
    person = MembershipFactory(club=club).user
    session = session_at(club, starts_in=timedelta(days=6), state="open")
    return club, organizer, person, session


def _assign(session, organizer, person, capture):
    with capture(execute=True):
        return session_assign(session=session, by=organizer, facilitator=person)


def test_assignment_mails_the_facilitator_with_session_and_step_back_links(
    week, django_capture_on_commit_callbacks
):
    club, organizer, person, session = week

    _assign(session, organizer, person, django_capture_on_commit_callbacks)

    assert [m.to for m in mail.outbox] == [[person.email]]
    message = mail.outbox[0]
    assert message.subject.startswith("Will you facilitate Attention Club, ")
    assert "The organizers of Attention Club asked you to facilitate the session in " in (
        message.body
    )
    step_back = f"http://testserver/c/{club.slug}/sessions/{session.pk}/step-back/"
    assert f"Can't do it? Step back: {step_back}" in message.body
    html = message.alternatives[0][0]
    assert f'<a href="{step_back}">Step back from facilitating</a>' in html
    assert OutboxMessage.objects.get(kind="sessions.assigned").recipient == person


def test_assignment_to_oneself_or_a_claim_sends_no_assignment(
    week, django_capture_on_commit_callbacks
):
    club, organizer, person, session = week
    other = session_at(club, starts_in=timedelta(days=13), state="open")

    _assign(session, organizer, organizer, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        session_claim(session=other, user=person)

    assert not OutboxMessage.objects.filter(kind="sessions.assigned").exists()
    assert mail.outbox == []


def test_assignment_is_not_sent_when_the_week_changed_hands_before_sending(week):
    club, organizer, person, session = week
    session_assign(session=session, by=organizer, facilitator=person)
    someone_else = MembershipFactory(club=club).user
    session_assign(session=session, by=organizer, facilitator=someone_else)

    outbox_flush()  # the worker's run, after both changes

    assert [m.to for m in mail.outbox if "facilitate" in m.subject] == [[someone_else.email]]
    first = OutboxMessage.objects.get(kind="sessions.assigned", recipient=person)
    assert first.state == "skipped"


def test_assignment_respects_no_email(week, django_capture_on_commit_callbacks):
    _club, organizer, person, session = week
    MailPreferences.objects.create(user=person, no_email=True)

    _assign(session, organizer, person, django_capture_on_commit_callbacks)

    assert mail.outbox == []


def test_step_back_link_asks_first_then_steps_back_on_post(
    client, week, django_capture_on_commit_callbacks
):
    club, organizer, person, session = week
    _assign(session, organizer, person, django_capture_on_commit_callbacks)
    url = re.search(r"Step back: http://testserver(\S+)", mail.outbox[0].body).group(1)
    client.force_login(person)

    page = client.get(url)

    assert page.status_code == 200
    body = page.content.decode()
    assert "<h1>Step back from facilitating?</h1>" in body
    assert '<button type="submit" class="button--danger">Yes, step back</button>' in body
    session.refresh_from_db()
    assert session.facilitator == person  # a GET (a mail scanner, say) changes nothing

    done = client.post(url)

    assert done.status_code == 302
    assert done["Location"] == reverse("sessions:session", args=[club.slug, session.pk])
    session.refresh_from_db()
    assert (session.state, session.facilitator) == (Session.State.OPEN, None)


def test_step_back_page_for_someone_not_facilitating_offers_nothing(client, week):
    club, organizer, person, session = week
    session_assign(session=session, by=organizer, facilitator=person)
    other = MembershipFactory(club=club).user
    client.force_login(other)
    url = reverse("sessions:step_back", args=[club.slug, session.pk])

    body = client.get(url).content.decode()
    refused = client.post(url, follow=True)

    assert "You are not facilitating this week" in body
    assert "Yes, step back" not in body
    assert "You are not facilitating an upcoming week here." in refused.content.decode()
    session.refresh_from_db()
    assert session.facilitator == person
