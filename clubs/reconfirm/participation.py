"""What counts as taking part in a club, for the re-confirmation of quiet members.

clubs knows no papers or sessions, so the apps above register a source each
(in their AppConfig.ready): a function of (club id, since) giving the ids of
the users who took part in that club since then, as a values_list query or
any iterable of ids. Registered today: "sessions.rsvps",
"sessions.attendance" and POSTS, the discussion's posts
(sessions/apps.py), and "papers.votes" (papers/apps.py). A source the policy
expects and nobody registered is named by `missing_sources()`, and the policy
page says it is not counted yet.
"""

from collections.abc import Callable, Iterable
from datetime import datetime

Source = Callable[[int, datetime], Iterable[int]]

POSTS = "discussion.posts"
EXPECTED = ("sessions.rsvps", "sessions.attendance", "papers.votes", POSTS)

_SOURCES: dict[str, Source] = {}


def register(name: str, source: Source) -> None:
    _SOURCES[name] = source


def registered() -> list[str]:
    return sorted(_SOURCES)


def missing_sources() -> list[str]:
    """Kinds of taking part the policy expects and nobody registered (yet)."""
    return [name for name in EXPECTED if name not in _SOURCES]


def took_part(*, club_id: int, since: datetime) -> set[int]:
    """Every user who took part in the club since `since`, by any registered source."""
    found: set[int] = set()
    for source in _SOURCES.values():
        found.update(source(club_id, since))
    return found
