"""Reads for the backlog, shaped so a page runs a fixed number of queries."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    F,
    FilteredRelation,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from clubs.models import Club

from . import backlog_cache, signals
from .models import Nomination, Paper, Tag, Vote
from .voting import budget as vote_budget
from .voting import options as vote_options
from .voting import weights as vote_weights

SORTS = {"top": "Top", "trending": "Trending", "new": "New"}
STATES = {
    "open": "Proposed",
    "scheduled": "Scheduled",
    "covered": "Covered",
    "archived": "Archived",
    "any": "Any state",
}
# What the states are called in a sentence ("1 covered paper matches").
STATE_WORDS = {
    "proposed": "proposed",
    "scheduled": "scheduled",
    "covered": "covered",
    "archived": "archived",
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
        if state == "all":  # the filter's old name for "any"
            state = "any"
        return cls(
            sort=sort if sort in SORTS else "top",
            state=state if state in STATES else "open",
            tag=(params.get("tag") or "")[:50],
            query=(params.get("q") or "").strip()[:200],
        )


def _with_viewer_vote(qs: QuerySet[Nomination], user: User | None) -> QuerySet:
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


def _with_trending(qs: QuerySet[Nomination]) -> QuerySet[Nomination]:
    """Annotate `trending` (see trending_score) without reading every vote.

    Every vote counts at least once and vote_count already counts them all (the
    vote service keeps it in the row), so

        trending = vote_count + (votes of the last 30 days) + 2 × (votes of the last 7 days)

    is the same number, and only the last month's votes are joined: the join's
    own condition leaves older ones out, and an index on created_at finds them."""
    now = timezone.now()
    week, month = now - timedelta(days=7), now - timedelta(days=30)
    return qs.annotate(
        recent_votes=FilteredRelation("votes", condition=Q(votes__created_at__gte=month))
    ).annotate(
        trending=F("vote_count")
        + Count("recent_votes")
        + Count("recent_votes", filter=Q(recent_votes__created_at__gte=week)) * 2
    )


def _search(qs: QuerySet[Nomination], query: str) -> QuerySet[Nomination]:
    if connection.vendor == "postgresql":
        # Exactly the expression of the GIN index (migration papers 0008): in a
        # subquery on papers, so PostgreSQL finds the matches through the index
        # whatever order the page asks for, rather than computing each vector.
        # One configuration for every field and for the query: a surname is
        # stemmed alike on both sides (Jones -> jone), so it is found.
        vector = (
            SearchVector("title", weight="A", config="english")
            + SearchVector(Cast("authors", TextField()), weight="B", config="english")
            + SearchVector("abstract", weight="C", config="english")
        )
        # Not narrowed to the club here: the index alone finds the matches
        # fastest, and the nominations around it are the club's anyway.
        matching = Paper.objects.annotate(search=vector).filter(
            search=SearchQuery(query, search_type="websearch", config="english")
        )
        return qs.filter(paper__in=matching.values("pk").distinct())
    # SQLite (the embedded mode): a plain case-insensitive match per word.
    for word in query.split()[:8]:
        qs = qs.annotate(_authors=Cast("paper__authors", TextField())).filter(
            Q(paper__title__icontains=word)
            | Q(paper__abstract__icontains=word)
            | Q(_authors__icontains=word)
        )
    return qs


def _backlog_filtered(
    *, club: Club, options: BacklogFilter, by_tag: bool = True, by_state: bool = True
) -> QuerySet[Nomination]:
    qs = Nomination.objects.filter(club=club)
    if by_state and options.state == "open":
        qs = qs.filter(state=Nomination.State.PROPOSED)
    elif by_state and options.state != "any":
        qs = qs.filter(state=options.state)
    if by_tag and options.tag:
        qs = qs.filter(tags__slug=options.tag)
    if options.query:
        qs = _search(qs, options.query)
    return qs


def club_weights(*, club: Club) -> vote_weights.ClubWeights | None:
    """The club's vote weights when it weighs votes by attendance, else None."""
    if not vote_options.options_for(club_id=club.pk).weighted_votes:
        return None
    return vote_weights.weights_for(club_id=club.pk)


def _with_weights(
    qs: QuerySet[Nomination], weights: vote_weights.ClubWeights, sort: str
) -> QuerySet[Nomination]:
    """Annotate `weighted`: the votes' units summed (papers.voting.weights),
    each times trending's recency (this week ×4, this month ×2, older ×1)
    when the list is trending. One aggregate over the votes' join."""
    factor = None
    if sort == "trending":
        now = timezone.now()
        week, month = now - timedelta(days=7), now - timedelta(days=30)
        factor = Case(
            When(votes__created_at__gte=week, then=Value(4)),
            When(votes__created_at__gte=month, then=Value(2)),
            default=Value(1),
            output_field=IntegerField(),
        )
    return qs.annotate(
        weighted=vote_weights.weighted_units(weights, user_field="votes__user_id", factor=factor)
    )


def _ordering(options: BacklogFilter, weighted: bool = False) -> list:
    ordering = [F("pinned_at").desc(nulls_last=True)]
    if weighted and options.sort in ("top", "trending"):
        ordering += ["-weighted", "-vote_count", "-created_at"]
    elif options.sort == "trending":
        ordering += ["-trending", "-vote_count", "-created_at"]
    elif options.sort == "new":
        ordering += ["-created_at"]
    else:
        ordering += ["-vote_count", "-created_at"]
    return [*ordering, "-pk"]


_READ = object()  # backlog(weights=...) not given: read the club's own


def backlog(
    *, club: Club, user: User | None, options: BacklogFilter, weights=_READ
) -> QuerySet[Nomination]:
    """The backlog in the page's order (with the club's vote weights, when it
    weighs votes: `weighted`, see _with_weights). `weights`: the club's
    ClubWeights (or None: votes are equal) when the caller has read them."""
    qs = _with_viewer_vote(_backlog_filtered(club=club, options=options), user)
    if weights is _READ:
        weights = club_weights(club=club) if options.sort != "new" else None
    elif options.sort == "new":
        weights = None
    if weights is not None:
        qs = _with_weights(qs, weights, options.sort)
        proposers = get_user_model().objects.select_related("profile")
        related = qs.prefetch_related("paper", Prefetch("proposed_by", queryset=proposers))
    elif options.sort == "trending":
        qs = _with_trending(qs)
        # The score is computed, so the whole backlog is sorted: keep its rows
        # narrow and fetch the papers and proposers of one page afterwards.
        proposers = get_user_model().objects.select_related("profile")
        related = qs.prefetch_related("paper", Prefetch("proposed_by", queryset=proposers))
    else:
        # Indexes in these orders (see Nomination.Meta) let a page be read straight
        # off the index, joining only its own rows.
        related = qs.select_related("paper", "proposed_by__profile")
    return related.prefetch_related("tags").order_by(
        *_ordering(options, weighted=weights is not None)
    )


def _ids_list(
    *, club: Club, options: BacklogFilter, version: backlog_cache.BacklogVersion
) -> tuple[tuple, Callable[[], list[int]]]:
    """What names the list of ids `backlog` lists, and how to make it (the
    orders by votes are named by the votes too)."""

    def ids() -> list[int]:
        qs = _backlog_filtered(club=club, options=options)
        # The club's vote weights when its version says it weighs votes.
        weights = None
        if options.sort != "new" and version.weighted:
            weights = vote_weights.weights_for(club_id=club.pk)
        if weights is not None:
            qs = _with_weights(qs, weights, options.sort)
        elif options.sort == "trending":
            qs = _with_trending(qs)
        ordering = _ordering(options, weighted=weights is not None)
        return list(qs.order_by(*ordering).values_list("pk", flat=True))

    params: tuple = (options.sort, options.state, options.tag, options.query)
    if options.sort != "new":
        params += (version.votes,)
    if options.sort == "trending":
        params += (backlog_cache.trending_slot(),)
    return params, ids


def backlog_lists(
    *, club: Club, options: BacklogFilter, version: backlog_cache.BacklogVersion | None = None
) -> tuple[list[int], list]:
    """The ids `backlog` lists, in its order, and the club's topics with how many
    nominations each would list (TagCount: the same state and search, that
    topic instead of the chosen one), from the cache while the club's backlog
    is unchanged (papers.backlog_cache; `version` from backlog_version)."""
    version = version or backlog_cache.backlog_version(club=club)
    found = backlog_cache.cached_lists(
        club=club,
        version=version,
        lists={
            "ids": _ids_list(club=club, options=options, version=version),
            "topics": _topics_list(club=club, options=options),
        },
    )
    return found["ids"], found["topics"]


def _topics_list(*, club: Club, options: BacklogFilter) -> tuple[tuple, Callable[[], list]]:
    def topics() -> list[backlog_cache.TagCount]:
        listed = _backlog_filtered(club=club, options=options, by_tag=False)
        return [
            backlog_cache.TagCount(slug=tag.slug, name=tag.name, uses=tag.uses)
            for tag in club_tags(club=club, nominations=listed)
        ]

    return (options.state, options.query), topics


@dataclass(frozen=True)
class ReadMatch:
    """A paper the club has read that a search matches, as the backlog names it
    (plain values, so it is cached with the lists)."""

    pk: int
    title: str
    covered_on: date | None


READ_MATCHES_SHOWN = 3


def backlog_matches_elsewhere(
    *, club: Club, options: BacklogFilter, version: backlog_cache.BacklogVersion | None = None
) -> tuple[dict[str, int], list[ReadMatch]]:
    """A search that leaves out some states: how many of the club's papers in
    each left-out state match it ({"covered": 1}), so the page can say why a
    paper someone looked for is not listed, and the latest few of those the
    club has read (covered), so the page can link them ("the club read it on
    12 Mar"). Cached like the lists, under what the backlog holds: a vote
    changes neither (measured on the bench's search, issue 14, reading the
    read matches afresh cost each page a full-text statement and about 7 ms)."""
    if not options.query or options.state == "any":
        return {}, []

    def found() -> tuple[dict[str, int], list[ReadMatch]]:
        matching = _backlog_filtered(club=club, options=options, by_state=False)
        shown = {Nomination.State.PROPOSED} if options.state == "open" else {options.state}
        rows = matching.exclude(state__in=shown).values("state").annotate(n=Count("pk"))
        order = list(STATE_WORDS)
        counts = dict(sorted(((r["state"], r["n"]) for r in rows), key=lambda i: order.index(i[0])))
        read: list[ReadMatch] = []
        if "covered" in counts:
            latest = (
                matching.filter(state=Nomination.State.COVERED)
                .select_related("paper")
                .order_by(F("covered_on").desc(nulls_last=True), "-pk")[:READ_MATCHES_SHOWN]
            )
            read = [ReadMatch(n.pk, n.paper.display_title, n.covered_on) for n in latest]
        return counts, read

    params = (options.state, options.tag, options.query)
    # Named apart from the counts alone that an earlier version cached.
    lists = {"elsewhere and read": (params, found)}
    return backlog_cache.cached_lists(club=club, lists=lists, version=version)["elsewhere and read"]


# The paper's long texts, which a card never shows.
_NOT_ON_A_CARD = (
    "paper__abstract",
    "paper__comment",
    "paper__journal_ref",
    "paper__pdf_title",
    "paper__pdf_author",
    "paper__first_pages_text",
)


# What a card's frame and vote button show (papers/_nomination_card.html and
# _vote_button.html), and what says whether its text may come from the cache.
_CARD_FRAME = (
    "club_id",
    "paper_id",
    "state",
    "pinned_at",
    "vote_count",
    "paper__title",
    "paper__arxiv_id",
    "paper__metadata_state",
    "paper__pdf_state",
)


def backlog_page(*, club: Club, user: User | None, ids: list[int]) -> list[Nomination]:
    """These nominations of the club, in this order, with what a backlog card's
    frame and vote button show (`has_voted` too); an id gone meanwhile is left
    out. backlog_cards adds the rest of a card."""
    found = (
        _with_viewer_vote(Nomination.objects.filter(club=club), user)
        .select_related("paper")
        .only(*_CARD_FRAME)
        .in_bulk(ids)
    )
    return [found[pk] for pk in ids if pk in found]


def _cards_in_full(
    *, club: Club, user: User | None, ids: list[int], version: backlog_cache.BacklogVersion
) -> dict[int, Nomination]:
    """{id: nomination} with everything a card's text shows: paper, proposer's
    profile, topics, `has_voted`, and signals (their facts in the same
    statement, the papers the club read from the backlog's cache)."""
    found = (
        signals.with_facts(_with_viewer_vote(Nomination.objects.filter(club=club), user))
        .select_related("paper", "proposed_by__profile")
        .defer(*_NOT_ON_A_CARD)
        .prefetch_related("tags")
        .in_bulk(ids)
    )
    read = read_papers_cached(club=club, version=version)
    signals.signals_attach(club=club, nominations=list(found.values()), read=read)
    return found


def backlog_cards(
    *,
    club: Club,
    user: User | None,
    ids: list[int],
    version: backlog_cache.BacklogVersion | None = None,
) -> list[Nomination]:
    """The cards of these nominations, in this order (what
    papers/_nomination_card.html shows): the frame and vote button read fresh
    (backlog_page), the texts from the cache (backlog_cache.card_texts), and
    the texts rendered now read in full, in bulk (_cards_in_full)."""
    version = version or backlog_cache.backlog_version(club=club)
    return backlog_cache.card_texts(
        club=club,
        version=version,
        nominations=backlog_page(club=club, user=user, ids=ids),
        load=lambda missing: _cards_in_full(club=club, user=user, ids=missing, version=version),
    )


def read_papers_cached(*, club: Club, version: backlog_cache.BacklogVersion | None = None) -> list:
    """signals.read_papers from the backlog's cache: the papers the club read
    change only with the backlog (a week marked done renews its stamp). On the
    bench's five-year club this saves each backlog page a statement and 1,300
    author keys (issue 14)."""
    lists = {"read": ((), lambda: signals.read_papers(club=club))}
    return backlog_cache.cached_lists(club=club, lists=lists, version=version)["read"]


def backlog_top(
    *,
    club: Club,
    user: User | None,
    limit: int = 5,
    version: backlog_cache.BacklogVersion | None = None,
) -> list[Nomination]:
    """The first cards of the backlog's "top" list (from the cache, see
    backlog_lists), as backlog_cards makes them."""
    version = version or backlog_cache.backlog_version(club=club)
    lists = {"ids": _ids_list(club=club, options=BacklogFilter(), version=version)}
    found = backlog_cache.cached_lists(club=club, lists=lists, version=version)
    return backlog_cards(club=club, user=user, ids=found["ids"][:limit], version=version)


@dataclass(frozen=True)
class VotingSetup:
    """How the club's backlog votes count now (papers.voting): cached with the lists."""

    budget: int | None = None
    weights: vote_weights.ClubWeights | None = None


def _voting_setup(club: Club, version: backlog_cache.BacklogVersion) -> VotingSetup:
    weights = vote_weights.weights_for(club_id=club.pk) if version.weighted else None
    return VotingSetup(budget=version.budget, weights=weights)


def voting_setup_cached(
    *, club: Club, version: backlog_cache.BacklogVersion | None = None
) -> VotingSetup:
    """How the club's votes count: the options from the version (read with the
    stamp), the weights from the backlog's cache (renewed by attendance changes)."""
    version = version or backlog_cache.backlog_version(club=club)
    if not version.weighted:
        return VotingSetup(budget=version.budget)
    lists = {"voting": ((), lambda: _voting_setup(club, version))}
    return backlog_cache.cached_lists(club=club, lists=lists, version=version)["voting"]


@dataclass
class ViewerVotes:
    """What the backlog tells the viewer about their own votes."""

    budget: vote_budget.BudgetState | None = None
    factor: str = ""
    why: str = ""


def voting_attach(
    *, club: Club, user: User | None, nominations: list[Nomination], setup: VotingSetup
) -> ViewerVotes:
    """Give each card its weighted total (`weighted_words`) when the club weighs
    votes (one query for the page's votes), and say what the viewer's vote
    counts and how much of their budget is left (one count)."""
    viewer = ViewerVotes()
    member = user is not None and user.is_authenticated
    weights = setup.weights
    if weights is not None:
        voters: dict[int, list[int]] = {n.pk: [] for n in nominations}
        rows = Vote.objects.filter(nomination_id__in=list(voters)).values_list(
            "nomination_id", "user_id"
        )
        for nomination_id, user_id in rows:
            voters[nomination_id].append(user_id)
        for nomination in nominations:
            total = weights.total(voters[nomination.pk])
            nomination.weighted_words = (  # shown by the vote button
                f"{float(total):.2f}".rstrip("0").rstrip(".")
            )
        if member:
            viewer.factor = weights.factor_words(user.pk)
            viewer.why = weights.why(user.pk)
    if setup.budget and member:
        viewer.budget = vote_budget.budget_state(
            club_id=club.pk, user_id=user.pk, budget=setup.budget
        )
    return viewer


def club_tags(*, club: Club, nominations: QuerySet[Nomination] | None = None) -> QuerySet[Tag]:
    """The club's topics (the organizers' list: suggestions are left out), each
    with how many of `nominations` (default: all of the club's) it files."""
    # A count per tag read from the (tag) index alone, rather than a join of
    # every tagging of every club.
    uses = Nomination.tags.through.objects.filter(tag=OuterRef("pk"))
    if nominations is not None:
        uses = uses.filter(nomination__in=nominations.values("pk"))
    uses = uses.order_by().values("tag").annotate(n=Count("*")).values("n")
    return Tag.objects.filter(club=club, state=Tag.State.ACCEPTED).annotate(
        uses=Coalesce(Subquery(uses, output_field=IntegerField()), 0)
    )


def nomination_detail(
    *, club: Club, nomination_id: int, user: User | None, signal_facts: bool = False
) -> Nomination:
    """One nomination with its paper, proposer, tags and the viewer's vote; with
    `signal_facts`, also what its signals need (signals.with_facts) in the same
    statement, as the paper page shows them."""
    qs = Nomination.objects.filter(club=club, pk=nomination_id)
    if signal_facts:
        qs = signals.with_facts(qs)
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


def uploaded_pdf_of(*, club: Club, nomination_id: int) -> Paper:
    """The paper of a nomination in `club` with an uploaded PDF (Paper.DoesNotExist if none)."""
    return Paper.objects.exclude(pdf_file="").get(
        nominations__club=club, nominations__pk=nomination_id
    )


def voters_since(club_id: int, since: datetime) -> QuerySet:
    """Who voted on the club's backlog since `since` (a sign of taking part,
    registered with clubs.reconfirm.participation)."""
    return Vote.objects.filter(nomination__club_id=club_id, created_at__gte=since).values_list(
        "user_id", flat=True
    )
