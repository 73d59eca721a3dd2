"""Phones first: no page of the demo is wider than a 320 or 375 px phone, for any role.

The pages are the ones each role reaches by following links from the demo club
(paperclub/seeding/demo_pages.py, one per URL name), so a new page joins the
check without anyone listing it. One browser, one context per role; each page is
loaded once at 320 px and measured again after widening to 375 px.
"""

from datetime import timedelta

import pytest
from django.test import Client

from clubs.models import Club
from paperclub.seeding.demo import demo_seed
from paperclub.seeding.demo_club import DEMO_CLUB_SLUG
from paperclub.seeding.demo_pages import ROLES, demo_pages_crawl, demo_role_email, demo_start_paths
from papers.models import Nomination
from tests.browser.conftest import sign_in
from tests.factories import (
    ClubFactory,
    MembershipFactory,
    OutboxMessageFactory,
    TagFactory,
    session_at,
)

pytestmark = pytest.mark.browser

PHONE_WIDTHS = (320, 375)
OVERFLOW = "() => [document.documentElement.scrollWidth, window.innerWidth]"


def _add_long_words() -> None:
    """What people type that has no place to break: a 40-letter topic on every paper (the
    club home and the backlog show it), and a failed message with a long address (the outbox)."""
    club = Club.objects.get(slug=DEMO_CLUB_SLUG)
    topic = TagFactory(club=club, name="Reinforcementlearningfromhumanfeedbackxx")
    topic.nominations.add(*Nomination.objects.filter(club=club))
    OutboxMessageFactory(
        club=club,
        address="a.very.long.address.without.any.break@research-institute.example.org",
        state="failed",
        error="SMTPRecipientsRefused:550-5.1.1-mailbox-unavailable-for-this-recipient-address",
        sent_at=None,
    )


def _signed_in_client(email: str | None) -> Client:
    from django.contrib.auth import get_user_model  # noqa: PLC0415

    client = Client()
    if email:
        client.force_login(get_user_model().objects.get(email=email))
    return client


def _crawl(client: Client, role: str):
    def fetch(path: str) -> tuple[int, str, str]:
        response = client.get(path)
        return response.status_code, response.get("Content-Type", ""), response.content.decode()

    return demo_pages_crawl(fetch=fetch, start=demo_start_paths(role=role))


@pytest.mark.django_db(transaction=True)
def test_demo_pages_fit_phone_widths_for_every_role(browser, live_server):
    demo_seed()
    _add_long_words()
    too_wide = []
    visited = {}
    for role in ROLES:
        client = _signed_in_client(demo_role_email(role=role))
        pages = _crawl(client, role)
        visited[role] = [page.view_name for page in pages]
        context = browser.new_context(
            base_url=live_server.url, viewport={"width": PHONE_WIDTHS[0], "height": 700}
        )
        if "sessionid" in client.cookies:
            context.add_cookies(
                [
                    {
                        "name": "sessionid",
                        "value": client.cookies["sessionid"].value,
                        "url": live_server.url,
                    }
                ]
            )
        page = context.new_page()
        for demo_page in pages:
            page.goto(demo_page.path, wait_until="domcontentloaded")
            for width in PHONE_WIDTHS:
                page.set_viewport_size({"width": width, "height": 700})
                scroll_width, inner_width = page.evaluate(OVERFLOW)
                if scroll_width > inner_width:
                    too_wide.append(f"{role} {width}px {demo_page.path}: {scroll_width}px wide")
            page.set_viewport_size({"width": PHONE_WIDTHS[0], "height": 700})
        context.close()

    # The crawl reached the pages each role is known to have (so an empty crawl cannot pass).
    assert {"clubs:home", "papers:backlog", "papers:nomination", "sessions:session"} <= set(
        visited["visitor"]
    )
    assert {"reading:stats", "clubs:members", "reading:mine"} <= set(visited["member"])
    assert {"reading:dashboard"} <= set(visited["facilitator"])
    assert {"clubs:outbox", "clubs:settings", "clubs:activity"} <= set(visited["organizer"])
    assert too_wide == [], "\n".join(too_wide)


def _nav_links(page) -> list[str]:
    """The club tabs a person can see and click now."""
    links = page.get_by_role("navigation", name="Reading Club").get_by_role("link")
    return [link.inner_text() for link in links.all() if link.is_visible()]


@pytest.mark.django_db(transaction=True)
def test_club_nav_folds_into_a_menu_on_phones_without_javascript(new_page):
    club = ClubFactory(slug="reading", name="Reading Club")
    organizer = MembershipFactory(club=club, role="organizer").user
    everything = [
        "Overview", "Backlog", "Rota", "Archive", "Calendar", "Statistics", "Read next", "Members",
        "Invitations", "Activity", "Outbox", "Chat", "Webhooks", "Settings",
    ]  # fmt: skip

    wide = new_page(javascript=False, width=1280)
    sign_in(wide, organizer.email)
    wide.goto("/c/reading/outbox/")
    assert _nav_links(wide) == everything
    assert wide.locator(".subnav__more > summary").is_hidden()

    phone = new_page(javascript=False, width=375)
    sign_in(phone, organizer.email)
    phone.goto("/c/reading/outbox/")
    assert _nav_links(phone) == ["Overview", "Backlog", "Rota"]
    nav_height = phone.get_by_role("navigation", name="Reading Club").bounding_box()["height"]
    assert nav_height < 60  # one row of tabs, not three
    more = phone.locator(".subnav__more > summary")
    more.click()
    assert _nav_links(phone) == everything
    phone.get_by_role("link", name="Settings").click()
    phone.wait_for_url("**/c/reading/settings/")


@pytest.mark.django_db(transaction=True)
def test_session_page_puts_the_facilitators_tools_first_on_phones(new_page):
    club = ClubFactory(slug="reading", name="Reading Club")
    facilitator = MembershipFactory(club=club).user
    session = session_at(club, starts_in=timedelta(days=3), facilitator=facilitator)

    page = new_page(width=375, height=700)
    sign_in(page, facilitator.email)
    page.goto(f"/c/reading/sessions/{session.pk}/")
    tools = page.get_by_role("complementary", name="Facilitator tools")
    facts = page.locator(".session-facts")
    assert tools.bounding_box()["y"] < facts.bounding_box()["y"]
    # On the first screen: the dashboard and both tool panels.
    for control in (
        page.get_by_role("link", name="Facilitator's dashboard"),
        page.get_by_role("heading", name="Edit details"),
    ):
        box = control.bounding_box()
        assert box["y"] + box["height"] <= 700

    wide = new_page(width=1280)
    sign_in(wide, facilitator.email)
    wide.goto(f"/c/reading/sessions/{session.pk}/")
    tools_box = wide.get_by_role("complementary", name="Facilitator tools").bounding_box()
    facts_box = wide.locator(".session-facts").bounding_box()
    assert tools_box["x"] > facts_box["x"] + facts_box["width"]  # a column beside the facts
