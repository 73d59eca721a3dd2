"""A club's weekly schedule, its sessions, what each session reads, and RSVPs."""

import uuid
import zoneinfo
from datetime import time

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from clubs.limits import bounded_text, text_length_check

# Free-text maxima (docs/limits.md); each model also names its own.
SESSION_NOTES_MAX = 20_000
QUESTION_TEXT_MAX = 1000
DELIVERY_ERROR_MAX = 1_000


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class ClubSchedule(models.Model):
    """The cadence a club meets on. Times are wall-clock in the club's time zone."""

    club = models.OneToOneField("clubs.Club", on_delete=models.CASCADE, related_name="schedule")
    weekday = models.PositiveSmallIntegerField(choices=Weekday, default=Weekday.WEDNESDAY)
    start_time = models.TimeField(default=time(12, 0))
    duration_minutes = models.PositiveSmallIntegerField(
        default=60, validators=[MinValueValidator(15), MaxValueValidator(600)]
    )
    meeting_link = models.URLField(max_length=500, blank=True)
    weeks_ahead = models.PositiveSmallIntegerField(
        default=8, validators=[MinValueValidator(1), MaxValueValidator(52)]
    )
    first_date = models.DateField()
    last_date = models.DateField(null=True, blank=True)
    # Rises on every save; an edit based on an older version is refused, so two
    # organizers editing at once cannot silently overwrite each other.
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(last_date__isnull=True) | Q(last_date__gte=F("first_date")),
                name="schedule_last_date_after_first",
            ),
            models.CheckConstraint(condition=Q(weekday__lte=6), name="schedule_weekday_valid"),
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=15, duration_minutes__lte=600),
                name="schedule_duration_sane",
            ),
            models.CheckConstraint(
                condition=Q(weeks_ahead__gte=1, weeks_ahead__lte=52),
                name="schedule_weeks_ahead_sane",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.club}: {self.get_weekday_display()}s at {self.start_time:%H:%M}"


class Session(models.Model):
    class State(models.TextChoices):
        OPEN = "open", "Needs a facilitator"
        SCHEDULED = "scheduled", "Scheduled"
        CANCELLED = "cancelled", "Cancelled"
        DONE = "done", "Done"

    class Format(models.TextChoices):
        SINGLE = "single", "One paper"
        SURVEY = "survey", "Several papers (survey or quick hits)"
        GUEST = "guest", "A guest author's talk"

    NOTES_MAX = SESSION_NOTES_MAX

    club = models.ForeignKey("clubs.Club", on_delete=models.CASCADE, related_name="sessions")
    # A stable identity for calendars: the same UID for the session's whole life.
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # The schedule date this session was planned for (club's zone); null for one-offs.
    series_date = models.DateField(null=True, blank=True)
    # Set when an organizer moved this week by hand: re-planning leaves it alone.
    moved = models.BooleanField(default=False)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    format = models.CharField(max_length=10, choices=Format.choices, default=Format.SINGLE)
    title = models.CharField(max_length=200, blank=True)
    facilitator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="facilitated_sessions",
    )
    co_facilitator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="co_facilitated_sessions",
    )
    meeting_link = models.URLField(max_length=500, blank=True)
    location = models.CharField(max_length=300, blank=True, help_text="For in-person weeks.")
    slides_url = models.URLField(max_length=500, blank=True)
    recording_url = models.URLField(max_length=500, blank=True)
    notes = bounded_text(NOTES_MAX, blank=True, help_text="Markdown: the facilitation outline.")
    cancel_reason = models.CharField(max_length=200, blank=True)
    # Rises once on every material change (anything a calendar shows: time,
    # length, title, location, link, papers and their titles, facilitators,
    # cancellation and restoration): calendars use it as the event's SEQUENCE,
    # the outbox as the message's sequence (sessions.calendars.changes).
    change_count = models.PositiveIntegerField(default=0)
    done_at = models.DateTimeField(null=True, blank=True)
    # When its facilitator or an organizer last saved the attendance sheet: from
    # then on the sheet shows what is recorded instead of the RSVPs' "going".
    attendance_taken_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["club", "series_date"],
                condition=Q(series_date__isnull=False),
                name="session_one_per_series_date",
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="session_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(state__in=["open", "scheduled", "cancelled", "done"]),
                name="session_state_valid",
            ),
            models.CheckConstraint(
                condition=Q(format__in=["single", "survey", "guest"]),
                name="session_format_valid",
            ),
            # "Open" means nobody facilitates yet; "scheduled" means somebody does.
            models.CheckConstraint(
                condition=~Q(state="open", facilitator__isnull=False)
                & ~Q(state="scheduled", facilitator__isnull=True),
                name="session_state_matches_facilitator",
            ),
            models.CheckConstraint(
                condition=Q(co_facilitator__isnull=True) | ~Q(co_facilitator=F("facilitator")),
                name="session_co_facilitator_differs",
            ),
            text_length_check("notes", SESSION_NOTES_MAX, name="session_notes_length"),
        ]
        indexes = [
            models.Index(fields=["club", "starts_at"]),
            models.Index(fields=["state", "ends_at"]),
            models.Index(fields=["facilitator", "starts_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.club} on {self.local_start:%a %d %b %Y %H:%M}"

    @property
    def club_tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.club.time_zone)

    @property
    def local_start(self):
        return self.starts_at.astimezone(self.club_tz)

    @property
    def duration_minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)

    @property
    def is_past(self) -> bool:
        return self.starts_at <= timezone.now()

    @property
    def is_cancelled(self) -> bool:
        return self.state == self.State.CANCELLED

    @property
    def display_title(self) -> str:
        if self.title:
            return self.title
        papers = getattr(self, "ordered_papers", None)
        if papers:
            first = papers[0].nomination.paper.display_title
            return first if len(papers) == 1 else f"{first} and {len(papers) - 1} more"
        return ""


class SessionPaper(models.Model):
    """A paper a session reads, in order, with minutes for survey weeks."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="papers")
    nomination = models.ForeignKey(
        "papers.Nomination", on_delete=models.CASCADE, related_name="session_links"
    )
    position = models.PositiveSmallIntegerField(default=0)
    minutes = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "nomination"], name="session_paper_once_per_session"
            )
        ]

    def __str__(self) -> str:
        return f"{self.nomination.paper} in {self.session}"


class Rsvp(models.Model):
    class Answer(models.TextChoices):
        GOING = "going", "Going"
        MAYBE = "maybe", "Maybe"
        NOT_GOING = "not_going", "Not going"

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="rsvps")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    answer = models.CharField(max_length=10, choices=Answer.choices)
    updated_at = models.DateTimeField(default=timezone.now)
    # Written by the person's "I'll come every week" (SeriesRsvp), not by an
    # answer for this week: leaving the series takes it back.
    via_series = models.BooleanField(default=False)
    # How often this person's own answer took the week out of their calendar
    # ("not going") or put it back: their copy of the event's SEQUENCE is the
    # session's change_count plus this (sessions.calendars.personal). Only rises.
    calendar_changes = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "user"], name="rsvp_one_per_person"),
            models.CheckConstraint(
                condition=Q(answer__in=["going", "maybe", "not_going"]), name="rsvp_answer_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.answer} {self.session}"


class SeriesRsvp(models.Model):
    """A member's "I'll come every week": each regular week of the club that is
    still to come counts them as going (an Rsvp row with via_series, written by
    sessions.series) unless they answered otherwise for that week."""

    club = models.ForeignKey("clubs.Club", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["club", "user"], name="series_rsvp_one_per_person")
        ]

    def __str__(self) -> str:
        return f"{self.user} comes every week to {self.club}"


class PreRead(models.Model):
    """How far one member has pre-read for one session (the three-pass method)."""

    class Level(models.IntegerChoices):
        NONE = 0, "Not started"
        SKIMMED = 1, "Skimmed (first pass)"
        READ = 2, "Read (second pass)"
        DEEP = 3, "Deep-read (third pass)"

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="prereads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    level = models.PositiveSmallIntegerField(choices=Level.choices, default=Level.NONE)
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "user"], name="preread_one_per_person"),
            models.CheckConstraint(condition=Q(level__lte=3), name="preread_level_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.get_level_display()} for {self.session_id}"


class Attendance(models.Model):
    """One member was at one session: marked by its facilitator, co-facilitator
    or an organizer, or checked in by the member while it ran. A session with no
    row whose sheet was never saved was not taken (sessions.attendance.streaks
    reads it as "not recorded")."""

    class Source(models.TextChoices):
        MARKED = "marked", "Marked by the facilitator or an organizer"
        CHECK_IN = "check_in", "Checked in"

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="attendances")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.MARKED)
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "user"], name="attendance_one_per_person"),
            models.CheckConstraint(
                condition=Q(source__in=["marked", "check_in"]), name="attendance_source_valid"
            ),
        ]
        indexes = [models.Index(fields=["user", "session"])]

    def __str__(self) -> str:
        return f"{self.user} at {self.session_id}"


class Question(models.Model):
    """A question for the facilitator, asked before the session."""

    MAX_LENGTH = QUESTION_TEXT_MAX

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="questions")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    text = bounded_text(MAX_LENGTH)
    # Hidden from other members; organizers still see who asked (abuse handling).
    anonymous = models.BooleanField(default=False)
    vote_count = models.PositiveIntegerField(default=0)
    answered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~Q(text=""), name="question_not_empty"),
            text_length_check("text", QUESTION_TEXT_MAX, name="question_text_length"),
        ]
        indexes = [models.Index(fields=["session", "-vote_count"])]

    def __str__(self) -> str:
        return self.text[:60]


class QuestionVote(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="votes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["question", "user"], name="question_vote_once")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} → question {self.question_id}"


class FeedToken(models.Model):
    """The secret in a private calendar feed's URL: a club's, or one person's.

    Regenerating replaces the row, so the old URL stops working (404)."""

    club = models.OneToOneField(
        "clubs.Club", null=True, blank=True, on_delete=models.CASCADE, related_name="feed_token"
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="feed_token",
    )
    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(club__isnull=True, user__isnull=False)
                | Q(club__isnull=False, user__isnull=True),
                name="feed_token_for_club_or_person",
            )
        ]

    def __str__(self) -> str:
        return f"Feed token for {self.club or self.user}"


class MailPreferences(models.Model):
    """What mail a person wants from Paper Club (every club)."""

    class FeedScope(models.TextChoices):
        ALL = "all", "Every session of my clubs"
        MINE = "mine", "Only sessions I am going to or facilitating"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mail_preferences"
    )
    invites = models.BooleanField(
        default=False, help_text="Calendar invites by email for scheduled sessions."
    )
    no_email = models.BooleanField(default=False, help_text="No email at all.")
    muted_kinds = models.JSONField(default=list, blank=True)
    feed_scope = models.CharField(max_length=4, choices=FeedScope.choices, default=FeedScope.ALL)

    def __str__(self) -> str:
        return f"Mail preferences of {self.user_id}"

    def wants(self, kind: str) -> bool:
        return not self.no_email and kind not in self.muted_kinds


class ClubReminders(models.Model):
    """Which reminders a club sends, and when. Zero turns one off."""

    club = models.OneToOneField("clubs.Club", on_delete=models.CASCADE, related_name="reminders")
    volunteer_needed_days = models.PositiveSmallIntegerField(
        default=3, validators=[MaxValueValidator(14)]
    )
    facilitator_prep_days = models.PositiveSmallIntegerField(
        default=5, validators=[MaxValueValidator(14)]
    )
    preread_nudge_hours = models.PositiveSmallIntegerField(
        default=48, validators=[MaxValueValidator(168)]
    )
    starting_soon_minutes = models.PositiveSmallIntegerField(
        default=60, validators=[MaxValueValidator(24 * 60)]
    )
    follow_up = models.BooleanField(default=True)

    def __str__(self) -> str:
        return f"Reminders of {self.club}"


class FeedStamp(models.Model):
    """A random token per club (and per person) that every change a calendar
    feed shows replaces, in the change's own transaction. Feeds are cached
    under it, so a change makes the old copy unreachable at once.

    The person's stamp covers what only their own feed shows: their RSVPs and
    their choice of feed."""

    club = models.OneToOneField(
        "clubs.Club", null=True, blank=True, on_delete=models.CASCADE, related_name="feed_stamp"
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="feed_stamp",
    )
    token = models.CharField(max_length=32)
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(club__isnull=True, user__isnull=False)
                | Q(club__isnull=False, user__isnull=True),
                name="feed_stamp_for_club_or_person",
            )
        ]

    def __str__(self) -> str:
        return f"Feed stamp of {self.club_id or self.user_id}: {self.token}"


WRITEUP_TEXT_MAX = 20_000


class Writeup(models.Model):
    """A session's shared write-up as it reads now: Markdown that its attendees,
    its facilitators and the club's organizers edit together. Every save is a
    WriteupRevision; `revision` is the newest one's number. A save names the
    revision it was based on and is taken only if that is still the newest, so
    two people editing at once never overwrite each other
    (sessions.writeups.services.writeup_save)."""

    TEXT_MAX = WRITEUP_TEXT_MAX

    session = models.OneToOneField(Session, on_delete=models.CASCADE, related_name="writeup")
    text = bounded_text(TEXT_MAX, blank=True)
    revision = models.PositiveIntegerField(default=1)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(revision__gte=1), name="writeup_revision_positive"),
            text_length_check("text", WRITEUP_TEXT_MAX, name="writeup_text_length"),
        ]

    def __str__(self) -> str:
        return f"Write-up of {self.session_id} (revision {self.revision})"


class WriteupRevision(models.Model):
    """One saved version of a write-up, numbered from 1, with who wrote it."""

    writeup = models.ForeignKey(Writeup, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    text = bounded_text(WRITEUP_TEXT_MAX, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["writeup", "number"]
        constraints = [
            models.UniqueConstraint(fields=["writeup", "number"], name="writeup_revision_once"),
            models.CheckConstraint(
                condition=Q(number__gte=1), name="writeup_revision_number_positive"
            ),
            text_length_check("text", WRITEUP_TEXT_MAX, name="writeup_revision_text_length"),
        ]

    def __str__(self) -> str:
        return f"Revision {self.number} of write-up {self.writeup_id}"


# --- Discussion (sessions.discussion) -------------------------------------------------------

POST_BODY_MAX = 10_000


class Thread(models.Model):
    """The discussion of one session or of one backlog paper (exactly one of the
    two). A thread's row is written by its first post, follow or lock; until
    then the subject simply has an empty, open discussion."""

    club = models.ForeignKey("clubs.Club", on_delete=models.CASCADE, related_name="+")
    session = models.OneToOneField(
        Session, null=True, blank=True, on_delete=models.CASCADE, related_name="thread"
    )
    nomination = models.OneToOneField(
        "papers.Nomination", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    locked_at = models.DateTimeField(null=True, blank=True)
    locked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(session__isnull=False, nomination__isnull=True)
                | Q(session__isnull=True, nomination__isnull=False),
                name="thread_of_session_or_paper",
            )
        ]

    def __str__(self) -> str:
        if self.session_id is not None:
            return f"Thread {self.pk} of session {self.session_id}"
        return f"Thread {self.pk} of paper {self.nomination_id}"

    @property
    def is_locked(self) -> bool:
        return self.locked_at is not None


class Post(models.Model):
    """One post in a thread; a reply names its parent, which is always a
    top-level post (one level deep: the service files a reply to a reply under
    its parent). Deleting keeps the row (its replies stay in place) and clears
    the body; hiding keeps the body for organizers only."""

    BODY_MAX = POST_BODY_MAX

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="posts")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies"
    )
    body = bounded_text(POST_BODY_MAX, blank=True, help_text="Markdown.")
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            text_length_check("body", POST_BODY_MAX, name="post_body_length"),
        ]
        indexes = [models.Index(fields=["thread", "parent", "created_at"])]

    def __str__(self) -> str:
        return f"Post {self.pk} in thread {self.thread_id}"


class ThreadFollow(models.Model):
    """A member's choice about one thread: follow it (mail for each new post,
    or a daily digest) or mute it (never followed, not even by posting)."""

    class State(models.TextChoices):
        FOLLOWING = "following", "Following"
        MUTED = "muted", "Muted"

    class Delivery(models.TextChoices):
        IMMEDIATE = "immediate", "An email for each new post"
        DAILY = "daily", "A daily digest"

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="follows")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    state = models.CharField(max_length=10, choices=State.choices, default=State.FOLLOWING)
    delivery = models.CharField(max_length=10, choices=Delivery.choices, default=Delivery.IMMEDIATE)
    # The newest post a digest (or the follow itself) already covered.
    digested_up_to = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["thread", "user"], name="thread_follow_one_per_person"),
            models.CheckConstraint(
                condition=Q(state__in=["following", "muted"]), name="thread_follow_state_valid"
            ),
            models.CheckConstraint(
                condition=Q(delivery__in=["immediate", "daily"]),
                name="thread_follow_delivery_valid",
            ),
        ]
        indexes = [models.Index(fields=["user", "state"])]

    def __str__(self) -> str:
        return f"{self.user_id} {self.state} thread {self.thread_id}"
