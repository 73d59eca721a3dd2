"""A stateful property test (issue 13): random sequences of what organizers,
facilitators and members do, on PostgreSQL, with the club's invariants
checked after every step.

Actions: propose (by arXiv id or by link), vote, merge, withdraw, claim,
assign (keeping the papers or not), choose papers, move, skip, cadence change
(and "move these"), edit (the proposer's pitch: the paper editing service of
issue 13 item 3 is not on main yet), archive, delete, and undo from the log.

After every step:
- every done session keeps its papers, each read (covered_on set);
- every nomination's vote_count equals its vote rows;
- no two live sessions of a club on its schedule share a club-week;
- a nomination is scheduled exactly when a coming, live week reads it;
- no paper, link or week of one club shows another club's paper;
- an undo made right after its change (nothing else changed since) gives back
  exactly the state before the change (apart from calendars' SEQUENCE, which
  must rise).

Each example runs inside one savepoint, rolled back at its end. The default
run is small enough for the suite (about 40 s here, 6 examples of up to 25
steps); PAPERCLUB_STATEFUL_EXAMPLES=200 (and PAPERCLUB_STATEFUL_STEPS) runs more.
"""

import os
import sys
from collections import Counter
from datetime import datetime, time, timedelta

import pytest
from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, F
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from clubs.activity.services import UndoBlocked, activity_undo
from clubs.models import ActivityEntry, Club, Membership
from papers import services as papers_services
from papers.merging import nominations_merge
from papers.models import GuideTick, Nomination, Paper, PaperNote, Vote
from sessions.errors import SessionError
from sessions.models import ClubSchedule, Session, SessionPaper
from sessions.rota.common import week_start
from sessions.rota.facilitators import (
    session_assign,
    session_claim,
    session_papers_set,
    session_withdraw,
)
from sessions.rota.planning import ScheduleInput, schedule_misfits, schedule_save, sessions_refit
from sessions.rota.weeks import session_mark_done, session_move, session_skip
from tests.factories import ClubFactory, MembershipFactory, session_at
from tests.services import need_postgres

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("PAPERCLUB_STATEFUL_EXAMPLES", "6"))
STEPS = int(os.environ.get("PAPERCLUB_STATEFUL_STEPS", "25"))
ARXIV_IDS = ["1706.03762", "2106.09685", "1810.04805", "2005.14165"]
LINKS = [
    ("Attention is all you need", "https://example.org/attention"),
    ("LoRA: low-rank adaptation", "https://example.org/lora"),
    ("A private preprint", "https://example.org/private"),
]
OTHER_CLUB_TEXT = "Other club's own title"
# What the run did, by outcome (a run that never merged tests little).
OUTCOMES: Counter = Counter()
REFUSED = (papers_services.PaperError, SessionError, UndoBlocked)


def _pick(items, index):
    return items[index % len(items)] if items else None


def world(club_ids) -> dict:
    """Every row an undo must give back, as comparable tuples (calendars'
    change counts left out: they rise on every change, undo included)."""
    clubs = list(club_ids)
    return {
        "nominations": sorted(Nomination.objects.filter(club__in=clubs).values_list()),
        "papers": sorted(
            Paper.objects.filter(club__in=clubs).values_list(
                "pk", "club", "title", "url", "arxiv_id"
            )
        ),
        "votes": sorted(Vote.objects.filter(nomination__club__in=clubs).values_list()),
        "tags": sorted(
            Nomination.tags.through.objects.filter(nomination__club__in=clubs).values_list()
        ),
        "links": sorted(SessionPaper.objects.filter(session__club__in=clubs).values_list()),
        "sessions": sorted(
            Session.objects.filter(club__in=clubs).values_list(
                "pk",
                "series_date",
                "starts_at",
                "ends_at",
                "state",
                "facilitator",
                "co_facilitator",
                "cancel_reason",
                "moved",
            )
        ),
        "notes": sorted(PaperNote.objects.filter(paper__club__in=clubs).values_list()),
        "ticks": sorted(GuideTick.objects.filter(paper__club__in=clubs).values_list()),
        "memberships": sorted(Membership.objects.filter(club__in=clubs).values_list()),
    }


class ClubMachine(RuleBasedStateMachine):
    @initialize()
    def setup(self):
        self.savepoint = transaction.savepoint()
        cache.clear()
        self.club = ClubFactory(visibility=Club.Visibility.PUBLIC, time_zone="Europe/London")
        self.organizer = MembershipFactory(club=self.club, role="organizer").user
        self.members = [MembershipFactory(club=self.club).user for _ in range(3)]
        self.people = [self.organizer, *self.members]
        # Another, private club with the same works under its own titles.
        self.other = ClubFactory(visibility=Club.Visibility.PRIVATE, join_policy="invite")
        other_member = MembershipFactory(club=self.other).user
        for title, url in LINKS:
            papers_services.paper_propose_by_link(
                club=self.other, user=other_member, title=f"{OTHER_CLUB_TEXT}: {title}", url=url
            )
        # A week the club read a month ago.
        read = papers_services.papers_propose(
            club=self.club, user=self.members[0], text="1901.00001"
        ).added[0]
        past = session_at(self.club, starts_in=-timedelta(days=30), facilitator=self.members[0])
        SessionPaper.objects.create(session=past, nomination=read)
        session_mark_done(session=past)
        self.done = {past.pk: 1}
        # Something in the backlog to start from: two arXiv papers and a link.
        papers_services.papers_propose(
            club=self.club, user=self.members[1], text=" ".join(ARXIV_IDS[:2])
        )
        title, url = LINKS[0]
        papers_services.paper_propose_by_link(
            club=self.club, user=self.members[2], title=title, url=url
        )
        today = timezone.localdate(timezone=self.club.tzinfo)
        self.version = None
        self._schedule(weekday=2, hour=12, first=today)
        self.seen = ActivityEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        self.undo_ok: dict[int, tuple[dict, dict]] = {}

    def teardown(self):
        transaction.savepoint_rollback(self.savepoint)
        cache.clear()

    # --- helpers --------------------------------------------------------------------

    def _world(self):
        return world([self.club.pk, self.other.pk])

    def _do(self, action):
        """Run one action; remember, for an undoable entry it wrote, the state
        before and after it (for the undo check)."""
        name = sys._getframe(1).f_code.co_name  # the rule's name, for the statistics
        before = self._world()
        try:
            action()
        except REFUSED:
            OUTCOMES[f"{name}: refused"] += 1
        else:
            OUTCOMES[f"{name}: done"] += 1
        new = list(ActivityEntry.objects.filter(club=self.club, pk__gt=self.seen).order_by("pk"))
        if new:
            self.seen = new[-1].pk
            after = self._world()
            undoable = [entry for entry in new if entry.can_undo]
            if len(new) == 1 and undoable:
                self.undo_ok[new[0].pk] = (before, after)

    def _schedule(self, *, weekday, hour, first):
        schedule, _ = schedule_save(
            club=self.club,
            by=self.organizer,
            data=ScheduleInput(
                weekday=weekday,
                start_time=time(hour),
                duration_minutes=60,
                meeting_link="",
                weeks_ahead=4,
                first_date=first,
                last_date=None,
            ),
            based_on_version=self.version,
        )
        self.version = schedule.version

    def _sessions(self):
        return list(Session.objects.filter(club=self.club).select_related("club").order_by("pk"))

    def _future(self):
        now = timezone.now()
        return [s for s in self._sessions() if s.starts_at > now]

    def _nominations(self, **filters):
        """Newest first, so small indexes (what hypothesis tries most) are recent."""
        return list(
            Nomination.objects.filter(club=self.club, **filters)
            .select_related("club", "paper")
            .order_by("-pk")
        )

    # --- rules ----------------------------------------------------------------------

    @rule(who=st.integers(0, 3), which=st.integers(0, 20), by_link=st.booleans())
    def propose(self, who, which, by_link):
        user = self.people[who]
        if by_link:
            title, url = _pick(LINKS, which)
            self._do(
                lambda: papers_services.paper_propose_by_link(
                    club=self.club, user=user, title=title, url=url
                )
            )
        else:
            self._do(
                lambda: papers_services.papers_propose(
                    club=self.club, user=user, text=_pick(ARXIV_IDS, which)
                )
            )

    @rule(who=st.integers(0, 3), which=st.integers(0, 20))
    def vote(self, who, which):
        nomination = _pick(self._nominations(), which)
        if nomination is not None:
            self._do(
                lambda: papers_services.nomination_vote_toggle(
                    nomination=nomination, user=self.people[who]
                )
            )

    @rule(a=st.integers(0, 20), b=st.integers(0, 20), chosen=st.booleans())
    def merge(self, a, b, chosen):
        nominations = self._nominations()
        keep, duplicate = _pick(nominations, a), _pick(nominations, b)
        if keep is not None:
            self._do(
                lambda: nominations_merge(
                    keep=keep, duplicate=duplicate, by=self.organizer, week_choice_made=chosen
                )
            )

    @rule(which=st.integers(0, 20), who=st.integers(0, 3))
    def claim(self, which, who):
        session = _pick(self._future(), which)
        if session is not None:
            self._do(lambda: session_claim(session=session, user=self.people[who]))

    @rule(which=st.integers(0, 20))
    def withdraw(self, which):
        taken = [s for s in self._future() if s.facilitator_id]
        session = _pick(taken, which)
        if session is not None:
            self._do(lambda: session_withdraw(session=session, user=session.facilitator))

    @rule(which=st.integers(0, 20), who=st.integers(-1, 3), keep=st.booleans())
    def assign(self, which, who, keep):
        session = _pick(self._future(), which)
        person = self.people[who] if who >= 0 else None
        if session is not None:
            self._do(
                lambda: session_assign(
                    session=session, by=self.organizer, facilitator=person, keep_papers=keep
                )
            )

    @rule(which=st.integers(0, 20), papers=st.lists(st.integers(0, 20), max_size=2))
    def choose_papers(self, which, papers):
        session = _pick(self._future(), which)
        proposed = self._nominations(state=Nomination.State.PROPOSED)
        picks = list(dict.fromkeys(_pick(proposed, i).pk for i in papers if proposed))
        if session is not None:
            self._do(
                lambda: session_papers_set(
                    session=session, by=self.organizer, picks=[(pk, None) for pk in picks]
                )
            )

    @rule(which=st.integers(0, 20), days=st.integers(1, 40), hour=st.sampled_from([9, 12, 18]))
    def move(self, which, days, hour):
        session = _pick(self._future(), which)
        if session is not None:
            day = timezone.localdate(timezone=self.club.tzinfo) + timedelta(days=days)
            starts = datetime.combine(day, time(hour), tzinfo=self.club.tzinfo)
            self._do(
                lambda: session_move(
                    session=session, by=self.organizer, starts_at=starts, duration_minutes=60
                )
            )

    @rule(which=st.integers(0, 20))
    def skip(self, which):
        session = _pick(self._future(), which)
        if session is not None:
            self._do(lambda: session_skip(session=session, by=self.organizer, reason="Holiday"))

    @rule(weekday=st.integers(0, 6), hour=st.sampled_from([12, 18]), refit=st.booleans())
    def cadence_change(self, weekday, hour, refit):
        today = timezone.localdate(timezone=self.club.tzinfo)
        self._do(lambda: self._schedule(weekday=weekday, hour=hour, first=today))
        if refit:
            ids = [m.session.pk for m in schedule_misfits(club=self.club)]
            self._do(lambda: sessions_refit(club=self.club, by=self.organizer, session_ids=ids))

    @rule(which=st.integers(0, 20))
    def edit(self, which):
        nomination = _pick(self._nominations(), which)
        if nomination is not None and nomination.proposed_by is not None:
            self._do(
                lambda: papers_services.nomination_edit_by_proposer(
                    nomination=nomination,
                    user=nomination.proposed_by,
                    pitch=f"Edited pitch {which}",
                    tag_names=["edited"],
                )
            )

    @rule(which=st.integers(0, 20), archived=st.booleans())
    def archive(self, which, archived):
        nomination = _pick(self._nominations(), which)
        if nomination is not None:
            self._do(
                lambda: papers_services.nomination_archive_set(
                    nomination=nomination, archived=archived, by=self.organizer
                )
            )

    @rule(which=st.integers(0, 20))
    def delete(self, which):
        nomination = _pick(self._nominations(), which)
        if nomination is not None:
            self._do(
                lambda: papers_services.nomination_delete(nomination=nomination, by=self.organizer)
            )

    @rule(which=st.integers(0, 20))
    def undo(self, which):
        # Newest first: undoing what was just done is the common case.
        entries = [
            e for e in ActivityEntry.objects.filter(club=self.club).order_by("-pk") if e.can_undo
        ]
        entry = _pick(entries, which)
        if entry is None:
            return
        now = self._world()
        expected = self.undo_ok.get(entry.pk)
        try:
            activity_undo(entry=entry, by=self.organizer)
        except UndoBlocked:
            OUTCOMES[f"undo {entry.kind}: blocked"] += 1
            return
        self.seen = ActivityEntry.objects.order_by("-pk").values_list("pk", flat=True).first()
        if expected is not None and expected[1] == now:
            # Nothing changed since the change: the undo gives back exactly what was there.
            assert self._world() == expected[0]
            OUTCOMES[f"undo {entry.kind}: exact"] += 1
        else:
            OUTCOMES[f"undo {entry.kind}: after other changes"] += 1

    # --- invariants -------------------------------------------------------------------

    @invariant()
    def done_sessions_keep_their_papers(self):
        if not hasattr(self, "done"):
            return
        for session_id, count in self.done.items():
            links = list(
                SessionPaper.objects.filter(session_id=session_id).select_related("nomination")
            )
            assert len(links) == count
            assert all(link.nomination.covered_on is not None for link in links)

    @invariant()
    def vote_counts_equal_vote_rows(self):
        counted = Nomination.objects.annotate(rows=Count("votes")).exclude(vote_count=F("rows"))
        assert list(counted.values_list("pk", "vote_count", "rows")) == []

    @invariant()
    def one_session_per_club_week(self):
        for club in Club.objects.filter(schedule__isnull=False):
            weeks = {}
            for session in Session.objects.filter(club=club, series_date__isnull=False).exclude(
                state=Session.State.CANCELLED
            ):
                week = week_start(session.starts_at.astimezone(club.tzinfo).date())
                assert week not in weeks, f"two sessions in the week of {week}"
                weeks[week] = session.pk

    @invariant()
    def scheduled_exactly_when_a_coming_week_reads_it(self):
        now = timezone.now()
        live = [Session.State.OPEN, Session.State.SCHEDULED]
        on_weeks = set(
            SessionPaper.objects.filter(
                session__state__in=live, session__starts_at__gt=now
            ).values_list("nomination_id", flat=True)
        )
        scheduled = set(
            Nomination.objects.filter(state=Nomination.State.SCHEDULED).values_list("pk", flat=True)
        )
        assert scheduled == on_weeks

    @invariant()
    def no_paper_shows_another_clubs_text(self):
        for nomination in Nomination.objects.select_related("paper"):
            assert nomination.paper.club_id == nomination.club_id
        for link in SessionPaper.objects.select_related("nomination", "session"):
            assert link.nomination.club_id == link.session.club_id
        if hasattr(self, "club"):
            titles = Paper.objects.filter(club=self.club).values_list("title", flat=True)
            assert not any(OTHER_CLUB_TEXT in title for title in titles)


def test_club_invariants_hold_under_any_sequence_of_actions(db, record_property):
    need_postgres()
    ClubSchedule.objects.count()  # the database is up before hypothesis starts
    run_state_machine_as_test(
        ClubMachine,
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=STEPS,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
    # What the run did, in the JUnit report (var/pytest-junit.xml).
    record_property("outcomes", dict(sorted(OUTCOMES.items())))
