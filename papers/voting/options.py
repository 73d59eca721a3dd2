"""The club's options for everyday backlog votes (all off by default)."""

from datetime import datetime, timedelta

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import BooleanField, Exists, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from clubs.activity.services import activity_record
from clubs.models import Club

from ..backlog_cache import backlogs_changed
from ..errors import PaperError
from ..models import VOTE_BUDGET_MAX, BacklogOptions, VotingRound

# Winners of a round are offered to the facilitators of the coming weeks for this long.
OFFERED_FOR = timedelta(days=60)

OFF = BacklogOptions(vote_budget=None, weighted_votes=False)


def options_for(*, club_id: int) -> BacklogOptions:
    """The club's options, or all off when it never set any (no row)."""
    found = BacklogOptions.objects.filter(club_id=club_id).first()
    return found if found is not None else BacklogOptions(club_id=club_id)


def with_voting_facts(qs, *, now: datetime | None = None):
    """Annotate each of a club's nominations with its club's `club_weighs_votes`
    and `club_rounds_lately` (a round closed in OFFERED_FOR), so a page that
    lists them learns both in the list's own statement."""
    now = now or timezone.now()
    options = BacklogOptions.objects.filter(club_id=OuterRef("club_id"))
    lately = VotingRound.objects.filter(
        club_id=OuterRef("club_id"), closes_at__lte=now, closes_at__gte=now - OFFERED_FOR
    )
    return qs.annotate(
        club_weighs_votes=Coalesce(
            Subquery(options.values("weighted_votes")[:1]),
            Value(False),
            output_field=BooleanField(),
        ),
        club_rounds_lately=Exists(lately),
    )


def options_words(options: BacklogOptions) -> str:
    budget = (
        f"at most {options.vote_budget} open votes per member"
        if options.vote_budget
        else "no vote budget"
    )
    weights = "votes weighted by attendance" if options.weighted_votes else "every vote equal"
    return f"{budget}, {weights}"


@transaction.atomic
def options_save(
    *, club: Club, by: User | None, vote_budget: int | None, weighted_votes: bool
) -> BacklogOptions:
    """Set the club's options; logged, and the backlog's lists renewed (its
    order may change with the weights)."""
    if vote_budget is not None and not 1 <= vote_budget <= VOTE_BUDGET_MAX:
        raise PaperError(f"A vote budget is between 1 and {VOTE_BUDGET_MAX} votes, or none.")
    options, _ = BacklogOptions.objects.select_for_update().get_or_create(club=club)
    before = options_words(options)
    options.vote_budget = vote_budget
    options.weighted_votes = weighted_votes
    options.updated_at = timezone.now()
    options.updated_by = by
    options.save()
    after = options_words(options)
    if after != before:
        backlogs_changed(club_ids=[club.pk])
        activity_record(
            club=club,
            actor=by,
            kind="papers.vote_options",
            summary=f"changed how backlog votes count: {after} (was: {before})",
            data={"before": before, "after": after},
            subject=club,
        )
    return options


def attendance_changed(*, club_id: int) -> None:
    """Called by the app that keeps attendance, in its transaction: a club that
    weighs votes by attendance has a new backlog order (its lists are renewed)."""
    if BacklogOptions.objects.filter(club_id=club_id, weighted_votes=True).exists():
        backlogs_changed(club_ids=[club_id])
