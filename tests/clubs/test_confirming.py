"""Destructive POSTs without `confirmed=1` (no JavaScript) answer with a confirmation
page and change nothing; the page's button sends the same fields with `confirmed=1`.
Issue 15, Build 2. The browser side is tests/browser/test_confirming.py."""

import re
from pathlib import Path

import pytest
from django.urls import reverse

import clubs.urls
import papers.urls
import papers.watch.urls
import sessions.calendars.urls
import sessions.discussion.urls
import sessions.mail.urls
import sessions.reading.urls
import sessions.rota.urls
from clubs.confirming import CONFIRM_FIELD
from clubs.models import Membership
from papers.models import Nomination
from sessions.models import Session
from tests.clubs.test_permissions import matrix_url, scene  # noqa: F401 - the matrix's club
from tests.unchanged import unchanged

URL_MODULES = (
    clubs.urls,
    papers.urls,
    sessions.rota.urls,
    sessions.reading.urls,
    sessions.calendars.urls,
    sessions.discussion.urls,
    sessions.mail.urls,
    papers.watch.urls,
)
TEMPLATES = Path(__file__).resolve().parents[2] / "templates"

# url name -> the role that may use it, and the arguments that make it destructive.
GUARDED = {
    "clubs:leave": "member",
    "clubs:membership_action": "organizer",
    "clubs:invitation_revoke": "organizer",
    "papers:curate": "organizer",
    "sessions:withdraw": "member",
    "sessions:skip": "organizer",
    "calendars:club_regenerate": "organizer",
    "reading:question_delete": "organizer",
    "watch:remove": "organizer",
}


def _guarded_url(name, club, hidden, requester, invitation, nomination, session):
    if name == "clubs:membership_action":
        membership = Membership.objects.get(club=club, user=hidden.user)
        return reverse(name, args=[club.slug, membership.pk, "remove"])
    if name == "papers:curate":
        return reverse(name, args=[club.slug, nomination.pk, "delete"])
    return matrix_url(name, club, requester, invitation, nomination, session)


@pytest.mark.parametrize("name", sorted(GUARDED))
def test_destructive_post_without_confirmation_asks_and_changes_nothing(client, scene, name):  # noqa: F811
    club, people, hidden, requester, invitation, nomination, session = scene
    client.force_login(people[GUARDED[name]])
    url = _guarded_url(name, club, hidden, requester, invitation, nomination, session)
    with unchanged():
        response = client.post(url, {"reason": "Snow", "next": f"/c/{club.slug}/rota/"})
    assert response.status_code == 200
    body = response.content.decode()
    assert response.templates[0].name == "confirm.html"
    # The button posts back to the same URL with the same fields, confirmed.
    assert f'<form method="post" action="{url}">' in body
    assert f'<input type="hidden" name="{CONFIRM_FIELD}" value="1">' in body
    assert '<input type="hidden" name="reason" value="Snow">' in body
    assert f'<a href="/c/{club.slug}/rota/">No, go back</a>' in body


def test_confirmed_post_acts(client, scene):  # noqa: F811
    club, people, _hidden, _requester, _invitation, nomination, _session = scene
    client.force_login(people["organizer"])
    url = reverse("papers:curate", args=[club.slug, nomination.pk, "delete"])
    client.post(url)
    assert Nomination.objects.filter(pk=nomination.pk).exists()
    client.post(url, {CONFIRM_FIELD: "1"})
    assert not Nomination.objects.filter(pk=nomination.pk).exists()


def test_harmless_actions_on_a_guarded_view_do_not_ask(client, scene):  # noqa: F811
    club, people, _hidden, requester, _invitation, _nomination, _session = scene
    client.force_login(people["organizer"])
    url = reverse("clubs:membership_action", args=[club.slug, requester.pk, "approve"])
    response = client.post(url)
    assert response.status_code == 302
    requester.refresh_from_db()
    assert requester.state == Membership.State.ACTIVE


def test_withdrawing_a_request_to_join_does_not_ask(client, scene):  # noqa: F811
    club, people, *_ = scene
    client.force_login(people["pending"])
    response = client.post(reverse("clubs:leave", args=[club.slug]))
    assert response.status_code == 302
    assert Membership.objects.get(club=club, user=people["pending"]).state == "left"


def test_skip_confirmed_cancels_with_its_reason(client, scene):  # noqa: F811
    club, people, *_rest, session = scene
    client.force_login(people["organizer"])
    client.post(
        reverse("sessions:skip", args=[club.slug, session.pk]),
        {"reason": "Snow", CONFIRM_FIELD: "1"},
    )
    session.refresh_from_db()
    assert (session.state, session.cancel_reason) == (Session.State.CANCELLED, "Snow")


_CONFIRMED_FORM = re.compile(
    r"<form\b[^>]*?action=\"\{% url '([a-z_]+:[a-z_]+)'[^\"]*\"[^>]*?data-confirm=", re.S
)


def test_every_form_that_asks_in_a_dialog_asks_without_javascript_too():
    """A form with data-confirm whose view lacks confirm_first would act at once
    for a reader without JavaScript."""
    names = {
        match.group(1)
        for path in TEMPLATES.rglob("*.html")
        for match in _CONFIRMED_FORM.finditer(path.read_text())
    }
    views = {
        f"{module.app_name}:{pattern.name}": pattern.callback
        for module in URL_MODULES
        for pattern in module.urlpatterns
    }
    assert len(names) >= 10
    assert sorted(name for name in names if not getattr(views[name], "asks_first", False)) == []
