"""Sections that higher apps add to the club settings page.

clubs knows nothing of papers or sessions; those apps register a template and
a function returning its context (in their AppConfig.ready), e.g. the papers
app's options for how backlog votes count. Each section is its own form that
posts to its app's own URL; the page includes each template with its context
as `section`.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest

from .permissions import ClubAccess

SectionContext = Callable[[HttpRequest, ClubAccess], dict]


@dataclass(frozen=True)
class SettingsSection:
    template: str
    context: SectionContext


_sections: list[SettingsSection] = []


def register(template: str, context: SectionContext) -> None:
    section = SettingsSection(template=template, context=context)
    if section not in _sections:
        _sections.append(section)


def sections_for(request: HttpRequest, access: ClubAccess) -> list[tuple[str, dict]]:
    """Each registered section's template and its context, in registration order."""
    return [(section.template, section.context(request, access)) for section in _sections]
