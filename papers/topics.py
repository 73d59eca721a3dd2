"""The club's topics are the organizers' list. A member who files a paper under
a name that is not on it suggests that topic (papers.services.tags_get_or_create
keeps it on their paper only, out of the backlog's filter); an organizer accepts
it onto the list or rejects it, which takes it off the papers it was on. Topics
already on the list stay as they are."""

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Count, Prefetch, QuerySet

from clubs.models import Club, Membership

from .backlog_cache import backlogs_changed
from .errors import NotAllowed, PaperError
from .models import Nomination, Tag


def _require_organizer(club: Club, user: User) -> None:
    if not Membership.objects.filter(
        club=club, user=user, state=Membership.State.ACTIVE, role=Membership.Role.ORGANIZER
    ).exists():
        raise NotAllowed("Only the club's organizers decide its topics.")


def _suggestion(club: Club, tag_id: int) -> Tag:
    tag = Tag.objects.select_for_update().filter(club=club, pk=tag_id).first()
    if tag is None:
        raise PaperError("That suggestion is gone: another organizer decided it already.")
    if tag.state != Tag.State.SUGGESTED:
        raise PaperError(f"“{tag.name}” is on the club's list already.")
    return tag


@transaction.atomic
def topic_accept(*, club: Club, tag_id: int, by: User) -> Tag:
    """The suggested topic joins the club's list (and the backlog's filter)."""
    _require_organizer(club, by)
    tag = _suggestion(club, tag_id)
    tag.state = Tag.State.ACCEPTED
    tag.save(update_fields=["state"])
    backlogs_changed(club_ids=[club.pk])
    return tag


@transaction.atomic
def topic_reject(*, club: Club, tag_id: int, by: User) -> str:
    """The suggested topic goes, and with it from the papers it was on; returns its name."""
    _require_organizer(club, by)
    tag = _suggestion(club, tag_id)
    name = tag.name
    tag.delete()
    backlogs_changed(club_ids=[club.pk])
    return name


def topic_suggestions(*, club: Club) -> QuerySet[Tag]:
    """Suggestions waiting for an organizer, oldest first, with who suggested
    each and the papers it is on."""
    return (
        Tag.objects.filter(club=club, state=Tag.State.SUGGESTED)
        .select_related("suggested_by__profile")
        .prefetch_related(
            Prefetch(
                "nominations",
                queryset=Nomination.objects.select_related("paper").order_by("-created_at"),
                to_attr="filed",
            )
        )
        .order_by("created_at", "pk")
    )


def topic_list(*, club: Club) -> QuerySet[Tag]:
    """The club's list, each topic with how many papers it files."""
    return (
        Tag.objects.filter(club=club, state=Tag.State.ACCEPTED)
        .annotate(uses=Count("nominations"))
        .order_by("name")
    )
