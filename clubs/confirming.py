"""Destructive POSTs ask first, with or without JavaScript.

A form marked `data-confirm="Question?"` asks in a script dialog, and static/js/app.js
adds `confirmed=1` to it when the reader says yes. A POST that arrives without that
field (no JavaScript, or an old page) is answered by `confirm.html`: what will happen,
a button that sends the same fields again with `confirmed=1`, and a way back. Nothing
changes until then. One decorator for every such view, below its permission check:

    @require_POST
    @club_view(needs=MEMBER)
    @confirm_first(lambda request, access: Ask(question=..., consequence=..., button=...))
    def club_leave(request, access): ...

The callable sees the view's arguments and may return None when this request needs
no confirmation (an organizer demoting someone else, a pending member withdrawing).
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .redirects import safe_url

CONFIRM_FIELD = "confirmed"
# Never echoed back into the confirmation page's form: Django adds a fresh token.
_NOT_ECHOED = {"csrfmiddlewaretoken", CONFIRM_FIELD}


@dataclass(frozen=True)
class Ask:
    question: str  # "Leave Zebra club?"
    consequence: str  # what will happen, in a sentence or two
    button: str  # "Yes, leave the club"
    back: str = ""  # where "No, go back" leads; the form's `next` or the referring page if empty


def _back_url(request: HttpRequest, ask: Ask) -> str:
    return (
        safe_url(request, request.POST.get("next", ""))
        or safe_url(request, ask.back)
        or safe_url(request, request.headers.get("referer", ""))
        or "/"
    )


def confirmation_page(request: HttpRequest, ask: Ask) -> HttpResponse:
    """The page a POST without `confirmed` gets: it changes nothing."""
    fields = [
        (name, value)
        for name in request.POST
        if name not in _NOT_ECHOED
        for value in request.POST.getlist(name)
    ]
    context = {
        "ask": ask,
        "action": request.get_full_path(),
        "fields": fields,
        "confirm_field": CONFIRM_FIELD,
        "back_url": _back_url(request, ask),
    }
    return render(request, "confirm.html", context)


def confirm_first(asks: Callable[..., Ask | None]) -> Callable:
    """Decorate a POST view: without `confirmed=1` it answers with `asks(...)`'s page."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.method == "POST" and request.POST.get(CONFIRM_FIELD) != "1":
                ask = asks(request, *args, **kwargs)
                if ask is not None:
                    return confirmation_page(request, ask)
            return view(request, *args, **kwargs)

        wrapper.asks_first = True  # type: ignore[attr-defined]  # read by the tests
        return wrapper

    return decorator
