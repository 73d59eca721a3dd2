"""Account mail (allauth) names the site from settings, never the request's host, in
a plain text and an HTML body (templates/account/email/); sign-up asks the name
members see and the time zone, any case (issue 15, Build 1)."""

import pytest
from django.core import mail
from django.test import override_settings
from django.urls import reverse

from clubs.models import Profile

pytestmark = pytest.mark.django_db

PASSPHRASE = "a long enough passphrase 42"


@pytest.fixture
def sent_on_commit(django_capture_on_commit_callbacks):
    """Account mail goes through the outbox, rung after commit (clubs.mail)."""

    def run(post, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return post(*args, **kwargs)

    return run


def _sign_up(client, sent_on_commit=None, **fields):
    data = {
        "display_name": "Ada Lovelace",
        "email": "new@example.org",
        "password1": PASSPHRASE,
        "password2": PASSPHRASE,
        "time_zone": "UTC",
        **fields,
    }
    if sent_on_commit is None:
        return client.post(reverse("account_signup"), data, HTTP_HOST="127.0.0.1:8000")
    return sent_on_commit(client.post, reverse("account_signup"), data, HTTP_HOST="127.0.0.1:8000")


@override_settings(SITE_NAME="Reading Room", ACCOUNT_EMAIL_SUBJECT_PREFIX="[Reading Room] ")
def test_sign_up_confirmation_mail_names_the_site_in_text_and_html(client, sent_on_commit):
    response = _sign_up(client, sent_on_commit)

    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.subject == "[Reading Room] Confirm your email address"
    assert message.body.startswith("Hello Ada Lovelace,\n\n")
    assert "Someone gave this address to create an account on Reading Room." in message.body
    assert "\n— Reading Room\n" in message.body
    # The only mention of the host is inside the confirmation link itself.
    link = next(word for word in message.body.split() if word.startswith("http://"))
    assert "/accounts/confirm-email/" in link
    assert message.body.replace(link, "").count("127.0.0.1") == 0
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    assert "<strong>¶ Reading Room</strong>" in html
    assert "<p>Hello Ada Lovelace,</p>" in html
    assert f'<a href="{link}"><strong>Confirm your address</strong></a>' in html
    assert html.replace(link, "").count("127.0.0.1") == 0


@override_settings(SITE_NAME="Reading Room")
def test_password_reset_mail_is_branded_too(client, member, sent_on_commit):
    sent_on_commit(client.post, reverse("account_reset_password"), {"email": member.email})
    [message] = mail.outbox
    assert message.subject.endswith("Reset your password")
    assert "password of your Reading Room account" in message.body
    assert "<strong>¶ Reading Room</strong>" in message.alternatives[0][0]


def test_sign_up_keeps_the_name_and_the_zone_in_any_case(client):
    assert _sign_up(client, time_zone="america/new_york").status_code == 302
    profile = Profile.objects.get(user__email="new@example.org")
    assert (profile.display_name, profile.time_zone) == ("Ada Lovelace", "America/New_York")
    assert profile.name == "Ada Lovelace"


@pytest.mark.parametrize(
    ("fields", "field", "error"),
    [
        ({"display_name": ""}, "display_name", "Tell the club what to call you."),
        (
            {"time_zone": "Mars/Olympus"},
            "time_zone",
            "“Mars/Olympus” is not a time zone we know. Pick one such as Europe/London.",
        ),
    ],
)
def test_sign_up_says_what_is_missing_and_creates_nothing(
    client, sent_on_commit, fields, field, error
):
    response = _sign_up(client, sent_on_commit, **fields)
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [error]
    assert not Profile.objects.filter(user__email="new@example.org").exists()
    assert mail.outbox == []


def test_sign_up_without_a_zone_reads_times_in_utc(client):
    assert _sign_up(client, time_zone="").status_code == 302
    assert Profile.objects.get(user__email="new@example.org").time_zone == "UTC"


def test_sign_up_page_offers_the_browser_zone_hook_and_the_zone_list(client):
    body = client.get(reverse("account_signup")).content.decode()
    assert 'data-browser-zone=""' in body
    assert 'value="UTC"' in body
    assert '<datalist id="time-zones">' in body
    assert '<option value="America/New_York"></option>' in body
    assert body.index('name="display_name"') < body.index('name="email"')


def test_profile_zone_is_matched_without_regard_to_case(client, member):
    client.force_login(member)
    response = client.post(reverse("profile"), {"display_name": "Mo", "time_zone": "EUROPE/london"})
    assert response.status_code == 302
    member.profile.refresh_from_db()
    assert member.profile.time_zone == "Europe/London"
