"""Voting pages: the club's options for backlog votes (organizers, shown in the
club settings), and voting rounds. A round's page never shows a count before
its deadline (papers.voting.rounds)."""

from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django_htmx.middleware import HtmxDetails

from clubs.permissions import ANYONE, MEMBER, ORGANIZER, ClubAccess, club_view

from .. import selectors
from ..errors import NotAllowed, PaperError
from ..models import SCORE_MAX, SCORE_MIN, VotingRound
from . import options as vote_options
from . import rounds
from .forms import OptionsForm, RoundForm

CANDIDATES_OFFERED = 50


class SignedInRequest(HttpRequest):
    """What @club_view(needs=MEMBER or ORGANIZER) hands a view: a signed-in user."""

    htmx: HtmxDetails
    user: User


# --- Options --------------------------------------------------------------------------


def _options_form(access: ClubAccess, data=None) -> OptionsForm:
    current = vote_options.options_for(club_id=access.club.pk)
    return OptionsForm(
        data,
        initial={"vote_budget": current.vote_budget, "weighted_votes": current.weighted_votes},
    )


def settings_section(request: HttpRequest, access: ClubAccess) -> dict:
    """The club settings page's "How votes count" (registered in PapersConfig.ready)."""
    return {"form": _options_form(access), "club": access.club}


@club_view(needs=ORGANIZER)
def options(request: SignedInRequest, access: ClubAccess) -> HttpResponse:
    form = _options_form(access, request.POST or None)
    if request.method == "POST" and form.is_valid():
        vote_options.options_save(
            club=access.club,
            by=request.user,
            vote_budget=form.cleaned_data["vote_budget"],
            weighted_votes=form.cleaned_data["weighted_votes"],
        )
        messages.success(request, "Saved how backlog votes count.")
        return redirect("clubs:settings", access.club.slug)
    return render(
        request,
        "papers/voting/options.html",
        {"club": access.club, "access": access, "section": {"form": form, "club": access.club}},
        status=400 if form.is_bound else 200,
    )


# --- Rounds ---------------------------------------------------------------------------


def _round(access: ClubAccess, round_id: int) -> VotingRound:
    found = VotingRound.objects.filter(club=access.club, pk=round_id).first()
    if found is None:
        raise Http404("No such round in this club.")
    return found


@club_view(needs=ANYONE)
def round_list(request: HttpRequest, access: ClubAccess) -> HttpResponse:
    return render(
        request,
        "papers/voting/rounds.html",
        {"club": access.club, "access": access, "rounds": rounds.club_rounds(club=access.club)},
    )


@club_view(needs=ORGANIZER)
def round_new(request: SignedInRequest, access: ClubAccess) -> HttpResponse:
    form = RoundForm(request.POST or None, club=access.club)
    ticked = [int(v) for v in request.POST.getlist("nomination") if v.isdigit()]
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            voting_round = rounds.round_open(
                club=access.club,
                by=request.user,
                title=form.cleaned_data["title"],
                method=form.cleaned_data["method"],
                closes_at=form.closes_at(),
                nomination_ids=ticked,
                top=form.cleaned_data["top"],
            )
        except NotAllowed as refused:
            raise PermissionDenied(str(refused)) from refused
        except PaperError as refused:
            error = str(refused)
        else:
            messages.success(request, f"The round “{voting_round.title}” is open.")
            return redirect("voting:round", access.club.slug, voting_round.pk)
    candidates = list(
        selectors.backlog(club=access.club, user=None, options=selectors.BacklogFilter())[
            :CANDIDATES_OFFERED
        ]
    )
    return render(
        request,
        "papers/voting/round_new.html",
        {
            "club": access.club,
            "access": access,
            "form": form,
            "candidates": candidates,
            "ticked": set(ticked),
            "error": error,
        },
        status=400 if request.method == "POST" else 200,
    )


def _round_context(request: HttpRequest, access: ClubAccess, voting_round: VotingRound) -> dict:
    closed = voting_round.is_closed()
    context = {
        "club": access.club,
        "access": access,
        "round": voting_round,
        "closed": closed,
        "closes_words": rounds.when_words(voting_round.closes_at, access.club),
        "scores": range(SCORE_MIN, SCORE_MAX + 1),
    }
    if closed:
        # Published from the ballots as soon as the deadline passed; the first
        # reader records the close (the beat job does it too).
        rounds.round_close_if_due(voting_round=voting_round)
        result = rounds.round_result(voting_round=voting_round)
        for counted in result.candidates:
            counted.words = rounds.result_words(counted, voting_round.method)  # type: ignore[attr-defined]  # shown by the page
        context["result"] = result
    else:
        candidates = rounds.round_candidates(voting_round=voting_round)
        mine = None
        if access.is_member:
            user = request.user if isinstance(request.user, User) else None
            mine = rounds.my_marks(voting_round=voting_round, user=user)
        for candidate in candidates:
            candidate.my_score = (mine or {}).get(candidate.nomination_id)  # type: ignore[attr-defined]  # the viewer's own mark
        context.update(candidates=candidates, mine=mine)
    return context


@club_view(needs=ANYONE)
def round_page(request: HttpRequest, access: ClubAccess, round_id: int) -> HttpResponse:
    voting_round = _round(access, round_id)
    return render(
        request, "papers/voting/round.html", _round_context(request, access, voting_round)
    )


class BadBallot(PaperError):
    pass


def _marks_from(request: HttpRequest, voting_round: VotingRound) -> dict[int, int]:
    """The posted ballot as nomination id -> score (the service checks each)."""
    if voting_round.method == VotingRound.Method.APPROVAL:
        values = request.POST.getlist("approve")
        if any(not v.isdigit() for v in values):
            raise BadBallot("That ballot names a paper that is not in this round; reload the page.")
        return dict.fromkeys((int(v) for v in values), 1)
    marks = {}
    for key, value in request.POST.items():
        if not key.startswith("score-") or value == "":
            continue
        nomination_id, score = key.removeprefix("score-"), str(value).strip()
        if not nomination_id.isdigit():
            raise BadBallot("That ballot names a paper that is not in this round; reload the page.")
        if not score.isdigit():
            raise BadBallot(f"A score is a whole number from {SCORE_MIN} to {SCORE_MAX}.")
        marks[int(nomination_id)] = int(score)
    return marks


@require_POST
@club_view(needs=MEMBER)
def ballot(request: SignedInRequest, access: ClubAccess, round_id: int) -> HttpResponse:
    voting_round = _round(access, round_id)
    try:
        rounds.ballot_cast(
            voting_round=voting_round, user=request.user, marks=_marks_from(request, voting_round)
        )
    except NotAllowed as refused:
        raise PermissionDenied(str(refused)) from refused
    except PaperError as refused:
        status = 409 if isinstance(refused, rounds.RoundClosed) else 400
        context = _round_context(request, access, voting_round)
        context["ballot_error"] = str(refused)
        if request.htmx and "candidates" in context:
            return render(request, "papers/voting/_ballot.html", context)
        return render(request, "papers/voting/round.html", context, status=status)
    if request.htmx:
        context = _round_context(request, access, voting_round)
        context["ballot_saved"] = True
        return render(request, "papers/voting/_ballot.html", context)
    messages.success(request, "Your ballot is saved. You can change it until the round closes.")
    return redirect(reverse("voting:round", args=[access.club.slug, voting_round.pk]) + "#ballot")
