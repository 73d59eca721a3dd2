"""Rate limits: sign-in, sign-up and account mail (allauth's, keyed per (address,
client) for failed sign-ins), and the app's own (invitations, proposals, uploads).

The test settings turn allauth's limits off (ACCOUNT_RATE_LIMITS = False); each
test here turns on the project's real ones. The cache is emptied around every
test (tests/conftest.py), so counts never leak between tests.
"""

import re

import pytest
from django.core import mail
from django.core.files.base import ContentFile
from django.test import Client, override_settings
from django.urls import reverse

from clubs.models import Invitation
from clubs.ratelimits import Rate, RateLimited, rate_limit_take
from paperclub.settings import base
from papers.models import Nomination
from tests.factories import PASSWORD, ClubFactory, MembershipFactory, UserFactory
from tests.papers.pdf_factory import make_pdf

pytestmark = pytest.mark.django_db

REAL_LIMITS = override_settings(ACCOUNT_RATE_LIMITS=base.ACCOUNT_RATE_LIMITS)
STRANGER = "203.0.113.9"
MEMBER_LAPTOP = "198.51.100.7"


def _sign_in(client: Client, email: str, password: str, ip: str):
    return client.post(
        reverse("account_login"), {"login": email, "password": password}, REMOTE_ADDR=ip
    )


def _signed_in(response) -> bool:
    return response.status_code == 302 and response["Location"] == reverse("home")


@REAL_LIMITS
def test_a_stranger_cannot_lock_a_member_out():
    """Issue 13: after five wrong passwords for an address, the right password was
    refused too, from any address."""
    member = UserFactory()
    stranger = Client()
    for _ in range(5):
        assert _sign_in(stranger, member.email, "not the password", STRANGER).status_code == 200
    refused = _sign_in(stranger, member.email, "not the password", STRANGER)
    assert refused.status_code == 429
    assert "Too many failed sign-ins for this address from here" in refused.content.decode()
    assert reverse("account_reset_password") in refused.content.decode()

    # The member, from their own laptop, signs in as usual.
    assert _signed_in(_sign_in(Client(), member.email, PASSWORD, MEMBER_LAPTOP))
    # The stranger's client stays limited, even with the right password.
    assert _sign_in(stranger, member.email, PASSWORD, STRANGER).status_code == 429


@REAL_LIMITS
def test_a_limited_client_can_reset_the_password_and_sign_in_at_once(
    django_capture_on_commit_callbacks,
):
    member = UserFactory()
    client = Client()
    for _ in range(5):
        _sign_in(client, member.email, "forgot it", MEMBER_LAPTOP)
    assert _sign_in(client, member.email, PASSWORD, MEMBER_LAPTOP).status_code == 429

    with django_capture_on_commit_callbacks(execute=True):  # the outbox's doorbell
        requested = client.post(
            reverse("account_reset_password"), {"email": member.email}, REMOTE_ADDR=MEMBER_LAPTOP
        )
    assert requested.status_code == 302
    link = re.search(r"https?://\S+/password/reset/key/\S+", mail.outbox[-1].body).group(0)
    path = link.split("testserver", 1)[1]
    form = client.get(path, REMOTE_ADDR=MEMBER_LAPTOP, follow=True)
    assert form.status_code == 200
    new_password = "a new and long passphrase 42"
    done = client.post(
        form.redirect_chain[-1][0] if form.redirect_chain else path,
        {"password1": new_password, "password2": new_password},
        REMOTE_ADDR=MEMBER_LAPTOP,
    )
    assert done.status_code == 302
    assert _signed_in(_sign_in(Client(), member.email, new_password, MEMBER_LAPTOP))


@REAL_LIMITS
def test_one_client_cannot_guess_across_many_addresses():
    """The per-client rate of failed sign-ins still holds across addresses."""
    stranger = Client()
    people = [UserFactory() for _ in range(11)]
    answers = [_sign_in(stranger, p.email, "guess", STRANGER).status_code for p in people]
    assert answers == [200] * 10 + [429]


@REAL_LIMITS
def test_sign_up_flood_from_one_client_gets_the_429_page():
    client = Client()
    answers = []
    for n in range(21):
        response = client.post(
            reverse("account_signup"),
            {
                "display_name": f"New {n}",
                "email": f"new{n}@example.org",
                "password1": "a long passphrase 1234",
                "password2": "a long passphrase 1234",
            },
            REMOTE_ADDR=STRANGER,
        )
        answers.append(response.status_code)
    assert answers == [302] * 20 + [429]
    page = response.content.decode()
    assert "Error 429" in page
    assert "please wait a little" in page
    assert "Too many sign-ups from this network in the last hour." in page
    assert response["Retry-After"] == "60"
    # Another client signs up as usual.
    other = Client().post(
        reverse("account_signup"),
        {
            "display_name": "Late Comer",
            "email": "late@example.org",
            "password1": "x long pass 9876",
            "password2": "x long pass 9876",
        },
        REMOTE_ADDR=MEMBER_LAPTOP,
    )
    assert other.status_code == 302


@REAL_LIMITS
def test_password_reset_mail_to_one_address_is_limited(django_capture_on_commit_callbacks):
    member = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):  # the outbox's doorbell
        answers = [
            Client()
            .post(
                reverse("account_reset_password"),
                {"email": member.email},
                REMOTE_ADDR=f"10.0.0.{n}",
            )
            .status_code
            for n in range(6)
        ]
    assert answers == [302] * 5 + [429]
    assert len(mail.outbox) == 5
    refused = Client().post(
        reverse("account_reset_password"), {"email": member.email}, REMOTE_ADDR="10.0.1.1"
    )
    assert "The ones already sent still work" in refused.content.decode()
    assert "Reset your password</a>" not in refused.content.decode()


# --- The app's own limits ------------------------------------------------------------------


@override_settings(PAPERCLUB_RATE_LIMITS={"invitations": "5/h"})
def test_invitations_past_the_hourly_limit_are_refused_with_the_form_kept(client):
    club = ClubFactory()
    client.force_login(MembershipFactory(club=club, role="organizer").user)
    url = reverse("clubs:invitations", args=[club.slug])

    def invite(addresses):
        return client.post(
            url, {"kind": "email", "email-emails": "\n".join(addresses), "email-days": 7}
        )

    assert invite([f"a{n}@example.org" for n in range(3)]).status_code == 302
    refused = invite([f"b{n}@example.org" for n in range(3)])
    assert refused.status_code == 429
    body = refused.content.decode()
    assert "At most 5 invitation emails an hour from one club: " in body
    assert "2 more can go now, 3 were asked for" in body
    assert "b2@example.org" in body  # what was typed is still there
    assert Invitation.objects.filter(club=club).count() == 3
    assert invite(["c0@example.org", "c1@example.org"]).status_code == 302
    assert Invitation.objects.filter(club=club).count() == 5
    # Another club has its own hour.
    other = ClubFactory()
    client.force_login(MembershipFactory(club=other, role="organizer").user)
    response = client.post(
        reverse("clubs:invitations", args=[other.slug]),
        {"kind": "email", "email-emails": "d@example.org", "email-days": 7},
    )
    assert response.status_code == 302


@override_settings(PAPERCLUB_RATE_LIMITS={"proposals": "3/h", "uploads": "1/h"})
def test_proposals_and_uploads_per_hour(client):
    club = ClubFactory()
    client.force_login(MembershipFactory(club=club).user)
    url = reverse("papers:propose", args=[club.slug])
    assert client.post(url, {"ids": "2106.09685\n1810.04805"}).status_code == 302
    refused = client.post(url, {"ids": "1706.03762\n2403.01234"})
    assert refused.status_code == 429
    assert "At most 3 papers proposed an hour by one person" in refused.content.decode()
    assert "1706.03762" in refused.content.decode()
    assert Nomination.objects.filter(club=club).count() == 2

    pdf = make_pdf(["A paper\nAbstract\nText."])
    assert client.post(url, {"pdf": ContentFile(pdf, name="a.pdf")}).status_code == 302
    second = client.post(url, {"pdf": ContentFile(pdf + b"\n", name="b.pdf")})
    assert second.status_code == 429
    assert (
        "At most 1 PDF uploads an hour by one person: that many have gone already."
        in second.content.decode()
    )


def test_rate_parsing_and_counting():
    assert Rate.parse("200/h") == Rate(amount=200, seconds=3600)
    assert Rate.parse("20/10m") == Rate(amount=20, seconds=600)
    assert str(Rate.parse("5/d")) == "5 a day"
    with override_settings(PAPERCLUB_RATE_LIMITS={"proposals": "2/h"}):
        rate_limit_take(action="proposals", scope="user:1")
        rate_limit_take(action="proposals", scope="user:1")
        with pytest.raises(RateLimited) as raised:
            rate_limit_take(action="proposals", scope="user:1")
        assert 0 < raised.value.retry_after <= 3601
        rate_limit_take(action="proposals", scope="user:2")  # someone else
        rate_limit_take(action="uploads", scope="user:1")  # not limited here


@REAL_LIMITS
def test_the_admin_signs_in_through_the_limited_form_only():
    """Django's admin login counts no failures: it hands over to allauth's."""
    staff = UserFactory(is_staff=True, is_superuser=True)
    client = Client()
    guess = client.post(
        reverse("admin:login"),
        {"username": staff.username, "password": "guess"},
        REMOTE_ADDR=STRANGER,
    )
    assert guess.status_code == 302
    assert guess["Location"].startswith(reverse("account_login"))
    for _ in range(5):
        _sign_in(client, staff.email, "guess", STRANGER)
    assert _sign_in(client, staff.email, PASSWORD, STRANGER).status_code == 429
    admin = Client()
    assert _signed_in(_sign_in(admin, staff.email, PASSWORD, MEMBER_LAPTOP))
    assert admin.get(reverse("admin:index"), REMOTE_ADDR=MEMBER_LAPTOP).status_code == 200
