"""The facilitator takes attendance during the session: the sheet comes ticked
from "going", each tick is saved in place (htmx), and a member who checked in
on their phone shows up on it."""

from datetime import timedelta

import pytest
from django.utils import timezone

from sessions.models import Attendance, Rsvp, Session
from tests.browser.conftest import screenshot, sign_in
from tests.factories import ClubFactory, MembershipFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _person(club, name: str, role: str = "member"):
    user = UserFactory(profile__display_name=name)
    MembershipFactory(club=club, user=user, role=role)
    return user


def _present(session) -> set[str]:
    return set(
        Attendance.objects.filter(session=session).values_list(
            "user__profile__display_name", flat=True
        )
    )


def test_facilitator_takes_attendance(new_page):
    club = ClubFactory(slug="attention-club", name="Attention Club")
    facilitator = _person(club, "Fran Facilitator")
    goer = _person(club, "Gus Goer")
    no_show = _person(club, "Nell Noshow")
    member = _person(club, "Mara Member")
    _person(club, "Olga Organizer", role="organizer")
    starts = timezone.now() - timedelta(minutes=20)
    session = Session.objects.create(
        club=club,
        starts_at=starts,
        ends_at=starts + timedelta(hours=1),
        state=Session.State.SCHEDULED,
        facilitator=facilitator,
        title="Attention Is All You Need",
    )
    for user in (facilitator, goer, no_show):
        Rsvp.objects.create(session=session, user=user, answer=Rsvp.Answer.GOING)
    url = f"/c/attention-club/sessions/{session.pk}/"

    # A member checks in on their phone.
    phone = new_page(width=375, height=812)
    sign_in(phone, member.email)
    phone.goto(url)
    phone.get_by_role("button", name="I'm here — check in").click()
    phone.get_by_text("Checked in for this session.").wait_for()
    screenshot(phone, "attendance-member-phone")
    assert _present(session) == {"Mara Member"}

    # The facilitator's sheet: those going ticked, the member who checked in too.
    desk = new_page(width=1280, height=900)
    sign_in(desk, facilitator.email)
    desk.goto(url)
    sheet = desk.locator("#attendance")
    assert desk.get_by_label("Gus Goer").is_checked()
    assert desk.get_by_label("Nell Noshow").is_checked()
    assert desk.get_by_label("Mara Member").is_checked()
    desk.evaluate("window.__notReloaded = true")

    # Nell did not come: one untick saves the sheet in place.
    desk.get_by_label("Nell Noshow").uncheck()
    sheet.get_by_role("status").filter(has_text="3 came").wait_for()
    assert desk.evaluate("window.__notReloaded") is True
    assert _present(session) == {"Fran Facilitator", "Gus Goer", "Mara Member"}
    assert not desk.get_by_label("Nell Noshow").is_checked()
    screenshot(desk, "attendance-sheet-desktop")
    desk.set_viewport_size({"width": 375, "height": 812})
    screenshot(desk, "attendance-sheet-phone")
    assert phone.csp_violations == []
    assert desk.csp_violations == []
