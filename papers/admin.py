from django.contrib import admin
from django.db.models import Q
from django.utils import timezone

from clubs.admin import RecordAdmin

from .backlog_cache import backlogs_changed
from .models import (
    BacklogOptions,
    BacklogStamp,
    Ballot,
    BallotMark,
    GuideTick,
    Nomination,
    Paper,
    PaperNote,
    ReadingGuide,
    RelatedIndex,
    RelatedPaper,
    RoundCandidate,
    Suggestion,
    Tag,
    Vote,
    VotingRound,
    Watch,
)


class RenewsBacklog(admin.ModelAdmin):
    """The admin writes rows without the services, so it renews the club's
    backlog stamp itself: lists and cards cached under it (papers.backlog_cache)
    show the edit at once."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        backlogs_changed(club_ids=[obj.club_id])

    def delete_model(self, request, obj):
        club_id = obj.club_id
        super().delete_model(request, obj)
        backlogs_changed(club_ids=[club_id])

    def delete_queryset(self, request, queryset):
        club_ids = set(queryset.values_list("club_id", flat=True))
        super().delete_queryset(request, queryset)
        backlogs_changed(club_ids=club_ids)


@admin.register(Paper)
class PaperAdmin(RenewsBacklog):
    list_display = ["__str__", "club", "arxiv_id", "year", "metadata_state", "pdf_state"]
    list_filter = ["metadata_state", "pdf_state"]
    list_select_related = ["club"]
    search_fields = ["title", "arxiv_id", "doi", "url", "club__slug"]
    raw_id_fields = ["club", "created_by"]
    # What arXiv, the PDF and the workers recorded: corrected on the paper page
    # by the club (which remembers the correction), not here.
    readonly_fields = [
        "arxiv_latest_version",
        "categories",
        "primary_category",
        "published_at",
        "revised_at",
        "abs_url",
        "pdf_url",
        "pdf_sha256",
        "code_links",
        "edited_fields",
        "metadata_state",
        "metadata_error",
        "metadata_attempts",
        "metadata_attempted_at",
        "pdf_state",
        "pdf_error",
        "page_count",
        "pdf_title",
        "pdf_author",
        "first_pages_text",
        "created_at",
    ]


@admin.register(Tag)
class TagAdmin(RenewsBacklog):
    list_display = ["name", "slug", "club"]
    list_select_related = ["club"]
    search_fields = ["name", "slug", "club__slug"]
    raw_id_fields = ["club"]


@admin.register(Nomination)
class NominationAdmin(RenewsBacklog):
    list_display = ["paper", "club", "state", "vote_count", "pinned_at", "covered_on", "created_at"]
    list_filter = ["state"]
    list_select_related = ["paper", "club"]
    search_fields = ["paper__title", "paper__arxiv_id", "club__slug"]
    raw_id_fields = ["club", "paper", "proposed_by", "tags"]
    # Kept by the vote service in the same transaction as the votes.
    readonly_fields = ["vote_count", "created_at"]


@admin.register(Vote)
class VoteAdmin(RecordAdmin):
    list_display = ["nomination", "user", "created_at"]
    list_select_related = ["nomination__paper", "user"]
    search_fields = ["user__email", "nomination__paper__title"]


@admin.register(ReadingGuide)
class ReadingGuideAdmin(RecordAdmin):
    list_display = ["paper", "related_work_page", "extracted_at"]
    list_select_related = ["paper"]
    search_fields = ["paper__title", "paper__arxiv_id"]


@admin.register(PaperNote)
class PaperNoteAdmin(RecordAdmin):
    """Private notes: only their author ever reads them, so not the admin either."""

    list_display = ["paper", "user", "updated_at"]
    list_select_related = ["paper", "user"]
    search_fields = ["user__email", "paper__title"]
    exclude = ["text"]


@admin.register(GuideTick)
class GuideTickAdmin(RecordAdmin):
    list_display = ["paper", "user", "item", "created_at"]
    list_select_related = ["paper", "user"]
    search_fields = ["user__email", "paper__title"]


@admin.register(BacklogStamp)
class BacklogStampAdmin(RecordAdmin):
    list_display = ["club", "token"]
    list_select_related = ["club"]


@admin.register(RelatedPaper)
class RelatedPaperAdmin(RecordAdmin):
    """Written only by the worker's rebuild (papers.related)."""

    list_display = ["nomination", "related", "rank", "score", "weak"]
    list_select_related = ["nomination__paper", "related__paper"]
    search_fields = ["nomination__paper__title", "club__slug"]


@admin.register(RelatedIndex)
class RelatedIndexAdmin(RecordAdmin):
    list_display = ["club", "requested_at", "built_at", "papers", "seconds"]
    list_select_related = ["club"]
    search_fields = ["club__slug"]


@admin.register(Watch)
class WatchAdmin(RecordAdmin):
    """The arXiv watch (papers.watch): kept on the Suggested pages, run by the daily job."""

    list_display = ["club", "kind", "value", "within", "owner", "last_success_at", "next_run_at"]
    list_filter = ["kind"]
    list_select_related = ["club", "owner"]
    search_fields = ["club__slug", "value"]


@admin.register(Suggestion)
class SuggestionAdmin(RecordAdmin):
    """Written by the watch's daily run; proposed or muted on the Suggested pages."""

    list_display = ["arxiv_id", "title", "club", "owner", "state", "score", "created_at"]
    list_filter = ["state"]
    list_select_related = ["club", "owner"]
    search_fields = ["club__slug", "arxiv_id", "title"]


@admin.register(BacklogOptions)
class BacklogOptionsAdmin(RecordAdmin):
    """Set on the club settings page (papers.voting.options), which logs the change."""

    list_display = ["club", "vote_budget", "weighted_votes", "updated_at"]
    list_select_related = ["club"]
    search_fields = ["club__slug"]


# Voting rounds: the admin never shows a ballot's marks or a count, before the
# deadline or after (the round's page publishes the result), so it cannot leak
# a tally while a round is open.


@admin.register(VotingRound)
class VotingRoundAdmin(RecordAdmin):
    list_display = ["title", "club", "method", "closes_at", "closed_at"]
    list_select_related = ["club"]
    search_fields = ["title", "club__slug"]


@admin.register(RoundCandidate)
class RoundCandidateAdmin(RecordAdmin):
    list_display = ["round", "nomination", "position"]
    list_select_related = ["round", "nomination__paper"]
    search_fields = ["round__title", "round__club__slug"]


@admin.register(Ballot)
class BallotAdmin(RecordAdmin):
    list_display = ["round", "user", "updated_at"]
    list_select_related = ["round", "user"]
    search_fields = ["round__title", "round__club__slug"]


@admin.register(BallotMark)
class BallotMarkAdmin(RecordAdmin):
    """Which member marked what is in the ballot; the score is never shown here."""

    list_display = ["ballot", "candidate"]
    list_select_related = ["ballot__round", "candidate"]
    search_fields = ["ballot__round__title", "ballot__round__club__slug"]
    exclude = ["score"]

    def get_queryset(self, request):
        # Marks of a round still open are left out: counting them would be a tally.
        closed = Q(ballot__round__closes_at__lte=timezone.now())
        return super().get_queryset(request).filter(closed)
