"""The backlog in the club's Discord or Slack (clubs/chat): a post when a paper
newly reaches the top of the backlog's "top" list (pinned first, then votes,
then the newest), once per paper. Owed inside the vote's transaction; costs
one query when the club does not post this to chat."""

from django.conf import settings
from django.db.models import F
from django.urls import reverse

from clubs.chat.models import Event
from clubs.chat.services import chat_announce, chat_listening
from clubs.templatetags.paperclub import display_name

from .models import Nomination


def chat_backlog_top(*, club_id: int, nomination_id: int) -> int:
    """After a vote for `nomination_id`: a post if it is now first."""
    if club_id not in chat_listening(club_ids={club_id}, event=Event.BACKLOG_TOP):
        return 0
    first = (
        Nomination.objects.filter(club_id=club_id, state=Nomination.State.PROPOSED)
        .order_by(F("pinned_at").desc(nulls_last=True), "-vote_count", "-created_at", "-pk")
        .select_related("paper", "club", "proposed_by__profile")
        .first()
    )
    if first is None or first.pk != nomination_id:
        return 0
    paper, club = first.paper, first.club
    votes = f"{first.vote_count} vote" + ("" if first.vote_count == 1 else "s")
    fields = [("Votes", votes)]
    if paper.first_authors:
        fields.append(("Authors", paper.first_authors))
    if first.proposed_by is not None:
        fields.append(("Proposed by", display_name(first.proposed_by)))
    return chat_announce(
        club=club,
        event=Event.BACKLOG_TOP,
        key=f"top:{first.pk}",
        facts={
            "headline": f"New at the top of the {club.name} backlog: {paper.display_title}",
            "title": paper.display_title,
            "url": settings.SITE_URL + reverse("papers:nomination", args=[club.slug, first.pk]),
            "body": paper.abstract,
            "fields": fields,
        },
    )
