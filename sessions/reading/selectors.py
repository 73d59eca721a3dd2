"""Reads for pre-reading: progress counts, who read what, questions, stats, my reading."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.models import User
from django.db.models import (
    Count,
    Exists,
    IntegerField,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from clubs.models import Club, Membership
from papers.models import Nomination, PaperNote

from ..models import Attendance, PreRead, Question, QuestionVote, Rsvp, Session, SessionPaper


def _count(model, *, filter: Q | None = None):
    """A correlated COUNT subquery per session: no join fan-out, one query per list."""
    qs = model.objects.filter(session=OuterRef("pk"))
    if filter is not None:
        qs = qs.filter(filter)
    return Coalesce(
        Subquery(
            qs.order_by().values("session").annotate(n=Count("pk")).values("n"),
            output_field=IntegerField(),
        ),
        0,
    )


def with_reading_counts(qs: QuerySet[Session]) -> QuerySet[Session]:
    return qs.annotate(
        skimmed_count=_count(PreRead, filter=Q(level=PreRead.Level.SKIMMED)),
        read_count=_count(PreRead, filter=Q(level=PreRead.Level.READ)),
        deep_count=_count(PreRead, filter=Q(level=PreRead.Level.DEEP)),
        question_count=_count(Question),
        going_total=_count(Rsvp, filter=Q(answer=Rsvp.Answer.GOING)),
    )


@dataclass(frozen=True)
class LevelCount:
    level: int
    label: str
    count: int


def preread_summary(
    *, session: Session, user: User | None = None, going_levels: list[int] | None = None
) -> tuple[list[LevelCount], int]:
    """How far those going have read, and the viewer's own level, in one query,
    or in none given the levels of everyone going (`going_levels`, the session
    page reads them with the names it lists) and a session read with the
    viewer's level (`my_preread_level`, rota's session_detail).

    Every count is of the people going (the page says so), so they add up to the
    going count: "not started" is those going with level 0 or no row; a reader who
    is not going is not counted (issue 15)."""
    if going_levels is not None and hasattr(session, "my_preread_level"):
        started = [level for level in going_levels if level > PreRead.Level.NONE]
        return _level_counts(
            going_count=len(going_levels),
            started=len(started),
            skimmed=started.count(PreRead.Level.SKIMMED),
            read=started.count(PreRead.Level.READ),
            deep=started.count(PreRead.Level.DEEP),
        ), session.my_preread_level or PreRead.Level.NONE
    going = Q(
        user__in=Rsvp.objects.filter(session=session, answer=Rsvp.Answer.GOING).values("user")
    )
    mine = Q(user=user) if user is not None and user.is_authenticated else Q(pk__in=[])
    totals = PreRead.objects.filter(session=session).aggregate(
        skimmed=Count("pk", filter=going & Q(level=PreRead.Level.SKIMMED)),
        read=Count("pk", filter=going & Q(level=PreRead.Level.READ)),
        deep=Count("pk", filter=going & Q(level=PreRead.Level.DEEP)),
        going_started=Count("pk", filter=going & Q(level__gt=PreRead.Level.NONE)),
        mine=Max("level", filter=mine),
    )
    going_count = getattr(session, "going_count", None)
    if going_count is None:
        going_count = Rsvp.objects.filter(session=session, answer=Rsvp.Answer.GOING).count()
    counts = _level_counts(
        going_count=going_count,
        started=totals["going_started"],
        skimmed=totals["skimmed"],
        read=totals["read"],
        deep=totals["deep"],
    )
    return counts, totals["mine"] or PreRead.Level.NONE


def _level_counts(
    *, going_count: int, started: int, skimmed: int, read: int, deep: int
) -> list[LevelCount]:
    by_level = {
        PreRead.Level.NONE: max(0, going_count - started),
        PreRead.Level.SKIMMED: skimmed,
        PreRead.Level.READ: read,
        PreRead.Level.DEEP: deep,
    }
    return [
        LevelCount(level=level, label=label, count=by_level[level])
        for level, label in PreRead.Level.choices
    ]


def preread_counts(*, session: Session) -> list[LevelCount]:
    return preread_summary(session=session)[0]


def my_preread_level(*, session: Session, user: User | None) -> int:
    if user is None or not user.is_authenticated:
        return PreRead.Level.NONE
    return preread_summary(session=session, user=user)[1]


def preread_roster(*, session: Session) -> QuerySet[PreRead]:
    """Who reached which level, for the facilitator and organizers: people who
    chose to hide their reading are left out."""
    return (
        PreRead.objects.filter(session=session, level__gt=PreRead.Level.NONE)
        .exclude(user__profile__hide_reading_from_facilitators=True)
        .select_related("user__profile")
        .order_by("-level", "changed_at")
    )


def going_not_started(*, session: Session) -> QuerySet[Rsvp]:
    """For organizers: people going who have not started the pre-read. Not having
    started is reading too: people who hide theirs are counted, not named."""
    started = PreRead.objects.filter(
        session=session, user=OuterRef("user"), level__gt=PreRead.Level.NONE
    )
    return (
        Rsvp.objects.filter(session=session, answer=Rsvp.Answer.GOING)
        .exclude(Exists(started))
        .exclude(user__profile__hide_reading_from_facilitators=True)
        .select_related("user__profile")
        .order_by("updated_at")
    )


def session_questions(*, session: Session, viewer: User | None) -> QuerySet[Question]:
    """Questions by votes, each with has_voted for the viewer. Whether to show an
    anonymous asker's name is decided per viewer by `question_author_visible`."""
    qs = Question.objects.filter(session=session).select_related("author__profile")
    if viewer is not None and viewer.is_authenticated:
        qs = qs.annotate(
            has_voted=Exists(QuestionVote.objects.filter(question=OuterRef("pk"), user=viewer))
        )
    return qs.order_by("answered_at", "-vote_count", "created_at")


def question_author_visible(
    *, question: Question, viewer: User | None, viewer_is_organizer: bool
) -> bool:
    if not question.anonymous:
        return True
    if viewer is None or not viewer.is_authenticated:
        return False
    return viewer_is_organizer or question.author_id == viewer.pk


def club_reading_stats(
    *, club: Club, now: datetime | None = None, months: int = 6
) -> list[Session]:
    """Sessions of the last `months` months (oldest first) with going, who came
    (and whether attendance was taken), pre-read levels and questions counted."""
    now = now or timezone.now()
    since = now - timedelta(days=round(months * 30.5))
    qs = Session.objects.filter(club=club, starts_at__gte=since, starts_at__lte=now).exclude(
        state=Session.State.CANCELLED
    )
    papers = Prefetch(
        "papers",
        queryset=SessionPaper.objects.select_related("nomination__paper").order_by("position"),
        to_attr="ordered_papers",
    )
    qs = with_reading_counts(qs).annotate(
        attended_total=_count(Attendance),
        attendance_taken=Q(attendance_taken_at__isnull=False)
        | Exists(Attendance.objects.filter(session=OuterRef("pk"))),
    )
    return list(qs.prefetch_related(papers).order_by("starts_at"))


def _my_reading_shape(qs: QuerySet[Session], user: User) -> QuerySet[Session]:
    """Sessions with my pre-read level and their papers in order."""
    return (
        qs.exclude(state=Session.State.CANCELLED)
        .distinct()
        .select_related("club")
        .annotate(
            my_level=Coalesce(
                Subquery(
                    PreRead.objects.filter(session=OuterRef("pk"), user=user).values("level")[:1]
                ),
                0,
            )
        )
        .prefetch_related(
            Prefetch(
                "papers",
                queryset=SessionPaper.objects.select_related("nomination__paper").order_by(
                    "position"
                ),
                to_attr="ordered_papers",
            )
        )
    )


def _active_clubs(user: User) -> QuerySet:
    return Membership.objects.filter(user=user, state=Membership.State.ACTIVE).values("club")


def my_reading(*, user: User) -> list[Session]:
    """Sessions I said I would go to, came to or pre-read for, newest first, with
    my level and my notes."""
    attended = (
        Q(rsvps__user=user, rsvps__answer=Rsvp.Answer.GOING)
        | Q(prereads__user=user, prereads__level__gt=0)
        | Q(attendances__user=user)
    )
    qs = _my_reading_shape(
        Session.objects.filter(
            attended, club__in=_active_clubs(user), starts_at__lte=timezone.now()
        ),
        user,
    ).order_by("-starts_at")
    return _with_my_notes(list(qs[:200]), user)


def my_coming_reading(*, user: User, now: datetime | None = None) -> list[Session]:
    """What I am about to read, soonest first: each of my clubs' next week, and
    any later coming week I said I'm going to, pre-read for or facilitate; with
    my level and my notes on its papers."""
    now = now or timezone.now()
    live = [Session.State.OPEN, Session.State.SCHEDULED]
    coming = Session.objects.filter(club__in=_active_clubs(user), starts_at__gt=now, state__in=live)
    club_next = (
        Session.objects.filter(club=OuterRef("club"), starts_at__gt=now, state__in=live)
        .order_by("starts_at", "pk")
        .values("pk")[:1]
    )
    mine = (
        Q(pk=Subquery(club_next))
        | Q(rsvps__user=user, rsvps__answer=Rsvp.Answer.GOING)
        | Q(prereads__user=user, prereads__level__gt=0)
        | Q(facilitator=user)
        | Q(co_facilitator=user)
    )
    qs = _my_reading_shape(coming.filter(mine), user).order_by("starts_at", "pk")
    return _with_my_notes(list(qs[:20]), user)


def _with_my_notes(sessions: list[Session], user: User) -> list[Session]:
    paper_ids = {link.nomination.paper_id for s in sessions for link in s.ordered_papers}
    notes = {
        note.paper_id: note
        for note in PaperNote.objects.filter(user=user, paper_id__in=paper_ids).exclude(text="")
    }
    for session in sessions:
        session.my_notes = [
            (link.nomination.paper, notes[link.nomination.paper_id])
            for link in session.ordered_papers
            if link.nomination.paper_id in notes
        ]
        session.my_level_label = PreRead.Level(session.my_level).label
    return sessions


def my_other_notes(*, user: User, shown: list[Session]) -> list[tuple[Nomination, PaperNote]]:
    """My saved notes on papers of my clubs that no listed session holds (a
    backlog paper I prepared, a week I did not go to), latest first, each with the
    club's nomination for a link to its reading guide."""
    shown_papers = {link.nomination.paper_id for s in shown for link in s.ordered_papers}
    notes = list(
        PaperNote.objects.filter(user=user, paper__club__in=_active_clubs(user))
        .exclude(text="")
        .exclude(paper_id__in=shown_papers)
        .order_by("-updated_at", "-pk")[:50]
    )
    nominations = {
        n.paper_id: n
        for n in Nomination.objects.filter(
            club__in=_active_clubs(user), paper_id__in=[note.paper_id for note in notes]
        ).select_related("paper", "club")
    }
    return [(nominations[note.paper_id], note) for note in notes if note.paper_id in nominations]
