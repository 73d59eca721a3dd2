"""Which webhook URLs are accepted, and the masked form a page shows.

A URL is http or https with a host and no user name or password, at most 500
characters. Its host must resolve, and to public addresses only: a private
(10/8, 172.16/12, 192.168/16, fc00::/7), loopback, link-local (169.254/16, the
cloud metadata address among them), shared, reserved, multicast or
unspecified address is refused, so an organizer cannot make the app's workers
call the machines beside it. WEBHOOKS_ALLOW_PRIVATE_ADDRESSES allows them
(the tests' loopback receivers, the embedded mode on one's own machine).

The check runs when the URL is saved and again before every attempt (a name
can be pointed elsewhere later). Between that check and the connection the
HTTP client resolves the name once more; a resolver that answers differently
within that second is the remaining gap, and no redirect is ever followed
(clubs/outbox/http.py), so an answer cannot send the app elsewhere.
"""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError

URL_MAX = 500


def _refused_address(address: str) -> str:
    """Why this address is refused ("" when it is a public one)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_private or not ip.is_global or ip.is_multicast or ip.is_reserved:
        return "a private address"
    return ""


def resolved(host: str, port: int) -> list[str]:
    """The addresses `host` resolves to (ValidationError when it does not)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError) as error:
        raise ValidationError(
            f"The host {host} could not be found. Check the URL's spelling."
        ) from error
    return sorted({str(info[4][0]) for info in infos})


def check_destination(url: str) -> None:
    """ValidationError if `url`'s host resolves to an address we refuse."""
    if getattr(settings, "WEBHOOKS_ALLOW_PRIVATE_ADDRESSES", False):
        return
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    for address in resolved(host, port):
        why = _refused_address(address)
        if why:
            raise ValidationError(
                f"{host} is {why} ({address}); webhooks go only to public addresses."
            )


def clean_url(url: str) -> str:
    """The URL as it will be used, or ValidationError saying what is wrong."""
    url = (url or "").strip()
    if not url:
        raise ValidationError("Paste the URL your receiver listens on.")
    if len(url) > URL_MAX:
        raise ValidationError(f"A webhook URL is at most {URL_MAX} characters.")
    if any(c.isspace() or ord(c) < 32 for c in url):
        raise ValidationError("A URL has no spaces or control characters.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise ValidationError(f"That is not a URL: {error}.") from error
    if parts.scheme not in ("http", "https"):
        raise ValidationError("A webhook URL starts with https:// (or http://).")
    if not parts.hostname:
        raise ValidationError("The URL has no host, as in https://example.org/hooks/paperclub.")
    if parts.username or parts.password:
        raise ValidationError("Leave the user name and password out of the URL.")
    if parts.fragment:
        raise ValidationError("A webhook URL has no #fragment.")
    if port == 0:
        raise ValidationError("Port 0 is not a port.")
    check_destination(url)
    return url


def masked(url: str) -> str:
    """Enough to recognise it, never a token: the scheme, host and port, and
    the path's first segment with the rest hidden."""
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]
    segments = [s for s in parts.path.split("/") if s]
    path = "/"
    if segments:
        path += segments[0][:40]
        if len(segments) > 1 or parts.query:
            path += "/••••"
    return f"{parts.scheme}://{host}{path}"[:200]
