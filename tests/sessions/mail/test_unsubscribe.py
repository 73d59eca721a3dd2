"""One-click unsubscribe: for that person and kind only, no sign-in, and forged links refused."""

import pytest
from django.core import signing
from django.urls import reverse

from sessions.mail.preferences import UNSUBSCRIBE_SALT, unsubscribe_token
from sessions.models import MailPreferences
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_unsubscribe_link_works_without_sign_in_for_that_person_and_kind(client):
    person, other = UserFactory(), UserFactory()
    token = unsubscribe_token(user=person, kind="nudge")
    url = reverse("calendars:unsubscribe", args=[token])
    assert client.get(url).status_code == 200  # asks first
    assert MailPreferences.objects.filter(user=person).exists() is False
    assert client.post(url).status_code == 200
    prefs = MailPreferences.objects.get(user=person)
    assert (prefs.muted_kinds, prefs.no_email, prefs.invites) == (["nudge"], False, False)
    assert prefs.wants("soon") is True
    assert not MailPreferences.objects.filter(user=other).exists()


def test_tampered_unsubscribe_link_is_refused_and_changes_nothing(client):
    person = UserFactory()
    token = unsubscribe_token(user=person, kind="nudge")
    data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    forged = signing.dumps({**data, "u": person.pk + 1}, salt="not-our-salt")
    for bad in (token[:-2] + "xx", forged):
        response = client.post(reverse("calendars:unsubscribe", args=[bad]))
        assert response.status_code == 400
    assert MailPreferences.objects.count() == 0
