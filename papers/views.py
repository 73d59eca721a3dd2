"""Backlog pages. Each view declares who may use it with @club_view(needs=...)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from clubs import ratelimits
from clubs.confirming import Ask, confirm_first
from clubs.permissions import ANYONE, MEMBER, ORGANIZER, ClubAccess, club_view
from clubs.redirects import redirect_back, safe_url

from . import (
    backlog_cache,
    editing,
    fetching,
    merging,
    page_sections,
    proposing,
    selectors,
    services,
    signals,
    storage,
)
from . import topics as topic_service
from .arxiv_client import split_id_tokens
from .forms import (
    NominationEditForm,
    PaperDetailsForm,
    ProposeForm,
    TagsForm,
    split_tags,
)
from .models import Nomination, Paper
from .related import selectors as related_selectors
from .voting import budget as vote_budget

PAGE_SIZE = 25


def _nomination(
    access: ClubAccess, nomination_id: int, user=None, *, signal_facts: bool = False
) -> Nomination:
    try:
        return selectors.nomination_detail(
            club=access.club, nomination_id=nomination_id, user=user, signal_facts=signal_facts
        )
    except Nomination.DoesNotExist as error:
        raise Http404("No such paper in this club.") from error


@club_view(needs=ANYONE)
def backlog(request: HttpRequest, access: ClubAccess) -> HttpResponse:
    options = selectors.BacklogFilter.from_params(request.GET)
    # Which nominations, in what order, and the topics' counts come from the
    # cache while the club's backlog is unchanged, and so do the cards' texts
    # and signals (papers.backlog_cache): all under the backlog's version, read
    # once here.
    version = backlog_cache.backlog_version(club=access.club)
    ids, topics = selectors.backlog_lists(club=access.club, options=options, version=version)
    page = Paginator(ids, PAGE_SIZE).get_page(request.GET.get("page"))
    elsewhere, read = selectors.backlog_matches_elsewhere(
        club=access.club, options=options, version=version
    )
    nominations = selectors.backlog_cards(
        club=access.club, user=request.user, ids=list(page.object_list), version=version
    )
    # What each vote counts (weights) and the viewer's budget, for each request.
    voting = selectors.voting_setup_cached(club=access.club, version=version)
    viewer_votes = selectors.voting_attach(
        club=access.club,
        user=request.user if access.is_member else None,
        nominations=nominations,
        setup=voting,
    )
    return render(
        request,
        "papers/backlog.html",
        {
            "club": access.club,
            "access": access,
            "page": page,
            "nominations": nominations,
            "viewer_votes": viewer_votes,
            "voting": voting,
            "options": options,
            "sorts": selectors.SORTS,
            "states": selectors.STATES,
            "tags": topics,
            "elsewhere": elsewhere,
            "elsewhere_text": _matches_sentence(elsewhere),
            "read_matches": read,
            "shown_state_word": selectors.STATES[options.state].lower(),
            "filters_summary": _filters_summary(options, topics),
            "suggested_topics": (
                topic_service.topic_suggestions(club=access.club).count()
                if access.is_organizer
                else 0
            ),
            "any_state_query": _with_params(request, state="any"),
        },
    )


def _filters_summary(options: selectors.BacklogFilter, topics) -> str:
    """What the folded filters are set to: "Top · Proposed · Any topic"."""
    topic = next((t.name for t in topics if t.slug == options.tag), "Any topic")
    return " · ".join([selectors.SORTS[options.sort], selectors.STATES[options.state], topic])


def _matches_sentence(counts: dict[str, int]) -> tuple[str, str]:
    """Why papers a search matches are not listed, and the link's words:
    {"covered": 1} -> ("1 covered paper matches your search (the club has read
    it)", "show it"); {"covered": 2, "archived": 1} -> ("2 covered and 1
    archived papers match your search", "show them")."""
    if not counts:
        return "", ""
    parts = [f"{n:,} {selectors.STATE_WORDS[state]}" for state, n in counts.items()]
    text = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    one = sum(counts.values()) == 1
    text += " paper matches your search" if one else " papers match your search"
    if set(counts) == {"covered"}:
        text += " (the club has read it)" if one else " (the club has read them)"
    return text, "show it" if one else "show them"


def _with_params(request: HttpRequest, **changes: str) -> str:
    """This page's query string with some parameters changed (and page 1)."""
    params = request.GET.copy()
    params.pop("page", None)
    for name, value in changes.items():
        params[name] = value
    return "?" + params.urlencode()


@club_view(needs=MEMBER)
def propose(request: HttpRequest, access: ClubAccess) -> HttpResponse:
    """Every way in goes through one door (papers.proposing.paper_propose)."""
    form = ProposeForm(request.POST or None, request.FILES or None)
    context = {"club": access.club, "access": access, "form": form}
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        is_upload = bool(data.get("pdf") or data.get("upload_token"))
        try:
            # An answer to "is it this one?" or "propose it again?" was counted
            # when it was first asked.
            if not (data.get("same_as") or data.get("confirm_new")):
                _count_proposal(request, data)
        except ratelimits.RateLimited as error:
            form.add_error(None, str(error))  # the form comes back as typed
            return render(request, "papers/propose.html", context, status=429)
        try:
            outcome = proposing.paper_propose(
                club=access.club,
                user=request.user,
                ids=data["ids"],
                title=data["title"],
                url=data["url"],
                doi=data["doi"],
                upload=data.get("pdf") or None,
                upload_token=data["upload_token"],
                pitch=data["pitch"],
                tag_names=data["tag_names"],
                confirm_covered=data["confirm_covered"],
                confirm_new=data["confirm_new"],
                same_as=data["same_as"],
            )
        except services.PaperError as error:
            form.add_error(None, str(error))
        else:
            if outcome.similar:
                return render(
                    request,
                    "papers/propose_similar.html",
                    {
                        **context,
                        "similar": outcome.similar,
                        "data": data,
                        "upload_token": outcome.upload_token,
                    },
                )
            if not outcome.covered and not outcome.invalid:
                if is_upload and outcome.added:
                    messages.success(request, "PDF uploaded. We are reading it now.")
                    return redirect("papers:nomination", access.club.slug, outcome.added[0].pk)
                return _after_propose(request, access, outcome.added, outcome.existing)
            # What the person must still decide or fix: papers the club has read
            # (confirm) and malformed tokens (correct), both at once. The rest is in.
            _report_added(request, outcome.added, outcome.existing)
            kept = {"pitch": data["pitch"], "tags": data["tags"]}
            if outcome.invalid:
                tokens = "\n".join(token for token, _ in outcome.invalid)
                form = ProposeForm(data={"ids": tokens, **kept})
                form.is_valid()
                form.add_error("ids", [message for _, message in outcome.invalid])
            else:
                form = ProposeForm(initial=kept)
            context.update(form=form, covered=outcome.covered, pitch=data["pitch"])
    return render(request, "papers/propose.html", context)


def _count_proposal(request: HttpRequest, data: dict) -> None:
    """Counts a proposal against the hourly limits (clubs.ratelimits): a PDF
    against uploads, anything else against papers proposed (each id asked for)."""
    scope = f"user:{request.user.pk}"
    if data.get("pdf"):
        ratelimits.rate_limit_take(action="uploads", scope=scope)
    else:
        by_hand = data.get("url") or data.get("doi") or data.get("title")
        amount = 1 if by_hand else len(split_id_tokens(data.get("ids") or ""))
        ratelimits.rate_limit_take(action="proposals", scope=scope, amount=amount)


def _report_added(request, added, existing) -> None:
    if added:
        messages.success(
            request,
            f"Added {len(added)} paper{'s' if len(added) != 1 else ''} to the backlog.",
        )
    if existing:
        messages.info(
            request,
            f"{len(existing)} {'was' if len(existing) == 1 else 'were'} already in the backlog: "
            "your vote is counted.",
        )


def related_context(*, nomination: Nomination) -> dict:
    """The paper page's "related in this club" (read from the stored index)
    and, for a paper not yet read, the closest one the club has read."""
    related = related_selectors.related_of(nomination=nomination)
    read_near = None
    if nomination.state in (Nomination.State.PROPOSED, Nomination.State.SCHEDULED):
        read_near = next(
            (
                row
                for row in related
                if row.related.state == Nomination.State.COVERED
                and row.score >= related_selectors.CLOSE
            ),
            None,
        )
    return {
        "related": related,
        "related_read_near": read_near,
        "related_pending": not related and nomination.state != Nomination.State.ARCHIVED,
    }


def _after_propose(request, access, added, existing) -> HttpResponse:
    _report_added(request, added, existing)
    nominations = added + existing
    if len(nominations) == 1:
        return redirect("papers:nomination", access.club.slug, nominations[0].pk)
    return redirect(reverse("papers:backlog", args=[access.club.slug]) + "?sort=new")


@club_view(needs=ANYONE)
def nomination(request: HttpRequest, access: ClubAccess, nomination_id: int) -> HttpResponse:
    item = _nomination(access, nomination_id, request.user, signal_facts=True)
    related = related_context(nomination=item)
    context = {
        "club": access.club,
        "access": access,
        "nomination": item,
        "paper": item.paper,
        **related,
        # The papers the club read from the backlog's cache, as the backlog's
        # cards take them: reading and keying them here cost the bench's
        # five-year club a statement of 250 rows and 1,200 author keys a view.
        "signals": signals.signals_for(
            club=access.club,
            nominations=[item],
            read=selectors.read_papers_cached(club=access.club),
        )[item.pk],
    }
    if access.is_member and item.proposed_by_id == request.user.pk:
        context["can_edit"] = not selectors.others_have_voted(nomination=item)
        context["edit_form"] = NominationEditForm(
            initial={"pitch": item.pitch, "tags": ", ".join(t.name for t in item.tags.all())}
        )
    if access.is_member:
        context["can_edit_details"] = editing.may_edit_details(
            nomination=item, user=request.user, is_organizer=access.is_organizer
        )
    if access.is_organizer:
        context["similar"] = (
            []
            if item.paper.title_is_placeholder
            else [
                n
                for n in proposing.similar_papers(club=access.club, title=item.paper.title)
                if n.pk != item.pk
            ]
        )
        context["tags_form"] = TagsForm(
            initial={"tags": ", ".join(t.name for t in item.tags.all())}
        )
    context["sections"] = page_sections.sections_for(request, access, item)
    return render(request, "papers/nomination.html", context)


@club_view(needs=MEMBER)
def paper_details(request: HttpRequest, access: ClubAccess, nomination_id: int) -> HttpResponse:
    """Correct a paper's details: organizers, and the proposer until others vote."""
    item = _nomination(access, nomination_id)
    if not editing.may_edit_details(
        nomination=item, user=request.user, is_organizer=access.is_organizer
    ):
        raise PermissionDenied(
            "Only the club's organizers, or the person who proposed the paper until others "
            "vote for it, can correct its details."
        )
    here = reverse("papers:nomination", args=[access.club.slug, item.pk])
    if request.method == "POST":
        form = PaperDetailsForm(request.POST, paper=item.paper)
        if form.is_valid():
            try:
                changed = editing.paper_details_edit(
                    nomination=item, user=request.user, details=form.details()
                )
            except services.NotAllowed as error:
                raise PermissionDenied(str(error)) from error
            except services.PaperError as error:
                form.add_error(None, str(error))
            else:
                messages.success(
                    request,
                    "Saved. A later fetch from arXiv keeps what you corrected."
                    if changed
                    else "Nothing changed.",
                )
                return redirect(here)
    else:
        form = PaperDetailsForm.for_paper(item.paper)
    return render(
        request,
        "papers/details.html",
        {
            "club": access.club,
            "access": access,
            "nomination": item,
            "paper": item.paper,
            "form": form,
        },
    )


@club_view(needs=ANYONE)
def paper_status(request: HttpRequest, access: ClubAccess, nomination_id: int) -> HttpResponse:
    """The paper's summary; htmx polls it while a worker is still busy."""
    item = _nomination(access, nomination_id)
    context = {
        "club": access.club,
        "nomination": item,
        "paper": item.paper,
        "heading": "h1" if request.GET.get("heading") == "h1" else "h3",
        "link": bool(request.GET.get("link")),
        "can_retry": access.is_member,
        "can_edit_details": access.is_member
        and editing.may_edit_details(
            nomination=item, user=request.user, is_organizer=access.is_organizer
        ),
    }
    return render(request, "papers/_paper_status.html", context)


@club_view(needs=ANYONE)
def paper_pdf(request: HttpRequest, access: ClubAccess, nomination_id: int) -> HttpResponse:
    """The uploaded PDF, to whoever may see the paper's page (a private club's is a 404)."""
    try:
        paper = selectors.uploaded_pdf_of(club=access.club, nomination_id=nomination_id)
    except Paper.DoesNotExist as error:
        raise Http404("This paper has no uploaded PDF here.") from error
    return storage.pdf_response(paper.pdf_file, filename=storage.pdf_filename(paper.title))


@require_POST
@club_view(needs=MEMBER)
def vote(request: HttpRequest, access: ClubAccess, nomination_id: int) -> HttpResponse:
    try:
        # The service returns the nomination as the button shows it.
        item = services.nomination_vote_toggle_by_id(
            club=access.club,
            nomination_id=nomination_id,
            user=request.user,
            membership=access.membership,
        )
    except Nomination.DoesNotExist as error:
        raise Http404("No such paper in this club.") from error
    except services.NotAllowed as error:
        raise PermissionDenied(str(error)) from error
    except vote_budget.OverBudget as error:
        return _over_budget(request, access, nomination_id, error)
    except services.PaperError as error:
        if request.htmx:
            return HttpResponse(str(error), status=409)
        messages.error(request, str(error))
        return redirect_back(
            request, reverse("papers:nomination", args=[access.club.slug, nomination_id])
        )
    if request.htmx:
        if item.club_weighs_votes:  # annotated by the vote service
            voting = selectors.voting_setup_cached(club=access.club)
            selectors.voting_attach(club=access.club, user=None, nominations=[item], setup=voting)
        return render(
            request,
            "papers/_vote_button.html",
            {"club": access.club, "nomination": item, "can_vote": True},
        )
    return redirect_back(
        request, reverse("papers:backlog", args=[access.club.slug]), anchor=f"vote-{item.pk}"
    )


def _over_budget(
    request: HttpRequest, access: ClubAccess, nomination_id: int, error: vote_budget.OverBudget
) -> HttpResponse:
    """A vote past the budget: nothing changed; the person is told which vote to
    take back (their oldest open one), with a button that takes it back."""
    context = {
        "club": access.club,
        "access": access,
        "error": error,
        "oldest": error.oldest,
        "next": safe_url(request, request.POST.get("next") or "")
        or reverse("papers:backlog", args=[access.club.slug]),
    }
    if request.htmx:
        # The vote button as it was, with the refusal beside it (a 200, so htmx swaps it).
        item = _nomination(access, nomination_id, user=request.user)
        context.update(nomination=item, can_vote=True)
        return render(request, "papers/voting/_over_budget_button.html", context)
    return render(request, "papers/voting/over_budget.html", context, status=409)


@require_POST
@club_view(needs=MEMBER)
def retry_fetch(request: HttpRequest, access: ClubAccess, nomination_id: int) -> HttpResponse:
    item = _nomination(access, nomination_id)
    fetching.paper_metadata_retry(paper=item.paper)
    messages.info(request, "Asking arXiv again…")
    return redirect("papers:nomination", access.club.slug, item.pk)


@require_POST
@club_view(needs=MEMBER)
def edit_own(request: HttpRequest, access: ClubAccess, nomination_id: int) -> HttpResponse:
    item = _nomination(access, nomination_id)
    form = NominationEditForm(request.POST)
    if not form.is_valid():
        messages.error(request, "A pitch is at most 1,000 characters.")
        return redirect("papers:nomination", access.club.slug, item.pk)
    try:
        services.nomination_edit_by_proposer(
            nomination=item,
            user=request.user,
            pitch=form.cleaned_data["pitch"],
            tag_names=split_tags(form.cleaned_data["tags"]),
        )
    except services.NotAllowed as error:
        raise PermissionDenied(str(error)) from error
    except services.PaperError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Saved.")
    return redirect("papers:nomination", access.club.slug, item.pk)


def _back_to_paper(access: ClubAccess, nomination_id: int) -> str:
    return reverse("papers:nomination", args=[access.club.slug, nomination_id])


@require_POST
@club_view(needs=MEMBER)
@confirm_first(
    lambda request, access, nomination_id: Ask(
        question="Withdraw this paper from the backlog?",
        consequence=f"“{_nomination(access, nomination_id).paper.display_title}” leaves the "
        "backlog for everyone; you can propose it again later.",
        button="Yes, withdraw it",
        back=_back_to_paper(access, nomination_id),
    )
)
def withdraw(request: HttpRequest, access: ClubAccess, nomination_id: int) -> HttpResponse:
    item = _nomination(access, nomination_id)
    try:
        services.nomination_withdraw(nomination=item, user=request.user)
    except services.NotAllowed as error:
        raise PermissionDenied(str(error)) from error
    except services.PaperError as error:
        messages.error(request, str(error))
        return redirect("papers:nomination", access.club.slug, item.pk)
    messages.success(request, "Withdrawn from the backlog.")
    return redirect("papers:backlog", access.club.slug)


@require_POST
@club_view(needs=ORGANIZER)
@confirm_first(
    lambda request, access, nomination_id, action: (
        Ask(
            question="Delete this paper from the backlog?",
            consequence=f"“{_nomination(access, nomination_id).paper.display_title}” goes, "
            "with its votes; the activity log can undo it.",
            button="Yes, delete it",
            back=_back_to_paper(access, nomination_id),
        )
        if action == "delete"
        else None
    )
)
def curate(
    request: HttpRequest, access: ClubAccess, nomination_id: int, action: str
) -> HttpResponse:
    """Organizers: pin, unpin, archive, restore, tags, delete (merging: `merge`)."""
    item = _nomination(access, nomination_id)
    here = reverse("papers:nomination", args=[access.club.slug, item.pk])
    try:
        if action in ("pin", "unpin"):
            services.nomination_pin_set(nomination=item, pinned=action == "pin", by=request.user)
            messages.success(request, "Pinned to the top." if action == "pin" else "Unpinned.")
        elif action in ("archive", "restore"):
            services.nomination_archive_set(
                nomination=item, archived=action == "archive", by=request.user
            )
            messages.success(request, "Archived." if action == "archive" else "Restored.")
        elif action == "tags":
            form = TagsForm(request.POST)
            if form.is_valid():
                services.nomination_tags_set(
                    nomination=item, names=split_tags(form.cleaned_data["tags"]), by=request.user
                )
                messages.success(request, "Topics saved.")
        elif action == "delete":
            services.nomination_delete(nomination=item, by=request.user)
            messages.success(request, "Deleted from the backlog.")
            return redirect("papers:backlog", access.club.slug)
    except services.PaperError as error:
        messages.error(request, str(error))
    return redirect(here)


@club_view(needs=ORGANIZER)
def merge(request: HttpRequest, access: ClubAccess, nomination_id: int) -> HttpResponse:
    """Organizers: find a duplicate by title or id, compare the two, confirm.
    GET shows (nothing changes); POST merges, into the one the organizer chose."""
    item = _nomination(access, nomination_id)
    raw = (
        request.POST.get("duplicate") if request.method == "POST" else request.GET.get("duplicate")
    )
    duplicate = None
    if raw:
        if not raw.isdigit() or int(raw) == item.pk:
            raise Http404("Choose another paper of this club.")
        duplicate = _nomination(access, int(raw))
    here = reverse("papers:merge", args=[access.club.slug, item.pk])
    if request.method == "POST":
        if duplicate is None:
            messages.error(request, "Choose the duplicate first.")
            return redirect(here)
        survivor = request.POST.get("survivor")
        if survivor not in (str(item.pk), str(duplicate.pk)):
            messages.error(request, "Choose which of the two stays.")
            return redirect(f"{here}?duplicate={duplicate.pk}")
        keep, other = (item, duplicate) if survivor == str(item.pk) else (duplicate, item)
        try:
            merged = merging.nominations_merge(
                keep=keep, duplicate=other, by=request.user, week_choice_made=True
            )
        except services.PaperError as error:
            messages.error(request, str(error))
            return redirect(f"{here}?duplicate={duplicate.pk}")
        messages.success(
            request,
            f"Merged “{other.paper.display_title}” into this one: each member's vote counts "
            "once. You can undo it from the activity log.",
        )
        return redirect("papers:nomination", access.club.slug, merged.pk)
    query = (request.GET.get("q") or "").strip()[:200]
    context = {"club": access.club, "access": access, "nomination": item, "query": query}
    if duplicate is None:
        context["candidates"] = merging.merge_candidates(nomination=item, query=query)
    else:
        weeks = merging.upcoming_weeks([item.pk, duplicate.pk])
        context.update(
            duplicate=duplicate,
            reasons=merging.merge_reasons(keep=item, duplicate=duplicate),
            comparison=merging.comparison(keep=item, duplicate=duplicate),
            on_week=sorted({name for names in weeks.values() for name in names})
            or (
                ["a coming session"]
                if Nomination.State.SCHEDULED in (item.state, duplicate.state)
                else []
            ),
        )
    return render(request, "papers/merge.html", context)


# --- The club's topics (organizers) -------------------------------------------------------


@club_view(needs=ORGANIZER)
def topics(request: HttpRequest, access: ClubAccess) -> HttpResponse:
    """Organizers: the topics members suggested (accept or reject) and the club's list."""
    return render(
        request,
        "papers/topics.html",
        {
            "club": access.club,
            "access": access,
            "suggestions": list(topic_service.topic_suggestions(club=access.club)),
            "topics": list(topic_service.topic_list(club=access.club)),
        },
    )


@require_POST
@club_view(needs=ORGANIZER)
def topic_decide(
    request: HttpRequest, access: ClubAccess, tag_id: int, decision: str
) -> HttpResponse:
    try:
        if decision == "accept":
            tag = topic_service.topic_accept(club=access.club, tag_id=tag_id, by=request.user)
            messages.success(request, f"“{tag.name}” is on the club's list of topics.")
        else:
            name = topic_service.topic_reject(club=access.club, tag_id=tag_id, by=request.user)
            messages.success(request, f"“{name}” was rejected and taken off its papers.")
    except services.PaperError as error:
        messages.error(request, str(error))
    return redirect("papers:topics", access.club.slug)
