"""An organizer adds a webhook, schedules a week, watches the delivery arrive
in the log (a real worker on Redis, a loopback receiver that verifies the
signature with the secret the page showed once) and redelivers it."""

import re
import time
from datetime import timedelta

import pytest

from clubs.webhooks.models import Webhook
from tests.browser.conftest import screenshot, sign_in
from tests.celery_worker import running_worker
from tests.factories import ClubFactory, MembershipFactory, session_at
from tests.webhook_receiver import webhook_receiver

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _reload_until_delivered(page, timeout: float = 30) -> None:
    """Reload (as a person would) until the log shows an attempt delivered."""
    deadline = time.monotonic() + timeout
    delivered = page.locator(".webhook-attempts td[data-label=Outcome]", has_text="Delivered")
    while delivered.count() == 0:
        assert time.monotonic() < deadline, f"nothing delivered on {page.url}"
        time.sleep(0.5)
        page.reload()


def test_organizer_adds_a_webhook_schedules_a_week_and_redelivers(new_page):
    club = ClubFactory(slug="llm-club", name="LLM Club")
    organizer = MembershipFactory(club=club, role="organizer").user
    volunteer = MembershipFactory(club=club).user
    week = session_at(club, starts_in=timedelta(days=3), state="open")
    with webhook_receiver() as receiver, running_worker():
        page = new_page()
        sign_in(page, organizer.email)
        page.goto("/c/llm-club/webhooks/")
        assert page.get_by_text("No webhooks yet").is_visible()
        page.get_by_label("Name").fill("Club website")
        page.get_by_label("Payload URL").fill(receiver.url("/hooks/site"))
        page.get_by_label(re.compile("A week is scheduled")).check()
        page.get_by_role("button", name="Add webhook").click()
        secret = page.get_by_label("Secret of “Club website”").input_value()
        assert secret.startswith("whsec_")
        receiver.secrets["/hooks/site"] = secret
        screenshot(page, "webhook-created")
        webhook = Webhook.objects.get()

        page.goto(f"/c/llm-club/sessions/{week.pk}/")
        field = page.locator(f"#assign-{week.pk}")
        if not field.is_visible():
            page.locator(f"#manage-{week.pk} > summary").click()
        field.fill(volunteer.email)
        page.get_by_role("button", name="Assign").click()
        page.wait_for_load_state()

        page.goto(f"/c/llm-club/webhooks/{webhook.pk}/")
        assert page.get_by_label("Secret of “Club website”").count() == 0  # shown once
        _reload_until_delivered(page)
        assert page.get_by_role("heading", name=re.compile("A week is scheduled")).is_visible()
        [arrival] = receiver.arrivals
        assert arrival.event == "session.scheduled"
        assert page.get_by_text(arrival.delivery_id).first.is_visible()
        screenshot(page, "webhook-log")

        page.get_by_role("button", name=re.compile("Redeliver")).click()
        page.get_by_text("(the same delivery id)").wait_for()
        deadline = time.monotonic() + 30
        while len(receiver.arrivals) < 2:
            assert time.monotonic() < deadline
            time.sleep(0.2)
        attempts = page.locator(".webhook-attempts tbody tr")
        while attempts.count() < 2:  # the worker logs the attempt once it has the answer
            assert time.monotonic() < deadline
            time.sleep(0.5)
            page.reload()
        assert attempts.count() == 2
        screenshot(page, "webhook-redelivered")
        assert page.csp_violations == []

        phone = new_page(width=375, height=800, javascript=False)
        sign_in(phone, organizer.email)
        phone.goto(f"/c/llm-club/webhooks/{webhook.pk}/")
        assert phone.evaluate("document.documentElement.scrollWidth") <= 375
        screenshot(phone, "webhook-log-phone")

    first, second = receiver.arrivals
    assert first.delivery_id == second.delivery_id
    assert first.body == second.body
    assert len(receiver.deliveries()) == 1
    assert receiver.bad == []
