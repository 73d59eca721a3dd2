"""Reads for sessions: the rota, a session page, the archive, fairness, the club home."""

from dataclasses import dataclass
from datetime import UTC, datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import connection
from django.db.models import (
    BooleanField,
    CharField,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    TextField,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from clubs.models import Club, Membership, Profile, person_name
from papers.models import Nomination
from papers.selectors import BacklogFilter, backlog
from papers.voting.options import with_voting_facts
from papers.voting.weights import weights_for

from ..calendars.feeds import calendar_prompt_take
from ..models import ClubSchedule, Post, PreRead, Rsvp, SeriesRsvp, Session, SessionPaper
from .activity import when

_PAPERS = Prefetch(
    "papers",
    queryset=SessionPaper.objects.select_related("nomination__paper").order_by("position", "pk"),
    to_attr="ordered_papers",
)


def _with_people_and_papers(qs: QuerySet[Session]) -> QuerySet[Session]:
    return qs.select_related(
        "club", "facilitator__profile", "co_facilitator__profile"
    ).prefetch_related(_PAPERS)


def _with_rsvp_counts(qs: QuerySet[Session]) -> QuerySet[Session]:
    """Each answer's count, as a correlated subquery per session rather than a
    join and GROUP BY: grouping by the sessions and their people's joined rows
    took PostgreSQL 2.6-7 ms to plan for the club home's five weeks on the
    bench's club (EXPLAIN ANALYZE, warm), the subqueries about 0.3 ms."""
    answers = Rsvp.objects.filter(session=OuterRef("pk")).order_by().values("session")

    def count(answer: str) -> Coalesce:
        counted = answers.filter(answer=answer).annotate(n=Count("*")).values("n")
        return Coalesce(Subquery(counted, output_field=IntegerField()), 0)

    return qs.annotate(
        going_count=count(Rsvp.Answer.GOING),
        maybe_count=count(Rsvp.Answer.MAYBE),
        not_going_count=count(Rsvp.Answer.NOT_GOING),
    )


def _with_my_rsvp(qs: QuerySet[Session], user: User | None) -> QuerySet[Session]:
    """The viewer's answer (`my_answer`: "going", "maybe", "not_going" or None)
    and whether they come every week (`in_series`), in the sessions' own
    statement: a prefetch of the viewer's RSVPs cost a statement of its own
    (about 1.5 ms of CPU to build and read, in-process on the bench's club).
    Without a viewer both are there too, empty, so a template never looks up
    what the session lacks."""
    if user is None or not user.is_authenticated:
        return qs.annotate(
            my_answer=Value(None, output_field=CharField()),
            in_series=Value(False, output_field=BooleanField()),
        )
    every_week = SeriesRsvp.objects.filter(club=OuterRef("club"), user=user)
    mine = Rsvp.objects.filter(session=OuterRef("pk"), user=user).values("answer")[:1]
    return qs.annotate(in_series=Exists(every_week), my_answer=Subquery(mine))


def schedule_for(*, club: Club) -> ClubSchedule | None:
    return ClubSchedule.objects.filter(club=club).first()


def upcoming_sessions(
    *, club: Club, user: User | None = None, now: datetime | None = None, limit=None
) -> QuerySet[Session]:
    """The coming weeks (cancelled ones included, marked), soonest first."""
    now = now or timezone.now()
    qs = Session.objects.filter(club=club, ends_at__gt=now).exclude(state=Session.State.DONE)
    qs = _with_my_rsvp(_with_rsvp_counts(_with_people_and_papers(qs)), user).order_by("starts_at")
    return qs[:limit] if limit else qs


def next_session(
    *, club: Club, user: User | None = None, now: datetime | None = None
) -> Session | None:
    """The next week that will happen (not cancelled)."""
    qs = upcoming_sessions(club=club, user=user, now=now).exclude(state=Session.State.CANCELLED)
    return qs.first()


def session_detail(*, club: Club, session_id: int, user: User | None) -> Session:
    # With its write-up (sessions.writeups), which the session page shows, and
    # the viewer's pre-read level (`my_preread_level`, None without a row).
    qs = Session.objects.filter(club=club, pk=session_id).select_related(
        "writeup__updated_by__profile"
    )
    if user is not None and user.is_authenticated:
        mine = PreRead.objects.filter(session=OuterRef("pk"), user=user).values("level")[:1]
        qs = qs.annotate(my_preread_level=Subquery(mine))
    return _with_my_rsvp(_with_rsvp_counts(_with_people_and_papers(qs)), user).get()


def people_going(*, session: Session) -> QuerySet[Rsvp]:
    return (
        Rsvp.objects.filter(session=session, answer=Rsvp.Answer.GOING)
        .select_related("user__profile")
        .order_by("updated_at")
    )


@dataclass(frozen=True)
class Goer:
    """One person going, as the session page lists them."""

    user_id: int
    name: str
    preread_level: int  # PreRead.Level; NONE without a row


def goers(*, session: Session) -> list[Goer]:
    """Who is going, by when they answered, with each one's pre-read level (the
    session page counts those going by level from these, sessions.reading).

    Plain rows, not models: a big week's 99 people read as Rsvp, User and
    Profile instances cost about 5 ms of CPU, as columns about 1.5 ms
    (in-process on the bench's club)."""
    level = PreRead.objects.filter(session=session, user=OuterRef("user")).values("level")[:1]
    rows = (
        Rsvp.objects.filter(session=session, answer=Rsvp.Answer.GOING)
        .annotate(preread_level=Subquery(level))
        .order_by("updated_at")
        .values_list(
            "user_id",
            "user__email",
            "user__username",
            "user__profile__display_name",
            "preread_level",
        )
    )
    return [
        Goer(
            user_id=user_id,
            name=person_name(
                user_id=user_id, email=email, username=username, profile_name=profile_name
            ),
            preread_level=preread_level or PreRead.Level.NONE,
        )
        for user_id, email, username, profile_name, preread_level in rows
    ]


# The archive, its exports and the API's list show each paper's title,
# authors, year and links, never its long texts.
_ARCHIVE_PAPERS = Prefetch(
    "papers",
    queryset=SessionPaper.objects.select_related("nomination__paper")
    .defer(
        "nomination__paper__abstract",
        "nomination__paper__comment",
        "nomination__paper__journal_ref",
        "nomination__paper__pdf_title",
        "nomination__paper__pdf_author",
        "nomination__paper__first_pages_text",
    )
    .order_by("position", "pk"),
    to_attr="ordered_papers",
)


def archive(*, club: Club) -> QuerySet[Session]:
    """Past sessions that happened, newest first: "what we read"."""
    qs = (
        Session.objects.filter(club=club, state=Session.State.DONE)
        .select_related("club", "facilitator__profile", "co_facilitator__profile", "writeup")
        .prefetch_related(_ARCHIVE_PAPERS)
        .annotate(
            # Whether the row links a write-up, in the writeup's own join ("" for
            # none): looking up `session.writeup` on a week without one raises in
            # the template, which then calls dir() on the session (0.4 ms a row).
            writeup_text=Coalesce(F("writeup__text"), Value(""), output_field=TextField()),
            # The week's discussion, linked from each row (sessions.discussion):
            # a subquery per row shown rather than a join and GROUP BY, which
            # made the paginator's count add up the posts of every past week.
            post_count=Coalesce(
                Subquery(
                    Post.objects.filter(
                        thread__session=OuterRef("pk"), deleted_at=None, hidden_at=None
                    )
                    .order_by()
                    .values("thread")
                    .annotate(n=Count("*"))
                    .values("n"),
                    output_field=IntegerField(),
                ),
                0,
            ),
        )
    )
    return qs.order_by("-starts_at")


# What a row of the archive page shows (sessions/archive.html and
# sessions/_papers.html), and no more: the page reads 25 weeks with their
# people and papers, and every column read is a value converted and set on a
# model (about 270 datetimes a page with every column). Narrowed, the page's
# statements cost about 5 ms less CPU in-process on the bench's club
# (16.7 -> 11.5 ms, 28,000 -> 16,700 Python calls), the rows shown the same.
_ARCHIVE_ROW = (
    "starts_at",
    "state",
    "title",
    "slides_url",
    "recording_url",
    "facilitator__email",
    "facilitator__profile__display_name",
    "co_facilitator__email",
    "co_facilitator__profile__display_name",
)
_ARCHIVE_ROW_PAPERS = Prefetch(
    "papers",
    queryset=SessionPaper.objects.select_related("nomination__paper")
    .only(
        "session",
        "minutes",
        "nomination__paper__title",
        "nomination__paper__arxiv_id",
        "nomination__paper__authors",
        "nomination__paper__year",
    )
    .order_by("position", "pk"),
    to_attr="ordered_papers",
)


def archive_page(*, club: Club) -> QuerySet[Session]:
    """archive() as its page shows it: the same weeks, annotations and order,
    with only the columns a row shows (the exports and the API take archive())."""
    return (
        archive(club=club)
        .select_related(None)
        .select_related("facilitator__profile", "co_facilitator__profile")
        .prefetch_related(None)
        .prefetch_related(_ARCHIVE_ROW_PAPERS)
        .only(*_ARCHIVE_ROW)
    )


def candidate_papers(*, session: Session, user: User | None) -> list[Nomination]:
    """What the facilitator can pick from: proposed papers, pinned and top-voted
    first (votes weighted by attendance when the club weighs them), plus the
    ones this session already has. Each says whether a voting round of the
    club closed lately (`club_rounds_lately`)."""
    options = BacklogFilter(sort="top", state="open")
    # Ranked with equal votes, learning in the same statement whether the club
    # weighs them; only a club that does is ranked again, with its weights.
    found = with_voting_facts(backlog(club=session.club, user=user, options=options, weights=None))
    proposed = list(found[:100])
    if proposed and proposed[0].club_weighs_votes:
        weights = weights_for(club_id=session.club_id)
        weighted = backlog(club=session.club, user=user, options=options, weights=weights)
        proposed = list(with_voting_facts(weighted)[:100])
    links = getattr(session, "ordered_papers", None)
    if links is None:
        links = list(session.papers.all())
    chosen_ids = {link.nomination_id for link in links}
    missing = chosen_ids - {n.pk for n in proposed}
    if missing:
        chosen = list(Nomination.objects.filter(pk__in=missing).select_related("paper"))
        for nomination in chosen:
            nomination.has_voted = False  # type: ignore[attr-defined]  # as the annotation on the others
            nomination.club_rounds_lately = False  # type: ignore[attr-defined]  # the others say
        proposed = chosen + proposed
    return proposed


def facilitation_fairness(
    *, club: Club, now: datetime | None = None, offset: int = 0, limit: int | None = None
) -> list:
    """Active members by when they last facilitated (never first), then by name,
    with how often: `limit` of them from `offset` (all by default).

    Each row: user (with profile), last_facilitated (None if never), times,
    next_up (an upcoming week they already hold). Sorted and sliced by the
    database, so a page of a big club reads only its own rows."""
    return facilitation_fairness_counted(club=club, now=now, offset=offset, limit=limit)[0]


def facilitation_fairness_counted(
    *, club: Club, now: datetime | None = None, offset: int = 0, limit: int | None = None
) -> tuple[list, int]:
    """facilitation_fairness's rows, and how many people it lists in all."""
    now = now or timezone.now()
    order, params = _fairness_order(), _fairness_params(club=club, now=now)
    if limit is not None:
        order += " LIMIT %s OFFSET %s"
        params += [limit, offset]
    with connection.cursor() as cursor:
        cursor.execute(order, params)
        found = cursor.fetchall()
    if limit is None:
        found = found[offset:]
    if not found:  # nobody, or a page past the end
        return [], facilitation_fairness_size(club=club) if offset else 0
    people = _active_members(club).select_related("profile").in_bulk([row[0] for row in found])
    listed = []
    for pk, last_facilitated, times, next_up, _size in found:
        person = people.get(pk)
        if person is None:  # left between the two statements
            continue
        person.last_facilitated = _as_datetime(last_facilitated)
        person.times = times
        person.next_up = _as_datetime(next_up)
        listed.append(person)
    return listed, found[0][4]


def _fairness_order() -> str:
    """The fairness order, as SQL: each person's id, figures (last_facilitated,
    times, next_up) and how many it lists in all.

    Raw SQL for a measured reason: the ORM can only group the whole club's
    members joined to their sessions (2,000 rows of user and profile, sorted
    to group), which took 10-15 ms of the database a rota on the bench's club
    (its ~17 ms of waiting); grouping the club's sessions first and joining
    that to the members takes 5-7 ms, and COUNT(*) OVER () saves the count's
    own statement. The order is the one the ORM wrote: last held week first
    (never first), then the display name or address, then the id."""
    user, membership = get_user_model()._meta.db_table, Membership._meta.db_table
    profile, session = Profile._meta.db_table, Session._meta.db_table
    return f"""
        SELECT u.id, facilitated.last_facilitated, COALESCE(facilitated.times, 0),
            facilitated.next_up, COUNT(*) OVER ()
        FROM {user} u
        JOIN {membership} m ON m.user_id = u.id AND m.club_id = %s AND m.state = %s
        LEFT JOIN {profile} p ON p.user_id = u.id
        LEFT JOIN (
            SELECT facilitator_id,
                MAX(CASE WHEN state IN (%s, %s) AND starts_at <= %s THEN starts_at END)
                    AS last_facilitated,
                COUNT(CASE WHEN state IN (%s, %s) AND starts_at <= %s THEN 1 END) AS times,
                MAX(CASE WHEN state = %s AND starts_at > %s THEN starts_at END) AS next_up
            FROM {session}
            WHERE club_id = %s AND facilitator_id IS NOT NULL
            GROUP BY facilitator_id
        ) facilitated ON facilitated.facilitator_id = u.id
        ORDER BY facilitated.last_facilitated ASC NULLS FIRST,
            COALESCE(NULLIF(p.display_name, ''), u.email) ASC, u.id ASC
    """  # noqa: S608 - the names are the models' tables, the values parameters


def _as_datetime(value: datetime | str | None) -> datetime | None:
    """A raw statement's timestamp: aware from PostgreSQL, naive UTC text from SQLite."""
    if value is None or isinstance(value, datetime):
        return value
    parsed = parse_datetime(value)
    assert parsed is not None, value
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed, UTC)


def _fairness_params(*, club: Club, now: datetime) -> list:
    at = connection.ops.adapt_datetimefield_value(now)
    held = [Session.State.DONE.value, Session.State.SCHEDULED.value, at]
    upcoming = [Session.State.SCHEDULED.value, at]
    return [club.pk, Membership.State.ACTIVE.value, *held, *held, *upcoming, club.pk]


def facilitation_fairness_size(*, club: Club) -> int:
    """How many people facilitation_fairness lists in all."""
    return _active_members(club).count()


def _active_members(club: Club) -> QuerySet:
    return get_user_model().objects.filter(
        memberships__club=club, memberships__state=Membership.State.ACTIVE
    )


def suggested_facilitators(*, fairness: list, limit: int = 3) -> list:
    """Whom to ask next: least recent first, skipping people already booked."""
    return [person for person in fairness if person.next_up is None][:limit]


def club_home_sessions_section(request, access) -> dict:
    """The club home's "next session" (registered in SessionsConfig.ready)."""
    user = request.user if request.user.is_authenticated else None
    upcoming = list(upcoming_sessions(club=access.club, user=user, limit=5))
    live = [s for s in upcoming if s.state != Session.State.CANCELLED]
    return {
        "next_session": live[0] if live else None,
        "calendar_prompt": calendar_prompt_take(request, live[0] if live else None),
        "open_weeks": [s for s in upcoming if s.state == Session.State.OPEN],
        # Read only without a next session (it picks which empty state to show).
        "has_schedule": None if live else ClubSchedule.objects.filter(club=access.club).exists(),
    }


def upcoming_weeks_reading(nomination_ids: list[int]) -> dict[int, list[str]]:
    """{nomination id: the coming weeks (not cancelled) that read it}, named
    as the activity log names weeks (registered with papers.merging)."""
    links = (
        SessionPaper.objects.filter(
            nomination_id__in=nomination_ids,
            session__starts_at__gt=timezone.now(),
            session__state__in=[Session.State.OPEN, Session.State.SCHEDULED],
        )
        .select_related("session__club")
        .order_by("session__starts_at")
    )
    found: dict[int, list[str]] = {}
    for link in links:
        found.setdefault(link.nomination_id, []).append(when(link.session))
    return found


def rsvpers_since(club_id: int, since: datetime) -> QuerySet:
    """Who answered an RSVP for one of the club's sessions since `since` (a sign
    of taking part, registered with clubs.reconfirm.participation). The answers
    "I'll come every week" fills in for new weeks are the series', not theirs:
    joining the series counts, on the day they joined."""
    answered = Rsvp.objects.filter(
        session__club_id=club_id, updated_at__gte=since, via_series=False
    ).values_list("user_id", flat=True)
    joined = SeriesRsvp.objects.filter(club_id=club_id, created_at__gte=since).values_list(
        "user_id", flat=True
    )
    return answered.union(joined)
