"""Sections that higher apps add to a person's profile page.

clubs knows nothing of papers or sessions; those apps register a template and
a function returning its context (in their AppConfig.ready), e.g. the
sessions app's attendance streaks per club. The page includes each section's
template with its context as `section`.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest

SectionContext = Callable[[HttpRequest], dict]


@dataclass(frozen=True)
class ProfileSection:
    template: str
    context: SectionContext


_sections: list[ProfileSection] = []


def register(template: str, context: SectionContext) -> None:
    section = ProfileSection(template=template, context=context)
    if section not in _sections:
        _sections.append(section)


def sections_for(request: HttpRequest) -> list[tuple[str, dict]]:
    """Each registered section's template and its context, in registration order."""
    return [(section.template, section.context(request)) for section in _sections]
