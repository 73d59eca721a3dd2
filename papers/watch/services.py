"""Writes of the arXiv watch: watches kept and dropped, suggestions proposed or muted.

Who may: organizers keep the club's watches and mute the club's suggestions;
every member keeps watches of their own, whose suggestions only they see and
decide. Proposing goes through the one door (papers.proposing.paper_propose).
"""

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from clubs.models import Club

from ..errors import NotAllowed, PaperError
from ..models import Nomination, Suggestion, Watch
from ..proposing import paper_propose
from ..services import ProposeOutcome
from .queries import WATCHES_PER_CLUB, WATCHES_PER_MEMBER, WatchInvalid, clean_watch


@transaction.atomic
def watch_add(
    *,
    club: Club,
    by: User,
    for_club: bool,
    is_organizer: bool,
    kind: str,
    value: str,
    within: str = "",
) -> Watch:
    """A new watch for the club (organizers) or for `by` alone. Raises
    WatchInvalid with the reason, NotAllowed for a member adding the club's."""
    if for_club and not is_organizer:
        raise NotAllowed("Only the club's organizers keep the club's watches.")
    spec = clean_watch(kind=kind, value=value, within=within)
    owner = None if for_club else by
    # Locks the club row: two adds at once cannot both pass the limit.
    Club.objects.select_for_update().get(pk=club.pk)
    kept = Watch.objects.filter(club=club, owner=owner).count()
    limit = WATCHES_PER_CLUB if for_club else WATCHES_PER_MEMBER
    if kept >= limit:
        whose = "The club keeps" if for_club else "You keep"
        raise WatchInvalid(f"{whose} {kept} watches, the most there may be: remove one first.")
    try:
        with transaction.atomic():
            return Watch.objects.create(
                club=club,
                owner=owner,
                kind=spec.kind,
                value=spec.value,
                within=spec.within,
                created_by=by,
            )
    except IntegrityError as error:
        whose = "The club already watches" if for_club else "You already watch"
        label = Watch(kind=spec.kind, value=spec.value, within=spec.within).label
        raise WatchInvalid(f"{whose} {label}.") from error


def _may_decide(*, owner_id: int | None, user: User, is_organizer: bool) -> bool:
    return user.pk == owner_id if owner_id is not None else is_organizer


@transaction.atomic
def watch_remove(*, watch: Watch, user: User, is_organizer: bool) -> None:
    """Stop watching. What it found and nobody decided goes with it; muted
    suggestions stay (so they never come back) and proposed ones are history."""
    if not _may_decide(owner_id=watch.owner_id, user=user, is_organizer=is_organizer):
        raise NotAllowed("Only the club's organizers can remove the club's watches.")
    Suggestion.objects.filter(watch=watch, state=Suggestion.State.NEW).delete()
    watch.delete()


@transaction.atomic
def suggestion_mute(*, suggestion: Suggestion, user: User, is_organizer: bool) -> Suggestion:
    """Not for us: the suggestion leaves the list and later runs skip the paper
    (for the club, a member's own watches skip it too)."""
    if not _may_decide(owner_id=suggestion.owner_id, user=user, is_organizer=is_organizer):
        raise NotAllowed("Only the club's organizers can mute the club's suggestions.")
    suggestion = Suggestion.objects.select_for_update().get(pk=suggestion.pk)
    if suggestion.state == Suggestion.State.NEW:
        suggestion.state = Suggestion.State.MUTED
        suggestion.decided_by = user
        suggestion.decided_at = timezone.now()
        suggestion.save(update_fields=["state", "decided_by", "decided_at"])
    return suggestion


@transaction.atomic
def suggestion_propose(
    *, suggestion: Suggestion, user: User, confirm_covered: bool = False
) -> ProposeOutcome:
    """One click: the paper goes to the backlog through the one door, with the
    person's vote (a paper the club has meanwhile is that paper)."""
    if suggestion.owner_id is not None and suggestion.owner_id != user.pk:
        raise NotAllowed("That suggestion is someone else's.")
    suggestion = Suggestion.objects.select_for_update().get(pk=suggestion.pk)
    if suggestion.state == Suggestion.State.MUTED:
        raise PaperError("That suggestion was muted; propose the paper from the backlog instead.")
    outcome = paper_propose(
        club=suggestion.club, user=user, ids=suggestion.arxiv_id, confirm_covered=confirm_covered
    )
    if outcome.nominations and suggestion.state == Suggestion.State.NEW:
        suggestion.state = Suggestion.State.PROPOSED
        suggestion.decided_by = user
        suggestion.decided_at = timezone.now()
        suggestion.save(update_fields=["state", "decided_by", "decided_at"])
    return outcome


def proposed_nomination(*, suggestion: Suggestion) -> Nomination | None:
    return (
        Nomination.objects.filter(club_id=suggestion.club_id, paper__arxiv_id=suggestion.arxiv_id)
        .select_related("paper")
        .first()
    )
