"""The vote budget: at most K open votes per member in a club.

An open vote is one on a paper still proposed or scheduled; once the club
covers (or archives) the paper, the vote no longer counts against the budget,
so it comes back to its member. The check holds the member's membership row
(SELECT ... FOR UPDATE) while it counts and the vote is written, so a member's
votes at once, on any papers, run one after the other and never pass K."""

from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db.models import QuerySet

from clubs.models import Membership

from ..errors import PaperError
from ..models import Nomination, Vote

OPEN_STATES = (Nomination.State.PROPOSED, Nomination.State.SCHEDULED)


def open_votes(*, club_id: int, user_id: int) -> QuerySet[Vote]:
    """The member's votes that count against the budget, oldest first."""
    return Vote.objects.filter(
        nomination__club_id=club_id, nomination__state__in=OPEN_STATES, user_id=user_id
    ).order_by("created_at", "pk")


@dataclass
class BudgetState:
    budget: int
    used: int

    @property
    def left(self) -> int:
        return max(self.budget - self.used, 0)


def budget_state(*, club_id: int, user_id: int, budget: int) -> BudgetState:
    return BudgetState(budget=budget, used=open_votes(club_id=club_id, user_id=user_id).count())


class OverBudget(PaperError):
    """The member has used every open vote; `oldest` is the one to take back."""

    def __init__(self, *, budget: int, oldest: Vote | None):
        self.budget = budget
        self.oldest = oldest
        if oldest is not None:
            title = oldest.nomination.paper.display_title
            super().__init__(
                f"You have used all {budget} of your open votes. Take one back first: "
                f"your oldest is for “{title}”."
            )
        else:
            super().__init__(f"You have used all {budget} of your open votes.")


def budget_hold(*, club_id: int, user: User, budget: int) -> None:
    """Inside the vote's transaction: lock the member's row, and refuse a new
    vote when `budget` open votes are already theirs (OverBudget names the oldest)."""
    list(Membership.objects.select_for_update().filter(club_id=club_id, user=user).values("pk"))
    votes = open_votes(club_id=club_id, user_id=user.pk)
    if votes.count() >= budget:
        raise OverBudget(budget=budget, oldest=votes.select_related("nomination__paper").first())
