"""allauth's hooks: profiles for new accounts, and account mail that names the site.

Without django.contrib.sites, allauth names the site after the request's host
("Hello from 127.0.0.1:8000!"). Its mails take `current_site` from
`send_mail`'s context, so that is where SITE_NAME goes in; the two templates
that print the site's domain are overridden in templates/account/email/.
"""

from dataclasses import dataclass
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings

from .services import profile_ensure


@dataclass(frozen=True)
class SiteFromSettings:
    """What allauth's templates read from a Site: its name and domain."""

    name: str
    domain: str


def site_from_settings() -> SiteFromSettings:
    return SiteFromSettings(name=settings.SITE_NAME, domain=urlsplit(settings.SITE_URL).netloc)


class AccountAdapter(DefaultAccountAdapter):
    """Every new account gets its profile (display name, time zone) at once."""

    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=commit)
        if commit:
            profile_ensure(user=user)
        return user

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        super().send_mail(template_prefix, email, {**context, "current_site": site_from_settings()})
