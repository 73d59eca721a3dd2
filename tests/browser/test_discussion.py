"""A member replies in a week's thread and follows it: the reply goes in
without a reload (htmx), one level deep, and following is saved in place;
without JavaScript the same forms post and come back to the post."""

from datetime import timedelta

import pytest
from django.utils import timezone

from sessions.discussion.services import post_add
from sessions.discussion.subjects import session_subject
from sessions.models import Post, Session, ThreadFollow
from tests.browser.conftest import screenshot, sign_in
from tests.factories import ClubFactory, MembershipFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _person(club, name: str, role: str = "member"):
    user = UserFactory(profile__display_name=name)
    MembershipFactory(club=club, user=user, role=role)
    return user


def _week(slug: str, **fields):
    """A club with a facilitator and a member, and its week in two days."""
    club = ClubFactory(slug=slug, name=slug.replace("-", " ").title())
    facilitator = _person(club, "Fran Facilitator")
    member = _person(club, "Mara Member")
    starts = timezone.now() + timedelta(days=2)
    session = Session.objects.create(
        club=club,
        starts_at=starts,
        ends_at=starts + timedelta(hours=1),
        state=Session.State.SCHEDULED,
        facilitator=facilitator,
        **fields,
    )
    return club, facilitator, member, session


def test_member_replies_in_the_weeks_thread_and_follows_it(new_page):
    club, facilitator, member, session = _week(
        "attention-club",
        title="Attention Is All You Need",
        notes="## Big idea\nAttention replaces recurrence.",
    )
    top = post_add(
        subject=session_subject(club, session),
        user=facilitator,
        body="Before Wednesday: is **multi-head** attention really needed? See section 3.2.",
    )
    url = f"/c/attention-club/sessions/{session.pk}/"

    page = new_page(width=375, height=812)
    sign_in(page, member.email)
    page.goto(url)
    page.evaluate("window.__notReloaded = true")
    thread = page.locator("#discussion")
    thread.locator("summary", has_text="Reply").click()
    page.get_by_label("Your reply").fill("The ablation in table 3 says _yes_, a little.")
    thread.get_by_role("button", name="Reply", exact=True).click()
    page.locator(".posts--replies").get_by_text("says yes, a little.").wait_for()
    assert page.evaluate("window.__notReloaded") is True
    reply = Post.objects.get(author=member)
    assert reply.parent == top
    # Posting followed the thread; the member asks for a daily digest instead.
    assert page.locator("#discussion .badge", has_text="Following").is_visible()
    page.get_by_label("Email me").select_option("daily")
    with page.expect_response(lambda response: "/follow/" in response.url):
        page.get_by_role("button", name="Save how this discussion emails me").click()
    page.locator("#follow-choice option[value=daily][selected]").wait_for(state="attached")
    assert page.evaluate("window.__notReloaded") is True
    follow = ThreadFollow.objects.get(user=member)
    assert (follow.state, follow.delivery) == ("following", "daily")
    screenshot(page, "discussion-reply-phone")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.locator("#discussion").scroll_into_view_if_needed()
    screenshot(page, "discussion-reply-desktop")
    assert page.csp_violations == []


def test_member_posts_without_javascript(new_page):
    _club, _facilitator, member, session = _week("quiet-club", title="Quiet paper")
    page = new_page(width=375, height=812, javascript=False)
    sign_in(page, member.email)
    page.goto(f"/c/quiet-club/sessions/{session.pk}/")
    page.get_by_label("Your post").fill("No script needed.")
    page.get_by_role("button", name="Post", exact=True).click()
    page.get_by_text("No script needed.").wait_for()
    post = Post.objects.get()
    assert page.url.endswith(f"#post-{post.pk}")
