"""Sign up, confirm by email, create a private club, invite someone, see them join."""

import re

import pytest
from django.core import mail

from clubs.models import Invitation, Membership, Profile
from tests.browser.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _confirmation_link(address: str) -> str:
    message = next(m for m in reversed(mail.outbox) if m.to == [address])
    return re.search(r"https?://\S+/accounts/confirm-email/\S+/", message.body).group(0)


def _sign_up(page, live_server, email: str) -> None:
    page.goto("/accounts/signup/")
    page.get_by_label("Your name").fill(email.split("@")[0].title())
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill("a long enough passphrase 42")
    page.get_by_label(re.compile("Password \\(again\\)")).fill("a long enough passphrase 42")
    page.get_by_role("button", name=re.compile("Sign up", re.I)).click()
    page.wait_for_url(re.compile("confirm-email"))
    link = _confirmation_link(email).replace("http://testserver", live_server.url)
    link = re.sub(r"^https?://[^/]+", live_server.url, link)
    page.goto(link)
    page.get_by_role("button", name=re.compile("Confirm", re.I)).click()


def test_signup_confirm_create_private_club_invite_and_join(new_page, live_server):
    organizer = new_page()
    _sign_up(organizer, live_server, "olivia@example.org")
    organizer.goto("/clubs/new/")
    organizer.get_by_label("Name").fill("Night Owls Reading")
    organizer.get_by_label("Address").fill("night-owls")
    organizer.get_by_label(re.compile("Private:")).check()
    organizer.get_by_label("The club's time zone").fill("Europe/London")
    organizer.get_by_role("button", name="Create the club").click()
    organizer.wait_for_url(re.compile("/c/night-owls/$"))
    assert organizer.get_by_role("heading", name="Night Owls Reading", exact=True).is_visible()

    organizer.goto("/c/night-owls/invitations/")
    organizer.get_by_role("button", name=re.compile("link", re.I)).first.click()
    invitation = Invitation.objects.get(club__slug="night-owls")
    screenshot(organizer, "invitations-organizer")

    guest = new_page(width=375, height=800)
    _sign_up(guest, live_server, "gabriel@example.org")
    assert guest.goto("/c/night-owls/").status == 404
    guest.goto(f"/invite/{invitation.token}/")
    guest.get_by_role("button", name=re.compile("Join", re.I)).click()
    guest.wait_for_url(re.compile("/c/night-owls/$"))
    screenshot(guest, "club-home-new-member-phone")
    assert Membership.objects.get(user__email="gabriel@example.org").state == "active"

    organizer.goto("/c/night-owls/members/")
    assert organizer.get_by_text("gabriel", exact=False).first.is_visible()
    screenshot(organizer, "members-organizer")
    assert organizer.csp_violations == []
    assert guest.csp_violations == []


@pytest.mark.parametrize("javascript", [True, False])
def test_sign_up_proposes_the_browser_zone_and_works_without_javascript(
    browser, live_server, javascript
):
    """The browser says Tokyo: the zone field says so before anyone types (with
    JavaScript); without it the field says UTC and takes any case."""
    context = browser.new_context(
        base_url=live_server.url,
        java_script_enabled=javascript,
        timezone_id="Asia/Tokyo",
        viewport={"width": 375, "height": 800},
    )
    try:
        page = context.new_page()
        page.goto("/accounts/signup/")
        zone = page.get_by_label("Your time zone")
        assert zone.input_value() == ("Asia/Tokyo" if javascript else "UTC")
        screenshot(page, f"signup-phone-{'js' if javascript else 'no-js'}")
        page.get_by_label("Your name").fill("Kei Tanaka")
        page.get_by_label("Email").fill("kei@example.org")
        page.get_by_label("Password", exact=True).fill("a long enough passphrase 42")
        page.get_by_label(re.compile("Password \\(again\\)")).fill("a long enough passphrase 42")
        if not javascript:
            zone.fill("asia/tokyo")
        page.get_by_role("button", name=re.compile("Sign up", re.I)).click()
        page.wait_for_url(re.compile("confirm-email"))
    finally:
        context.close()
    profile = Profile.objects.get(user__email="kei@example.org")
    assert (profile.display_name, profile.time_zone) == ("Kei Tanaka", "Asia/Tokyo")
