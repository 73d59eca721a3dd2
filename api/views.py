"""The API's views: parse, ask `api.access`, call one selector or service, answer.

Every read is a GET with an ETag (If-None-Match answers 304); lists are cursor
pages. Which role each view needs is the site's (`club_needs`, read by the
permission matrix in tests/api/test_permission_matrix.py)."""

from django.db import transaction
from django.http import Http404, JsonResponse
from django.middleware.http import ConditionalGetMiddleware
from django.shortcuts import get_object_or_404
from django.utils.cache import patch_vary_headers
from django.utils.decorators import decorator_from_middleware
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from clubs.models import Club, Membership
from clubs.permissions import ANYONE, MEMBER, Role
from clubs.ratelimits import rate_limit_take
from clubs.selectors import club_members
from papers import selectors as paper_selectors
from papers import services as paper_services
from papers.models import Nomination, Vote, VotingRound
from papers.selectors import BacklogFilter
from papers.voting import rounds
from sessions.models import PreRead, Rsvp, Session
from sessions.reading import selectors as reading_selectors
from sessions.reading import services as reading_services
from sessions.rota import selectors as rota_selectors
from sessions.rota.weeks import rsvp_set

from . import serializers as out
from .access import TokenScope, api_access, request_token
from .pagination import Cursor

_conditional = decorator_from_middleware(ConditionalGetMiddleware)


class ApiView(GenericAPIView):
    """ETags on every read; answers vary by who asks."""

    club_needs: Role = ANYONE

    @classmethod
    def as_view(cls, **initkwargs):
        view = _conditional(super().as_view(**initkwargs))
        view.club_needs = cls.club_needs  # type: ignore[attr-defined]  # read by the matrix
        return view

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        patch_vary_headers(response, ("Authorization", "Cookie"))
        return response

    def club_access(self, needs: Role | None = None):
        return api_access(
            self.request, self.kwargs["slug"], self.club_needs if needs is None else needs
        )


def _ordered(cursor_ordering: tuple[str, ...]) -> type[Cursor]:
    return type("OrderedCursor", (Cursor,), {"ordering": cursor_ordering})


# --- Clubs and members ---------------------------------------------------------------


class ClubList(ApiView):
    """Clubs the caller may see: the public ones and their own (a token: its club)."""

    serializer_class = out.ClubOut
    pagination_class = _ordered(("slug",))

    def get_queryset(self):
        visible = Club.objects.filter(visibility=Club.Visibility.PUBLIC)
        user = self.request.user
        token = request_token(self.request)
        if token is not None:
            visible = Club.objects.filter(visibility=Club.Visibility.PUBLIC) | Club.objects.filter(
                pk=token.club_id,
                memberships__user=user,
                memberships__state__in=[Membership.State.ACTIVE, Membership.State.PENDING],
            )
        elif user.is_authenticated:
            visible = visible | Club.objects.filter(
                memberships__user=user,
                memberships__state__in=[Membership.State.ACTIVE, Membership.State.PENDING],
            )
        return visible.distinct()

    @extend_schema(operation_id="clubs_list", responses=out.ClubOut(many=True))
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class ClubDetail(ApiView):
    serializer_class = out.ClubOut

    @extend_schema(operation_id="club_retrieve")
    def get(self, request, slug):
        return Response(self.get_serializer(self.club_access().club).data)


class MemberList(ApiView):
    """The club's active members as members see them (names and roles)."""

    club_needs = MEMBER
    serializer_class = out.MemberOut
    pagination_class = None

    @extend_schema(
        operation_id="members_list",
        parameters=[OpenApiParameter("q", str, description="Part of a name.")],
        responses=out.MemberOut(many=True),
    )
    def get(self, request, slug):
        club = self.club_access().club
        members = club_members(club=club, search=(request.query_params.get("q") or "")[:100])
        return Response(self.get_serializer(members, many=True).data)


# --- The backlog --------------------------------------------------------------------------

_BACKLOG_PARAMS = [
    OpenApiParameter("sort", str, enum=["top", "new"], description="Most votes, or newest."),
    OpenApiParameter("state", str, enum=["open", "scheduled", "covered", "archived", "any"]),
    OpenApiParameter("tag", str, description="A topic's slug."),
    OpenApiParameter("q", str, description="Words in the title, authors or abstract."),
]
_BACKLOG_ORDER = {
    "top": _ordered(("-vote_count", "-created_at", "-pk")),
    "new": _ordered(("-created_at", "-pk")),
}
# "top" in a club that weighs votes by attendance (papers.voting.weights): by
# the weighted sum the site sorts by (papers.selectors annotates `weighted`).
_WEIGHTED_TOP = _ordered(("-weighted", "-vote_count", "-created_at", "-pk"))


class Backlog(ApiView):
    """The backlog with votes and the caller's own vote; POST proposes by arXiv id."""

    serializer_class = out.NominationOut

    @property
    def paginator(self):
        if not hasattr(self, "_paginator"):
            sort = self.request.query_params.get("sort")
            self._paginator = _BACKLOG_ORDER.get(sort or "top", _BACKLOG_ORDER["top"])()
        return self._paginator

    @extend_schema(
        operation_id="backlog_list",
        parameters=_BACKLOG_PARAMS,
        responses=out.NominationOut(many=True),
    )
    def get(self, request, slug):
        found = self.club_access()
        params = request.query_params.copy()
        if params.get("sort") not in _BACKLOG_ORDER:
            params["sort"] = "top"
        options = BacklogFilter.from_params(params)
        nominations = paper_selectors.backlog(club=found.club, user=found.viewer, options=options)
        if options.sort == "top" and "weighted" in nominations.query.annotations:
            self._paginator = _WEIGHTED_TOP()
        # The site puts pinned papers first; a cursor walks one plain order
        # (each row says whether it is pinned).
        page = self.paginate_queryset(nominations.order_by())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        operation_id="backlog_propose",
        request=out.ProposeIn,
        responses={201: out.NominationOut, 200: out.NominationOut},
    )
    def post(self, request, slug):
        found = self.club_access(MEMBER)
        data = _valid(out.ProposeIn, request)
        rate_limit_take(action="proposals", scope=f"user:{request.user.pk}")
        outcome = paper_services.papers_propose(
            club=found.club, user=request.user, text=data["arxiv_id"], pitch=data["pitch"]
        )
        if outcome.invalid:
            token, message = outcome.invalid[0]
            return Response({"arxiv_id": [message or f"{token} is not an arXiv id."]}, status=400)
        if outcome.covered:
            return Response(
                {"arxiv_id": ["The club has read this paper already; propose it on the site."]},
                status=400,
            )
        nomination = outcome.nominations[0]
        shown = paper_selectors.nomination_detail(
            club=found.club, nomination_id=nomination.pk, user=request.user
        )
        code = status.HTTP_201_CREATED if outcome.added else status.HTTP_200_OK
        return Response(self.get_serializer(shown).data, status=code)


class NominationDetail(ApiView):
    serializer_class = out.NominationOut

    @extend_schema(operation_id="nomination_retrieve")
    def get(self, request, slug, nomination_id: int):
        found = self.club_access()
        nomination = _or_404(
            paper_selectors.nomination_detail,
            club=found.club,
            nomination_id=nomination_id,
            user=found.viewer,
        )
        return Response(self.get_serializer(nomination).data)


class NominationVote(ApiView):
    """Set the caller's vote (idempotent: the same answer twice changes nothing)."""

    club_needs = MEMBER
    serializer_class = out.VoteOut

    @extend_schema(operation_id="vote_set", request=out.VoteIn, responses=out.VoteOut)
    def put(self, request, slug, nomination_id: int):
        found = self.club_access()
        want = _valid(out.VoteIn, request)["voted"]
        with transaction.atomic():
            # The row lock the vote service takes too: two requests at once see
            # each other's outcome, so "vote" twice is one vote.
            get_object_or_404(
                Nomination.objects.select_for_update(of=("self",)),
                club=found.club,
                pk=nomination_id,
            )
            has = Vote.objects.filter(nomination_id=nomination_id, user=request.user).exists()
            if has != want:
                nomination = paper_services.nomination_vote_toggle_by_id(
                    club=found.club,
                    nomination_id=nomination_id,
                    user=request.user,
                    membership=found.access.membership,
                )
                count = nomination.vote_count
            else:
                count = Nomination.objects.values_list("vote_count", flat=True).get(
                    pk=nomination_id
                )
        return Response({"voted": want, "vote_count": count})


# --- Voting rounds -----------------------------------------------------------------------


def _round_out(voting_round, user) -> dict:
    """A round as the API tells it: counts only once the deadline has passed."""
    closed = voting_round.is_closed()
    candidates = rounds.round_candidates(voting_round=voting_round)
    result = None
    if closed:
        rounds.round_close_if_due(voting_round=voting_round)
        counted = rounds.round_result(voting_round=voting_round)
        result = {
            "ballots": counted.ballots,
            "counts": [
                {
                    "nomination_id": c.nomination.pk,
                    "title": c.nomination.paper.display_title,
                    "total": c.total,
                    "marked": c.marked,
                    "winner": c.winner,
                }
                for c in counted.candidates
            ],
        }
    mine = rounds.my_marks(voting_round=voting_round, user=user)
    return {
        "id": voting_round.pk,
        "title": voting_round.title,
        "method": voting_round.method,
        "closes_at": voting_round.closes_at,
        "closed": closed,
        "candidates": [
            {"nomination_id": c.nomination_id, "title": c.nomination.paper.display_title}
            for c in candidates
        ],
        "my_ballot": {str(k): v for k, v in mine.items()} if mine is not None else None,
        "result": result,
    }


def _club_round(club, round_id: int) -> VotingRound:
    return get_object_or_404(VotingRound, club=club, pk=round_id)


class RoundList(ApiView):
    """The club's voting rounds, open ones first; counts only in closed ones."""

    serializer_class = out.RoundOut
    pagination_class = None

    @extend_schema(operation_id="rounds_list", responses=out.RoundOut(many=True))
    def get(self, request, slug):
        found = self.club_access()
        listed = [_round_out(r, found.viewer) for r in rounds.club_rounds(club=found.club)]
        return Response(self.get_serializer(listed, many=True).data)


class RoundDetail(ApiView):
    serializer_class = out.RoundOut

    @extend_schema(operation_id="round_retrieve")
    def get(self, request, slug, round_id: int):
        found = self.club_access()
        voting_round = _club_round(found.club, round_id)
        return Response(self.get_serializer(_round_out(voting_round, found.viewer)).data)


class RoundBallot(ApiView):
    """Cast or change the caller's ballot until the deadline (then 400, nothing changed)."""

    club_needs = MEMBER
    serializer_class = out.RoundOut

    @extend_schema(operation_id="ballot_set", request=out.BallotIn, responses=out.RoundOut)
    def put(self, request, slug, round_id: int):
        found = self.club_access()
        voting_round = _club_round(found.club, round_id)
        marks = _valid(out.BallotIn, request)["marks"]
        parsed = {}
        for key, score in marks.items():
            if not str(key).isdigit() or len(str(key)) > 18:
                return Response({"marks": [f"{key!r} is not a candidate in this round."]}, 400)
            if isinstance(score, bool) or not isinstance(score, int):
                return Response({"marks": ["A mark is 1 (approved) or a score from 1 to 5."]}, 400)
            parsed[int(key)] = score
        rounds.ballot_cast(voting_round=voting_round, user=request.user, marks=parsed)
        return Response(self.get_serializer(_round_out(voting_round, request.user)).data)


# --- Sessions --------------------------------------------------------------------------


class SessionList(ApiView):
    """The coming weeks, soonest first (cancelled ones say so)."""

    serializer_class = out.SessionOut
    pagination_class = _ordered(("starts_at", "pk"))

    @extend_schema(operation_id="sessions_list", responses=out.SessionOut(many=True))
    def get(self, request, slug):
        found = self.club_access()
        sessions = rota_selectors.upcoming_sessions(club=found.club, user=found.viewer)
        page = self.paginate_queryset(sessions.order_by())
        context = {"is_member": found.access.is_member}
        return self.get_paginated_response(out.SessionOut(page, many=True, context=context).data)


class Archive(ApiView):
    """What the club read: sessions that happened, newest first."""

    serializer_class = out.SessionOut
    pagination_class = _ordered(("-starts_at", "-pk"))

    @extend_schema(operation_id="archive_list", responses=out.SessionOut(many=True))
    def get(self, request, slug):
        found = self.club_access()
        sessions = rota_selectors.archive(club=found.club)
        page = self.paginate_queryset(sessions.order_by())
        context = {"is_member": found.access.is_member}
        return self.get_paginated_response(out.SessionOut(page, many=True, context=context).data)


def _session(found, session_id: int) -> Session:
    return _or_404(
        rota_selectors.session_detail, club=found.club, session_id=session_id, user=found.viewer
    )


class SessionDetail(ApiView):
    serializer_class = out.SessionOut

    @extend_schema(operation_id="session_retrieve")
    def get(self, request, slug, session_id: int):
        found = self.club_access()
        session = _session(found, session_id)
        context = {"is_member": found.access.is_member}
        return Response(out.SessionOut(session, context=context).data)


class SessionRsvp(ApiView):
    club_needs = MEMBER
    serializer_class = out.MyRsvpOut

    @extend_schema(operation_id="rsvp_set", request=out.RsvpIn, responses=out.MyRsvpOut)
    def put(self, request, slug, session_id: int):
        found = self.club_access()
        answer = _valid(out.RsvpIn, request)["answer"]
        session = get_object_or_404(
            Session.objects.select_related("club"), club=found.club, pk=session_id
        )
        rsvp = rsvp_set(session=session, user=request.user, answer=answer)
        return Response(self.get_serializer(rsvp).data)


class SessionPreRead(ApiView):
    club_needs = MEMBER
    serializer_class = out.PreReadOut

    def _answer(self, session: Session, user):
        counts, level = reading_selectors.preread_summary(session=session, user=user)
        return Response(out.PreReadOut({"level": level, "counts": counts}).data)

    @extend_schema(operation_id="preread_retrieve")
    def get(self, request, slug, session_id: int):
        found = self.club_access()
        session = get_object_or_404(Session, club=found.club, pk=session_id)
        return self._answer(session, found.viewer)

    @extend_schema(operation_id="preread_set", request=out.PreReadIn, responses=out.PreReadOut)
    def put(self, request, slug, session_id: int):
        found = self.club_access()
        level = _valid(out.PreReadIn, request)["level"]
        session = get_object_or_404(
            Session.objects.select_related("club"), club=found.club, pk=session_id
        )
        reading_services.preread_set(session=session, user=request.user, level=level)
        return self._answer(session, request.user)


class SessionQuestions(ApiView):
    """The week's questions by votes; POST asks one (members)."""

    serializer_class = out.QuestionOut
    pagination_class = None

    def _questions(self, found, session: Session):
        questions = list(reading_selectors.session_questions(session=session, viewer=found.viewer))
        for question in questions:
            # Read by QuestionOut: whether this caller may see who asked.
            question.show_author = reading_selectors.question_author_visible(  # type: ignore[attr-defined]
                question=question,
                viewer=found.viewer,
                viewer_is_organizer=found.access.is_organizer,
            )
        return questions

    @extend_schema(operation_id="questions_list", responses=out.QuestionOut(many=True))
    def get(self, request, slug, session_id: int):
        found = self.club_access()
        session = get_object_or_404(Session, club=found.club, pk=session_id)
        return Response(self.get_serializer(self._questions(found, session), many=True).data)

    @extend_schema(
        operation_id="question_ask", request=out.QuestionIn, responses={201: out.QuestionOut}
    )
    def post(self, request, slug, session_id: int):
        found = self.club_access(MEMBER)
        data = _valid(out.QuestionIn, request)
        session = get_object_or_404(
            Session.objects.select_related("club"), club=found.club, pk=session_id
        )
        question = reading_services.question_ask(
            session=session, user=request.user, text=data["text"], anonymous=data["anonymous"]
        )
        question.show_author = True  # type: ignore[attr-defined]  # the asker sees their own name
        return Response(self.get_serializer(question).data, status=status.HTTP_201_CREATED)


# --- The caller's own ---------------------------------------------------------------------


def _my_club_filter(request) -> dict:
    token = request_token(request)
    return {"session__club_id": token.club_id} if token is not None else {}


class MyRsvps(ApiView):
    """The caller's RSVPs (a token: in its club), newest week first."""

    serializer_class = out.MyRsvpOut
    pagination_class = _ordered(("-updated_at", "-pk"))
    club_needs = Role.OUTSIDER
    permission_classes = (IsAuthenticated, TokenScope)

    @extend_schema(operation_id="my_rsvps_list", responses=out.MyRsvpOut(many=True))
    def get(self, request):
        rsvps = Rsvp.objects.filter(user=request.user, **_my_club_filter(request)).select_related(
            "session__club"
        )
        page = self.paginate_queryset(rsvps)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class MyPreReads(ApiView):
    serializer_class = out.MyPreReadOut
    pagination_class = _ordered(("-changed_at", "-pk"))
    club_needs = Role.OUTSIDER
    permission_classes = (IsAuthenticated, TokenScope)

    @extend_schema(operation_id="my_prereads_list", responses=out.MyPreReadOut(many=True))
    def get(self, request):
        prereads = PreRead.objects.filter(
            user=request.user, **_my_club_filter(request)
        ).select_related("session__club")
        page = self.paginate_queryset(prereads)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


@csrf_exempt  # it changes nothing, and API callers send no CSRF cookie
def not_found(request, *args, **kwargs):
    return JsonResponse({"detail": "Not found."}, status=404)


# --- Helpers ---------------------------------------------------------------------------------


def _valid(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _or_404(selector, **kwargs):
    try:
        return selector(**kwargs)
    except (Nomination.DoesNotExist, Session.DoesNotExist) as error:
        raise Http404("Not found.") from error
