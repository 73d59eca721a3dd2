"""Who facilitates a week (claims, withdrawals, assignments) and the papers they pick."""

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from clubs.activity.services import person
from papers.models import Nomination
from papers.services import nominations_set_state

from ..errors import OnePaperWeek, SessionError
from ..models import Rsvp, Session, SessionPaper
from ..permissions import active_membership, require_member, require_organizer, require_runner
from . import activity
from .common import (
    assignment_told,
    calendar_changed,
    ensure_future,
    lock_session,
    release_papers,
)
from .weeks import rsvp_set

# --- Facilitators ------------------------------------------------------------------------


def _facilitator_going(session: Session, user: User) -> None:
    """Whoever leads the discussion is going: their RSVP says so, so every count of
    people going (the rota, the session page, the pre-read, the dashboard) has them."""
    rsvp_set(session=session, user=user, answer=Rsvp.Answer.GOING)


@transaction.atomic
def session_claim(*, session: Session, user: User) -> Session:
    """ "I'll facilitate": one conditional UPDATE, so of two people claiming at
    once exactly one wins and the other is told."""
    require_member(session.club, user)
    claimed = Session.objects.filter(
        pk=session.pk,
        state=Session.State.OPEN,
        facilitator__isnull=True,
        starts_at__gt=timezone.now(),
    ).update(facilitator=user, state=Session.State.SCHEDULED, change_count=F("change_count") + 1)
    session = Session.objects.select_related("club").get(pk=session.pk)
    if claimed:
        _facilitator_going(session, user)
        calendar_changed(session.pk)
        return session
    if session.facilitator_id == user.pk:
        raise SessionError("You are already facilitating this week.")
    if session.state == Session.State.CANCELLED:
        raise SessionError("This week is cancelled, so nobody facilitates it.")
    if session.state == Session.State.DONE or session.starts_at <= timezone.now():
        raise SessionError("This session has already happened.")
    raise SessionError("Someone just took this week. Pick another open week.")


@transaction.atomic
def session_withdraw(*, session: Session, user: User) -> Session:
    """The facilitator steps back: the week is open again, and the papers they
    picked go back to the proposed backlog with their votes."""
    withdrawn = Session.objects.filter(
        pk=session.pk,
        facilitator=user,
        state=Session.State.SCHEDULED,
        starts_at__gt=timezone.now(),
    ).update(facilitator=None, state=Session.State.OPEN, change_count=F("change_count") + 1)
    if not withdrawn:
        raise SessionError("You are not facilitating an upcoming week here.")
    session = Session.objects.select_related("club").get(pk=session.pk)
    released = release_papers(session, unlink=True)
    calendar_changed(session.pk)
    activity.log(
        session=session,
        by=user,
        kind="rota.withdraw",
        summary=f"stepped back from facilitating the week of {activity.when(session)}"
        + _returned(released),
        data={"released": [n.pk for n in released]},
    )
    return session


def _returned(released: list) -> str:
    if not released:
        return ""
    return f"; {len(released)} paper{'s' if len(released) != 1 else ''} went back to the backlog"


@transaction.atomic
def session_assign(
    *,
    session: Session,
    by: User,
    facilitator: User | None,
    keep_papers: bool = False,
) -> Session:
    """Organizers assign, reassign or clear a week's facilitator. When the
    facilitator changes, the papers the week had go back to the backlog unless
    `keep_papers` (the organizer keeps them on the week)."""
    require_organizer(session.club, by)
    session = lock_session(session)
    ensure_future(session, "reassigned")
    if session.state == Session.State.CANCELLED:
        raise SessionError("This week is cancelled; restore it first.")
    if facilitator is not None and active_membership(session.club, facilitator) is None:
        raise SessionError("Only an active member of the club can facilitate.")
    if facilitator is not None and facilitator.pk == session.co_facilitator_id:
        session.co_facilitator = None
    if session.facilitator_id == (facilitator.pk if facilitator else None):
        return session
    before = session.facilitator
    session.facilitator = facilitator
    session.state = Session.State.SCHEDULED if facilitator else Session.State.OPEN
    session.change_count += 1
    session.save(update_fields=["facilitator", "co_facilitator", "state", "change_count"])
    released = [] if keep_papers or before is None else release_papers(session, unlink=True)
    if facilitator is not None:
        _facilitator_going(session, facilitator)
    calendar_changed(session.pk)
    if facilitator is not None and facilitator.pk != by.pk:
        assignment_told(session, facilitator)
    week = activity.when(session)
    if facilitator is None:
        summary = f"took {person(before)} off the week of {week}"
    elif before is None:
        summary = f"asked {person(facilitator)} to facilitate the week of {week}"
    else:
        summary = f"handed the week of {week} from {person(before)} to {person(facilitator)}"
    activity.log(
        session=session,
        by=by,
        kind="rota.assign",
        summary=summary + _returned(released),
        data={
            "before": before.pk if before else None,
            "after": facilitator.pk if facilitator else None,
            "released": [n.pk for n in released],
        },
    )
    return session


# --- Papers --------------------------------------------------------------------------


@transaction.atomic
def session_papers_set(
    *,
    session: Session,
    by: User,
    picks: list[tuple[int, int | None]],
    make_survey: bool = False,
) -> Session:
    """Choose the session's papers from the club's backlog, in order.

    `picks` is a list of (nomination id, minutes or None). Chosen nominations
    become scheduled; ones no longer chosen go back to proposed. A one-paper
    week holds one paper: more raise OnePaperWeek, unless `make_survey` turns
    the week into a survey week (several papers) with them.
    """
    session = lock_session(session)
    require_runner(session, by)
    ensure_future(session, "changed")
    if session.state == Session.State.CANCELLED:
        raise SessionError("This week is cancelled; restore it first.")
    ids = [nomination_id for nomination_id, _ in picks]
    if len(set(ids)) != len(ids):
        raise SessionError("Each paper can be chosen once.")
    if len(ids) > 12:
        raise SessionError("A session reads at most 12 papers.")
    current = {link.nomination_id: link for link in session.papers.select_related("nomination")}
    nominations = {
        n.pk: n
        for n in Nomination.objects.select_for_update().filter(club=session.club, pk__in=ids)
    }
    for nomination_id in ids:
        nomination = nominations.get(nomination_id)
        if nomination is None:
            raise SessionError("That paper is not in this club's backlog.")
        if nomination.state != Nomination.State.PROPOSED and nomination_id not in current:
            raise SessionError(
                f"“{nomination.paper}” is {nomination.get_state_display().lower()}; "
                "choose a paper that is still proposed."
            )
    becomes_survey = session.format == Session.Format.SINGLE and len(ids) > 1
    if becomes_survey and not make_survey:
        raise OnePaperWeek(count=len(ids))
    before = [(link.nomination_id, link.minutes) for link in current.values()]
    if before == list(picks):
        return session
    if becomes_survey:
        session.format = Session.Format.SURVEY
    dropped = [link.nomination for nid, link in current.items() if nid not in nominations]
    session.papers.all().delete()
    SessionPaper.objects.bulk_create(
        [
            SessionPaper(session=session, nomination_id=nid, position=index, minutes=minutes)
            for index, (nid, minutes) in enumerate(picks)
        ]
    )
    nominations_set_state(nominations=dropped, state=Nomination.State.PROPOSED)
    nominations_set_state(nominations=list(nominations.values()), state=Nomination.State.SCHEDULED)
    session.change_count += 1
    session.save(update_fields=["change_count", "format"])
    calendar_changed(session.pk)
    titles = [f"“{nominations[nid].paper.display_title}”" for nid in ids]
    activity.log(
        session=session,
        by=by,
        kind="rota.papers",
        summary=f"chose {', '.join(titles) if titles else 'no papers'} for the week of "
        f"{activity.when(session)}",
        data={"before": [nid for nid, _ in before], "after": ids},
    )
    return session


def nomination_links_move(from_id: int, to_id: int) -> int:
    """Every week reading nomination `from_id` reads `to_id` instead (a merge;
    registered with papers.merging). A week that already reads both keeps
    its link to `to_id` (the other goes with the merged nomination)."""
    both = SessionPaper.objects.filter(nomination_id=to_id).values_list("session_id", flat=True)
    moved = list(
        SessionPaper.objects.filter(nomination_id=from_id)
        .exclude(session_id__in=list(both))
        .values_list("session_id", flat=True)
    )
    SessionPaper.objects.filter(nomination_id=from_id, session_id__in=moved).update(
        nomination_id=to_id
    )
    # The weeks now read another record of the paper: a material change for calendars.
    Session.objects.filter(pk__in=moved, starts_at__gt=timezone.now()).update(
        change_count=F("change_count") + 1
    )
    calendar_changed(
        *Session.objects.filter(pk__in=moved, starts_at__gt=timezone.now()).values_list(
            "pk", flat=True
        )
    )
    return len(moved)
