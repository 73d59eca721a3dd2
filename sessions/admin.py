from django.contrib import admin

from clubs.admin import RecordAdmin

from .models import (
    Attendance,
    ClubReminders,
    ClubSchedule,
    FeedStamp,
    FeedToken,
    MailPreferences,
    Post,
    PreRead,
    Question,
    QuestionVote,
    Rsvp,
    SeriesRsvp,
    Session,
    SessionPaper,
    Thread,
    ThreadFollow,
    Writeup,
    WriteupRevision,
)


@admin.register(ClubSchedule)
class ClubScheduleAdmin(admin.ModelAdmin):
    list_display = ["club", "weekday", "start_time", "duration_minutes", "first_date", "last_date"]
    list_select_related = ["club"]
    search_fields = ["club__name", "club__slug"]
    raw_id_fields = ["club"]
    readonly_fields = ["version", "updated_at"]


class SessionPaperInline(admin.TabularInline):
    model = SessionPaper
    raw_id_fields = ["nomination"]
    extra = 0


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "club", "starts_at", "state", "format", "facilitator"]
    list_filter = ["state", "format"]
    list_select_related = ["club", "facilitator"]
    search_fields = ["club__slug", "title", "facilitator__email"]
    date_hierarchy = "starts_at"
    raw_id_fields = ["club", "facilitator", "co_facilitator"]
    # The calendar identity and counters that invites are stamped with.
    readonly_fields = ["uid", "change_count", "done_at", "attendance_taken_at", "created_at"]
    inlines = [SessionPaperInline]


@admin.register(SessionPaper)
class SessionPaperAdmin(admin.ModelAdmin):
    list_display = ["session", "nomination", "position", "minutes"]
    list_select_related = ["session__club", "nomination__paper"]
    search_fields = ["nomination__paper__title", "session__club__slug"]
    raw_id_fields = ["session", "nomination"]


@admin.register(Rsvp)
class RsvpAdmin(admin.ModelAdmin):
    list_display = ["session", "user", "answer", "via_series", "updated_at"]
    list_filter = ["answer", "via_series"]
    list_select_related = ["session__club", "user"]
    search_fields = ["user__email", "session__club__slug"]
    raw_id_fields = ["session", "user"]


@admin.register(SeriesRsvp)
class SeriesRsvpAdmin(admin.ModelAdmin):
    list_display = ["club", "user", "created_at"]
    list_select_related = ["club", "user"]
    search_fields = ["user__email", "club__slug"]
    raw_id_fields = ["club", "user"]


@admin.register(PreRead)
class PreReadAdmin(admin.ModelAdmin):
    list_display = ["session", "user", "level", "changed_at"]
    list_filter = ["level"]
    list_select_related = ["session__club", "user"]
    search_fields = ["user__email", "session__club__slug"]
    raw_id_fields = ["session", "user"]


@admin.register(Attendance)
class AttendanceAdmin(admin.ModelAdmin):
    list_display = ["session", "user", "source", "marked_by", "created_at"]
    list_filter = ["source"]
    list_select_related = ["session__club", "user", "marked_by"]
    search_fields = ["user__email", "session__club__slug"]
    raw_id_fields = ["session", "user", "marked_by"]


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "session", "author", "anonymous", "vote_count", "answered_at"]
    list_filter = ["anonymous"]
    list_select_related = ["session__club", "author"]
    search_fields = ["text", "author__email", "session__club__slug"]
    raw_id_fields = ["session", "author"]
    readonly_fields = ["vote_count", "created_at"]


@admin.register(QuestionVote)
class QuestionVoteAdmin(RecordAdmin):
    list_display = ["question", "user", "created_at"]
    list_select_related = ["question", "user"]
    search_fields = ["user__email"]


@admin.register(FeedToken)
class FeedTokenAdmin(RecordAdmin):
    """Private feed addresses: the token is the secret, so it is not shown."""

    list_display = ["__str__", "club", "user", "created_at"]
    list_select_related = ["club", "user"]
    search_fields = ["club__slug", "user__email"]
    exclude = ["token"]


@admin.register(MailPreferences)
class MailPreferencesAdmin(admin.ModelAdmin):
    list_display = ["user", "invites", "no_email", "feed_scope"]
    list_filter = ["invites", "no_email", "feed_scope"]
    list_select_related = ["user"]
    search_fields = ["user__email"]
    raw_id_fields = ["user"]


@admin.register(ClubReminders)
class ClubRemindersAdmin(admin.ModelAdmin):
    list_display = ["club", "volunteer_needed_days", "facilitator_prep_days", "follow_up"]
    list_select_related = ["club"]
    search_fields = ["club__slug"]
    raw_id_fields = ["club"]


@admin.register(FeedStamp)
class FeedStampAdmin(RecordAdmin):
    list_display = ["club", "user", "changed_at"]
    list_select_related = ["club", "user"]
    search_fields = ["club__slug", "user__email"]
    exclude = ["token"]


class WriteupRevisionInline(admin.TabularInline):
    model = WriteupRevision
    extra = 0
    fields = ["number", "author", "created_at"]
    readonly_fields = ["number", "author", "created_at"]
    can_delete = False


@admin.register(Writeup)
class WriteupAdmin(RecordAdmin):
    """A write-up changes only through its page (writeups.services), revision by revision."""

    list_display = ["session", "revision", "updated_by", "updated_at"]
    list_select_related = ["session__club", "updated_by"]
    search_fields = ["session__club__slug", "session__club__name"]
    inlines = [WriteupRevisionInline]


@admin.register(WriteupRevision)
class WriteupRevisionAdmin(RecordAdmin):
    list_display = ["writeup", "number", "author", "created_at"]
    list_select_related = ["writeup__session__club", "author"]
    search_fields = ["writeup__session__club__slug", "author__email"]


@admin.register(Thread)
class ThreadAdmin(admin.ModelAdmin):
    list_display = ["__str__", "club", "session", "nomination", "locked_at", "created_at"]
    list_select_related = ["club"]
    search_fields = ["club__slug", "club__name"]
    raw_id_fields = ["club", "session", "nomination", "locked_by"]


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = ["__str__", "author", "created_at", "edited_at", "deleted_at", "hidden_at"]
    list_select_related = ["author", "thread"]
    search_fields = ["author__email", "thread__club__slug"]
    raw_id_fields = ["thread", "author", "parent", "hidden_by"]


@admin.register(ThreadFollow)
class ThreadFollowAdmin(admin.ModelAdmin):
    list_display = ["thread", "user", "state", "delivery", "digested_up_to"]
    list_filter = ["state", "delivery"]
    search_fields = ["user__email"]
    raw_id_fields = ["thread", "user"]
