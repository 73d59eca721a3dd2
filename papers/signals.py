"""Signals an organizer judges a paper by, computed from what the club and
arXiv already know, never typed (issue 17 item 4).

Each signal is a short label for a card and a sentence that explains it (the
label's hover title, and the text on the paper page):

- age: how long ago the paper first appeared (the club's sweet spot is papers
  that mattered one to three years ago and still do);
- the club kept coming back: votes still arriving months after it was proposed;
- the field kept coming back: arXiv versions, and cross-lists to other categories;
- code: a link to code in the abstract or the authors' comment;
- survey: the title or abstract calls it a survey or review;
- authors the club has read before: how many of their papers and when;
- word of mouth: votes in the last seven days;
- near a paper read: the closest covered paper in the related index.

`signals_for` computes them for many nominations at once in a fixed number of
queries whatever their number: the card's own statement carries the per-card
facts (`with_facts`), and one more reads the papers the club has read (the
club home takes those from the backlog's cache)."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import (
    BooleanField,
    Count,
    ExpressionWrapper,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.dateformat import format as date_format

from clubs.models import Club

from .models import Nomination, Paper, RelatedPaper, Vote
from .related import selectors as related_selectors
from .related.index import author_key

# Still voted for this long after it was proposed: the club kept coming back.
CAME_BACK_AFTER = timedelta(days=60)
RECENT = timedelta(days=30)
WEEK = timedelta(days=7)
# Words that make a title a survey, and phrases that make an abstract one.
SURVEY_TITLE_WORDS = ("survey", "a review", "review of", "overview", "tutorial", "primer")
SURVEY_ABSTRACT_PHRASES = (
    "this survey",
    "we survey",
    "a survey of",
    "comprehensive review",
    "systematic review",
    "this review",
    "we review",
)
AUTHORS_LISTED = 3


@dataclass(frozen=True)
class Signal:
    kind: str
    label: str
    explanation: str


def _day(value: date | datetime | None) -> str:
    return date_format(value, "j M Y") if value else "an earlier session"


def _ago(days: int) -> str:
    if days < 45:
        return f"{days} day{'s' if days != 1 else ''}"
    months = round(days / 30.4)
    if months < 18:
        return f"{months} month{'s' if months != 1 else ''}"
    years = round(days / 365.25, 1)
    return f"{years:g} years"


def survey_q(prefix: str = "") -> Q:
    """The survey rule as a query on papers (portable: no regular expressions)."""
    q = Q()
    for word in SURVEY_TITLE_WORDS:
        q |= Q(**{f"{prefix}title__icontains": word})
    for phrase in SURVEY_ABSTRACT_PHRASES:
        q |= Q(**{f"{prefix}abstract__icontains": phrase})
    return q


def _age(paper: Paper, nomination: Nomination, now: datetime) -> Signal | None:
    if paper.published_at:
        days = (now - paper.published_at).days
        first = date_format(paper.published_at, "M Y")
    elif paper.year:
        days = max(0, (now.date() - date(paper.year, 7, 1)).days)
        first = str(paper.year)
    else:
        return None
    proposed = (now - nomination.created_at).days
    label = f"{_ago(days)} old" if days >= 45 else "new this month"
    sweet = ""
    if 365 <= days <= 3 * 365 + 30:
        sweet = " (the club's sweet spot: it mattered one to three years ago)"
    return Signal(
        "age",
        label,
        f"First out in {first}, {_ago(days)} ago{sweet}; proposed here {_ago(proposed)} ago.",
    )


def _came_back(nomination: Nomination, last_vote: datetime | None, now: datetime) -> Signal | None:
    if not last_vote or last_vote - nomination.created_at < CAME_BACK_AFTER:
        return None
    if now - last_vote > RECENT:
        return None
    later = _ago((last_vote - nomination.created_at).days)
    return Signal(
        "came_back",
        "club keeps coming back",
        f"Still getting votes {later} after it was proposed: the latest on {_day(last_vote)}.",
    )


def _field(paper: Paper) -> list[Signal]:
    found = []
    versions = paper.arxiv_latest_version or paper.arxiv_version or 0
    if versions >= 2:
        revised = f", the latest on {_day(paper.revised_at)}" if paper.revised_at else ""
        found.append(
            Signal(
                "versions",
                f"v{versions} on arXiv",
                f"The authors revised it {versions - 1} time{'s' if versions > 2 else ''} on "
                f"arXiv{revised}: the field kept coming back to it.",
            )
        )
    cross = [c for c in (paper.categories or []) if c and c != paper.primary_category]
    if cross:
        primary = f"under {paper.primary_category}, " if paper.primary_category else ""
        found.append(
            Signal(
                "cross_lists",
                f"cross-listed: {', '.join(cross[:2])}",
                f"On arXiv {primary}cross-listed in {', '.join(cross)}: read beyond its own field.",
            )
        )
    return found


def _code(paper: Paper) -> Signal | None:
    links = paper.code_links or []
    if not links:
        return None
    where = links[0].removeprefix("https://").removeprefix("http://")
    return Signal("code", "code", f"The abstract or the authors' comment links code: {where}.")


def _survey() -> Signal:
    return Signal(
        "survey",
        "survey",
        "Its title or abstract calls it a survey or review: a week to map a whole field.",
    )


@dataclass(frozen=True)
class ReadPaper:
    """A paper the club read, as the authors' signal needs it (cacheable)."""

    nomination_id: int
    title: str
    covered_on: date | None
    author_keys: tuple[str, ...]


def read_papers(*, club: Club) -> list[ReadPaper]:
    """Every paper the club has read (covered), in one query. It changes only
    with the backlog, so the club home keeps it in the backlog's cache."""
    rows = Nomination.objects.filter(club=club, state=Nomination.State.COVERED).values_list(
        "pk", "paper__title", "paper__arxiv_id", "paper__authors", "covered_on"
    )
    return [
        ReadPaper(
            nomination_id=pk,
            title=title or f"arXiv:{arxiv_id}",
            covered_on=covered_on,
            author_keys=tuple({author_key(a) for a in authors or []}),
        )
        for pk, title, arxiv_id, authors, covered_on in rows
    ]


def _authors_read(paper: Paper, nomination_id: int, by_author: dict) -> Signal | None:
    read: dict[int, ReadPaper] = {}
    names: list[str] = []
    for name in paper.authors or []:
        key = author_key(name)
        papers = [r for r in by_author.get(key, []) if r.nomination_id != nomination_id]
        if papers:
            names.append(name.split()[-1] if name.split() else name)
            read.update({r.nomination_id: r for r in papers})
    if not read:
        return None
    ordered = sorted(read.values(), key=lambda r: r.covered_on or date.min, reverse=True)
    listed = "; ".join(f"“{r.title}” ({_day(r.covered_on)})" for r in ordered[:AUTHORS_LISTED])
    more = f" and {len(ordered) - AUTHORS_LISTED} more" if len(ordered) > AUTHORS_LISTED else ""
    n = len(ordered)
    return Signal(
        "authors",
        f"authors read before: {n} paper{'s' if n != 1 else ''}",
        f"The club has read {n} paper{'s' if n != 1 else ''} by {', '.join(names[:3])} "
        f"before: {listed}{more}.",
    )


def _velocity(week_votes: int) -> Signal | None:
    if not week_votes:
        return None
    return Signal(
        "velocity",
        f"+{week_votes} vote{'s' if week_votes != 1 else ''} this week",
        f"{week_votes} vote{'s' if week_votes != 1 else ''} in the last seven days: word of mouth.",
    )


def _read_near(title: str, covered_on: date | None, score: float, weak: bool) -> Signal:
    loose = " (a weaker match: title and authors only)" if weak else ""
    return Signal(
        "read_near",
        f"near a paper read on {_day(covered_on)}",
        f"Closely related to “{title}”, which the club read on {_day(covered_on)}: "
        f"{score:.2f} alike by title, abstract and authors{loose}.",
    )


FACTS = (
    "week_votes",
    "last_vote",
    "is_survey",
    "near_title",
    "near_arxiv_id",
    "near_covered_on",
    "near_score",
    "near_weak",
)


def with_facts(qs: QuerySet[Nomination], now: datetime | None = None) -> QuerySet[Nomination]:
    """Annotate what the signals need of each nomination's rows, as correlated
    subqueries of the page's own statement (no GROUP BY, no extra query):
    votes this week, the latest vote, whether the paper reads as a survey, and
    the closest paper the club read (papers.related)."""
    now = now or timezone.now()
    votes = Vote.objects.filter(nomination=OuterRef("pk")).order_by()
    week = votes.filter(created_at__gte=now - WEEK).values("nomination").annotate(n=Count("*"))
    near = RelatedPaper.objects.filter(
        nomination=OuterRef("pk"),
        related__state=Nomination.State.COVERED,
        score__gte=related_selectors.CLOSE,
    ).order_by("rank")
    return qs.annotate(
        week_votes=Coalesce(Subquery(week.values("n"), output_field=IntegerField()), 0),
        last_vote=Subquery(votes.order_by("-created_at").values("created_at")[:1]),
        is_survey=ExpressionWrapper(survey_q("paper__"), output_field=BooleanField()),
        near_title=Subquery(near.values("related__paper__title")[:1]),
        near_arxiv_id=Subquery(near.values("related__paper__arxiv_id")[:1]),
        near_covered_on=Subquery(near.values("related__covered_on")[:1]),
        near_score=Subquery(near.values("score")[:1]),
        near_weak=Subquery(near.values("weak")[:1]),
    )


def _facts(nominations: list[Nomination], now: datetime) -> dict[int, dict]:
    """Each nomination's facts: from its own annotations (with_facts) when the
    page's statement had them, else in one statement for all of them."""
    if all(hasattr(n, "week_votes") for n in nominations):
        return {n.pk: {name: getattr(n, name) for name in FACTS} for n in nominations}
    rows = with_facts(Nomination.objects.filter(pk__in=[n.pk for n in nominations]), now)
    return {row["pk"]: dict(row) for row in rows.values("pk", *FACTS)}


def signals_for(
    *,
    club: Club,
    nominations: list[Nomination],
    now: datetime | None = None,
    read: list[ReadPaper] | None = None,
) -> dict[int, list[Signal]]:
    """{nomination id: its signals}, for nominations of `club` with their papers
    loaded (the card's fields are enough), in two queries whatever their number
    (one when the caller has `read`, read_papers' answer, from a cache)."""
    now = now or timezone.now()
    if not nominations:
        return {}
    facts = _facts(nominations, now)
    by_author: dict[str, list[ReadPaper]] = defaultdict(list)
    for entry in read if read is not None else read_papers(club=club):
        for key in entry.author_keys:
            by_author[key].append(entry)
    found: dict[int, list[Signal]] = {}
    for nomination in nominations:
        paper = nomination.paper
        fact = facts.get(nomination.pk, {})
        near = None
        if fact.get("near_score") is not None and nomination.state != Nomination.State.COVERED:
            near = _read_near(
                fact["near_title"] or f"arXiv:{fact['near_arxiv_id']}",
                fact["near_covered_on"],
                fact["near_score"],
                bool(fact["near_weak"]),
            )
        signals = [
            _age(paper, nomination, now),
            _came_back(nomination, fact.get("last_vote"), now),
            *_field(paper),
            _code(paper),
            _survey() if fact.get("is_survey") else None,
            _authors_read(paper, nomination.pk, by_author),
            _velocity(fact.get("week_votes", 0)),
            near,
        ]
        found[nomination.pk] = [s for s in signals if s is not None]
    return found


def signals_attach(
    *, club: Club, nominations: list[Nomination], read: list[ReadPaper] | None = None
) -> list[Nomination]:
    """Set `.signals` on each nomination (what the card template reads)."""
    found = signals_for(club=club, nominations=nominations, read=read)
    for nomination in nominations:
        nomination.signals = found.get(nomination.pk, [])  # type: ignore[attr-defined]
    return nominations
