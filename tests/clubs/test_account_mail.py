"""Account mail (allauth) names the site from settings, never the request's host."""

import pytest
from django.core import mail
from django.test import override_settings
from django.urls import reverse

pytestmark = pytest.mark.django_db


@override_settings(SITE_NAME="Reading Room", ACCOUNT_EMAIL_SUBJECT_PREFIX="[Reading Room] ")
def test_sign_up_confirmation_mail_names_the_site(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # the outbox's doorbell
        response = client.post(
            reverse("account_signup"),
            {
                "email": "new@example.org",
                "password1": "a long enough passphrase 42",
                "password2": "a long enough passphrase 42",
            },
            HTTP_HOST="127.0.0.1:8000",
        )

    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.subject == "[Reading Room] Please Confirm Your Email Address"
    assert message.body.startswith("Hello from Reading Room!")
    assert "because someone gave this address to create an account on Reading Room." in (
        message.body
    )
    assert "Thank you for using Reading Room!" in message.body
    # The only mention of the host is inside the confirmation link itself.
    link = next(word for word in message.body.split() if word.startswith("http://"))
    assert message.body.replace(link, "").count("127.0.0.1") == 0
