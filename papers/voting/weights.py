"""Attendance-weighted votes: what each member's vote counts in the backlog.

papers knows no sessions, so the weights come from a provider the app that
knows attendance registers in its AppConfig.ready (sessions registers
sessions.attendance.weights.vote_weights). papers asks it only when the club
turned the option on, and caches the answer with the backlog's lists (the
provider's app renews the backlog's stamp when attendance changes, so the
lists and the weights change together).

A weight is a whole number of *units* over a club-wide `base`: a vote of a
member who came to none of the recent sessions counts base/base = 1, one who
came to k of them (base + k)/base. Whole numbers keep the backlog's order one
plain SUM over the votes (a CASE with one branch per distinct weight).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction

from django.db.models import Case, IntegerField, Sum, Value, When
from django.db.models.functions import Coalesce


@dataclass(frozen=True)
class ClubWeights:
    """What each member's vote counts in one club, and why (in words)."""

    base: int = 1
    extra: dict[int, int] = field(default_factory=dict)  # user id -> units above base
    # The rule in words ("came to k of the club's last 6 sessions ...") for a k.
    sessions: int = 0
    rule: str = ""

    def units(self, user_id: int) -> int:
        return self.base + self.extra.get(user_id, 0)

    def factor(self, user_id: int) -> Fraction:
        return Fraction(self.units(user_id), self.base)

    def factor_words(self, user_id: int) -> str:
        return factor_words(self.factor(user_id))

    def why(self, user_id: int) -> str:
        """Why this member's vote counts what it does, in a sentence."""
        if not self.sessions:
            return (
                "Every vote counts once for now: the club has no recent session with "
                "attendance taken."
            )
        came = self.extra.get(user_id, 0)
        return (
            f"You came to {came} of the club's last {self.sessions} session"
            f"{'s' if self.sessions != 1 else ''} with attendance taken; "
            f"each one adds 1/{self.base} to your vote."
        )

    def total(self, voter_ids: list[int]) -> Fraction:
        return Fraction(sum(self.units(u) for u in voter_ids), self.base)


EQUAL = ClubWeights()


def factor_words(factor: Fraction) -> str:
    """1 -> "1×", 3/2 -> "1.5×", 7/6 -> "1.17×"."""
    text = f"{float(factor):.2f}".rstrip("0").rstrip(".")
    return f"{text}×"


WeightsProvider = Callable[..., ClubWeights]
_providers: list[WeightsProvider] = []


def register(provider: WeightsProvider) -> WeightsProvider:
    """Register `provider(*, club_id: int) -> ClubWeights` (one; a second
    registration of the same function keeps one)."""
    if provider not in _providers:
        _providers.append(provider)
    return provider


def weights_for(*, club_id: int) -> ClubWeights:
    """The club's weights from the registered provider (equal without one)."""
    for provider in _providers:
        return provider(club_id=club_id)
    return EQUAL


def weighted_units(weights: ClubWeights, *, user_field: str, factor=None):
    """SUM over the joined votes of each voter's units (times `factor`, an
    expression per vote such as trending's recency, when given)."""
    by_units: dict[int, list[int]] = {}
    for user_id, extra in weights.extra.items():
        if extra:
            by_units.setdefault(weights.base + extra, []).append(user_id)
    unit = Case(
        *[
            When(**{f"{user_field}__in": sorted(users)}, then=Value(units))
            for units, users in sorted(by_units.items())
        ],
        default=Value(weights.base),
        output_field=IntegerField(),
    )
    per_vote = unit if factor is None else unit * factor
    # A nomination without votes has no joined row: NULL, counted as 0.
    return Coalesce(
        Sum(Case(When(**{f"{user_field}__isnull": False}, then=per_vote), default=Value(0))),
        Value(0),
        output_field=IntegerField(),
    )
