"""A member says they'll come every week, then "not this week" for one week:
their calendar file for that week says it is cancelled (for them), and the next
week's still stands."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from sessions.models import Rsvp, Session
from tests.browser.conftest import screenshot, sign_in
from tests.factories import ClubFactory, MembershipFactory
from tests.sessions.ics import parse_everywhere

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _week(club, days, facilitator):
    starts = timezone.now() + timedelta(days=days)
    return Session.objects.create(
        club=club,
        series_date=starts.date(),
        starts_at=starts,
        ends_at=starts + timedelta(hours=1),
        state="scheduled",
        facilitator=facilitator,
        title=f"Week in {days} days",
    )


def _event(page, club, session):
    response = page.request.get(f"/c/{club.slug}/sessions/{session.pk}.ics")
    assert response.status == 200
    [event] = parse_everywhere(response.body()).walk("VEVENT")
    return event


@pytest.mark.parametrize("javascript", [True, False], ids=["htmx", "no-js"])
def test_member_opts_out_of_one_week_and_its_file_says_cancelled(new_page, javascript):
    club = ClubFactory(slug="series-club", name="Series Club")
    facilitator = MembershipFactory(club=club).user
    member = MembershipFactory(club=club).user
    first, second = _week(club, 3, facilitator), _week(club, 10, facilitator)
    page = new_page(javascript=javascript, width=375, height=800)
    sign_in(page, member.email)
    page.goto(f"/c/series-club/sessions/{first.pk}/")

    page.get_by_role("button", name="I'll come every week").click()
    page.get_by_text("You're coming every week:").wait_for()
    prompt = page.locator(f"#calendar-prompt-{first.pk}")
    assert (
        prompt.get_by_role("link", name="Apple Calendar")
        .get_attribute("href")
        .startswith("webcal://")
    )
    assert Rsvp.objects.get(session=second, user=member).answer == "going"
    screenshot(page, f"series-joined-{'js' if javascript else 'nojs'}")

    page.get_by_role("button", name=re.compile("^Not this week")).click()
    page.get_by_text("but not this one: it is out of your calendar").wait_for()
    screenshot(page, f"series-not-this-week-{'js' if javascript else 'nojs'}")

    mine = _event(page, club, first)
    assert (str(mine["STATUS"]), int(mine["SEQUENCE"])) == ("CANCELLED", 1)
    assert str(_event(page, club, second)["STATUS"]) == "CONFIRMED"
    assert Rsvp.objects.get(session=first, user=member).answer == "not_going"
