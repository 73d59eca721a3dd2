"""Merging two nominations of the same work in a club, safely, and undoing it.

An organizer finds the duplicate by title or id (`merge_candidates`), sees
both side by side with what makes them look the same (`merge_reasons`), and
confirms. The survivor takes over everything the duplicate had: each member's
vote (counted once), every week that reads it (with the pre-reads and
questions those weeks hold), the date the club read it, topics, the longer
pitch, a pin, and the members' private notes and checklist ticks on its paper.
Then the duplicate and its paper go, and the log keeps all of it, so undo
gives both back exactly.

A nomination on a scheduled week is only merged once the organizer has said
which of the two stays on the week (they choose the survivor). papers knows no
sessions: the rota registers `week_reader`, which names the upcoming weeks a
nomination is on.
"""

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q

from clubs.activity import snapshots
from clubs.activity.registry import Kind, Undo, register
from clubs.activity.services import activity_record, person, subject_of
from clubs.models import ActivityEntry

from .activity import BACKLOG, day, since, title_of
from .arxiv_client import InvalidArxivId, parse_arxiv_id
from .backlog_cache import backlogs_changed
from .errors import PaperError
from .hooks import nominations_merged
from .identifiers import InvalidDoi, normalize_doi, normalize_title
from .models import GuideTick, Nomination, PaperNote, ReadingGuide, Vote
from .related.services import related_changed

MAX_CANDIDATES = 20
NOTE_JOINER = "\n\n---\n\n"


class NeedsWeekChoice(PaperError):
    """One of the two is on a scheduled week: the organizer must say which stays."""


# --- What the rota tells papers (registered in SessionsConfig.ready) --------------------

_week_reader: Callable[[list[int]], dict[int, list[str]]] | None = None
_links_mover: Callable[[int, int], int] | None = None


def register_rota(
    *,
    week_reader: Callable[[list[int]], dict[int, list[str]]],
    links_mover: Callable[[int, int], int],
) -> None:
    """`week_reader(ids)` -> {nomination id: names of the upcoming weeks that
    read it}; `links_mover(from_id, to_id)` moves every week's link from one
    nomination to the other (a week already reading both keeps one)."""
    global _week_reader, _links_mover
    _week_reader, _links_mover = week_reader, links_mover


def upcoming_weeks(nomination_ids: list[int]) -> dict[int, list[str]]:
    return _week_reader(nomination_ids) if _week_reader else {}


# --- Finding the duplicate --------------------------------------------------------------


def merge_candidates(*, nomination: Nomination, query: str) -> list[Nomination]:
    """Other nominations of the club whose title holds `query`, or whose arXiv
    id or DOI is `query` (in any form people paste). Empty query: the ones
    that look like the same work (`merge_reasons`)."""
    others = (
        Nomination.objects.filter(club_id=nomination.club_id)
        .exclude(pk=nomination.pk)
        .select_related("paper")
    )
    query = (query or "").strip()[:200]
    if not query:
        return likely_duplicates(nomination=nomination)
    found = Q(paper__title__icontains=query)
    with contextlib.suppress(InvalidArxivId):
        found |= Q(paper__arxiv_id=parse_arxiv_id(query).base)
    with contextlib.suppress(InvalidDoi):
        found |= Q(paper__doi=normalize_doi(query))
    return list(others.filter(found).order_by("-vote_count", "-created_at")[:MAX_CANDIDATES])


def likely_duplicates(*, nomination: Nomination) -> list[Nomination]:
    """The club's other nominations that share an identity with this one."""
    paper = nomination.paper
    same = Q(pk__in=[])
    if paper.arxiv_id:
        same |= Q(paper__arxiv_id=paper.arxiv_id)
    if paper.doi:
        same |= Q(paper__doi=paper.doi)
    if paper.pdf_sha256:
        same |= Q(paper__pdf_sha256=paper.pdf_sha256)
    others = (
        Nomination.objects.filter(club_id=nomination.club_id)
        .exclude(pk=nomination.pk)
        .select_related("paper")
    )
    found = {n.pk: n for n in others.filter(same)[:MAX_CANDIDATES]}
    title = normalize_title(paper.title)
    if title:
        # Titles compared once normalised: read in Python, a club's backlog is small.
        for other in others.only("pk", "paper__title").iterator():
            if other.pk not in found and normalize_title(other.paper.title) == title:
                found[other.pk] = others.get(pk=other.pk)
                if len(found) >= MAX_CANDIDATES:
                    break
    return list(found.values())


@dataclass(frozen=True)
class Reason:
    label: str
    value: str


def merge_reasons(*, keep: Nomination, duplicate: Nomination) -> list[Reason]:
    """What makes two nominations look like the same work."""
    a, b = keep.paper, duplicate.paper
    reasons = []
    if a.arxiv_id and a.arxiv_id == b.arxiv_id:
        reasons.append(Reason("Same arXiv id", a.arxiv_id))
    if a.doi and a.doi == b.doi:
        reasons.append(Reason("Same DOI", a.doi))
    title = normalize_title(a.title)
    if title and title == normalize_title(b.title):
        reasons.append(Reason("Same title, once normalised", title))
    if a.pdf_sha256 and a.pdf_sha256 == b.pdf_sha256:
        reasons.append(Reason("Same PDF (SHA-256)", a.pdf_sha256[:16] + "…"))
    return reasons


# --- Merging ------------------------------------------------------------------------------


def _state_after(keep: Nomination, duplicate: Nomination) -> tuple[str, date | None]:
    """The survivor's state and covered date: on a week if either was, else
    read if either was (a read paper comes back to the backlog only by the
    proposer's "propose it again" confirmation), else proposed if either was.
    The read date is the later of the two."""
    states = {keep.state, duplicate.state}
    dates = [d for d in (keep.covered_on, duplicate.covered_on) if d]
    covered_on = max(dates) if dates else None
    if Nomination.State.SCHEDULED in states:
        return Nomination.State.SCHEDULED, covered_on
    if Nomination.State.COVERED in states:
        return Nomination.State.COVERED, covered_on
    if Nomination.State.PROPOSED in states:
        return Nomination.State.PROPOSED, covered_on
    return Nomination.State.ARCHIVED, covered_on


@transaction.atomic
def nominations_merge(
    *,
    keep: Nomination,
    duplicate: Nomination,
    by: User | None = None,
    week_choice_made: bool = False,
) -> Nomination:
    """Fold `duplicate` into `keep` (see the module's docstring). Refused when
    either is on a scheduled week unless `week_choice_made` (the organizer chose
    `keep` as the one that stays on the week), and when both are on different
    upcoming weeks."""
    if keep.pk == duplicate.pk:
        raise PaperError("Choose two different papers to merge.")
    if keep.club_id != duplicate.club_id:
        raise PaperError("Both papers must be in the same club.")
    locked = {
        n.pk: n
        for n in Nomination.objects.select_for_update()
        .select_related("paper")
        .filter(pk__in=[keep.pk, duplicate.pk])
    }
    if len(locked) != 2:
        raise PaperError("One of the two papers is no longer in the backlog.")
    keep, duplicate = locked[keep.pk], locked[duplicate.pk]
    weeks = upcoming_weeks([keep.pk, duplicate.pk])
    on_weeks = {pk: names for pk, names in weeks.items() if names}
    if len(on_weeks) == 2 and set(on_weeks[keep.pk]) != set(on_weeks[duplicate.pk]):
        raise PaperError(
            f"Both are on upcoming weeks ({on_weeks[keep.pk][0]} and "
            f"{on_weeks[duplicate.pk][0]}): take one off its week first."
        )
    scheduled = Nomination.State.SCHEDULED in (keep.state, duplicate.state)
    if (scheduled or on_weeks) and not week_choice_made:
        names = ", ".join(sorted({n for names in on_weeks.values() for n in names}))
        raise NeedsWeekChoice(
            f"One of them is on the week of {names or 'a coming session'}: "
            "choose which one stays on the week."
        )

    # Everything the duplicate's paper takes with it, read before anything moves:
    # undo writes these rows back as they are now.
    taken = snapshots.deletion(duplicate.paper)
    keep_notes = {
        note.user_id: note
        for note in PaperNote.objects.select_for_update().filter(paper=keep.paper)
    }
    before = snapshots.rows([keep, *keep_notes.values()])
    created: list[list] = []

    voters = set(Vote.objects.filter(nomination=keep).values_list("user_id", flat=True))
    for vote in Vote.objects.filter(nomination=duplicate).exclude(user_id__in=voters):
        created.append(
            snapshots.ref(
                Vote.objects.create(
                    nomination=keep, user_id=vote.user_id, created_at=vote.created_at
                )
            )
        )
    if _links_mover is not None:
        _links_mover(duplicate.pk, keep.pk)
    nominations_merged(from_id=duplicate.pk, to_id=keep.pk)  # e.g. its discussion moves
    through = Nomination.tags.through
    have = set(keep.tags.values_list("pk", flat=True))
    for tag_id in duplicate.tags.exclude(pk__in=have).values_list("pk", flat=True):
        created.append(snapshots.ref(through.objects.create(nomination=keep, tag_id=tag_id)))
    for note in PaperNote.objects.filter(paper=duplicate.paper):
        mine = keep_notes.get(note.user_id)
        if mine is None:
            PaperNote.objects.filter(pk=note.pk).update(paper=keep.paper)
        elif note.text.strip():
            mine.text = (mine.text.rstrip() + NOTE_JOINER + note.text.strip())[:20000]
            mine.save(update_fields=["text"])
    ticked = set(GuideTick.objects.filter(paper=keep.paper).values_list("user_id", "item"))
    for tick in GuideTick.objects.filter(paper=duplicate.paper):
        if (tick.user_id, tick.item) not in ticked:
            GuideTick.objects.filter(pk=tick.pk).update(paper=keep.paper)
    if not ReadingGuide.objects.filter(paper=keep.paper).exists():
        ReadingGuide.objects.filter(paper=duplicate.paper).update(paper=keep.paper)

    keep.state, keep.covered_on = _state_after(keep, duplicate)
    if len(duplicate.pitch) > len(keep.pitch):
        keep.pitch = duplicate.pitch
    if duplicate.pinned_at and not keep.pinned_at:
        keep.pinned_at = duplicate.pinned_at
    keep.save(update_fields=["state", "covered_on", "pitch", "pinned_at"])
    duplicate_title, duplicate_paper_id = duplicate.paper.display_title, duplicate.paper_id
    duplicate.paper.delete()  # the duplicate nomination, its votes and left-over rows go too
    keep.vote_count = Vote.objects.filter(nomination=keep).count()
    keep.save(update_fields=["vote_count"])
    backlogs_changed(club_ids=[keep.club_id])
    related_changed(club_ids=[keep.club_id])
    notes_after = {
        note.pk: note.text
        for note in PaperNote.objects.filter(
            paper=keep.paper, pk__in=[n.pk for n in keep_notes.values()]
        )
    }
    activity_record(
        club=keep.club_id,
        actor=by,
        kind="papers.merge",
        summary=f"merged “{duplicate_title}” into {title_of(keep)}",
        data={
            "keep": keep.pk,
            "keep_title": keep.paper.display_title,
            "duplicate": duplicate.pk,
            "duplicate_paper": duplicate_paper_id,
            "duplicate_title": duplicate_title,
            "state_after": keep.state,
            "notes_after": {str(pk): text for pk, text in notes_after.items()},
            "before": before,
            "taken": taken,
            "created": created,
        },
        subject=keep,
    )
    keep.refresh_from_db()
    return keep


# --- Undo ------------------------------------------------------------------------------------


def _merge_blockers(entry: ActivityEntry) -> list[str]:
    data = entry.data
    keep = (
        Nomination.objects.select_for_update()
        .select_related("paper")
        .filter(pk=data["keep"])
        .first()
    )
    if keep is None:
        later = since(entry, [f"papers.nomination:{data['keep']}"])
        return [f"“{data['keep_title']}” is no longer in the backlog{later}: undo that first."]
    reasons = []
    if keep.state != data["state_after"]:
        reasons.append(
            f"“{data['keep_title']}” has become {keep.get_state_display().lower()} since the "
            f"merge{since(entry, [subject_of(keep)])}; put that back first."
        )
    paper_row = next(row for row in data["taken"]["rows"] if row["model"] == "papers.paper")
    fields = paper_row["fields"]
    clash = Q(pk__in=[])
    for name in ("arxiv_id", "doi", "url", "pdf_sha256"):
        if fields.get(name):
            clash |= Q(**{f"paper__{name}": fields[name]})
    again = (
        Nomination.objects.filter(club_id=entry.club_id).exclude(pk=keep.pk).filter(clash).first()
    )
    if again is not None:
        reasons.append(
            f"“{data['duplicate_title']}” was added to the backlog again on "
            f"{day(again.created_at)}: merge or delete that one first."
        )
    return reasons + snapshots.guard_reasons(data["taken"]["rows"])


def _merge_undo(entry: ActivityEntry, by: User) -> str:
    data = entry.data
    snapshots.remove(data["created"])
    # A member's notes edited since the merge stay as they are now.
    notes_now = dict(
        PaperNote.objects.filter(pk__in=[int(pk) for pk in data["notes_after"]]).values_list(
            "pk", "text"
        )
    )
    before = [
        row
        for row in data["before"]
        if row["model"] != "papers.papernote"
        or notes_now.get(row["pk"]) == data["notes_after"].get(str(row["pk"]))
    ]
    snapshots.restore(before)
    restored = snapshots.restore(data["taken"]["rows"], nulled=data["taken"]["nulled"])
    for nomination_id in (data["keep"], data["duplicate"]):
        Nomination.objects.filter(pk=nomination_id).update(
            vote_count=Vote.objects.filter(nomination_id=nomination_id).count()
        )
    backlogs_changed(club_ids=[entry.club_id])
    related_changed(club_ids=[entry.club_id])
    left_out = (
        f" ({len(restored.skipped)} rows about accounts or weeks that no longer exist left out)"
    )
    return f"split “{data['duplicate_title']}” from “{data['keep_title']}” again" + (
        left_out if restored.skipped else ""
    )


def _merge_explain(entry: ActivityEntry) -> str:
    data = entry.data
    return (
        f"“{data['duplicate_title']}” comes back as it was before the merge, with its own "
        f"votes, weeks, topics and notes, and “{data['keep_title']}” goes back to what it had."
    )


def register_merge_kind() -> None:
    register(
        Kind(
            "papers.merge",
            "Papers merged",
            BACKLOG,
            Undo(blockers=_merge_blockers, apply=_merge_undo, explain=_merge_explain),
        )
    )


@dataclass(frozen=True)
class Row:
    label: str
    left: str
    right: str

    @property
    def differs(self) -> bool:
        return self.left != self.right


def comparison(*, keep: Nomination, duplicate: Nomination) -> list[Row]:
    """The two side by side, as the merge page shows them."""
    weeks = upcoming_weeks([keep.pk, duplicate.pk])

    def facts(n: Nomination) -> dict[str, str]:
        paper = n.paper
        return {
            "Title": paper.display_title,
            "Authors": paper.first_authors,
            "Year": str(paper.year or ""),
            "arXiv id": paper.arxiv_id or "",
            "DOI": paper.doi,
            "Link": paper.url or paper.abs_url,
            "Uploaded PDF": f"{paper.page_count or '?'} pages" if paper.pdf_file else "",
            "State": n.get_state_display(),
            "Read on": day(n.covered_on, "j M Y") if n.covered_on else "",
            "Coming weeks": ", ".join(weeks.get(n.pk, [])),
            "Votes": str(n.vote_count),
            "Topics": ", ".join(sorted(t.name for t in n.tags.all())),
            "Proposed": (f"by {person(n.proposed_by)}, " if n.proposed_by else "")
            + day(n.created_at),
        }

    left, right = facts(keep), facts(duplicate)
    return [Row(label, left[label], right[label]) for label in left]
