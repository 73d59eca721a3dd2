"""What the Suggested pages read."""

from django.db.models import Exists, OuterRef, QuerySet

from ..models import Paper, Suggestion, Watch

SHOWN = 50


def watches_of(*, club_id: int, owner_id: int | None) -> list[Watch]:
    """The club's watches (owner None) or one member's own, in the order added."""
    scope = {"owner__isnull": True} if owner_id is None else {"owner_id": owner_id}
    return list(Watch.objects.filter(club_id=club_id, **scope).order_by("created_at", "pk"))


def suggestions_open(*, club_id: int, owner_id: int | None) -> QuerySet[Suggestion]:
    """Suggestions nobody decided yet, closest to the club's history first;
    a paper the club has meanwhile (proposed some other way) is left out."""
    scope = {"owner__isnull": True} if owner_id is None else {"owner_id": owner_id}
    has_it = Paper.objects.filter(club_id=club_id, arxiv_id=OuterRef("arxiv_id"))
    return (
        Suggestion.objects.filter(club_id=club_id, state=Suggestion.State.NEW, **scope)
        .exclude(Exists(has_it))
        .select_related("near__paper")
        .defer("near__paper__abstract", "near__paper__first_pages_text", "near__paper__comment")
        .order_by("-score", "-published_at", "pk")[:SHOWN]
    )


def suggestion_for(*, club_id: int, suggestion_id: int, user_id: int | None) -> Suggestion:
    """One suggestion the viewer may see: the club's, or their own (another
    member's is Suggestion.DoesNotExist, as if it were not there)."""
    own = Suggestion.objects.filter(club_id=club_id, pk=suggestion_id, owner__isnull=True)
    if user_id is not None:
        own = own | Suggestion.objects.filter(club_id=club_id, pk=suggestion_id, owner_id=user_id)
    return own.select_related("club").get()


def watch_for(*, club_id: int, watch_id: int, user_id: int | None) -> Watch:
    scope = Watch.objects.filter(club_id=club_id, pk=watch_id, owner__isnull=True)
    if user_id is not None:
        scope = scope | Watch.objects.filter(club_id=club_id, pk=watch_id, owner_id=user_id)
    return scope.get()
