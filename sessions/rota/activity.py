"""The rota's entries in the club's activity log, and the undo of a skipped week.

Registered in SessionsConfig.ready; the rota's services call `log` inside
their transaction."""

from django.contrib.auth.models import User
from django.utils import dateformat

from clubs.activity import snapshots
from clubs.activity.registry import Kind, Undo, register
from clubs.activity.services import activity_record, person
from clubs.models import ActivityEntry
from papers.models import Nomination
from papers.services import nominations_set_state

from ..models import Session, SessionPaper
from .common import calendar_changed, week_clash

ROTA, SCHEDULE, CALENDAR = "Rota", "Schedule", "Calendar"


def when(session: Session) -> str:
    """A week as the log names it: its start in the club's zone."""
    return dateformat.format(session.local_start, "D j M Y, H:i T")


def log(
    *,
    session: Session,
    by: User | None,
    kind: str,
    summary: str,
    data: dict | None = None,
) -> ActivityEntry:
    return activity_record(
        club=session.club_id,
        actor=by,
        kind=kind,
        summary=summary,
        data={"session": session.pk, "when": when(session), **(data or {})},
        subject=session,
    )


def week_name(session: Session) -> str:
    """A week as a refusal names it: when, what it reads, who facilitates."""
    title = session.title or next(
        (
            link.nomination.paper.display_title
            for link in session.papers.select_related("nomination__paper")
        ),
        "",
    )
    parts = [when(session)]
    if title:
        parts.append(f"“{title}”")
    if session.facilitator_id:
        parts.append(f"facilitated by {person(session.facilitator)}")
    if session.state == Session.State.DONE:
        parts.append("done")
    return ", ".join(parts)


# --- Skipped weeks ------------------------------------------------------------------------


def skipped(*, session: Session, by: User | None, released: list[int]) -> None:
    """Log a skip with what it released, so undo puts the same papers back."""
    log(
        session=session,
        by=by,
        kind="rota.skip",
        summary=f"cancelled the week of {when(session)}"
        + (f" ({session.cancel_reason})" if session.cancel_reason else ""),
        data={"released": released},
    )


def _skip_blockers(entry: ActivityEntry) -> list[str]:
    session = (
        Session.objects.select_for_update()
        .select_related("club")
        .filter(pk=entry.data["session"])
        .first()
    )
    if session is None:
        return [f"The week of {entry.data['when']} no longer exists: a schedule change removed it."]
    if session.state != Session.State.CANCELLED:
        return [f"The week of {entry.data['when']} is back on already."]
    if session.is_past:
        return [f"The week of {entry.data['when']} has passed."]
    reasons = []
    clash = week_clash(session=session, starts_at=session.starts_at, ends_at=session.ends_at)
    if clash is not None:
        reasons.append(f"Its week now has another session: {when(clash)}.")
    links = set(
        SessionPaper.objects.filter(session=session).values_list("nomination_id", flat=True)
    )
    for nomination in Nomination.objects.select_for_update().filter(pk__in=entry.data["released"]):
        if nomination.pk not in links or nomination.state != Nomination.State.PROPOSED:
            where = _where(nomination, session)
            reasons.append(f"“{nomination.paper.display_title}” {where} since.")
    missing = set(entry.data["released"]) - set(
        Nomination.objects.filter(pk__in=entry.data["released"]).values_list("pk", flat=True)
    )
    if missing:
        reasons.append(f"{len(missing)} of its papers left the backlog since (deleted or merged).")
    return reasons


def _where(nomination: Nomination, session: Session) -> str:
    other = (
        SessionPaper.objects.filter(nomination=nomination)
        .exclude(session=session)
        .exclude(session__state=Session.State.CANCELLED)
        .select_related("session__club")
        .first()
    )
    if other is not None:
        return f"was picked for the week of {when(other.session)}"
    return f"became {nomination.get_state_display().lower()}"


def _skip_undo(entry: ActivityEntry, by: User) -> str:
    session = Session.objects.select_related("club").get(pk=entry.data["session"])
    session.state = Session.State.SCHEDULED if session.facilitator_id else Session.State.OPEN
    session.cancel_reason = ""
    # Calendars need a higher SEQUENCE for the week to come back: the count rises.
    session.change_count += 1
    session.save(update_fields=["state", "cancel_reason", "change_count"])
    nominations_set_state(
        nominations=list(Nomination.objects.filter(pk__in=entry.data["released"])),
        state=Nomination.State.SCHEDULED,
    )
    calendar_changed(session.pk)
    return f"brought back the week of {entry.data['when']}"


def _skip_explain(entry: ActivityEntry) -> str:
    count = len(entry.data["released"])
    papers = f", with its {count} paper{'s' if count != 1 else ''}" if count else ""
    return (
        f"The week of {entry.data['when']} is on again{papers}; "
        "its invitees get an updated invitation."
    )


def _link_guard(row: dict, rows: list[dict]) -> str | None:
    """A week's link to a paper comes back only where it still makes sense: a
    paper that was not on the week (proposed, say, on a week that was then
    skipped) does not land on a week that is back on since, and nothing lands
    on a week that has happened since."""
    session = Session.objects.select_related("club").filter(pk=row["fields"]["session"]).first()
    if session is None:
        return None  # left out by the restore (the week is gone)
    nomination = next(
        (
            r["fields"]
            for r in rows
            if r["model"] == "papers.nomination" and r["pk"] == row["fields"]["nomination"]
        ),
        None,
    )
    if nomination is None:
        return None
    live = session.state in (Session.State.OPEN, Session.State.SCHEDULED)
    if live and session.is_past:
        return f"The week of {when(session)} has happened since."
    if live and nomination["state"] != Nomination.State.SCHEDULED:
        return f"The week of {when(session)} is back on since, with other papers."
    if session.state == Session.State.DONE and nomination["state"] == Nomination.State.SCHEDULED:
        return f"The week of {when(session)} has happened since."
    if session.state == Session.State.CANCELLED and nomination["state"] == "scheduled":
        return f"The week of {when(session)} was cancelled since."
    return None


def register_rota_kinds() -> None:
    snapshots.register_guard("meetings.sessionpaper", _link_guard)
    register(
        Kind(
            "rota.skip",
            "Week skipped",
            ROTA,
            Undo(blockers=_skip_blockers, apply=_skip_undo, explain=_skip_explain),
        ),
        Kind("rota.restore", "Skipped week restored", ROTA),
        Kind("rota.cancel", "Week cancelled (nobody facilitated)", ROTA),
        Kind("rota.move", "Week moved", ROTA),
        Kind("rota.replan", "Slot planned again", ROTA),
        Kind("rota.add", "Session added", ROTA),
        Kind("rota.details", "Session details changed", ROTA),
        Kind("rota.done", "Session marked done", ROTA),
        Kind("rota.assign", "Facilitator assigned", ROTA),
        Kind("rota.withdraw", "Facilitator stepped back", ROTA),
        Kind("rota.papers", "Papers chosen", ROTA),
        Kind("reading.question_remove", "Question removed", ROTA),
        Kind("attendance.change", "Attendance taken", ROTA),
        Kind("schedule.change", "Schedule changed", SCHEDULE),
        Kind("schedule.refit", "Weeks moved to the new schedule", SCHEDULE),
        Kind("schedule.keep", "Weeks kept at their old time", SCHEDULE),
        Kind("calendar.regenerate", "Calendar link replaced", CALENDAR),
        Kind("calendar.reminders", "Reminder settings changed", CALENDAR),
    )
