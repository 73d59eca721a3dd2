"""allauth's hooks: profiles for new accounts, account mail that names the site
and goes through the outbox, and failed sign-ins counted per (address, client).

Without django.contrib.sites, allauth names the site after the request's host
("Hello from 127.0.0.1:8000!"). Its mails take `current_site` from
`send_mail`'s context, so that is where SITE_NAME goes in; the two templates
that print the site's domain are overridden in templates/account/email/.
"""

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings

from .mail import account_mail_owe
from .services import profile_ensure


@dataclass(frozen=True)
class SiteFromSettings:
    """What allauth's templates read from a Site: its name and domain."""

    name: str
    domain: str


def site_from_settings() -> SiteFromSettings:
    return SiteFromSettings(name=settings.SITE_NAME, domain=urlsplit(settings.SITE_URL).netloc)


def client_of(ip: str) -> str:
    """The client a request comes from: its address, or its /64 for IPv6 (one
    household or phone has a whole /64, as allauth's own per-ip limits assume)."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network(f"{address}/64", strict=False).network_address)
    return str(address)


class AccountAdapter(DefaultAccountAdapter):
    """Every new account gets its profile (display name, time zone) at once; failed
    sign-ins count per (address, client)."""

    error_messages = {  # noqa: RUF012 - allauth's declarative class attribute, read not mutated
        **DefaultAccountAdapter.error_messages,
        "too_many_login_attempts": (
            "Too many failed sign-ins for this address from here. Wait five minutes, "
            "or reset your password: that works at once."
        ),
    }

    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=commit)
        if commit:
            profile_ensure(user=user)
        return user

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Written now, with the site named from settings; sent through the outbox
        (clubs.mail): owed in this request's transaction, rung after commit, so
        the mail is recorded, retried when the server is down, and a refusal is
        seen in the admin's outbox. allauth's own send_mail sent it in the
        request and lost it on the first SMTP hiccup."""
        context = {
            "request": self.request,
            "email": email,
            **context,
            "current_site": site_from_settings(),
        }
        message = self.render_mail(template_prefix, email, context)
        user = context.get("user")
        account_mail_owe(message=message, user_id=getattr(user, "pk", None))

    def _get_login_attempts_cache_key(self, request, **credentials) -> str:
        # allauth counts failed sign-ins ("login_failed", its "key" rate) per
        # address only, so five wrong passwords from anywhere refused the right
        # one from everywhere. The client is part of the key: a stranger locks
        # out only themself. The same key is cleared by a password reset
        # (allauth's flow calls _delete_login_attempts_cached_email with it).
        # The per-ip rate of "login_failed" still bounds guessing across addresses.
        address = super()._get_login_attempts_cache_key(request, **credentials)
        return f"{address}:{client_of(self.get_client_ip(request))}"
