"""Schedule, rota, session pages and the archive.

Each view declares who may use it with @club_view(needs=...). Views parse the
request, call one service or selector and render; the services decide who may
do what beyond the club role (the facilitator, say) by raising NotAllowed,
which becomes a 403. Claims and RSVPs answer htmx with a partial and plain
POSTs with a redirect back, so every button works without JavaScript.
"""

from collections.abc import Callable
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import dateformat, timezone
from django.views.decorators.http import require_POST

from clubs.confirming import Ask, confirm_first
from clubs.permissions import ANYONE, MEMBER, ORGANIZER, ClubAccess, club_view
from clubs.redirects import redirect_back
from clubs.templatetags.paperclub import display_name
from papers.voting.rounds import round_winners_offered

from ..attendance.views import attendance_context
from ..calendars.feeds import (
    add_to_calendar_links,
    calendar_prompt_mark,
    calendar_prompt_take,
    google_event,
)
from ..discussion.views import session_discussion_context
from ..errors import NotAllowed, OnePaperWeek, SessionError
from ..models import Rsvp, Session
from ..permissions import viewer_may_run
from ..reading.forms import QuestionForm
from ..reading.views import reading_context
from ..series.services import in_series
from ..writeups.selectors import writeup_context
from . import exports, planning, selectors, weeks
from .facilitators import session_assign, session_claim, session_papers_set, session_withdraw
from .forms import (
    AssignForm,
    DetailsForm,
    MoveForm,
    OneOffForm,
    PapersForm,
    RsvpForm,
    ScheduleForm,
    SkipForm,
    WeeksForm,
    schedule_form_data,
)

PAGE_SIZE = 25
FAIRNESS_ON_ROTA = 10
FAIRNESS_PAGE_SIZE = 50
MAX_MISFITS_SHOWN = 52


# --- Helpers -------------------------------------------------------------------------


def _session(access: ClubAccess, session_id: int, request: HttpRequest) -> Session:
    """The session with its papers, people and RSVP counts (for pages and partials)."""
    try:
        return selectors.session_detail(club=access.club, session_id=session_id, user=request.user)
    except Session.DoesNotExist as error:
        raise Http404("No such session in this club.") from error


def _plain_session(access: ClubAccess, session_id: int) -> Session:
    """Just the row, for a service to change."""
    session = get_object_or_404(Session, club=access.club, pk=session_id)
    session.club = access.club
    return session


def _rota_url(access: ClubAccess) -> str:
    return reverse("sessions:rota", args=[access.club.slug])


def _session_url(access: ClubAccess, session_id: int) -> str:
    return reverse("sessions:session", args=[access.club.slug, session_id])


def _when(session: Session) -> str:
    """The session's start in the viewer's zone, with the zone's name."""
    return dateformat.format(timezone.localtime(session.starts_at), "D j M, H:i T")


def _suggestions(access: ClubAccess) -> list:
    """Whom the facilitator pickers suggest: the first of the fairness list
    (never facilitated first). Anyone else is typed by name or address."""
    return selectors.facilitation_fairness(club=access.club, limit=FAIRNESS_ON_ROTA)


def _report(request: HttpRequest, change: Callable[[], Any], success: Callable[[Any], str]) -> None:
    """Run one change through its service and say how it went: a refusal of
    permission is a 403, any other refusal a message, success `success(result)`."""
    try:
        result = change()
    except NotAllowed as error:
        raise _denied(error) from error
    except SessionError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, success(result))


def _denied(error: NotAllowed) -> PermissionDenied:
    return PermissionDenied(str(error))


# --- Schedule ---------------------------------------------------------------------------


@club_view(needs=ORGANIZER)
def schedule(request: HttpRequest, access: ClubAccess) -> HttpResponse:
    club = access.club
    current = selectors.schedule_for(club=club)
    if request.method == "POST":
        form = ScheduleForm(request.POST, zone_name=club.time_zone)
        if form.is_valid():
            based_on = form.cleaned_data["version"]
            try:
                _saved, plan = planning.schedule_save(
                    club=club, by=request.user, data=form.to_input(), based_on_version=based_on
                )
            except NotAllowed as error:
                raise _denied(error) from error
            except SessionError as error:
                latest = selectors.schedule_for(club=club)
                if latest is not None and latest.version != based_on:
                    # Show the schedule as the other organizer left it, to edit again.
                    form = ScheduleForm(schedule_form_data(latest), zone_name=club.time_zone)
                    form.is_valid()
                    current = latest
                form.add_error(None, str(error))
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _plan_summary(plan))
                url = reverse("sessions:schedule", args=[club.slug])
                return redirect(url + "#misfits" if plan.misfits else url)
    else:
        initial = (
            schedule_form_data(current)
            if current
            else {"first_date": timezone.localtime(timezone.now(), club.tzinfo).date()}
        )
        form = ScheduleForm(initial=initial, zone_name=club.time_zone)
    return render(
        request,
        "sessions/schedule.html",
        {
            "club": club,
            "access": access,
            "form": form,
            "schedule": current,
            "misfits": planning.schedule_misfits(club=club)[:MAX_MISFITS_SHOWN],
        },
    )


def _plan_summary(plan: planning.PlanResult) -> str:
    def weeks(n: int) -> str:
        return f"{n} week{'s' if n != 1 else ''}"

    parts = [f"{weeks(plan.created)} created", f"{weeks(plan.updated)} moved to the new time"]
    if plan.removed:
        parts.append(f"{weeks(plan.removed)} removed")
    return "Schedule saved: " + ", ".join(parts) + "."


@require_POST
@club_view(needs=ORGANIZER)
def misfits(request: HttpRequest, access: ClubAccess) -> HttpResponse:
    """Claimed weeks the schedule no longer fits: "move these" or "keep them"."""
    form = WeeksForm(request.POST)
    url = reverse("sessions:schedule", args=[access.club.slug])
    if not form.is_valid():
        messages.error(request, " ".join(form.non_field_errors()))
        return redirect(url)
    ids = form.cleaned_data["session_ids"]
    if request.POST.get("action") == "keep":
        _report(
            request,
            lambda: planning.sessions_keep(club=access.club, by=request.user, session_ids=ids),
            lambda kept: f"Kept {len(kept)} week{'s' if len(kept) != 1 else ''} at their old time.",
        )
    else:
        _report(
            request,
            lambda: planning.sessions_refit(club=access.club, by=request.user, session_ids=ids),
            lambda moved: (
                f"Moved {len(moved)} week{'s' if len(moved) != 1 else ''} to the new "
                "day and time; their invitees get the update."
            ),
        )
    return redirect(url)


@require_POST
@club_view(needs=ORGANIZER)
def replan(request: HttpRequest, access: ClubAccess, session_id: int) -> HttpResponse:
    """Plan again the slot this week was moved away from."""
    session = _plain_session(access, session_id)
    _report(
        request,
        lambda: planning.session_slot_replan(session=session, by=request.user),
        lambda _: "The slot is planned again: it is open for a volunteer.",
    )
    return redirect_back(request, _rota_url(access))


# --- The rota ---------------------------------------------------------------------------


@club_view(needs=ANYONE)
def rota(request: HttpRequest, access: ClubAccess) -> HttpResponse:
    sessions = list(selectors.upcoming_sessions(club=access.club, user=request.user))
    schedule = selectors.schedule_for(club=access.club)
    if schedule is not None:
        schedule.club = access.club
    vacated = planning.vacated_among(schedule=schedule, sessions=sessions)
    context = {
        "club": access.club,
        "access": access,
        "sessions": sessions,
        # The weeks, and the slots weeks moved away from ("moved to …"), by time.
        "rows": sorted(
            [("week", s.starts_at, s) for s in sessions]
            + [("vacated", v.starts_at, v) for v in vacated],
            key=lambda row: row[1],
        ),
        "schedule": schedule,
    }
    if access.is_member:
        # The first few by the fairness order; a big club's whole list has its own pages.
        fairness, size = selectors.facilitation_fairness_counted(
            club=access.club, limit=FAIRNESS_ON_ROTA
        )
        context["fairness"] = fairness
        context["fairness_size"] = size
        context["suggested"] = selectors.suggested_facilitators(fairness=fairness)
        context["series"] = _rota_series(access, sessions, request)
    return render(request, "sessions/rota.html", context)


def _rota_series(access: ClubAccess, sessions: list, request: HttpRequest) -> dict | None:
    """Whether the member comes every week, for a club with regular weeks to
    come (or a member still in its series): the weeks' annotation says it."""
    regular = [s for s in sessions if s.series_date]
    if regular:
        return {"in_series": regular[0].in_series}
    user = cast(User, request.user)
    return {"in_series": True} if in_series(club=access.club, user=user) else None


@club_view(needs=MEMBER)
def facilitators(request: HttpRequest, access: ClubAccess) -> HttpResponse:
    """Every active member by when they last facilitated: the rota's list in full."""
    # Pages of positions in the fairness order; each page reads only its own rows.
    # The page asked for is read with the club's size; only a page that is not
    # there (past the end, or not a number) is read again as the one Paginator picks.
    asked = request.GET.get("page")
    try:
        guess = max(1, int(asked or 1))
    except ValueError:
        guess = 1
    people, size = selectors.facilitation_fairness_counted(
        club=access.club, offset=(guess - 1) * FAIRNESS_PAGE_SIZE, limit=FAIRNESS_PAGE_SIZE
    )
    page = Paginator(range(size), FAIRNESS_PAGE_SIZE).get_page(asked)
    if page.number != guess:
        people = selectors.facilitation_fairness(
            club=access.club, offset=page.start_index() - 1 if size else 0, limit=FAIRNESS_PAGE_SIZE
        )
    return render(
        request,
        "sessions/facilitators.html",
        {"club": access.club, "access": access, "page": page, "people": people},
    )


def _card(
    request: HttpRequest, access: ClubAccess, session_id: int, *, notice: str, failed: bool
) -> HttpResponse:
    """One rota card, for htmx to swap in after a claim or a withdrawal."""
    context = {
        "club": access.club,
        "access": access,
        "session": _session(access, session_id, request),
        "next": request.POST.get("next") or _rota_url(access),
        "card_notice": notice,
        "card_failed": failed,
    }
    return render(request, "sessions/_rota_card.html", context)


@require_POST
@club_view(needs=MEMBER)
def claim(request: HttpRequest, access: ClubAccess, session_id: int) -> HttpResponse:
    session = _plain_session(access, session_id)
    try:
        session = session_claim(session=session, user=request.user)
    except NotAllowed as error:
        raise _denied(error) from error
    except SessionError as error:
        notice, failed = str(error), True
    else:
        notice = f"Thank you! You're facilitating on {_when(session)}. Choose the papers next."
        failed = False
    if request.htmx:
        return _card(request, access, session_id, notice=notice, failed=failed)
    (messages.error if failed else messages.success)(request, notice)
    return redirect_back(request, _rota_url(access))


@require_POST
@club_view(needs=MEMBER)
@confirm_first(
    lambda request, access, session_id: Ask(
        question="Step back from facilitating this week?",
        consequence=(
            f"The week of {_when(_plain_session(access, session_id))} opens up for someone "
            "else, any papers you picked go back to the backlog, and everyone who has it in "
            "their calendar is told it needs a facilitator."
        ),
        button="Yes, step back",
        back=_session_url(access, session_id),
    )
)
def withdraw(request: HttpRequest, access: ClubAccess, session_id: int) -> HttpResponse:
    session = _plain_session(access, session_id)
    try:
        session_withdraw(session=session, user=request.user)
    except NotAllowed as error:
        raise _denied(error) from error
    except SessionError as error:
        notice, failed = str(error), True
    else:
        notice = (
            "You've stepped back; the week is open again. "
            "Any papers you picked are back in the backlog."
        )
        failed = False
    if request.htmx:
        return _card(request, access, session_id, notice=notice, failed=failed)
    (messages.error if failed else messages.success)(request, notice)
    return redirect_back(request, _rota_url(access))


@club_view(needs=MEMBER)
def step_back(request: HttpRequest, access: ClubAccess, session_id: int) -> HttpResponse:
    """The facilitator, from the link in their assignment mail: GET asks (mail
    scanners follow links, so a link alone never changes anything), POST steps
    back. Plain HTML, no JavaScript needed."""
    if request.method == "POST":
        session = _plain_session(access, session_id)
        _report(
            request,
            lambda: session_withdraw(session=session, user=request.user),
            lambda _: "You've stepped back; the week is open to volunteers again.",
        )
        return redirect(_session_url(access, session_id))
    session = _session(access, session_id, request)
    context = {
        "club": access.club,
        "access": access,
        "session": session,
        "is_facilitator": session.facilitator_id == request.user.pk,
        "upcoming": not session.is_past and session.state == Session.State.SCHEDULED,
    }
    return render(request, "sessions/step_back.html", context)


# --- Organizers: one week ---------------------------------------------------------------


@require_POST
@club_view(needs=ORGANIZER)
def assign(request: HttpRequest, access: ClubAccess, session_id: int) -> HttpResponse:
    session = _plain_session(access, session_id)
    form = AssignForm(request.POST, club=access.club)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors["facilitator"]))
        return redirect_back(request, _rota_url(access))
    person = form.cleaned_data["facilitator"]
    keep = form.cleaned_data["keep_papers"]
    _report(
        request,
        lambda: session_assign(
            session=session, by=request.user, facilitator=person, keep_papers=keep
        ),
        lambda changed: (
            f"{_when(changed)} needs a facilitator again."
            if person is None
            else f"{display_name(person)} facilitates on {_when(changed)}."
        ),
    )
    return redirect_back(request, _rota_url(access))


@require_POST
@club_view(needs=ORGANIZER)
@confirm_first(
    lambda request, access, session_id: Ask(
        question="Cancel this week?",
        consequence=(
            f"The week of {_when(_plain_session(access, session_id))} is cancelled: its papers "
            "go back to the backlog and everyone who has it in their calendar is told. You "
            "can restore it afterwards."
        ),
        button="Yes, cancel the week",
        back=_session_url(access, session_id),
    )
)
def skip(request: HttpRequest, access: ClubAccess, session_id: int) -> HttpResponse:
    session = _plain_session(access, session_id)
    form = SkipForm(request.POST)
    if not form.is_valid():
        # A refused reason cancels nothing: say why, and the week stays as it was.
        messages.error(request, " ".join(form.errors["reason"]))
        return redirect_back(request, _rota_url(access))
    reason = form.cleaned_data["reason"]
    _report(
        request,
        lambda: weeks.session_skip(session=session, by=request.user, reason=reason),
        lambda changed: f"{_when(changed)} is cancelled. You can restore it.",
    )
    return redirect_back(request, _rota_url(access))


@require_POST
@club_view(needs=ORGANIZER)
def restore(request: HttpRequest, access: ClubAccess, session_id: int) -> HttpResponse:
    session = _plain_session(access, session_id)
    _report(
        request,
        lambda: weeks.session_restore(session=session, by=request.user),
        lambda changed: f"{_when(changed)} is back on.",
    )
    return redirect_back(request, _rota_url(access))


@require_POST
@club_view(needs=ORGANIZER)
def move(request: HttpRequest, access: ClubAccess, session_id: int) -> HttpResponse:
    session = _plain_session(access, session_id)
    form = MoveForm(request.POST, zone_name=access.club.time_zone)
    if not form.is_valid():
        if form.has_error("day", "date_out_of_range"):
            messages.error(request, f"Not moved: {form.errors['day'][0]}")
        else:
            messages.error(request, "Give the new date, start time (HH:MM) and length in minutes.")
        return redirect_back(request, _rota_url(access))
    _report(
        request,
        lambda: weeks.session_move(
            session=session,
            by=request.user,
            starts_at=form.starts_at(),
            duration_minutes=form.cleaned_data["duration_minutes"],
        ),
        lambda changed: f"Moved to {_when(changed)}.",
    )
    return redirect_back(request, _rota_url(access))


@club_view(needs=ORGANIZER)
def session_new(request: HttpRequest, access: ClubAccess) -> HttpResponse:
    club = access.club
    current = selectors.schedule_for(club=club)
    initial = {}
    if current:
        initial = {"at": current.start_time, "duration_minutes": current.duration_minutes}
    form = OneOffForm(request.POST or None, initial=initial, zone_name=club.time_zone)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            session = weeks.session_add_one_off(
                club=club,
                by=request.user,
                starts_at=form.starts_at(),
                duration_minutes=data["duration_minutes"],
                title=data["title"],
                format=data["format"],
                location=data["location"],
                meeting_link=data["meeting_link"],
            )
        except NotAllowed as error:
            raise _denied(error) from error
        except SessionError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Session added on {_when(session)}.")
            return redirect("sessions:session", club.slug, session.pk)
    return render(
        request,
        "sessions/session_new.html",
        {"club": club, "access": access, "form": form, "schedule": current},
    )


# --- A session ----------------------------------------------------------------------------


@club_view(needs=ANYONE)
def session_page(request: HttpRequest, access: ClubAccess, session_id: int) -> HttpResponse:
    return render_session_page(request, access, session_id)


def render_session_page(
    request: HttpRequest,
    access: ClubAccess,
    session_id: int,
    *,
    details_form: DetailsForm | None = None,
    survey_offer: dict | None = None,
    question_form: QuestionForm | None = None,
) -> HttpResponse:
    session = _session(access, session_id, request)
    can_run = viewer_may_run(access, session, request.user)
    upcoming = not session.is_past and session.state in (
        Session.State.OPEN,
        Session.State.SCHEDULED,
    )
    # Who is going (for members' eyes), each with their pre-read level, which
    # the pre-read counts of those going are made from.
    going = selectors.goers(session=session) if access.is_member else None
    context = {
        "club": access.club,
        "access": access,
        "session": session,
        "can_run": can_run,
        "upcoming": upcoming,
        "can_mark_done": can_run and session.is_past and session.state == Session.State.SCHEDULED,
        "next": request.get_full_path(),
        **reading_context(
            request,
            access,
            session,
            question_form=question_form,
            going_levels=None if going is None else [goer.preread_level for goer in going],
        ),
        **attendance_context(request, access, session),
        **writeup_context(request, access, session),
        **session_discussion_context(request, access, session),
        "google_event_url": google_event(session),
        "calendar_prompt": calendar_prompt_take(request, session),
        "survey_offer": survey_offer,
    }
    if going is not None:
        context["going"] = going
    if can_run:
        context["details_form"] = details_form or DetailsForm(
            initial=DetailsForm.initial_for(session), club=access.club
        )
        context["suggestions"] = _suggestions(access)
        if upcoming:
            context["can_choose"] = True
            context["candidates"] = _candidates(session, request)
    return render(request, "sessions/session.html", context)


def _candidates(session: Session, request: HttpRequest) -> list:
    """The papers to choose from, the session's own first (in its order), each
    marked with whether it is chosen and for how many minutes."""
    chosen = {
        link.nomination_id: (i, link.minutes) for i, link in enumerate(session.ordered_papers)
    }
    candidates = selectors.candidate_papers(session=session, user=request.user)
    # The winners of the club's latest voting rounds come first (after the
    # week's own papers), marked with the round they won.
    lately = any(n.club_rounds_lately for n in candidates)
    offers = round_winners_offered(club=session.club) if lately else {}
    for nomination in candidates:
        nomination.chosen = nomination.pk in chosen
        nomination.chosen_minutes = chosen.get(nomination.pk, (0, None))[1]
        nomination.round_offer = offers.get(nomination.pk)
    return sorted(
        candidates,
        key=lambda n: (chosen.get(n.pk, (len(chosen), None))[0], n.round_offer is None),
    )


@require_POST
@club_view(needs=MEMBER)
def papers(request: HttpRequest, access: ClubAccess, session_id: int) -> HttpResponse:
    session = _plain_session(access, session_id)
    form = PapersForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.non_field_errors()))
        return redirect(_session_url(access, session_id))
    picks = form.cleaned_data["picks"]
    count = len(picks)
    was_single = session.format == Session.Format.SINGLE
    try:
        changed = session_papers_set(
            session=session,
            by=request.user,
            picks=picks,
            make_survey=request.POST.get("make_survey") == "1",
        )
    except OnePaperWeek as error:
        # Nothing saved: the page asks whether to make it a survey week, picks kept.
        offer = {"message": str(error), "picks": picks, "ids": [nid for nid, _ in picks]}
        return render_session_page(request, access, session_id, survey_offer=offer)
    except NotAllowed as error:
        raise _denied(error) from error
    except SessionError as error:
        messages.error(request, str(error))
    else:
        saved = f"Saved: {count} paper{'s' if count != 1 else ''} for this session."
        if was_single and changed.format == Session.Format.SURVEY:
            saved += " It is a survey week now: give each paper its minutes if you like."
        messages.success(request, saved if count else "Saved: no papers chosen yet.")
    return redirect(_session_url(access, session_id))


@require_POST
@club_view(needs=MEMBER)
def details(request: HttpRequest, access: ClubAccess, session_id: int) -> HttpResponse:
    session = _plain_session(access, session_id)
    form = DetailsForm(request.POST, club=access.club)
    if form.is_valid():
        try:
            weeks.session_details_update(
                session=session, by=request.user, details=form.to_details()
            )
        except NotAllowed as error:
            raise _denied(error) from error
        except SessionError as error:
            form.add_error(None, str(error))
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Session details saved.")
            return redirect(_session_url(access, session_id))
    elif not viewer_may_run(access, session, request.user):
        # Answer a bad form from someone who may not edit like any other attempt.
        raise PermissionDenied("Only the facilitators and organizers can edit this session.")
    return render_session_page(request, access, session_id, details_form=form)


@require_POST
@club_view(needs=MEMBER)
def done(request: HttpRequest, access: ClubAccess, session_id: int) -> HttpResponse:
    session = _plain_session(access, session_id)
    _report(
        request,
        lambda: weeks.session_mark_done(session=session, by=request.user),
        lambda _: "Marked done: its papers are covered. Thanks for facilitating!",
    )
    return redirect(_session_url(access, session_id))


@require_POST
@club_view(needs=MEMBER)
def rsvp(request: HttpRequest, access: ClubAccess, session_id: int) -> HttpResponse:
    session = _plain_session(access, session_id)
    form = RsvpForm(request.POST)
    problem = None
    going = False
    if not form.is_valid():
        problem = "Answer going, maybe or not going."
    else:
        try:
            weeks.rsvp_set(session=session, user=request.user, answer=form.cleaned_data["answer"])
        except NotAllowed as error:
            raise _denied(error) from error
        except SessionError as error:
            problem = str(error)
        else:
            going = form.cleaned_data["answer"] == Rsvp.Answer.GOING
    if request.htmx:
        with_people = bool(request.POST.get("with_people"))
        shown = _session(access, session_id, request)
        context = {
            "club": access.club,
            "access": access,
            "session": shown,
            "next": request.POST.get("next", ""),
            "with_people": with_people,
            "rsvp_error": problem,
        }
        if going:
            context["calendar_prompt"] = add_to_calendar_links(session=shown, user=request.user)
        if with_people:
            context["going"] = selectors.goers(session=shown)
        return render(request, "sessions/_rsvp.html", context)
    if problem:
        messages.error(request, problem)
    else:
        messages.success(request, "Thanks, your answer is saved.")
    if going:  # the page we go back to offers the calendar links once
        calendar_prompt_mark(request, session)
    return redirect_back(request, _session_url(access, session_id))


# --- The archive -------------------------------------------------------------------------


@club_view(needs=ANYONE)
def archive(request: HttpRequest, access: ClubAccess) -> HttpResponse:
    page = Paginator(selectors.archive_page(club=access.club), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request, "sessions/archive.html", {"club": access.club, "access": access, "page": page}
    )


def _download(content: str, *, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@club_view(needs=ANYONE)
def archive_csv(request: HttpRequest, access: ClubAccess) -> HttpResponse:
    sessions = list(selectors.archive(club=access.club))
    return _download(
        exports.archive_csv(sessions=sessions),
        content_type="text/csv; charset=utf-8",
        filename=f"{access.club.slug}-archive.csv",
    )


@club_view(needs=ANYONE)
def archive_bib(request: HttpRequest, access: ClubAccess) -> HttpResponse:
    sessions = list(selectors.archive(club=access.club))
    return _download(
        exports.archive_bibtex(club=access.club, sessions=sessions),
        content_type="application/x-bibtex; charset=utf-8",
        filename=f"{access.club.slug}-archive.bib",
    )
