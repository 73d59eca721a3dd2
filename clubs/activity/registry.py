"""The kinds of change the activity log knows, registered by the apps that make them.

A kind is a name ("papers.merge"), a label for the log's filter, a group for
the filter's sections, and, for the changes that can be put back, an `Undo`:
`blockers(entry)` says what stops the undo now (an empty list when nothing
does) and `apply(entry, by)` reverses the change and returns a verb phrase for
the undo's own entry. Both run inside the undo's transaction, after the
entry's row is locked; `apply` is only called when `blockers` found nothing.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from ..models import ActivityEntry


@dataclass(frozen=True)
class Undo:
    blockers: "Callable[[ActivityEntry], list[str]]"
    apply: "Callable[[ActivityEntry, User], str]"
    # What the confirmation page says will happen: "The duplicate comes back…".
    explain: "Callable[[ActivityEntry], str] | None" = None


@dataclass(frozen=True)
class Kind:
    name: str
    label: str
    group: str
    undo: Undo | None = None


_KINDS: dict[str, Kind] = {}


def register(*kinds: Kind) -> None:
    for kind in kinds:
        existing = _KINDS.get(kind.name)
        if existing is not None and existing != kind:
            raise ValueError(f"Activity kind {kind.name!r} is registered twice.")
        _KINDS[kind.name] = kind


def kind_for(name: str) -> Kind | None:
    return _KINDS.get(name)


def all_kinds() -> list[Kind]:
    """Every kind, by group then label (the filter's order)."""
    return sorted(_KINDS.values(), key=lambda kind: (kind.group, kind.label))
