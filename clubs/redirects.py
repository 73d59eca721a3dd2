"""Where a form goes once it is done: back to the page it was posted from.

Forms that several pages show (a vote, a claim, "send again") post a `next`
field with the page's path; it is followed only when it stays on this site
(and on https when the request came by https), so a link elsewhere cannot
turn the app into an open redirect."""

from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme


def safe_url(request: HttpRequest, url: str) -> str:
    """`url` if it stays on this site (and on https when the request came by https), else ""."""
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return ""


def redirect_back(request: HttpRequest, default: str, *, anchor: str = "") -> HttpResponseRedirect:
    """To the POSTed `next` if it is on this site, else to `default`; at `#anchor` when
    given (a vote without JavaScript comes back to the card it was on, not the top)."""
    target = safe_url(request, request.POST.get("next") or "") or default
    if anchor:
        target = f"{target.split('#')[0]}#{anchor}"
    return redirect(target)
