"""Sections that higher apps add to a paper's page (papers knows no sessions).

A higher app registers a template and a function returning its context (in
its AppConfig.ready), e.g. the sessions app's discussion of the paper. The
page includes each section's template with its context as `section`.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest

from clubs.permissions import ClubAccess

from .models import Nomination

SectionContext = Callable[[HttpRequest, ClubAccess, Nomination], dict]


@dataclass(frozen=True)
class PaperPageSection:
    template: str
    context: SectionContext


_sections: list[PaperPageSection] = []


def register(template: str, context: SectionContext) -> None:
    section = PaperPageSection(template=template, context=context)
    if section not in _sections:
        _sections.append(section)


def sections_for(
    request: HttpRequest, access: ClubAccess, nomination: Nomination
) -> list[tuple[str, dict]]:
    """Each registered section's template and its context, in registration order."""
    return [(s.template, s.context(request, access, nomination)) for s in _sections]
