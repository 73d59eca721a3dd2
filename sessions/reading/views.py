"""Pre-reading pages: progress, questions, the facilitator's dashboard, the
reading guide with private notes, club statistics and "my reading".

Who may use each view is stated on it (@club_view / login_required); rules
such as "the facilitator or an organizer" are enforced by the services, whose
NotAllowed becomes a 403 here.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from clubs.confirming import Ask, confirm_first
from clubs.permissions import MEMBER, ClubAccess, club_view
from papers.guide import CHECKLIST, pass_minutes
from papers.models import GuideTick, Nomination, PaperNote, ReadingGuide
from papers.services import PaperError, guide_tick_set, paper_note_save

from ..attendance.selectors import club_streaks
from ..errors import NotAllowed, SessionError
from ..models import PreRead, Question, Session
from ..permissions import viewer_may_run
from ..rota import selectors as rota_selectors
from . import next as next_reading
from . import selectors, services
from .charts import bar_chart
from .forms import NotesForm, QuestionForm


def _session(access: ClubAccess, session_id: int) -> Session:
    return get_object_or_404(
        Session.objects.select_related("club"), club=access.club, pk=session_id
    )


def reading_context(
    request: HttpRequest,
    access: ClubAccess,
    session: Session,
    *,
    question_form: QuestionForm | None = None,
    going_levels: list[int] | None = None,
) -> dict:
    """What the session page shows of pre-reading (used by the session page view);
    `question_form` is a refused question, shown again with its error;
    `going_levels` the pre-read levels of everyone going, when the page read them."""
    user = request.user if request.user.is_authenticated else None
    questions = list(selectors.session_questions(session=session, viewer=user))
    for question in questions:
        question.show_author = selectors.question_author_visible(
            question=question, viewer=user, viewer_is_organizer=access.is_organizer
        )
    counts, my_level = selectors.preread_summary(
        session=session, user=user, going_levels=going_levels
    )
    return {
        "preread_levels": PreRead.Level.choices,
        "preread_counts": counts,
        "my_level": my_level,
        "questions": questions,
        "question_form": question_form or QuestionForm(),
        "is_runner": viewer_may_run(access, session, user),
        # A week without a paper has nothing to pre-read (the session page prefetched them).
        "has_paper": bool(session.ordered_papers)
        if hasattr(session, "ordered_papers")
        else session.papers.exists(),
        "takes_questions": session.state in (Session.State.OPEN, Session.State.SCHEDULED)
        and not session.is_past,
    }


def _session_url(access: ClubAccess, session: Session, anchor: str = "") -> str:
    return reverse("sessions:session", args=[access.club.slug, session.pk]) + anchor


@require_POST
@club_view(needs=MEMBER)
def preread(request: HttpRequest, access: ClubAccess, session_id: int) -> HttpResponse:
    session = _session(access, session_id)
    try:
        level = int(request.POST.get("level", ""))
        services.preread_set(session=session, user=request.user, level=level)
    except ValueError:
        messages.error(request, "Choose not started, skimmed, read or deep-read.")
    except NotAllowed as error:
        raise PermissionDenied(str(error)) from error
    except SessionError as error:
        if request.htmx:
            return HttpResponse(str(error), status=409)
        messages.error(request, str(error))
    if request.htmx:
        context = {"club": access.club, "session": session, "access": access}
        context.update(reading_context(request, access, session))
        return render(request, "sessions/reading/_preread.html", context)
    return redirect(_session_url(access, session, "#pre-read"))


@require_POST
@club_view(needs=MEMBER)
def ask(request: HttpRequest, access: ClubAccess, session_id: int) -> HttpResponse:
    session = _session(access, session_id)
    form = QuestionForm(request.POST)
    if not form.is_valid():
        # The page again, the question as typed and its error beside it; the form's
        # action ends in #ask, so the browser lands on the form, not the top.
        from ..rota.views import render_session_page  # noqa: PLC0415 - rota's views import ours

        return render_session_page(request, access, session_id, question_form=form)
    try:
        services.question_ask(
            session=session,
            user=request.user,
            text=form.cleaned_data["text"],
            anonymous=form.cleaned_data["anonymous"],
        )
    except NotAllowed as error:
        raise PermissionDenied(str(error)) from error
    except SessionError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Question sent to the facilitator.")
    return redirect(_session_url(access, session, "#questions"))


def _question(access: ClubAccess, session_id: int, question_id: int) -> Question:
    return get_object_or_404(
        Question.objects.select_related("session__club"),
        pk=question_id,
        session_id=session_id,
        session__club=access.club,
    )


@require_POST
@club_view(needs=MEMBER)
def question_vote(
    request: HttpRequest, access: ClubAccess, session_id: int, question_id: int
) -> HttpResponse:
    question = _question(access, session_id, question_id)
    try:
        services.question_vote(
            question=question, user=request.user, up=request.POST.get("up", "1") == "1"
        )
    except NotAllowed as error:
        raise PermissionDenied(str(error)) from error
    except SessionError as error:
        messages.error(request, str(error))
    return redirect(_session_url(access, question.session, "#questions"))


@require_POST
@club_view(needs=MEMBER)
def question_answered(
    request: HttpRequest, access: ClubAccess, session_id: int, question_id: int
) -> HttpResponse:
    question = _question(access, session_id, question_id)
    try:
        services.question_mark_answered(
            question=question, by=request.user, answered=request.POST.get("answered", "1") == "1"
        )
    except NotAllowed as error:
        raise PermissionDenied(str(error)) from error
    target = request.POST.get("from") == "dashboard"
    if target:
        return redirect("reading:dashboard", access.club.slug, session_id)
    return redirect(_session_url(access, question.session, "#questions"))


@require_POST
@club_view(needs=MEMBER)
@confirm_first(
    lambda request, access, session_id, question_id: Ask(
        question="Remove this question?",
        consequence=f"“{_question(access, session_id, question_id).text[:120]}” goes from the "
        "session's list, with its votes.",
        button="Yes, remove it",
        back=reverse("sessions:session", args=[access.club.slug, session_id]) + "#questions",
    )
)
def question_delete(
    request: HttpRequest, access: ClubAccess, session_id: int, question_id: int
) -> HttpResponse:
    question = _question(access, session_id, question_id)
    session = question.session
    try:
        services.question_delete(question=question, by=request.user)
    except NotAllowed as error:
        raise PermissionDenied(str(error)) from error
    messages.success(request, "Question removed.")
    return redirect(_session_url(access, session, "#questions"))


@club_view(needs=MEMBER)
def dashboard(request: HttpRequest, access: ClubAccess, session_id: int) -> HttpResponse:
    """The facilitator, the co-facilitator and organizers: who is coming, how
    far they have read, and what they want to ask."""
    try:
        session = rota_selectors.session_detail(
            club=access.club, session_id=session_id, user=request.user
        )
    except Session.DoesNotExist as error:
        raise Http404("No such session in this club.") from error
    if not viewer_may_run(access, session, request.user):
        raise PermissionDenied("Only the facilitator and the organizers see this dashboard.")
    questions = list(selectors.session_questions(session=session, viewer=request.user))
    for question in questions:
        question.show_author = selectors.question_author_visible(
            question=question, viewer=request.user, viewer_is_organizer=access.is_organizer
        )
    context = {
        "club": access.club,
        "access": access,
        "session": session,
        "counts": selectors.preread_counts(session=session),
        "roster": selectors.preread_roster(session=session),
        "questions": questions,
        "going": rota_selectors.people_going(session=session),
    }
    if access.is_organizer:
        context["not_started"] = selectors.going_not_started(session=session)
    template = "sessions/reading/_dashboard_body.html" if request.htmx else None
    return render(request, template or "sessions/reading/dashboard.html", context)


@club_view(needs=MEMBER)
def guide(request: HttpRequest, access: ClubAccess, nomination_id: int) -> HttpResponse:
    """A member's reading guide for one paper: pass times, checklist, landmarks, notes."""
    nomination = get_object_or_404(
        Nomination.objects.select_related("paper"), club=access.club, pk=nomination_id
    )
    paper = nomination.paper
    ticked = set(
        GuideTick.objects.filter(paper=paper, user=request.user).values_list("item", flat=True)
    )
    note = PaperNote.objects.filter(paper=paper, user=request.user).first()
    return render(
        request,
        "sessions/reading/guide.html",
        {
            "club": access.club,
            "access": access,
            "nomination": nomination,
            "paper": paper,
            "times": pass_minutes(paper.page_count),
            "checklist": [(key, step, text, key in ticked) for key, step, text in CHECKLIST],
            "found": ReadingGuide.objects.filter(paper=paper).first(),
            "note": note,
            "notes_form": NotesForm(initial={"text": note.text if note else ""}),
        },
    )


@require_POST
@club_view(needs=MEMBER)
def guide_tick(request: HttpRequest, access: ClubAccess, nomination_id: int) -> HttpResponse:
    nomination = get_object_or_404(Nomination, club=access.club, pk=nomination_id)
    try:
        guide_tick_set(
            paper=nomination.paper,
            user=request.user,
            item=request.POST.get("item", ""),
            done=request.POST.get("done") == "1",
        )
    except PaperError as error:
        messages.error(request, str(error))
    return redirect(reverse("reading:guide", args=[access.club.slug, nomination.pk]) + "#method")


@require_POST
@club_view(needs=MEMBER)
def guide_notes(request: HttpRequest, access: ClubAccess, nomination_id: int) -> HttpResponse:
    nomination = get_object_or_404(Nomination, club=access.club, pk=nomination_id)
    form = NotesForm(request.POST)
    if form.is_valid():
        paper_note_save(paper=nomination.paper, user=request.user, text=form.cleaned_data["text"])
        messages.success(request, "Notes saved. Only you can see them.")
    else:
        messages.error(request, "Notes are at most 20,000 characters.")
    return redirect(reverse("reading:guide", args=[access.club.slug, nomination.pk]) + "#notes")


@club_view(needs=MEMBER)
def stats(request: HttpRequest, access: ClubAccess) -> HttpResponse:
    """Members: per session, people going, who came, pre-read levels and
    questions; last 6 months."""
    sessions = selectors.club_reading_stats(club=access.club)
    zone = timezone.get_current_timezone()  # the viewer's, as the table's dates
    return render(
        request,
        "sessions/reading/stats.html",
        {
            "club": access.club,
            "access": access,
            "sessions": sessions,
            "reading_chart": bar_chart(
                sessions,
                {"skimmed_count": "skimmed", "read_count": "read", "deep_count": "deep-read"},
                zone=zone,
            ),
            "going_chart": bar_chart(sessions, {"going_total": "going"}, zone=zone),
            "attended_chart": bar_chart(
                sessions, {"attended_total": "came"}, zone=zone, recorded="attendance_taken"
            ),
            "question_chart": bar_chart(sessions, {"question_count": "questions"}, zone=zone),
        },
    )


@club_view(needs=MEMBER)
def read_next(request: HttpRequest, access: ClubAccess) -> HttpResponse:
    """Members: backlog papers near what they attended, voted for and deep-read,
    and the club's topics not covered in a while."""
    return render(
        request,
        "sessions/reading/read_next.html",
        {
            "club": access.club,
            "access": access,
            "suggestions": next_reading.read_next_for(club=access.club, user=request.user),
            "quiet_topics": next_reading.not_covered_in_a_while(club=access.club),
        },
    )


@login_required
def my_reading(request: HttpRequest) -> HttpResponse:
    """The signed-in person's own reading: what is coming, what they read, and
    their private notes (on those papers, and on any other paper of their clubs)."""
    coming = selectors.my_coming_reading(user=request.user)
    sessions = selectors.my_reading(user=request.user)
    return render(
        request,
        "sessions/reading/my_reading.html",
        {
            "coming": coming,
            "sessions": sessions,
            "other_notes": selectors.my_other_notes(user=request.user, shown=coming + sessions),
            "streaks": club_streaks(user=request.user),
        },
    )
