"""Papers and each club's backlog of them.

Every Paper belongs to exactly one club: whatever a club writes about a paper
(a corrected title, a link, a note) is never shown to another club. The same
arXiv work added by two clubs is two rows with the same arxiv_id; a fetched
arXiv answer is applied to each of them (papers.fetching), except the fields
that club corrected by hand (Paper.edited_fields).
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from clubs.limits import bounded_text, text_length_check

# Free-text maxima (docs/limits.md); each model also names its own.
PAPER_TITLE_MAX = 500
PAPER_ABSTRACT_MAX = 10_000
PAPER_COMMENT_MAX = 2_000
PAPER_JOURNAL_REF_MAX = 1_000
PAPER_ERROR_MAX = 1_000
PAPER_PDF_METADATA_MAX = 500
PAPER_FIRST_PAGES_TEXT_MAX = 200_000
NOMINATION_PITCH_MAX = 1_000
GUIDE_ABSTRACT_MAX = 2_000
GUIDE_INTRO_END_MAX = 1_500
PAPER_NOTE_TEXT_MAX = 20_000


class Paper(models.Model):
    class MetadataState(models.TextChoices):
        PENDING = "pending", "Waiting to fetch"
        FETCHING = "fetching", "Fetching…"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    class PdfState(models.TextChoices):
        NONE = "none", "No PDF"
        PENDING = "pending", "Waiting to read"
        READY = "ready", "Read"
        FAILED = "failed", "Could not read"

    TITLE_MAX = PAPER_TITLE_MAX
    ABSTRACT_MAX = PAPER_ABSTRACT_MAX
    COMMENT_MAX = PAPER_COMMENT_MAX
    JOURNAL_REF_MAX = PAPER_JOURNAL_REF_MAX
    ERROR_MAX = PAPER_ERROR_MAX
    PDF_METADATA_MAX = PAPER_PDF_METADATA_MAX  # papers.pdf.MAX_METADATA_CHARS
    FIRST_PAGES_TEXT_MAX = PAPER_FIRST_PAGES_TEXT_MAX  # papers.pdf.MAX_TEXT_CHARS

    # Fields a person may correct on the paper page (papers.editing); once
    # corrected, a later arXiv fetch leaves them alone.
    EDITABLE_FIELDS = ("title", "authors", "year", "url", "doi", "abstract")
    EDITABLE_FIELD_WORDS = {"url": "link", "doi": "DOI"}

    club = models.ForeignKey("clubs.Club", on_delete=models.CASCADE, related_name="papers")
    # arXiv papers: the base id (no version) is the identity of the work, once per club.
    arxiv_id = models.CharField(max_length=40, null=True, blank=True)  # noqa: DJ001 - NULL: not on arXiv
    # The version the person asked for (None: the latest); the links and the PDF
    # are of this version.
    arxiv_version = models.PositiveSmallIntegerField(null=True, blank=True)
    # The latest version arXiv knows of: the title and abstract are of it.
    arxiv_latest_version = models.PositiveSmallIntegerField(null=True, blank=True)

    title = bounded_text(TITLE_MAX, blank=True)
    # The title reduced to its words (papers.identifiers.normalize_title): two
    # papers of one club with the same key are likely one work ("is it this one?").
    title_key = models.CharField(max_length=TITLE_MAX, blank=True)
    authors = models.JSONField(default=list, blank=True)
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    abstract = bounded_text(ABSTRACT_MAX, blank=True)
    categories = models.JSONField(default=list, blank=True)
    primary_category = models.CharField(max_length=40, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    revised_at = models.DateTimeField(null=True, blank=True)
    abs_url = models.URLField(max_length=300, blank=True)
    pdf_url = models.URLField(max_length=300, blank=True)
    # Normalised (papers.identifiers.normalize_doi): lower case, no resolver prefix.
    doi = models.CharField(max_length=200, blank=True)
    comment = bounded_text(COMMENT_MAX, blank=True)
    journal_ref = bounded_text(JOURNAL_REF_MAX, blank=True)
    code_links = models.JSONField(default=list, blank=True)
    # Papers not on arXiv: a link typed by hand, or an uploaded PDF.
    url = models.URLField(max_length=500, blank=True)
    pdf_file = models.FileField(upload_to="papers/%Y/%m/", blank=True)
    # SHA-256 of an uploaded PDF's bytes: the same file uploaded twice in a club
    # is the same paper.
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    # True while the title is only the uploaded file's name, to be replaced by
    # what the worker reads from the PDF.
    title_is_placeholder = models.BooleanField(default=False)
    # Names from EDITABLE_FIELDS that someone in the club corrected by hand.
    edited_fields = models.JSONField(default=list, blank=True)

    metadata_state = models.CharField(
        max_length=10, choices=MetadataState.choices, default=MetadataState.PENDING
    )
    metadata_error = bounded_text(ERROR_MAX, blank=True)
    metadata_attempts = models.PositiveSmallIntegerField(default=0)
    metadata_attempted_at = models.DateTimeField(null=True, blank=True)
    # When the sweep asks arXiv next (None: as soon as a worker is free).
    metadata_next_attempt_at = models.DateTimeField(null=True, blank=True)
    # Since when arXiv has failed for this paper, transiently and in a row.
    metadata_failing_since = models.DateTimeField(null=True, blank=True)
    # arXiv's "no such id" answers while healthy, and when the first came.
    not_found_count = models.PositiveSmallIntegerField(default=0)
    not_found_first_at = models.DateTimeField(null=True, blank=True)

    pdf_state = models.CharField(max_length=10, choices=PdfState.choices, default=PdfState.NONE)
    pdf_error = bounded_text(ERROR_MAX, blank=True)
    page_count = models.PositiveIntegerField(null=True, blank=True)
    pdf_title = bounded_text(PDF_METADATA_MAX, blank=True)
    pdf_author = bounded_text(PDF_METADATA_MAX, blank=True)
    first_pages_text = bounded_text(FIRST_PAGES_TEXT_MAX, blank=True)

    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(metadata_state__in=["pending", "fetching", "ready", "failed"]),
                name="paper_metadata_state_valid",
            ),
            models.CheckConstraint(
                condition=Q(pdf_state__in=["none", "pending", "ready", "failed"]),
                name="paper_pdf_state_valid",
            ),
            # A paper is either on arXiv or has a title of its own.
            models.CheckConstraint(
                condition=Q(arxiv_id__isnull=False) | ~Q(title=""),
                name="paper_has_arxiv_id_or_title",
            ),
            # One row per work in a club, whichever door it came in by.
            models.UniqueConstraint(
                fields=["club", "arxiv_id"],
                condition=Q(arxiv_id__isnull=False),
                name="paper_arxiv_id_once_per_club",
            ),
            models.UniqueConstraint(
                fields=["club", "doi"], condition=~Q(doi=""), name="paper_doi_once_per_club"
            ),
            models.UniqueConstraint(
                fields=["club", "url"], condition=~Q(url=""), name="paper_url_once_per_club"
            ),
            models.UniqueConstraint(
                fields=["club", "pdf_sha256"],
                condition=~Q(pdf_sha256=""),
                name="paper_pdf_once_per_club",
            ),
            text_length_check("title", PAPER_TITLE_MAX, name="paper_title_length"),
            text_length_check("abstract", PAPER_ABSTRACT_MAX, name="paper_abstract_length"),
            text_length_check("comment", PAPER_COMMENT_MAX, name="paper_comment_length"),
            text_length_check(
                "journal_ref", PAPER_JOURNAL_REF_MAX, name="paper_journal_ref_length"
            ),
            text_length_check("pdf_title", PAPER_PDF_METADATA_MAX, name="paper_pdf_title_length"),
            text_length_check("pdf_author", PAPER_PDF_METADATA_MAX, name="paper_pdf_author_length"),
            text_length_check(
                "first_pages_text", PAPER_FIRST_PAGES_TEXT_MAX, name="paper_first_pages_text_length"
            ),
        ]
        indexes = [
            # The sweep's question: which waiting papers are due.
            models.Index(
                fields=["metadata_state", "metadata_next_attempt_at"], name="paper_fetch_due"
            ),
            models.Index(fields=["club", "title_key"], name="paper_title_key"),
            # A fetched answer is applied to every club's row of the work.
            models.Index(fields=["arxiv_id"], name="paper_arxiv_id"),
        ]

    def __str__(self) -> str:
        return self.title or (f"arXiv:{self.arxiv_id}" if self.arxiv_id else f"paper {self.pk}")

    @property
    def display_title(self) -> str:
        return str(self)

    @property
    def first_authors(self) -> str:
        authors = self.authors or []
        if len(authors) > 3:
            return ", ".join(authors[:3]) + " et al."
        return ", ".join(authors)

    @property
    def edited_words(self) -> str:
        """What the club corrected, as the page says it: "title, link, DOI"."""
        names = [n for n in self.EDITABLE_FIELDS if n in (self.edited_fields or [])]
        return ", ".join(self.EDITABLE_FIELD_WORDS.get(n, n) for n in names)

    @property
    def shows_other_version(self) -> bool:
        """The person asked for a version, and arXiv's details are of a later one."""
        return bool(
            self.arxiv_version
            and self.arxiv_latest_version
            and self.arxiv_latest_version != self.arxiv_version
        )

    @property
    def link(self) -> str:
        """Where the paper lives outside Paper Club. An uploaded PDF is not one: it is
        served per club by papers:pdf, which checks who may see it."""
        return self.abs_url or self.url

    @property
    def is_settled(self) -> bool:
        """Nothing left for a worker to do: pages stop polling."""
        busy = {self.MetadataState.PENDING, self.MetadataState.FETCHING}
        return self.metadata_state not in busy and self.pdf_state != self.PdfState.PENDING


class Tag(models.Model):
    """A topic a club files its papers under. The topics are the organizers'
    list: one a member types that is not on it is *suggested* (on that paper
    only, and out of the backlog's topic filter) until an organizer accepts it
    or rejects it (papers.topics)."""

    class State(models.TextChoices):
        ACCEPTED = "accepted", "On the club's list"
        SUGGESTED = "suggested", "Suggested"

    club = models.ForeignKey("clubs.Club", on_delete=models.CASCADE, related_name="tags")
    name = models.CharField(max_length=40)
    slug = models.SlugField(max_length=50)
    state = models.CharField(max_length=10, choices=State.choices, default=State.ACCEPTED)
    suggested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["club", "slug"], name="tag_unique_per_club"),
            models.CheckConstraint(
                condition=Q(state__in=["accepted", "suggested"]), name="tag_state_known"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Nomination(models.Model):
    """A paper in one club's backlog."""

    class State(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        SCHEDULED = "scheduled", "Scheduled"
        COVERED = "covered", "Covered"
        ARCHIVED = "archived", "Archived"

    club = models.ForeignKey("clubs.Club", on_delete=models.CASCADE, related_name="nominations")
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="nominations")
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    PITCH_MAX = NOMINATION_PITCH_MAX

    pitch = bounded_text(PITCH_MAX, blank=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="nominations")
    state = models.CharField(max_length=10, choices=State.choices, default=State.PROPOSED)
    pinned_at = models.DateTimeField(
        null=True, blank=True, help_text="Set by organizers to fast-track a paper."
    )
    covered_on = models.DateField(null=True, blank=True)
    # Kept in the row by the vote service (same transaction), so lists sort by
    # votes without counting them on every page view.
    vote_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    # Not a field: the weighted total the vote button shows ("weighs 3.5"), set by
    # papers.selectors.voting_attach when the club weighs votes. Empty otherwise,
    # so the template finds it on every card: a lookup that fails on a model
    # instance makes Django call dir() on it, about 0.3 ms a card (issue 14).
    weighted_words: str = ""

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["club", "paper"], name="nomination_one_per_club_paper"),
            models.CheckConstraint(
                condition=Q(state__in=["proposed", "scheduled", "covered", "archived"]),
                name="nomination_state_valid",
            ),
            text_length_check("pitch", NOMINATION_PITCH_MAX, name="nomination_pitch_length"),
        ]
        indexes = [
            # No index holds vote_count: a vote then changes no indexed column, so
            # PostgreSQL updates the row in place (HOT) instead of adding an entry
            # to every index. The backlog's lists are cached (papers.backlog_cache),
            # and a full list is sorted in a few milliseconds on a miss.
            models.Index(
                F("club"),
                F("state"),
                F("pinned_at").desc(nulls_last=True),
                F("created_at").desc(),
                F("id").desc(),
                name="nomination_backlog_new",
            ),
            models.Index(fields=["club", "-created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.paper} in {self.club}"

    @property
    def is_pinned(self) -> bool:
        return self.pinned_at is not None


class Vote(models.Model):
    nomination = models.ForeignKey(Nomination, on_delete=models.CASCADE, related_name="votes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["nomination", "user"], name="vote_one_per_member")
        ]
        indexes = [
            models.Index(fields=["user", "nomination"]),
            # "Trending" reads only the last month's votes.
            models.Index(fields=["created_at"], name="vote_created_at"),
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.nomination}"


class ReadingGuide(models.Model):
    """What the worker could find in a paper's first pages to guide a first pass.

    Every field may be empty: the extractor records nothing rather than nonsense.
    """

    ABSTRACT_MAX = GUIDE_ABSTRACT_MAX  # what papers.guide extracts
    INTRO_END_MAX = GUIDE_INTRO_END_MAX

    paper = models.OneToOneField(Paper, on_delete=models.CASCADE, related_name="guide")
    abstract = bounded_text(ABSTRACT_MAX, blank=True)
    intro_end = bounded_text(
        INTRO_END_MAX, blank=True, help_text="The introduction's final paragraphs."
    )
    headings = models.JSONField(default=list, blank=True)
    figure_captions = models.JSONField(default=list, blank=True)
    related_work_heading = models.CharField(max_length=200, blank=True)
    related_work_page = models.PositiveSmallIntegerField(null=True, blank=True)
    extracted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            text_length_check("abstract", GUIDE_ABSTRACT_MAX, name="reading_guide_abstract_length"),
            text_length_check(
                "intro_end", GUIDE_INTRO_END_MAX, name="reading_guide_intro_end_length"
            ),
        ]

    def __str__(self) -> str:
        return f"Reading guide for {self.paper}"

    @property
    def is_empty(self) -> bool:
        return not (
            self.abstract
            or self.intro_end
            or self.headings
            or self.figure_captions
            or self.related_work_heading
        )


class PaperNote(models.Model):
    """A member's private notes on a paper: only they ever see them."""

    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    TEXT_MAX = PAPER_NOTE_TEXT_MAX

    text = bounded_text(TEXT_MAX, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["paper", "user"], name="paper_note_one_per_person"),
            text_length_check("text", PAPER_NOTE_TEXT_MAX, name="paper_note_text_length"),
        ]

    def __str__(self) -> str:
        return f"Notes of {self.user_id} on {self.paper_id}"


class GuideTick(models.Model):
    """One reading-method checklist item a member has done for a paper."""

    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    item = models.CharField(max_length=40)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["paper", "user", "item"], name="guide_tick_once")
        ]

    def __str__(self) -> str:
        return f"{self.item} by {self.user_id} on {self.paper_id}"


class BacklogStamp(models.Model):
    """A club's backlog as of its last change: a new token with every change,
    and a new votes token with every vote (papers.backlog_cache keys the cached
    lists and cards by them).

    Written in the same transaction as the change, so whoever reads the token
    and then the rows never sees rows older than the token."""

    club = models.OneToOneField(
        "clubs.Club", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    token = models.CharField(max_length=32)
    votes_token = models.CharField(max_length=32, blank=True, default="")

    def __str__(self) -> str:
        return f"{self.club_id}: {self.token}"


class RelatedPaper(models.Model):
    """One of a nomination's nearest papers in the same club's backlog and
    archive, by tf-idf over title, abstract and authors (papers.related).

    Written only by the worker's rebuild, which replaces a club's rows at once;
    pages just read them. `weak` marks a pair where one side has no abstract
    yet: it was matched on title and authors alone."""

    club = models.ForeignKey("clubs.Club", on_delete=models.CASCADE, related_name="+")
    nomination = models.ForeignKey(Nomination, on_delete=models.CASCADE, related_name="related")
    related = models.ForeignKey(Nomination, on_delete=models.CASCADE, related_name="+")
    rank = models.PositiveSmallIntegerField()
    score = models.FloatField()
    weak = models.BooleanField(default=False)

    class Meta:
        ordering = ["nomination", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["nomination", "related"], name="related_pair_once"),
            models.CheckConstraint(
                condition=~Q(nomination=F("related")), name="related_not_itself"
            ),
        ]
        indexes = [models.Index(fields=["nomination", "rank"], name="related_by_rank")]

    def __str__(self) -> str:
        return f"{self.nomination_id} ~ {self.related_id} ({self.score:.2f})"


class RelatedIndex(models.Model):
    """Where a club's related papers stand: asked for (a paper arrived or
    changed) and last built. A rebuild runs only while `requested_at` is later
    than the start of the last build, so a burst of arrivals costs one or two."""

    club = models.OneToOneField(
        "clubs.Club", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    built_at = models.DateTimeField(null=True, blank=True)
    papers = models.PositiveIntegerField(default=0)
    seconds = models.FloatField(default=0.0)

    def __str__(self) -> str:
        return f"{self.club_id}: built {self.built_at}"


WATCH_VALUE_MAX = 200
WATCH_MESSAGE_MAX = 1_000


class Watch(models.Model):
    """A corner of arXiv a club (organizers) or one member watches: a category,
    an author or a keyword (papers.watch). The daily run asks arXiv for what was
    submitted there since the watch's last successful run and stores what the
    club has not seen as Suggestions."""

    class Kind(models.TextChoices):
        CATEGORY = "category", "Category"
        AUTHOR = "author", "Author"
        KEYWORD = "keyword", "Keyword"

    VALUE_MAX = WATCH_VALUE_MAX
    MESSAGE_MAX = WATCH_MESSAGE_MAX

    club = models.ForeignKey("clubs.Club", on_delete=models.CASCADE, related_name="+")
    # None: the club's watch (organizers keep it); a person: theirs alone.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    value = models.CharField(max_length=WATCH_VALUE_MAX)
    # An author or keyword watched within one category only ("" : all of arXiv).
    within = models.CharField(max_length=40, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    # The "since" mark: the start of the last successful run (None: never ran).
    # It moves only when a run is stored whole.
    last_success_at = models.DateTimeField(null=True, blank=True)
    # When the sweep runs it next (None: at once).
    next_run_at = models.DateTimeField(null=True, blank=True)
    # What the last successful run found: matches on arXiv (all of them, as
    # arXiv counted), and how many became suggestions.
    last_matched = models.PositiveIntegerField(default=0)
    last_suggested = models.PositiveIntegerField(default=0)
    last_capped = models.BooleanField(default=False)
    # Failed runs in a row, since when, and why (arXiv's fault: tried again later).
    failures = models.PositiveSmallIntegerField(default=0)
    failing_since = models.DateTimeField(null=True, blank=True)
    last_error = bounded_text(WATCH_MESSAGE_MAX, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["category", "author", "keyword"]), name="watch_kind_known"
            ),
            models.CheckConstraint(condition=~Q(value=""), name="watch_value_not_empty"),
            models.UniqueConstraint(
                fields=["club", "kind", "value", "within"],
                condition=Q(owner__isnull=True),
                name="watch_once_per_club",
            ),
            models.UniqueConstraint(
                fields=["club", "owner", "kind", "value", "within"],
                condition=Q(owner__isnull=False),
                name="watch_once_per_member",
            ),
            text_length_check("last_error", WATCH_MESSAGE_MAX, name="watch_last_error_length"),
        ]
        indexes = [models.Index(fields=["next_run_at"], name="watch_due")]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """How pages name it: 'category cs.CL', 'author "Yoshua Bengio"'."""
        if self.kind == self.Kind.CATEGORY:
            return f"category {self.value}"
        label = f'{self.get_kind_display().lower()} "{self.value}"'
        return f"{label} in {self.within}" if self.within else label


class Suggestion(models.Model):
    """A new arXiv paper a watch found that the club had not seen, ranked
    against the club's history (papers.watch). Offered until someone proposes
    it or it is muted; a muted one never comes back from later runs."""

    class State(models.TextChoices):
        NEW = "new", "Suggested"
        PROPOSED = "proposed", "Proposed"
        MUTED = "muted", "Muted"

    club = models.ForeignKey("clubs.Club", on_delete=models.CASCADE, related_name="+")
    # The watch's owner: None for the club's suggestions, a person for theirs.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # The watch that found it (a muted suggestion outlives its watch).
    watch = models.ForeignKey(
        Watch, null=True, blank=True, on_delete=models.SET_NULL, related_name="suggestions"
    )
    watch_label = models.CharField(max_length=WATCH_VALUE_MAX + 20)
    arxiv_id = models.CharField(max_length=40)
    version = models.PositiveSmallIntegerField(null=True, blank=True)
    title = bounded_text(PAPER_TITLE_MAX)
    authors = models.JSONField(default=list, blank=True)
    abstract = bounded_text(PAPER_ABSTRACT_MAX, blank=True)
    primary_category = models.CharField(max_length=40, blank=True)
    published_at = models.DateTimeField()
    # Similarity to the club's nearest paper (tf-idf, papers.related.index), and which.
    score = models.FloatField(default=0.0)
    near = models.ForeignKey(
        Nomination, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.NEW)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=["new", "proposed", "muted"]), name="suggestion_state_known"
            ),
            # Once per paper for the club, and once per paper for each member.
            models.UniqueConstraint(
                fields=["club", "arxiv_id"],
                condition=Q(owner__isnull=True),
                name="suggestion_once_per_club",
            ),
            models.UniqueConstraint(
                fields=["club", "owner", "arxiv_id"],
                condition=Q(owner__isnull=False),
                name="suggestion_once_per_member",
            ),
            text_length_check("title", PAPER_TITLE_MAX, name="suggestion_title_length"),
            text_length_check("abstract", PAPER_ABSTRACT_MAX, name="suggestion_abstract_length"),
        ]
        indexes = [
            models.Index(fields=["club", "owner", "state", "-score"], name="suggestion_list"),
        ]

    def __str__(self) -> str:
        return f"{self.arxiv_id} for {self.club_id}"

    @property
    def abs_url(self) -> str:
        return f"https://arxiv.org/abs/{self.arxiv_id}"

    @property
    def first_authors(self) -> str:
        authors = self.authors or []
        if len(authors) > 3:
            return ", ".join(authors[:3]) + " et al."
        return ", ".join(authors)


# --- Voting: the club's options for everyday votes, and voting rounds (papers.voting) ---

VOTE_BUDGET_MAX = 50
ROUND_TITLE_MAX = 120
ROUND_CANDIDATES_MAX = 20
SCORE_MIN, SCORE_MAX = 1, 5


class BacklogOptions(models.Model):
    """How a club's everyday backlog votes count. Every option is off until an
    organizer turns it on (papers.voting.options): no row is "all off".

    vote_budget: at most this many open votes per member (votes on papers still
    proposed or scheduled); a vote on a paper the club covered no longer counts,
    so it comes back to its member. weighted_votes: a vote counts more when its
    member came to the club's recent sessions (the weights come from the app
    that knows sessions, through papers.voting.weights)."""

    club = models.OneToOneField(
        "clubs.Club", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    vote_budget = models.PositiveSmallIntegerField(null=True, blank=True)
    weighted_votes = models.BooleanField(default=False)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name_plural = "backlog options"
        constraints = [
            models.CheckConstraint(
                condition=Q(vote_budget__isnull=True)
                | Q(vote_budget__gte=1, vote_budget__lte=VOTE_BUDGET_MAX),
                name="backlog_options_budget_range",
            )
        ]

    def __str__(self) -> str:
        return f"Backlog options of {self.club_id}"


class VotingRound(models.Model):
    """An organizer's round over chosen candidates with a deadline: one ballot
    per member, changeable until `closes_at`. Nobody sees a count before then
    (papers.voting.rounds); after it the result is read from the ballots, so it
    never waits for a job. `closed_at` records when its close was announced
    (the activity log), by the first reader or the beat job."""

    class Method(models.TextChoices):
        APPROVAL = "approval", "Approval (tick every paper you would read)"
        SCORE = "score", "Scores from 1 to 5"

    TITLE_MAX = ROUND_TITLE_MAX

    club = models.ForeignKey("clubs.Club", on_delete=models.CASCADE, related_name="+")
    title = models.CharField(max_length=ROUND_TITLE_MAX)
    method = models.CharField(max_length=10, choices=Method.choices, default=Method.APPROVAL)
    closes_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(method__in=["approval", "score"]), name="round_method_known"
            ),
            models.CheckConstraint(
                condition=Q(closes_at__gt=F("created_at")), name="round_closes_after_opening"
            ),
        ]
        indexes = [models.Index(fields=["club", "-closes_at"], name="round_by_club")]

    def __str__(self) -> str:
        return self.title

    def is_closed(self, now=None) -> bool:
        return (now or timezone.now()) >= self.closes_at


class RoundCandidate(models.Model):
    round = models.ForeignKey(VotingRound, on_delete=models.CASCADE, related_name="candidates")
    nomination = models.ForeignKey(Nomination, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["round", "position"]
        constraints = [
            models.UniqueConstraint(fields=["round", "nomination"], name="round_candidate_once")
        ]

    def __str__(self) -> str:
        return f"{self.nomination_id} in round {self.round_id}"


class Ballot(models.Model):
    """A member's one ballot in a round; saving it again replaces its marks."""

    round = models.ForeignKey(VotingRound, on_delete=models.CASCADE, related_name="ballots")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["round", "user"], name="ballot_one_per_member")
        ]

    def __str__(self) -> str:
        return f"Ballot of {self.user_id} in round {self.round_id}"


class BallotMark(models.Model):
    """One candidate on one ballot: approved (score 1) or scored 1 to 5."""

    ballot = models.ForeignKey(Ballot, on_delete=models.CASCADE, related_name="marks")
    candidate = models.ForeignKey(RoundCandidate, on_delete=models.CASCADE, related_name="marks")
    score = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ballot", "candidate"], name="ballot_mark_once"),
            models.CheckConstraint(
                condition=Q(score__gte=SCORE_MIN, score__lte=SCORE_MAX), name="ballot_score_range"
            ),
        ]

    def __str__(self) -> str:
        return f"Mark on candidate {self.candidate_id}"
