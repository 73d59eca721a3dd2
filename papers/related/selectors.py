"""What pages read of the related papers (never computed on a page)."""

from ..models import Nomination, RelatedIndex, RelatedPaper

# Above this similarity a paper the club read is "closely related" (the
# benchmark, bench/related, shows where the demo's topic-sharing pairs lie).
CLOSE = 0.15
SHOWN = 5


def related_of(*, nomination: Nomination) -> list[RelatedPaper]:
    """The nomination's related papers, best first, each with its nomination and paper."""
    return list(
        RelatedPaper.objects.filter(nomination=nomination)
        .select_related("related__paper")
        .defer(
            "related__paper__abstract",
            "related__paper__first_pages_text",
            "related__paper__comment",
        )
        .order_by("rank")[:SHOWN]
    )


def related_state(*, club_id: int) -> RelatedIndex | None:
    return RelatedIndex.objects.filter(club_id=club_id).first()
