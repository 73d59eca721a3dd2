"""Reads for the backlog, shaped so a page runs a fixed number of queries."""

from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    TextField,
    Value,
)
from django.db.models.functions import Cast
from django.utils import timezone

from clubs.models import Club

from .models import Nomination, Tag, Vote

SORTS = {"top": "Top", "trending": "Trending", "new": "New"}
STATES = {
    "open": "Proposed",
    "scheduled": "Scheduled",
    "covered": "Covered",
    "archived": "Archived",
    "all": "All",
}


@dataclass(frozen=True)
class BacklogFilter:
    sort: str = "top"
    state: str = "open"
    tag: str = ""
    query: str = ""

    @classmethod
    def from_params(cls, params) -> "BacklogFilter":
        sort = params.get("sort", "top")
        state = params.get("state", "open")
        return cls(
            sort=sort if sort in SORTS else "top",
            state=state if state in STATES else "open",
            tag=(params.get("tag") or "")[:50],
            query=(params.get("q") or "").strip()[:200],
        )


def _with_viewer_vote(qs: QuerySet[Nomination], user: AbstractBaseUser | None) -> QuerySet:
    if user is None or not user.is_authenticated:
        return qs.annotate(has_voted=Value(False, output_field=BooleanField()))
    return qs.annotate(has_voted=Exists(Vote.objects.filter(nomination=OuterRef("pk"), user=user)))


def trending_score():
    """Trending = votes weighted by how recent they are.

    score = 4 × (votes in the last 7 days) + 2 × (votes 7–30 days old)
            + 1 × (older votes)

    so a paper that many people voted for this week overtakes an old favourite,
    yet old votes never count for nothing. Buckets rather than a smooth decay
    keep it one indexed aggregate that runs the same on PostgreSQL and SQLite.
    """
    now = timezone.now()
    week, month = now - timedelta(days=7), now - timedelta(days=30)
    return (
        Count("votes", filter=Q(votes__created_at__gte=week)) * 4
        + Count("votes", filter=Q(votes__created_at__lt=week, votes__created_at__gte=month)) * 2
        + Count("votes", filter=Q(votes__created_at__lt=month))
    )


def _search(qs: QuerySet[Nomination], query: str) -> QuerySet[Nomination]:
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchVector

        vector = (
            SearchVector("paper__title", weight="A", config="english")
            + SearchVector(Cast("paper__authors", TextField()), weight="B", config="simple")
            + SearchVector("paper__abstract", weight="C", config="english")
        )
        return qs.annotate(search=vector).filter(
            search=SearchQuery(query, search_type="websearch", config="english")
        )
    # SQLite (the embedded mode): a plain case-insensitive match per word.
    for word in query.split()[:8]:
        qs = qs.annotate(_authors=Cast("paper__authors", TextField())).filter(
            Q(paper__title__icontains=word)
            | Q(paper__abstract__icontains=word)
            | Q(_authors__icontains=word)
        )
    return qs


def backlog(
    *, club: Club, user: AbstractBaseUser | None, options: BacklogFilter
) -> QuerySet[Nomination]:
    qs = Nomination.objects.filter(club=club)
    if options.state == "open":
        qs = qs.filter(state=Nomination.State.PROPOSED)
    elif options.state != "all":
        qs = qs.filter(state=options.state)
    if options.tag:
        qs = qs.filter(tags__slug=options.tag)
    if options.query:
        qs = _search(qs, options.query)
    qs = _with_viewer_vote(qs, user)
    ordering = [F("pinned_at").desc(nulls_last=True)]
    if options.sort == "trending":
        qs = qs.annotate(trending=trending_score())
        ordering += ["-trending", "-vote_count", "-created_at"]
    elif options.sort == "new":
        ordering += ["-created_at"]
    else:
        ordering += ["-vote_count", "-created_at"]
    return (
        qs.select_related("paper", "proposed_by__profile")
        .prefetch_related("tags")
        .order_by(*ordering, "-pk")
    )


def backlog_top(*, club: Club, user: AbstractBaseUser | None, limit: int = 5) -> list[Nomination]:
    return list(backlog(club=club, user=user, options=BacklogFilter())[:limit])


def club_tags(*, club: Club) -> QuerySet[Tag]:
    return Tag.objects.filter(club=club).annotate(
        uses=Count("nominations", output_field=IntegerField())
    )


def nomination_detail(
    *, club: Club, nomination_id: int, user: AbstractBaseUser | None
) -> Nomination:
    qs = Nomination.objects.filter(club=club, pk=nomination_id)
    return (
        _with_viewer_vote(qs, user)
        .select_related("paper", "proposed_by__profile")
        .prefetch_related("tags")
        .get()
    )


def others_have_voted(*, nomination: Nomination) -> bool:
    return Vote.objects.filter(nomination=nomination).exclude(user=nomination.proposed_by).exists()


def club_home_backlog_section(request, access) -> dict:
    """The club home's "top of the backlog" (registered in PapersConfig.ready)."""
    return {"backlog_top": backlog_top(club=access.club, user=request.user)}
