"""The benchmark's floor: routed only when PAPERCLUB_BENCH=1 (paperclub/urls.py).

A signed-in page that renders the base template (header, navigation, footer)
around a line of text and runs none of the app's own queries: only what every
signed-in page pays (the session, the user, the viewer's time zone). Every other
page's throughput is reported as a fraction of this one's."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.template import engines

_FLOOR = engines["django"].from_string(
    '{% extends "base.html" %}{% block head_title %}Floor{% endblock %}'
    "{% block content %}<h1>Floor</h1><p>The benchmark's baseline page.</p>{% endblock %}"
)


@login_required
def floor(request: HttpRequest) -> HttpResponse:
    return HttpResponse(_FLOOR.render({}, request))
