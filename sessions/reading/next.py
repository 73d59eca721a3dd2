"""What to read next (issue 17 item 2), from the club's own history.

For a member: the backlog's open papers ranked by how near they are (the
related index, papers.related) to what they attended, voted for and
deep-read, each with the paper that put it there. For the club: its topics
that have waiting papers, the ones not covered for longest first.

Both read only stored rows (no tf-idf on a page), in a fixed number of
queries whatever the club's size."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from django.contrib.auth.models import User
from django.db.models import Count, F, Max, Q

from clubs.models import Club
from papers.models import Nomination, RelatedPaper, Tag, Vote

from ..models import Attendance, PreRead, SessionPaper

# How much each kind of history says about a member's taste.
WEIGHTS = {"deep_read": 3.0, "attended": 2.0, "voted": 1.0}
WORDS = {"deep_read": "you deep-read", "attended": "you came to", "voted": "you voted for"}
SHOWN = 8
TOPICS_SHOWN = 8
PAPERS_PER_TOPIC = 3


@dataclass(frozen=True)
class Suggestion:
    nomination: Nomination
    score: float
    because: Nomination  # the paper of the member's history nearest to it
    because_kind: str  # a key of WORDS
    when: date | datetime | None

    @property
    def reason(self) -> str:
        return WORDS[self.because_kind]


def _history(*, club: Club, user: User) -> dict[int, tuple[str, float, date | datetime | None]]:
    """{nomination id: (strongest kind, weight, when)} of the member's history here."""
    found: dict[int, tuple[str, float, date | datetime | None]] = {}

    def add(nomination_id: int, kind: str, when) -> None:
        if nomination_id not in found or WEIGHTS[kind] > found[nomination_id][1]:
            found[nomination_id] = (kind, WEIGHTS[kind], when)

    deep = SessionPaper.objects.filter(
        session__club=club,
        session__in=PreRead.objects.filter(user=user, level=PreRead.Level.DEEP).values("session"),
    ).values_list("nomination_id", "session__starts_at")
    for nomination_id, when in deep:
        add(nomination_id, "deep_read", when)
    came = SessionPaper.objects.filter(
        session__club=club,
        session__in=Attendance.objects.filter(user=user).values("session"),
    ).values_list("nomination_id", "session__starts_at")
    for nomination_id, when in came:
        add(nomination_id, "attended", when)
    voted = Vote.objects.filter(user=user, nomination__club=club).values_list(
        "nomination_id", "created_at"
    )
    for nomination_id, when in voted:
        add(nomination_id, "voted", when)
    return found


def read_next_for(*, club: Club, user: User, limit: int = SHOWN) -> list[Suggestion]:
    """Open papers of the backlog the member has not voted for, nearest to
    their history first (each related pair counts both ways)."""
    history = _history(club=club, user=user)
    if not history:
        return []
    ids = list(history)
    pairs = RelatedPaper.objects.filter(club=club).filter(
        Q(nomination_id__in=ids) | Q(related_id__in=ids)
    )
    totals: dict[int, float] = defaultdict(float)
    best: dict[int, tuple[float, int]] = {}
    for source, target, score in pairs.values_list("nomination_id", "related_id", "score"):
        for mine, other in ((source, target), (target, source)):
            if mine in history and other not in history:
                part = history[mine][1] * score
                totals[other] += part
                if other not in best or part > best[other][0]:
                    best[other] = (part, mine)
    if not totals:
        return []
    wanted = sorted(totals, key=lambda pk: (-totals[pk], pk))[: limit * 3]
    found = (
        Nomination.objects.filter(club=club, pk__in=wanted + [b for _, b in best.values()])
        .select_related("paper")
        .defer("paper__abstract", "paper__first_pages_text", "paper__comment")
        .in_bulk()
    )
    suggestions = []
    for pk in wanted:
        nomination = found.get(pk)
        if nomination is None or nomination.state != Nomination.State.PROPOSED:
            continue
        because = found[best[pk][1]]
        kind, _, when = history[because.pk]
        suggestions.append(
            Suggestion(
                nomination=nomination,
                score=totals[pk],
                because=because,
                because_kind=kind,
                when=when,
            )
        )
    return suggestions[:limit]


@dataclass(frozen=True)
class QuietTopic:
    tag: Tag
    last_read: date | None
    waiting: int
    papers: list[tuple[int, str]]  # (nomination id, title), most voted first


def not_covered_in_a_while(*, club: Club, limit: int = TOPICS_SHOWN) -> list[QuietTopic]:
    """The club's topics with papers waiting, never read or read longest ago
    first, each with its most-voted waiting papers (two queries)."""
    tags = list(
        Tag.objects.filter(club=club, state=Tag.State.ACCEPTED)
        .annotate(
            last_read=Max(
                "nominations__covered_on",
                filter=Q(nominations__state=Nomination.State.COVERED),
            ),
            waiting=Count(
                "nominations",
                filter=Q(nominations__state=Nomination.State.PROPOSED),
                distinct=True,
            ),
        )
        .filter(waiting__gt=0)
        .order_by(F("last_read").asc(nulls_first=True), "name")[:limit]
    )
    through = Nomination.tags.through.objects.filter(
        tag__in=[t.pk for t in tags], nomination__state=Nomination.State.PROPOSED
    ).order_by("-nomination__vote_count", "-nomination_id")
    papers: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for tag_id, nomination_id, title, arxiv_id in through.values_list(
        "tag_id", "nomination_id", "nomination__paper__title", "nomination__paper__arxiv_id"
    ):
        if len(papers[tag_id]) < PAPERS_PER_TOPIC:
            papers[tag_id].append((nomination_id, title or f"arXiv:{arxiv_id}"))
    return [
        QuietTopic(tag=t, last_read=t.last_read, waiting=t.waiting, papers=papers[t.pk])
        for t in tags
    ]
