"""The backlog's entries in the club's activity log, and their undo.

Registered in PapersConfig.ready. Curation services call `log` inside their
transaction; deletion and archiving can be undone exactly from the log
(merges: papers/merging.py)."""

from datetime import date, datetime

from django.contrib.auth.models import User
from django.utils import dateformat, timezone

from clubs.activity import snapshots
from clubs.activity.registry import Kind, Undo, register
from clubs.activity.services import activity_record, later_entries, person, subject_of
from clubs.models import ActivityEntry

from .backlog_cache import backlogs_changed
from .models import Nomination, Vote

BACKLOG = "Backlog"


def day(moment: datetime | date, fmt: str = "j M Y") -> str:
    if isinstance(moment, datetime):
        moment = timezone.localtime(moment)
    return dateformat.format(moment, fmt)


def title_of(nomination: Nomination) -> str:
    return f"“{nomination.paper.display_title}”"


def log(
    *,
    nomination: Nomination,
    by: User | None,
    kind: str,
    summary: str,
    data: dict | None = None,
) -> ActivityEntry:
    return activity_record(
        club=nomination.club_id,
        actor=by,
        kind=kind,
        summary=summary,
        data={"nomination": nomination.pk, "title": nomination.paper.display_title, **(data or {})},
        subject=nomination,
    )


def _recount(nomination_ids: list[int]) -> None:
    for nomination_id in nomination_ids:
        Nomination.objects.filter(pk=nomination_id).update(
            vote_count=Vote.objects.filter(nomination_id=nomination_id).count()
        )


def since(entry: ActivityEntry, subjects: list[str]) -> str:
    """ " (Ana merged it on 3 Dec)" when a later entry explains a change, else ""."""
    later = later_entries(entry=entry, subjects=subjects).first()
    if later is None:
        return ""
    who = person(later.actor) if later.actor else "Paper Club"
    return f" ({who} {later.summary} on {day(later.created_at, 'j M')})"


# --- Deleted (by an organizer, or withdrawn by its proposer) --------------------------


def deleted(*, nomination: Nomination, by: User | None, kind: str, summary: str):
    """Log a delete with everything it takes along (votes, topics, week links);
    call it before the delete itself."""
    return log(
        nomination=nomination,
        by=by,
        kind=kind,
        summary=summary,
        data={
            "paper": nomination.paper_id,
            "snapshot": snapshots.deletion(nomination),
        },
    )


def _delete_blockers(entry: ActivityEntry) -> list[str]:
    data = entry.data
    again = Nomination.objects.filter(club_id=entry.club_id, paper_id=data["paper"]).first()
    if again is not None:
        return [
            f"“{data['title']}” was added to the backlog again on {day(again.created_at)}: "
            "merge or delete that one first."
        ]
    rows = data["snapshot"]["rows"]
    if ("papers.nomination", data["nomination"]) in snapshots.dangling(rows):
        return [f"The paper “{data['title']}” itself is gone, so it cannot come back."]
    return snapshots.guard_reasons(rows)


def _delete_undo(entry: ActivityEntry, by: User) -> str:
    snapshot = entry.data["snapshot"]
    restored = snapshots.restore(snapshot["rows"], nulled=snapshot["nulled"])
    _recount([entry.data["nomination"]])
    backlogs_changed(club_ids=[entry.club_id])
    left_out = (
        f" ({len(restored.skipped)} row{'s' if len(restored.skipped) != 1 else ''} about "
        "accounts or weeks that no longer exist left out)"
        if restored.skipped
        else ""
    )
    return f"brought “{entry.data['title']}” back to the backlog{left_out}"


def _delete_explain(entry: ActivityEntry) -> str:
    rows = entry.data["snapshot"]["rows"]
    votes = sum(1 for row in rows if row["model"] == "papers.vote")
    return (
        f"“{entry.data['title']}” comes back to the backlog as it was, with its "
        f"{votes} vote{'s' if votes != 1 else ''}, topics and pitch."
    )


# --- Archived ----------------------------------------------------------------------------


def _archive_blockers(entry: ActivityEntry) -> list[str]:
    nomination = Nomination.objects.select_for_update().filter(pk=entry.data["nomination"]).first()
    subject = [subject_of(nomination)] if nomination else []
    if nomination is None:
        return [f"“{entry.data['title']}” is no longer in the backlog{since(entry, subject)}."]
    if nomination.state != Nomination.State.ARCHIVED:
        return [
            f"“{entry.data['title']}” is {nomination.get_state_display().lower()} now"
            f"{since(entry, subject)}, so there is nothing to undo."
        ]
    return []


def _archive_undo(entry: ActivityEntry, by: User) -> str:
    Nomination.objects.filter(pk=entry.data["nomination"]).update(state=entry.data["before"])
    backlogs_changed(club_ids=[entry.club_id])
    return f"took “{entry.data['title']}” out of the archive"


def register_paper_kinds() -> None:
    delete_undo = Undo(blockers=_delete_blockers, apply=_delete_undo, explain=_delete_explain)
    register(
        Kind("papers.delete", "Paper deleted", BACKLOG, delete_undo),
        Kind("papers.withdraw", "Paper withdrawn by its proposer", BACKLOG, delete_undo),
        Kind(
            "papers.archive",
            "Paper archived",
            BACKLOG,
            Undo(
                blockers=_archive_blockers,
                apply=_archive_undo,
                explain=lambda entry: (
                    f"“{entry.data['title']}” goes back to being "
                    f"{entry.data['before']}, with its votes."
                ),
            ),
        ),
        Kind("papers.restore", "Paper taken out of the archive", BACKLOG),
        Kind("papers.pin", "Paper pinned or unpinned", BACKLOG),
        Kind("papers.topics", "Topics changed", BACKLOG),
        Kind("papers.vote_options", "How votes count changed", BACKLOG),
        Kind("papers.round_open", "Voting round opened", BACKLOG),
        Kind("papers.round_close", "Voting round closed", BACKLOG),
    )
