"""Voting rounds: an organizer puts chosen candidates (or the top N) to the
club with a deadline and a method; each member has one ballot, changeable
until the deadline; nobody, organizers included, sees a count before it.

Hidden tallies: nothing here returns a count for a round that is still open
(`round_result` refuses), and no page, fragment, API answer, export, admin
page, log entry or message is built from anything else. After the deadline
the result is read from the ballots whenever it is asked for, so it never
depends on a job having run; `round_close_if_due` (the first reader, or the
beat job `papers.close_rounds`) records the close once, in the activity log.
"""

from dataclasses import dataclass, field
from datetime import datetime
from fractions import Fraction

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Count, Sum
from django.utils import dateformat, timezone

from clubs.activity.services import activity_record
from clubs.models import Club, Membership

from ..errors import NotAllowed, PaperError
from ..models import (
    ROUND_CANDIDATES_MAX,
    ROUND_TITLE_MAX,
    SCORE_MAX,
    SCORE_MIN,
    Ballot,
    BallotMark,
    Nomination,
    RoundCandidate,
    VotingRound,
)
from .options import OFFERED_FOR


class RoundClosed(PaperError):
    """A ballot came after the deadline: nothing was changed."""


def when_words(moment: datetime, club: Club) -> str:
    """ "Tue 8 Dec 2026, 18:00 (Europe/London)": in the club's zone, saying so."""
    local = timezone.localtime(moment, club.tzinfo)
    return f"{dateformat.format(local, 'D j M Y, H:i')} ({club.time_zone})"


def _require_organizer(club: Club, user: User) -> None:
    if not Membership.objects.filter(
        club=club, user=user, state=Membership.State.ACTIVE, role=Membership.Role.ORGANIZER
    ).exists():
        raise NotAllowed("Only the club's organizers can open a round.")


@transaction.atomic
def round_open(
    *,
    club: Club,
    by: User,
    title: str,
    method: str,
    closes_at: datetime,
    nomination_ids: list[int] | None = None,
    top: int | None = None,
) -> VotingRound:
    """Open a round over these of the club's proposed papers, or over the
    backlog's top `top` (its "top" order, weights and pins included)."""
    _require_organizer(club, by)
    title = (title or "").strip()
    if not title:
        raise PaperError("Give the round a name, such as “January's papers”.")
    if len(title) > ROUND_TITLE_MAX:
        raise PaperError(f"A round's name is at most {ROUND_TITLE_MAX} characters.")
    if method not in VotingRound.Method.values:
        raise PaperError("Choose approval or scores from 1 to 5.")
    now = timezone.now()
    if closes_at <= now:
        raise PaperError(
            f"The deadline {when_words(closes_at, club)} has passed; choose a later one."
        )
    if nomination_ids:
        wanted = list(dict.fromkeys(nomination_ids))
        found = set(
            Nomination.objects.filter(
                club=club, pk__in=wanted, state=Nomination.State.PROPOSED
            ).values_list("pk", flat=True)
        )
        missing = [pk for pk in wanted if pk not in found]
        if missing:
            raise PaperError(
                "Only papers the club has proposed and not yet read can be candidates; "
                f"{len(missing)} of those chosen are not (reload the page)."
            )
        ids = wanted
    elif top:
        from ..selectors import BacklogFilter, backlog_lists  # noqa: PLC0415 - the backlog's selectors import this package's weights

        ids = backlog_lists(club=club, options=BacklogFilter())[0][:top]
    else:
        ids = []
    if not ids:
        raise PaperError(
            "A round needs at least one candidate: tick papers, or ask for the backlog's top few "
            "(the backlog has no proposed papers yet)."
        )
    if len(ids) > ROUND_CANDIDATES_MAX:
        raise PaperError(f"A round has at most {ROUND_CANDIDATES_MAX} candidates.")
    voting_round = VotingRound.objects.create(
        club=club, title=title, method=method, closes_at=closes_at, created_by=by, created_at=now
    )
    RoundCandidate.objects.bulk_create(
        [
            RoundCandidate(round=voting_round, nomination_id=pk, position=i)
            for i, pk in enumerate(ids)
        ]
    )
    activity_record(
        club=club,
        actor=by,
        kind="papers.round_open",
        summary=(
            f"opened the round “{title}” over {len(ids)} paper{'s' if len(ids) != 1 else ''} "
            f"({VotingRound.Method(method).label.split(' (')[0].lower()}), "
            f"closing {when_words(closes_at, club)}"
        ),
        data={"round": voting_round.pk, "candidates": ids},
        subject=f"papers.votinground:{voting_round.pk}",
    )
    return voting_round


def _parse_marks(voting_round: VotingRound, marks: dict[int, int]) -> dict[int, int]:
    """nomination id -> score, checked against the round: candidate ids of it."""
    candidates = dict(
        RoundCandidate.objects.filter(round=voting_round).values_list("nomination_id", "pk")
    )
    parsed = {}
    for nomination_id, score in marks.items():
        if nomination_id not in candidates:
            raise PaperError(
                f"Paper {nomination_id} is not a candidate in this round; reload the page."
            )
        if voting_round.method == VotingRound.Method.APPROVAL:
            if score != 1:
                raise PaperError("An approval ballot only ticks papers (no scores).")
        elif not isinstance(score, int) or not SCORE_MIN <= score <= SCORE_MAX:
            raise PaperError(f"A score is a whole number from {SCORE_MIN} to {SCORE_MAX}.")
        parsed[candidates[nomination_id]] = score
    return parsed


@transaction.atomic
def ballot_cast(*, voting_round: VotingRound, user: User, marks: dict[int, int]) -> Ballot:
    """Save the member's ballot (replacing the one they cast before): `marks`
    maps each candidate's nomination id to 1 (approved) or a score 1 to 5;
    candidates left out are unmarked. Refused after the deadline, with nothing changed."""
    if not Membership.objects.filter(
        club_id=voting_round.club_id, user=user, state=Membership.State.ACTIVE
    ).exists():
        raise NotAllowed("Only active members of this club can vote in its rounds.")
    # The round's row, locked: a ballot and the close are one after the other.
    voting_round = (
        VotingRound.objects.select_for_update().select_related("club").get(pk=voting_round.pk)
    )
    now = timezone.now()
    if voting_round.is_closed(now):
        raise RoundClosed(
            f"This round closed on {when_words(voting_round.closes_at, voting_round.club)}: "
            "ballots are no longer taken, and yours was not changed."
        )
    parsed = _parse_marks(voting_round, marks)
    try:
        with transaction.atomic():
            ballot, _ = Ballot.objects.get_or_create(
                round=voting_round, user=user, defaults={"created_at": now, "updated_at": now}
            )
    except IntegrityError:  # the same member's other ballot a moment ago
        ballot = Ballot.objects.get(round=voting_round, user=user)
    ballot.marks.all().delete()
    BallotMark.objects.bulk_create(
        [BallotMark(ballot=ballot, candidate_id=pk, score=score) for pk, score in parsed.items()]
    )
    Ballot.objects.filter(pk=ballot.pk).update(updated_at=now)
    return ballot


def my_marks(*, voting_round: VotingRound, user: User | None) -> dict[int, int] | None:
    """The viewer's own ballot (nomination id -> score), None if they cast none."""
    if user is None or not user.is_authenticated:
        return None
    ballot = Ballot.objects.filter(round=voting_round, user=user).first()
    if ballot is None:
        return None
    return dict(ballot.marks.values_list("candidate__nomination_id", "score"))


@dataclass
class CandidateResult:
    nomination: Nomination
    total: int  # approvals, or the sum of the scores
    marked: int  # ballots that approved or scored it
    winner: bool = False

    @property
    def mean(self) -> Fraction | None:
        return Fraction(self.total, self.marked) if self.marked else None


@dataclass
class RoundResult:
    voting_round: VotingRound
    ballots: int
    candidates: list[CandidateResult] = field(default_factory=list)

    @property
    def winners(self) -> list[CandidateResult]:
        return [c for c in self.candidates if c.winner]


class TallyHidden(PaperError):
    """Asked for a count while the round is open."""


def round_result(*, voting_round: VotingRound, now: datetime | None = None) -> RoundResult:
    """The counts, from the ballots: only once the deadline has passed."""
    if not voting_round.is_closed(now):
        raise TallyHidden("The counts are hidden until the round closes.")
    counted: dict[int, tuple[int, int]] = {
        candidate_id: (total, marked)
        for candidate_id, total, marked in BallotMark.objects.filter(candidate__round=voting_round)
        .values("candidate_id")
        .annotate(total=Sum("score"), marked=Count("pk"))
        .values_list("candidate_id", "total", "marked")
    }
    candidates = list(
        RoundCandidate.objects.filter(round=voting_round).select_related("nomination__paper")
    )
    results = [
        CandidateResult(
            nomination=c.nomination,
            total=counted.get(c.pk, (0, 0))[0],
            marked=counted.get(c.pk, (0, 0))[1],
        )
        for c in candidates
    ]
    best = max((r.total for r in results), default=0)
    for r in results:
        r.winner = best > 0 and r.total == best
    position = {c.nomination_id: c.position for c in candidates}
    results.sort(key=lambda r: (-r.total, -r.marked, position[r.nomination.pk]))
    return RoundResult(
        voting_round=voting_round,
        ballots=Ballot.objects.filter(round=voting_round).count(),
        candidates=results,
    )


def result_words(result: CandidateResult, method: str) -> str:
    if method == VotingRound.Method.APPROVAL:
        return f"{result.total} approval{'s' if result.total != 1 else ''}"
    mean = f", mean {float(result.mean):.1f}" if result.mean is not None else ""
    scores = f"{result.marked} score{'s' if result.marked != 1 else ''}"
    return f"{result.total} points from {scores}{mean}"


@transaction.atomic
def round_close_if_due(*, voting_round: VotingRound, now: datetime | None = None) -> bool:
    """Record a round's close once (the activity log), when its deadline has
    passed; whoever comes first (a reader, the beat job) does it."""
    now = now or timezone.now()
    closed = VotingRound.objects.filter(
        pk=voting_round.pk, closed_at__isnull=True, closes_at__lte=now
    ).update(closed_at=now)
    if not closed:
        return False
    voting_round.closed_at = now
    result = round_result(voting_round=voting_round, now=now)
    winners = "; ".join(
        f"“{w.nomination.paper.display_title}” ({result_words(w, voting_round.method)})"
        for w in result.winners
    )
    activity_record(
        club=voting_round.club_id,
        actor=None,
        kind="papers.round_close",
        summary=(
            f"closed the round “{voting_round.title}” with {result.ballots} "
            f"ballot{'s' if result.ballots != 1 else ''}: "
            + (f"won by {winners}" if winners else "no paper got a vote")
        ),
        data={"round": voting_round.pk, "winners": [w.nomination.pk for w in result.winners]},
        subject=f"papers.votinground:{voting_round.pk}",
    )
    return True


def rounds_close_due(*, now: datetime | None = None) -> int:
    """The beat job: record the close of every round past its deadline."""
    now = now or timezone.now()
    due = VotingRound.objects.filter(closed_at__isnull=True, closes_at__lte=now).order_by("pk")
    return sum(round_close_if_due(voting_round=r, now=now) for r in due[:200])


def club_rounds(*, club: Club) -> list:
    """The club's rounds, open ones first (soonest deadline), then closed (newest)."""
    rounds = list(
        VotingRound.objects.filter(club=club).annotate(candidate_count=Count("candidates"))
    )
    now = timezone.now()
    open_ = sorted((r for r in rounds if not r.is_closed(now)), key=lambda r: r.closes_at)
    done = sorted((r for r in rounds if r.is_closed(now)), key=lambda r: r.closes_at, reverse=True)
    return open_ + done


def round_candidates(*, voting_round: VotingRound) -> list[RoundCandidate]:
    return list(
        RoundCandidate.objects.filter(round=voting_round).select_related("nomination__paper")
    )


@dataclass(frozen=True)
class Offer:
    round_id: int
    round_title: str
    words: str


def round_winners_offered(*, club: Club, now: datetime | None = None) -> dict[int, Offer]:
    """The winners of the club's rounds that closed lately and are still
    proposed (nomination id -> which round they won, with their count): the
    facilitators of the coming weeks are offered them first."""
    now = now or timezone.now()
    recent = VotingRound.objects.filter(
        club=club, closes_at__lte=now, closes_at__gte=now - OFFERED_FOR
    ).order_by("-closes_at")[:3]
    offers: dict[int, Offer] = {}
    for voting_round in recent:
        for winner in round_result(voting_round=voting_round, now=now).winners:
            nomination = winner.nomination
            if nomination.state == Nomination.State.PROPOSED and nomination.pk not in offers:
                offers[nomination.pk] = Offer(
                    round_id=voting_round.pk,
                    round_title=voting_round.title,
                    words=result_words(winner, voting_round.method),
                )
    return offers
