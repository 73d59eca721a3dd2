"""Issue 15's slips, in a real browser: the no-JavaScript confirmation page (and the
script dialog that still guards the same form), "Withdraw" not where "I'll facilitate"
was, the question form's error beside the form, and a no-JavaScript vote that returns
to its card."""

import re
from datetime import timedelta

import pytest

from clubs.models import Membership
from papers.models import Nomination, Vote
from tests.browser.conftest import screenshot, sign_in
from tests.factories import (
    ClubFactory,
    MembershipFactory,
    NominationFactory,
    SessionPaperFactory,
    session_at,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
IN_VIEW = (
    "e => { const r = e.getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight; }"
)


def test_leaving_without_javascript_asks_on_a_page_first(new_page):
    club = ClubFactory(slug="quiet-club", name="Quiet Club")
    member = MembershipFactory(club=club).user
    page = new_page(javascript=False, width=375, height=800)
    sign_in(page, member.email)
    page.goto("/c/quiet-club/")

    page.get_by_role("button", name="Leave club").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "Leave Quiet Club?"
    screenshot(page, "confirm-leave-no-js-phone")
    assert Membership.objects.get(club=club, user=member).state == "active"
    page.get_by_role("link", name="No, go back").click()
    page.wait_for_url(re.compile("/c/quiet-club/$"))
    assert Membership.objects.get(club=club, user=member).state == "active"

    page.get_by_role("button", name="Leave club").click()
    page.get_by_role("button", name="Yes, leave the club").click()
    page.wait_for_load_state()
    assert Membership.objects.get(club=club, user=member).state == "left"


def test_with_javascript_the_dialog_still_asks_and_one_yes_is_enough(new_page):
    club = ClubFactory(slug="script-club", name="Script Club")
    member = MembershipFactory(club=club).user
    page = new_page()
    sign_in(page, member.email)
    page.goto("/c/script-club/")
    questions = []

    def answer(dialog, accept):
        questions.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda dialog: answer(dialog, False))
    page.get_by_role("button", name="Leave club").click()
    page.wait_for_timeout(300)
    assert Membership.objects.get(club=club, user=member).state == "active"
    page.once("dialog", lambda dialog: answer(dialog, True))
    page.get_by_role("button", name="Leave club").click()
    page.wait_for_load_state()
    # Straight through: no confirmation page after the dialog's yes.
    page.get_by_text("You have left Script Club.").wait_for()
    assert questions == ["Leave Script Club?", "Leave Script Club?"]
    assert Membership.objects.get(club=club, user=member).state == "left"


@pytest.mark.parametrize("width", [375, 1280])
def test_withdraw_does_not_sit_where_ill_facilitate_was(new_page, width):
    club = ClubFactory(slug="rota-club", name="Rota Club")
    member = MembershipFactory(club=club).user
    session = session_at(club, starts_in=timedelta(days=3), state="open")
    page = new_page(width=width, height=900)
    sign_in(page, member.email)
    page.goto("/c/rota-club/rota/")
    claim = page.get_by_role("button", name=re.compile("I'll facilitate"))
    box = claim.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    claim.click()
    page.get_by_text("Thank you! You're facilitating").wait_for()
    session.refresh_from_db()
    assert session.facilitator_id == member.pk
    # The second click of a slow double click lands here.
    under = page.evaluate(
        "([x, y]) => { const e = document.elementFromPoint(x, y);"
        " return e ? (e.closest('button, a') || e).textContent.trim() : ''; }",
        [x, y],
    )
    assert "Withdraw" not in under
    screenshot(page, f"rota-after-claim-{width}")
    # Withdraw itself: the script dialog asks, and its yes goes through htmx at once.
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name=re.compile("Withdraw")).click()
    page.get_by_text("You've stepped back; the week is open again.").wait_for()
    session.refresh_from_db()
    assert session.facilitator_id is None


def test_a_refused_question_shows_its_error_beside_the_form(new_page):
    club = ClubFactory(slug="ask-club", name="Ask Club")
    member = MembershipFactory(club=club).user
    session = session_at(club, starts_in=timedelta(days=3), state="open")
    SessionPaperFactory(session=session)
    page = new_page(width=375, height=700)
    sign_in(page, member.email)
    page.goto(f"/c/ask-club/sessions/{session.pk}/")
    page.get_by_label("Your question for the facilitator").fill("   ")
    page.get_by_role("button", name="Ask", exact=True).click()
    page.wait_for_load_state()
    error = page.locator("#ask .errorlist")
    assert error.inner_text() == "Write your question first."
    assert error.evaluate(IN_VIEW)
    screenshot(page, "question-error-beside-form-phone")


def test_a_vote_without_javascript_returns_to_its_card(new_page):
    club = ClubFactory(slug="long-club", name="Long Club")
    member = MembershipFactory(club=club).user
    for n in range(30):
        NominationFactory(club=club, paper__title=f"Paper number {n:02d}")
    page = new_page(javascript=False, width=375, height=800)
    sign_in(page, member.email)
    page.goto("/c/long-club/backlog/?sort=new")
    form_id = page.locator("form.vote-form").last.get_attribute("id")  # the page's last card
    last = Nomination.objects.get(pk=int(form_id.removeprefix("vote-")))
    page.locator(f"#{form_id} button").click()
    page.wait_for_load_state()
    assert Vote.objects.filter(nomination=last, user=member).exists()
    assert page.url.endswith(f"/c/long-club/backlog/?sort=new#vote-{last.pk}")
    assert page.evaluate("scrollY") > 1000
    assert page.locator(f"#vote-{last.pk} button").evaluate(IN_VIEW)
