"""An organizer sets the schedule; a member claims next week and picks the
top-voted paper; another member RSVPs; the club home shows all of it."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from papers import services as papers_services
from sessions.models import Rsvp, Session
from tests.browser.conftest import screenshot, sign_in
from tests.factories import ClubFactory, MembershipFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_schedule_claim_pick_rsvp_and_club_home(new_page):
    club = ClubFactory(slug="tuesday-club", name="Tuesday Club", time_zone="Europe/London")
    organizer = MembershipFactory(club=club, role="organizer").user
    volunteer = MembershipFactory(club=club).user
    attendee = MembershipFactory(club=club).user
    low = papers_services.papers_propose(club=club, user=organizer, text="1706.03762").added[0]
    top = papers_services.paper_propose_by_link(
        club=club, user=volunteer, title="The Most Wanted Paper", url="https://example.org/p"
    )[0]
    papers_services.nomination_vote_toggle(nomination=top, user=attendee)
    top.refresh_from_db()
    assert (low.vote_count, top.vote_count) == (1, 2)

    london_today = timezone.localtime(timezone.now(), club.tzinfo).date()
    first = london_today + timedelta(days=1)

    page = new_page()
    sign_in(page, organizer.email)
    page.goto("/c/tuesday-club/schedule/")
    page.get_by_label("Day of the week").select_option(str(first.weekday()))
    page.get_by_label("Start time").fill("18:30")
    page.get_by_label("First date").fill(first.isoformat())
    page.get_by_label("Default meeting link").fill("https://meet.example.com/tuesday")
    page.get_by_role("button", name="Set the schedule").click()
    page.wait_for_load_state()
    sessions = list(Session.objects.filter(club=club).order_by("starts_at"))
    assert len(sessions) >= 8
    next_week = sessions[0]
    local = timezone.localtime(next_week.starts_at, club.tzinfo)
    assert (local.date(), local.hour, local.minute) == (first, 18, 30)

    member_page = new_page(width=375, height=800)
    sign_in(member_page, volunteer.email)
    member_page.goto("/c/tuesday-club/")
    member_page.get_by_role("button", name=re.compile("I'll facilitate")).first.click()
    member_page.wait_for_load_state()
    next_week.refresh_from_db()
    assert (next_week.state, next_week.facilitator_id) == ("scheduled", volunteer.pk)
    member_page.goto(f"/c/tuesday-club/sessions/{next_week.pk}/")
    # The top-voted paper is offered first.
    first_candidate = member_page.locator(".candidate__title").first
    assert first_candidate.inner_text() == "The Most Wanted Paper"
    member_page.locator(f"#pick-{top.pk}").check()
    member_page.get_by_role("button", name="Save papers").click()
    member_page.wait_for_load_state()
    top.refresh_from_db()
    assert top.state == "scheduled"

    other = new_page()
    sign_in(other, attendee.email)
    other.goto("/c/tuesday-club/")
    other.evaluate("window.__notReloaded = true")
    other.get_by_role("button", name=re.compile("^Going")).first.click()
    other.locator('button.rsvp__choice[aria-pressed="true"]').first.wait_for()
    assert Rsvp.objects.get(session=next_week, user=attendee).answer == "going"

    other.goto("/c/tuesday-club/")
    home = other.locator("#next-session-title").locator("xpath=../..")
    text = home.inner_text()
    assert "The Most Wanted Paper" in text
    assert "18:30" in text
    assert volunteer.profile.name in text
    assert "Going" in text
    screenshot(other, "sessions-club-home-after-claim")
    screenshot(member_page, "sessions-session-phone")
    for p in (page, member_page, other):
        assert p.csp_violations == []


@pytest.mark.parametrize("javascript", [True, False], ids=["htmx", "no-js"])
def test_rsvp_going_offers_the_week_to_calendars(new_page, javascript):
    club = ClubFactory(slug="rsvp-club", name="RSVP Club")
    facilitator = MembershipFactory(club=club).user
    attendee = MembershipFactory(club=club).user
    starts = timezone.now() + timedelta(days=3)
    session = Session.objects.create(
        club=club,
        starts_at=starts,
        ends_at=starts + timedelta(hours=1),
        state="scheduled",
        facilitator=facilitator,
    )
    page = new_page(javascript=javascript, width=375, height=800)
    sign_in(page, attendee.email)
    page.goto(f"/c/rsvp-club/sessions/{session.pk}/")
    page.get_by_role("button", name=re.compile("^Going")).click()
    prompt = page.locator(f"#calendar-prompt-{session.pk}")
    prompt.wait_for()
    assert (
        prompt.get_by_role("link", name="Google Calendar")
        .get_attribute("href")
        .startswith("https://calendar.google.com/calendar/render?action=TEMPLATE")
    )
    assert (
        prompt.get_by_role("link", name="Apple Calendar")
        .get_attribute("href")
        .startswith("webcal://")
    )
    ics = prompt.get_by_role("link", name="Download .ics").get_attribute("href")
    assert ics == f"/c/rsvp-club/sessions/{session.pk}.ics"
    assert Rsvp.objects.get(session=session, user=attendee).answer == "going"
    screenshot(page, f"rsvp-calendar-prompt-{'js' if javascript else 'nojs'}")
