"""Reads for attendance: the facilitator's sheet, who came, and a member's streaks."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import User
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from clubs.models import Club, Membership
from clubs.templatetags.paperclub import display_name

from ..models import Attendance, PreRead, Rsvp, Session, SessionPaper
from ..rota.common import week_start
from .streaks import SessionRecord, member_streaks


@dataclass(frozen=True)
class SheetRow:
    user: User
    going: bool
    present: bool  # recorded as present
    checked_in: bool  # by themselves
    ticked: bool  # what the sheet shows: recorded, or (not taken yet) also going


@dataclass(frozen=True)
class Sheet:
    rows: list[SheetRow]
    taken: bool  # the sheet has been saved
    present_count: int

    @property
    def expected(self) -> list[SheetRow]:
        """Who said they were going or is ticked: the sheet's first list."""
        return [row for row in self.rows if row.going or row.ticked]

    @property
    def others(self) -> list[SheetRow]:
        """Every other member (folded away on the page, for a club of hundreds)."""
        return [row for row in self.rows if not (row.going or row.ticked)]


def attendance_sheet(*, session: Session) -> Sheet:
    """Every active member of the club (and anyone recorded present who has
    left since), people going first. Until the sheet is first saved, people
    going are ticked as well as those who checked in. One query."""
    members = Membership.objects.filter(
        club_id=session.club_id, state=Membership.State.ACTIVE
    ).values("user")
    recorded = Attendance.objects.filter(session=session, user=OuterRef("pk"))
    users = (
        User.objects.filter(Q(pk__in=members) | Q(pk__in=recorded.values("user")))
        .select_related("profile")
        .annotate(
            going=Exists(
                Rsvp.objects.filter(session=session, user=OuterRef("pk"), answer=Rsvp.Answer.GOING)
            ),
            present=Exists(recorded),
            checked_in=Exists(recorded.filter(source=Attendance.Source.CHECK_IN)),
        )
    )
    people = sorted(users, key=lambda u: (not u.going, display_name(u).lower(), u.pk))
    taken = session.attendance_taken_at is not None
    rows = [
        SheetRow(
            user=u,
            going=u.going,
            present=u.present,
            checked_in=u.checked_in,
            ticked=u.present or (not taken and u.going),
        )
        for u in people
    ]
    return Sheet(rows=rows, taken=taken, present_count=sum(r.present for r in rows))


def attendees(*, session: Session) -> list[Attendance]:
    """Who came, by name (for members)."""
    rows = list(Attendance.objects.filter(session=session).select_related("user__profile"))
    return sorted(rows, key=lambda row: display_name(row.user).lower())


@dataclass(frozen=True)
class ClubStreak:
    club: Club
    papers_this_year: int
    weeks_attended: int
    current: int
    longest: int


def club_streaks(*, user: User, now: datetime | None = None) -> list[ClubStreak]:
    """Per club the member is active in (by name): papers read this year (the
    distinct papers of this year's weeks they attended or pre-read to at least
    "read"), weeks attended, and their current and longest streaks (see
    streaks.py). Three queries, however many clubs and weeks."""
    now = now or timezone.now()
    memberships = (
        Membership.objects.filter(user=user, state=Membership.State.ACTIVE)
        .select_related("club")
        .order_by("club__name", "club_id")
    )
    clubs = {m.club_id: m.club for m in memberships}
    if not clubs:
        return []
    mine = Attendance.objects.filter(session=OuterRef("pk"), user=user)
    rows = (
        Session.objects.filter(club_id__in=clubs, starts_at__lte=now)
        .annotate(
            taken=Q(attendance_taken_at__isnull=False)
            | Exists(Attendance.objects.filter(session=OuterRef("pk"))),
            attended=Exists(mine),
            preread=Exists(
                PreRead.objects.filter(
                    session=OuterRef("pk"), user=user, level__gte=PreRead.Level.READ
                )
            ),
        )
        .values_list(
            "pk", "club_id", "starts_at", "ends_at", "state", "taken", "attended", "preread"
        )
        .order_by()
    )
    records: dict[int, list[SessionRecord]] = defaultdict(list)
    read_this_year: dict[int, int] = {}  # session -> club
    for pk, club_id, starts_at, ends_at, state, taken, attended, preread in rows:
        local = starts_at.astimezone(clubs[club_id].tzinfo)
        cancelled = state == Session.State.CANCELLED
        records[club_id].append(
            SessionRecord(
                week=week_start(local.date()),
                cancelled=cancelled,
                over=ends_at <= now,
                taken=taken,
                attended=attended,
            )
        )
        if (
            not cancelled
            and (attended or preread)
            and local.year == now.astimezone(clubs[club_id].tzinfo).year
        ):
            read_this_year[pk] = club_id
    papers: dict[int, set[int]] = defaultdict(set)
    if read_this_year:
        links = SessionPaper.objects.filter(session_id__in=read_this_year).values_list(
            "session_id", "nomination__paper_id"
        )
        for session_id, paper_id in links:
            papers[read_this_year[session_id]].add(paper_id)
    result = []
    for club_id, club in clubs.items():
        streaks = member_streaks(records[club_id])
        result.append(
            ClubStreak(
                club=club,
                papers_this_year=len(papers[club_id]),
                weeks_attended=streaks.weeks_attended,
                current=streaks.current,
                longest=streaks.longest,
            )
        )
    return result


def attendees_since(club_id: int, since: datetime) -> QuerySet:
    """Who came to one of the club's sessions since `since` (a sign of taking
    part, registered with clubs.reconfirm.participation)."""
    return Attendance.objects.filter(
        session__club_id=club_id, session__starts_at__gte=since
    ).values_list("user_id", flat=True)
