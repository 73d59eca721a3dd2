"""Sections that higher apps add to the club home page.

clubs knows nothing of papers or sessions; those apps register a function
here (in their AppConfig.ready) that returns extra template context for the
club home, e.g. the top of the backlog or the next session.
"""

from collections.abc import Callable

from django.http import HttpRequest

from .permissions import ClubAccess

SectionProvider = Callable[[HttpRequest, ClubAccess], dict]
_providers: list[SectionProvider] = []


def register(provider: SectionProvider) -> SectionProvider:
    if provider not in _providers:
        _providers.append(provider)
    return provider


def context_for(request: HttpRequest, access: ClubAccess) -> dict:
    context: dict = {}
    for provider in _providers:
        context.update(provider(request, access))
    return context
