"""Writes for papers, the backlog and votes.

The rules: every Paper belongs to one club, and a club has one Paper row per
work (its normalised arXiv id, DOI, link and PDF hash are unique in the club);
one Nomination per paper per club, one Vote per member per nomination. The
database guards each; these functions turn a conflict into the outcome a
person expects (a double click counts once; proposing a paper the club has
already counts as a vote for it).
"""

from dataclasses import dataclass, field

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import F, OuterRef, Subquery
from django.utils import timezone
from django.utils.text import slugify

from clubs.models import Club, Membership

from . import activity
from .arxiv_client import ArxivId, InvalidArxivId, parse_arxiv_id, split_id_tokens
from .backlog_cache import backlog_votes_changed, backlogs_changed
from .chat import chat_backlog_top
from .errors import NotAllowed, PaperError
from .guide import CHECKLIST_KEYS
from .identifiers import InvalidDoi, arxiv_id_from_doi, normalize_doi
from .merging import nominations_merge  # noqa: F401 - lives with its undo, called from here too
from .models import BacklogOptions, GuideTick, Nomination, Paper, PaperNote, Tag, Vote
from .related.services import related_changed
from .tasks import fetch_arxiv_metadata
from .voting import budget as vote_budget
from .webhooks import webhook_covered, webhook_covered_before, webhook_proposed

MAX_IDS_PER_BATCH = 50
PITCH_MAX_LENGTH = Nomination.PITCH_MAX


@dataclass
class ProposeOutcome:
    added: list[Nomination] = field(default_factory=list)
    existing: list[Nomination] = field(default_factory=list)
    # (token, message) for each malformed token, in the order given.
    invalid: list[tuple[str, str]] = field(default_factory=list)
    # Papers the club has already read: proposed again only once confirmed.
    covered: list[Nomination] = field(default_factory=list)
    # Papers of the club whose title is the one given: "is it this one?"
    # (nothing was added; papers.proposing asks first).
    similar: list[Nomination] = field(default_factory=list)
    # An uploaded PDF kept while the person answers that question.
    upload_token: str = ""

    @property
    def nominations(self) -> list[Nomination]:
        return self.added + self.existing


def require_active_member(*, club: Club, user: User) -> None:
    if not Membership.objects.filter(club=club, user=user, state=Membership.State.ACTIVE).exists():
        raise NotAllowed("Only active members of this club can do that.")


# --- Proposing ---------------------------------------------------------------------


def parse_id_batch(text: str) -> tuple[list[ArxivId], list[tuple[str, str]]]:
    """Split a textarea into valid ids and one message per malformed token.
    DOIs are recognised: arXiv's own (10.48550/arXiv.…) are its ids, others
    come back as ("doi:<doi>", "") for the caller to look up."""
    tokens = split_id_tokens(text)
    if len(tokens) > MAX_IDS_PER_BATCH:
        raise PaperError(f"That is {len(tokens)} ids; add at most {MAX_IDS_PER_BATCH} at once.")
    ids: dict[str, ArxivId] = {}
    invalid = []
    for token in tokens:
        try:
            arxiv_id = parse_arxiv_id(token)
        except InvalidArxivId as error:
            try:
                doi = normalize_doi(token)
            except InvalidDoi:
                invalid.append((token, str(error)))
                continue
            from_doi = arxiv_id_from_doi(doi)
            if from_doi is None:
                invalid.append((token, f"doi:{doi}"))
                continue
            arxiv_id = from_doi
        ids.setdefault(arxiv_id.base, arxiv_id)
    return list(ids.values()), invalid


def _doi_tokens(*, club: Club, invalid: list[tuple[str, str]]) -> tuple[list[Paper], list]:
    """DOIs typed among arXiv ids: the club's papers with them, and a message
    for each DOI the club does not have."""
    found, still_invalid = [], []
    for token, message in invalid:
        if not message.startswith("doi:"):
            still_invalid.append((token, message))
            continue
        paper = Paper.objects.filter(club=club, doi=message[4:]).first()
        if paper is not None:
            found.append(paper)
        else:
            still_invalid.append(
                (
                    token,
                    f'"{token[:80]}" is a DOI, not an arXiv id: add the paper under '
                    "“A paper not on arXiv” with its title.",
                )
            )
    return found, still_invalid


def paper_for_arxiv_id(*, club: Club, arxiv_id: ArxivId, created_by: User | None) -> Paper:
    """The club's Paper for this work, created pending when new."""
    paper = Paper.objects.filter(club=club, arxiv_id=arxiv_id.base).first()
    if paper is not None:
        return paper
    try:
        with transaction.atomic():
            return Paper.objects.create(
                club=club,
                arxiv_id=arxiv_id.base,
                arxiv_version=arxiv_id.version,
                created_by=created_by,
            )
    except IntegrityError:
        # Someone in the club added the same work a moment ago.
        return Paper.objects.get(club=club, arxiv_id=arxiv_id.base)


@transaction.atomic
def papers_propose(
    *,
    club: Club,
    user: User,
    text: str,
    pitch: str = "",
    tag_names: list[str] | tuple[str, ...] = (),
    confirm_covered: bool = False,
) -> ProposeOutcome:
    """Add arXiv papers (ids or URLs, up to 50) to a club's backlog.

    Malformed tokens are reported by name; valid ones are still added. A paper
    the club already has is not added twice: the person's vote is counted. A
    paper the club has already covered comes back only with confirm_covered
    (the club's memory); until then it is listed in outcome.covered.
    Metadata is fetched by a worker after commit.
    """
    require_active_member(club=club, user=user)
    ids, invalid = parse_id_batch(text)
    by_doi, invalid = _doi_tokens(club=club, invalid=invalid)
    outcome = ProposeOutcome(invalid=invalid)
    to_fetch = []
    papers = []
    for arxiv_id in ids:
        paper = paper_for_arxiv_id(club=club, arxiv_id=arxiv_id, created_by=user)
        if paper.metadata_state == Paper.MetadataState.PENDING:
            to_fetch.append(paper.pk)
        papers.append(paper)
    for paper in dict.fromkeys([*papers, *by_doi]):
        paper_nominate(
            club=club,
            user=user,
            paper=paper,
            outcome=outcome,
            confirm_covered=confirm_covered,
            pitch=pitch,
            tag_names=tag_names,
        )
    if outcome.nominations:
        backlogs_changed(club_ids=[club.pk])
    if to_fetch:
        fetch_arxiv_metadata.delay_on_commit(to_fetch)
    return outcome


def paper_nominate(
    *,
    club: Club,
    user: User,
    paper: Paper,
    outcome: ProposeOutcome,
    confirm_covered: bool,
    pitch: str = "",
    tag_names: list[str] | tuple[str, ...] = (),
) -> None:
    """Put the club's paper in its backlog with the person's vote, into
    outcome.added or .existing; a paper the club has read comes back only with
    confirm_covered (until then it goes into outcome.covered)."""
    covered = Nomination.objects.filter(
        club=club, paper=paper, state=Nomination.State.COVERED
    ).first()
    if covered is not None:
        if not confirm_covered:
            outcome.covered.append(covered)
            return
        covered.state = Nomination.State.PROPOSED
        covered.save(update_fields=["state"])
    nomination, created = _nomination_get_or_create(
        club=club, paper=paper, user=user, pitch=pitch, tag_names=tag_names
    )
    (outcome.added if created else outcome.existing).append(nomination)


@transaction.atomic
def paper_propose_by_link(
    *,
    club: Club,
    user: User,
    title: str,
    url: str,
    doi: str = "",
    pitch: str = "",
    tag_names: list[str] | tuple[str, ...] = (),
) -> tuple[Nomination, bool]:
    """Add a paper that is not on arXiv, typed in by hand. A link or DOI the
    club already has is that paper: the person's vote is counted. Returns the
    nomination and whether it is new. See papers.proposing (the one door)."""
    from .proposing import paper_propose  # noqa: PLC0415 - avoids an import cycle: papers.proposing imports this module

    outcome = paper_propose(
        club=club,
        user=user,
        title=title,
        url=url,
        doi=doi,
        pitch=pitch,
        tag_names=tag_names,
        confirm_new=True,
        confirm_covered=True,
    )
    return outcome.nominations[0], bool(outcome.added)


def paper_propose_upload(
    *,
    club: Club,
    user: User,
    upload,
    title: str = "",
    pitch: str = "",
    tag_names: list[str] | tuple[str, ...] = (),
) -> Nomination:
    """Add an uploaded PDF (the same file again is the paper the club has, with
    the person's vote); a worker reads it after commit. See papers.proposing."""
    from .proposing import paper_propose  # noqa: PLC0415 - avoids an import cycle: papers.proposing imports this module

    outcome = paper_propose(
        club=club,
        user=user,
        upload=upload,
        title=title,
        pitch=pitch,
        tag_names=tag_names,
        confirm_new=True,
        confirm_covered=True,
    )
    return outcome.nominations[0]


def _nomination_get_or_create(
    *,
    club: Club,
    paper: Paper,
    user: User,
    pitch: str,
    tag_names: list[str] | tuple[str, ...],
) -> tuple[Nomination, bool]:
    if paper.club_id != club.pk:  # a club lists only its own papers
        raise ValueError(f"Paper {paper.pk} belongs to another club.")
    pitch = (pitch or "").strip()
    if len(pitch) > PITCH_MAX_LENGTH:
        raise PaperError(f"A pitch is at most {PITCH_MAX_LENGTH} characters.")
    created = False
    nomination = Nomination.objects.filter(club=club, paper=paper).first()
    if nomination is None:
        try:
            with transaction.atomic():
                nomination = Nomination.objects.create(
                    club=club, paper=paper, proposed_by=user, pitch=pitch
                )
                created = True
        except IntegrityError:
            nomination = Nomination.objects.get(club=club, paper=paper)
    if created and tag_names:
        nomination.tags.set(tags_get_or_create(club=club, names=tag_names, by=user))
    vote_add(nomination=nomination, user=user)
    if created:
        backlogs_changed(club_ids=[club.pk])
        related_changed(club_ids=[club.pk])
        webhook_proposed(nomination)
    nomination.refresh_from_db(fields=["vote_count"])
    return nomination, created


def tags_get_or_create(
    *, club: Club, names: list[str] | tuple[str, ...], by: User | None = None
) -> list[Tag]:
    """The club's topics by these names. A name not on the list becomes a topic
    on it when an organizer (or the system: `by` None) gives it, and a
    suggestion for the organizers when a member does (papers.topics)."""
    organizer = (
        by is None
        or Membership.objects.filter(
            club=club, user=by, state=Membership.State.ACTIVE, role=Membership.Role.ORGANIZER
        ).exists()
    )
    new_state = Tag.State.ACCEPTED if organizer else Tag.State.SUGGESTED
    tags = []
    for name in dict.fromkeys(n.strip() for n in names if n and n.strip()):
        slug = slugify(name)[:50]
        if not slug:
            continue
        tag, _ = Tag.objects.get_or_create(
            club=club,
            slug=slug,
            defaults={
                "name": name[:40],
                "state": new_state,
                "suggested_by": None if organizer else by,
            },
        )
        tags.append(tag)
    return tags


# --- Voting ------------------------------------------------------------------------
#
# How a vote is counted: one Vote row per member per nomination (a unique
# constraint), and the nomination's vote_count equal to its rows. Every vote is
# added or taken back by _vote_change below, holding the nomination's row lock
# (select_for_update on PostgreSQL; on SQLite every transaction takes the
# database's write lock as it begins, see settings), so two votes on one
# nomination, by one person or by two, run one after the other and each sees the
# other's outcome: a double click votes and takes the vote back, twenty voters
# at once make twenty votes. The counter moves by F() in the same transaction.

_ARCHIVED = "This paper is archived; votes are closed."


def _vote_change(
    *, club_id: int, nomination_id: int, user: User, toggle: bool
) -> tuple[Nomination, int]:
    """Add the person's vote (`toggle` False: a proposal counts as a vote), or
    take it back if they have one (`toggle` True). Call inside a transaction.

    Returns the nomination (with its paper) as its vote button shows it,
    `has_voted` and `vote_count` as of this change, and how the count moved (-1,
    0 or 1). Raises Nomination.DoesNotExist when the club has no such
    nomination, PaperError when toggling an archived one."""
    options = BacklogOptions.objects.filter(club_id=OuterRef("club_id"))
    nomination = (
        Nomination.objects.select_for_update(of=("self",))
        .select_related("paper")
        # The club's vote budget and weighting, read with the row (no statement more).
        .annotate(
            club_vote_budget=Subquery(options.values("vote_budget")[:1]),
            club_weighs_votes=Subquery(options.values("weighted_votes")[:1]),
        )
        .get(club_id=club_id, pk=nomination_id)
    )
    if toggle and nomination.state == Nomination.State.ARCHIVED:
        raise PaperError(_ARCHIVED)
    votes = Vote.objects.filter(nomination=nomination, user=user)
    over_budget = False
    if toggle and votes.delete()[0]:
        change = -1
    elif not toggle and votes.exists():
        change = 0
    else:
        change = 1
        budget = nomination.club_vote_budget
        if budget and nomination.state in vote_budget.OPEN_STATES:
            try:
                vote_budget.budget_hold(club_id=club_id, user=user, budget=budget)
            except vote_budget.OverBudget:
                if toggle:
                    raise
                # A proposal counts as a vote only while the budget allows one:
                # the paper is proposed all the same.
                change, over_budget = 0, True
        if change:
            Vote.objects.create(nomination=nomination, user=user)
    nomination.has_voted = change > 0 or (change == 0 and not over_budget)  # type: ignore[attr-defined]  # as the selectors annotate it
    if change:
        Nomination.objects.filter(pk=nomination.pk).update(vote_count=F("vote_count") + change)
        nomination.vote_count += change  # the row is locked: this is its count now
        backlog_votes_changed(club_id=club_id)
    if change == 1:
        chat_backlog_top(club_id=club_id, nomination_id=nomination.pk)
    return nomination, change


@transaction.atomic
def vote_add(*, nomination: Nomination, user: User) -> bool:
    """Count the person's vote once; returns whether a vote was added now."""
    counted, change = _vote_change(
        club_id=nomination.club_id, nomination_id=nomination.pk, user=user, toggle=False
    )
    nomination.vote_count = counted.vote_count
    return change == 1


def _is_active_member(membership: Membership | None, *, club_id: int, user_id: int) -> bool:
    return (
        membership is not None
        and (membership.club_id, membership.user_id) == (club_id, user_id)
        and membership.state == Membership.State.ACTIVE
    )


@transaction.atomic
def nomination_vote_toggle_by_id(
    *,
    club: Club,
    nomination_id: int,
    user: User,
    membership: Membership | None = None,
) -> Nomination:
    """Vote, or take the vote back, on the club's nomination `nomination_id`.

    Returns the nomination (with its paper) as its vote button shows it:
    `has_voted` (voted now) and `vote_count`. Raises Nomination.DoesNotExist when
    the club has no such nomination. `membership` is the person's row in the club
    when the caller has just read it (a view does, to check access): then it is
    not read a second time."""
    if not _is_active_member(membership, club_id=club.pk, user_id=user.pk):
        require_active_member(club=club, user=user)
    toggled, _ = _vote_change(club_id=club.pk, nomination_id=nomination_id, user=user, toggle=True)
    return toggled


def nomination_vote_toggle(
    *, nomination: Nomination, user: User, membership: Membership | None = None
) -> tuple[bool, int]:
    """Vote, or take the vote back. Returns (voted now, vote count)."""
    toggled = nomination_vote_toggle_by_id(
        club=nomination.club, nomination_id=nomination.pk, user=user, membership=membership
    )
    return toggled.has_voted, toggled.vote_count  # type: ignore[attr-defined]  # set by _vote_change


def nomination_votes_recount(*, nomination: Nomination) -> int:
    count = Vote.objects.filter(nomination=nomination).count()
    Nomination.objects.filter(pk=nomination.pk).update(vote_count=count)
    backlogs_changed(club_ids=[nomination.club_id])
    return count


# --- Curation (organizers) and the proposer's own changes ---------------------------


@transaction.atomic
def nomination_pin_set(
    *, nomination: Nomination, pinned: bool, by: User | None = None
) -> Nomination:
    nomination.pinned_at = timezone.now() if pinned else None
    nomination.save(update_fields=["pinned_at"])
    backlogs_changed(club_ids=[nomination.club_id])
    summary = "pinned {} to the top" if pinned else "unpinned {}"
    activity.log(
        nomination=nomination,
        by=by,
        kind="papers.pin",
        summary=summary.format(activity.title_of(nomination)),
    )
    return nomination


@transaction.atomic
def nomination_archive_set(
    *, nomination: Nomination, archived: bool, by: User | None = None
) -> Nomination:
    # The state as it is now (locked), on the caller's object, which is returned.
    nomination.state = (
        Nomination.objects.select_for_update().values_list("state", flat=True).get(pk=nomination.pk)
    )
    before = nomination.state
    if archived:
        if nomination.state == Nomination.State.SCHEDULED:
            raise PaperError("This paper is scheduled for a session; unschedule it first.")
        nomination.state = Nomination.State.ARCHIVED
    elif nomination.state == Nomination.State.ARCHIVED:
        nomination.state = (
            Nomination.State.COVERED if nomination.covered_on else Nomination.State.PROPOSED
        )
    if nomination.state == before:
        return nomination
    nomination.save(update_fields=["state"])
    backlogs_changed(club_ids=[nomination.club_id])
    related_changed(club_ids=[nomination.club_id])  # archived papers leave the index
    title = activity.title_of(nomination)
    activity.log(
        nomination=nomination,
        by=by,
        kind="papers.archive" if archived else "papers.restore",
        summary=f"archived {title}" if archived else f"took {title} out of the archive",
        data={"before": before},
    )
    return nomination


@transaction.atomic
def nomination_tags_set(
    *, nomination: Nomination, names: list[str], by: User | None = None
) -> Nomination:
    before = sorted(nomination.tags.values_list("name", flat=True))
    nomination.tags.set(tags_get_or_create(club=nomination.club, names=names, by=by))
    backlogs_changed(club_ids=[nomination.club_id])
    after = sorted(nomination.tags.values_list("name", flat=True))
    if after != before:
        activity.log(
            nomination=nomination,
            by=by,
            kind="papers.topics",
            summary=f"set the topics of {activity.title_of(nomination)} to "
            + (", ".join(after) if after else "none"),
            data={"before": before, "after": after},
        )
    return nomination


def _others_voted(nomination: Nomination) -> bool:
    return Vote.objects.filter(nomination=nomination).exclude(user=nomination.proposed_by).exists()


@transaction.atomic
def nomination_edit_by_proposer(
    *, nomination: Nomination, user: User, pitch: str, tag_names: list[str]
) -> Nomination:
    nomination = Nomination.objects.select_for_update().get(pk=nomination.pk)
    if nomination.proposed_by_id != user.pk:
        raise NotAllowed("Only the person who proposed this paper can edit it.")
    if _others_voted(nomination):
        raise PaperError("Others have voted for this paper, so its pitch can no longer change.")
    if len(pitch.strip()) > PITCH_MAX_LENGTH:
        raise PaperError(f"A pitch is at most {PITCH_MAX_LENGTH} characters.")
    nomination.pitch = pitch.strip()
    nomination.save(update_fields=["pitch"])
    nomination.tags.set(tags_get_or_create(club=nomination.club, names=tag_names, by=user))
    backlogs_changed(club_ids=[nomination.club_id])
    return nomination


@transaction.atomic
def nomination_withdraw(*, nomination: Nomination, user: User) -> None:
    nomination = Nomination.objects.select_for_update().get(pk=nomination.pk)
    if nomination.proposed_by_id != user.pk:
        raise NotAllowed("Only the person who proposed this paper can withdraw it.")
    if _others_voted(nomination):
        raise PaperError("Others have voted for this paper, so it can no longer be withdrawn.")
    if nomination.state != Nomination.State.PROPOSED:
        raise PaperError("Only a paper that is still proposed can be withdrawn.")
    activity.deleted(
        nomination=nomination,
        by=user,
        kind="papers.withdraw",
        summary=f"withdrew {activity.title_of(nomination)}, which they had proposed",
    )
    nomination.delete()
    backlogs_changed(club_ids=[nomination.club_id])


@transaction.atomic
def nomination_delete(*, nomination: Nomination, by: User | None = None) -> None:
    """Organizers remove spam. The club's Paper row stays (with the members'
    notes on it), so proposing the work again finds it. The log keeps what went
    (votes, topics, links to cancelled weeks) for undo."""
    nomination = (
        Nomination.objects.select_for_update().select_related("paper").get(pk=nomination.pk)
    )
    if nomination.state == Nomination.State.SCHEDULED:
        raise PaperError("This paper is scheduled for a session; unschedule it first.")
    if nomination.covered_on is not None:
        # Deleting it would take it out of the sessions that read it.
        raise PaperError(
            f"The club read this paper on {nomination.covered_on:%d %b %Y}, so it stays in "
            "the archive; archive it instead to take it out of the backlog."
        )
    activity.deleted(
        nomination=nomination,
        by=by,
        kind="papers.delete",
        summary=f"deleted {activity.title_of(nomination)} from the backlog",
    )
    nomination.delete()
    backlogs_changed(club_ids=[nomination.club_id])


def nominations_set_state(*, nominations: list[Nomination], state: str, covered_on=None) -> int:
    """Called by the sessions app as papers are scheduled, released or covered
    (papers knows nothing of sessions; it only records what they decide)."""
    if not nominations:
        return 0
    fields = {"state": state}
    newly_covered: list[int] = []
    if state == Nomination.State.COVERED:
        fields["covered_on"] = covered_on
        newly_covered = webhook_covered_before(nominations)
    changed = Nomination.objects.filter(pk__in=[n.pk for n in nominations]).update(**fields)
    backlogs_changed(club_ids=[n.club_id for n in nominations])
    webhook_covered(newly_covered)
    return changed


# --- A member's own reading: private notes and the method's checklist ---------------


@transaction.atomic
def paper_note_save(*, paper: Paper, user: User, text: str) -> PaperNote:
    """Private notes: stored as written (Markdown), only ever shown to their author."""
    if len(text) > 20000:
        raise PaperError("Notes are at most 20,000 characters.")
    note, _ = PaperNote.objects.update_or_create(
        paper=paper, user=user, defaults={"text": text, "updated_at": timezone.now()}
    )
    return note


@transaction.atomic
def guide_tick_set(*, paper: Paper, user: User, item: str, done: bool) -> bool:
    if item not in CHECKLIST_KEYS:
        raise PaperError("There is no such step in the reading method.")
    if done:
        GuideTick.objects.get_or_create(paper=paper, user=user, item=item)
    else:
        GuideTick.objects.filter(paper=paper, user=user, item=item).delete()
    return done
