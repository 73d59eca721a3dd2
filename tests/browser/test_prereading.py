"""A member marks "read" and asks a question; the facilitator's dashboard, open in
another browser, shows both, and picks up a later question on its own."""

from datetime import timedelta

import pytest
from django.utils import timezone

from papers.models import Nomination, Paper
from sessions.models import PreRead, Question, Rsvp, Session, SessionPaper
from tests.browser.conftest import screenshot, sign_in
from tests.factories import ClubFactory, MembershipFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FIRST_QUESTION = "Why does the router collapse without the auxiliary loss?"
SECOND_QUESTION = "Would the results hold with eight experts instead of sixty-four?"


def _person(club, name: str, role: str = "member"):
    user = UserFactory(profile__display_name=name)
    MembershipFactory(club=club, user=user, role=role)
    return user


def _ask(page, text: str) -> None:
    page.get_by_label("Your question for the facilitator").fill(text)
    page.get_by_role("button", name="Ask", exact=True).click()
    page.get_by_text("Question sent to the facilitator.").wait_for()


def test_member_reads_and_asks_and_the_facilitator_dashboard_shows_it(new_page):
    club = ClubFactory(slug="moe-club", name="Mixture of Experts Club")
    _person(club, "Olga Organizer", role="organizer")
    facilitator = _person(club, "Fran Facilitator")
    member = _person(club, "Mara Member")
    paper = Paper.objects.create(
        club=club,
        arxiv_id="2401.04088",
        title="Mixtral of Experts",
        authors=["Albert Q. Jiang", "Alexandre Sablayrolles"],
        metadata_state=Paper.MetadataState.READY,
        page_count=14,
    )
    starts = timezone.now() + timedelta(days=2)
    session = Session.objects.create(
        club=club,
        starts_at=starts,
        ends_at=starts + timedelta(hours=1),
        state=Session.State.SCHEDULED,
        facilitator=facilitator,
    )
    SessionPaper.objects.create(
        session=session, nomination=Nomination.objects.create(club=club, paper=paper)
    )
    for user in (facilitator, member):
        Rsvp.objects.create(session=session, user=user, answer=Rsvp.Answer.GOING)
    session_url = f"/c/moe-club/sessions/{session.pk}/"
    dashboard_url = f"{session_url}dashboard/"

    # The member, on a phone: one tap marks the second pass, swapped in place by htmx.
    phone = new_page(width=375, height=812)
    sign_in(phone, member.email)
    phone.goto(session_url)
    read = phone.get_by_role("button", name="Read (second pass)")
    assert read.get_attribute("aria-pressed") == "false"
    assert phone.get_by_role("button", name="Not started").get_attribute("aria-pressed") == "true"
    phone.evaluate("window.__notReloaded = true")
    read.click()
    phone.locator('.preread__choice[aria-pressed="true"]', has_text="Read (second pass)").wait_for()
    assert phone.evaluate("window.__notReloaded") is True
    assert phone.get_by_role("button", name="Not started").get_attribute("aria-pressed") == "false"
    assert phone.locator(".preread__counts li").all_inner_texts() == [
        "1 not started",
        "0 skimmed (first pass)",
        "1 read (second pass)",
        "0 deep-read (third pass)",
    ]
    assert PreRead.objects.get(session=session, user=member).level == PreRead.Level.READ

    _ask(phone, FIRST_QUESTION)
    assert phone.locator(".question__text").all_inner_texts() == [FIRST_QUESTION]
    screenshot(phone, "prereading-session-member-phone")

    # The facilitator, in another browser, opens the dashboard after that.
    desk = new_page(width=1280, height=900)
    sign_in(desk, facilitator.email)
    desk.goto(dashboard_url)
    levels = desk.locator("#dashboard-body .preread__counts li")
    assert levels.all_inner_texts() == [
        "1 not started",
        "0 skimmed (first pass)",
        "1 read (second pass)",
        "0 deep-read (third pass)",
    ]
    questions = desk.locator("#dashboard-body .question__text")
    assert questions.all_inner_texts() == [FIRST_QUESTION]
    assert "Mixtral of Experts" in desk.locator(".page-head__meta").inner_text()
    screenshot(desk, "prereading-dashboard")

    # A second question: the open dashboard polls every 20 s and shows it, no reload,
    # and the roster the facilitator opened stays open.
    desk.get_by_text("Who read what").click()
    assert desk.locator("#dashboard-who-read").get_attribute("open") == ""
    desk.evaluate("window.__notReloaded = true")
    phone.get_by_label("Ask anonymously").check()
    _ask(phone, SECOND_QUESTION)
    desk.locator("#dashboard-body .question__text", has_text=SECOND_QUESTION).wait_for(
        timeout=25_000
    )
    assert desk.evaluate("window.__notReloaded") is True
    assert desk.url.endswith(dashboard_url)
    assert questions.all_inner_texts() == [FIRST_QUESTION, SECOND_QUESTION]
    assert desk.locator("#dashboard-who-read").get_attribute("open") == ""
    # The facilitator is no organizer: the anonymous asker stays anonymous.
    second = desk.locator("#dashboard-body .question", has_text=SECOND_QUESTION)
    assert second.locator(".small").inner_text() == "0 votes · Anonymous"
    assert Question.objects.filter(session=session, author=member).count() == 2
    screenshot(desk, "prereading-dashboard-after-poll")

    desk.set_viewport_size({"width": 375, "height": 812})
    screenshot(desk, "prereading-dashboard-phone")
    desk.goto(session_url)
    desk.set_viewport_size({"width": 1280, "height": 900})
    screenshot(desk, "prereading-session-facilitator-desktop")
    assert phone.csp_violations == []
    assert desk.csp_violations == []
