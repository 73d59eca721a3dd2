"""The signed "keep me" link in a re-confirmation mail.

The token carries only the ask's id, signed with the site's secret under its
own salt: changing a character breaks the signature. When it expires is the
ask's row's business (services.link_expires), so every link of one ask
expires together, whatever its age.
"""

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "clubs.reconfirm.keep"


class BadKeepLink(Exception):
    """The link was tampered with, cut short or made up."""


def keep_token(ask_id: int) -> str:
    return signing.dumps({"a": ask_id}, salt=SALT)


def keep_url(ask_id: int) -> str:
    return settings.SITE_URL + reverse("clubs:reconfirm_keep", args=[keep_token(ask_id)])


def ask_id_from(token: str) -> int:
    try:
        data = signing.loads(token, salt=SALT)
    except signing.BadSignature as error:
        raise BadKeepLink from error
    if not isinstance(data, dict) or not isinstance(data.get("a"), int):
        raise BadKeepLink
    return data["a"]
