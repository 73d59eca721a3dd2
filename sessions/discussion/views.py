"""Discussion pages and their forms.

The thread page is for whoever may see the club, but a private club's threads
are for its members only (403 for someone waiting for approval). Every change
is a members-only POST (@club_view(needs=MEMBER)); the services decide the rest
(NotAllowed becomes a 403). With htmx a post or a follow answers with the
discussion section; without it, a redirect to the post, or the page again with
the text kept and the error beside it.
"""

from django.contrib import messages
from django.contrib.auth.models import User
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django_htmx.middleware import HtmxDetails

from clubs.confirming import Ask, confirm_first
from clubs.permissions import ANYONE, MEMBER, ClubAccess, club_view
from clubs.redirects import safe_url

from ..errors import NotAllowed, SessionError
from ..models import Post, Thread
from . import mail, selectors, services
from .forms import FollowForm, PostForm
from .subjects import (
    SESSION,
    Subject,
    paper_subject,
    session_papers_prefetch,
    session_subject,
    subject_get,
    subject_of_thread,
    subject_prefetch,
)


class SignedInRequest(HttpRequest):
    htmx: HtmxDetails
    user: User


def discussion_context(
    request: HttpRequest,
    access: ClubAccess,
    subject: Subject,
    *,
    page_number: int | str | None = 1,
    form: PostForm | None = None,
    error: str = "",
) -> dict:
    """What a page that shows the thread needs (the session page, the paper
    page and the thread's own page)."""
    viewer = request.user if isinstance(request.user, User) else None
    return {
        "discussion": selectors.thread_view(
            subject=subject,
            viewer=viewer,
            is_member=access.is_member,
            is_organizer=access.is_organizer,
            page_number=page_number,
        ),
        "post_form": form or PostForm(),
        "discussion_error": error,
        "follow_form": FollowForm(),
    }


def session_discussion_context(request: HttpRequest, access: ClubAccess, session) -> dict:
    return discussion_context(request, access, session_subject(access.club, session))


def paper_discussion_section(request: HttpRequest, access: ClubAccess, nomination) -> dict:
    """The paper page's discussion (registered with papers.page_sections)."""
    return {
        "club": access.club,
        "access": access,
        "next": request.get_full_path(),
        **discussion_context(request, access, paper_subject(access.club, nomination)),
    }


def _may_read(access: ClubAccess) -> None:
    if not (access.club.is_public or access.is_member):
        raise PermissionDenied("This club's discussions are for its members.")


def _render_thread(
    request: HttpRequest, access: ClubAccess, subject: Subject, *, status: int = 200, **kwargs
) -> HttpResponse:
    page = kwargs.pop("page_number", request.GET.get("page") or 1)
    context = {
        "club": access.club,
        "access": access,
        "subject": subject,
        "next": request.get_full_path(),
        **discussion_context(request, access, subject, page_number=page, **kwargs),
    }
    if subject.session is not None:
        context["top_questions"] = selectors.top_questions(session=subject.session)
    return render(request, "sessions/discussion/thread.html", context, status=status)


def _section(request: HttpRequest, access: ClubAccess, subject: Subject, **kwargs) -> HttpResponse:
    context = {
        "club": access.club,
        "access": access,
        "next": safe_url(request, request.POST.get("next", "")) or subject.thread_url,
        **discussion_context(request, access, subject, **kwargs),
    }
    return render(request, "sessions/discussion/_thread.html", context)


@club_view(needs=ANYONE)
def thread(request: HttpRequest, access: ClubAccess, kind: str, subject_id: int) -> HttpResponse:
    _may_read(access)
    return _render_thread(request, access, subject_get(access.club, kind, subject_id))


def _to_post(request: HttpRequest, subject: Subject, post: Post) -> HttpResponse:
    page = selectors.page_of(post=post)
    back = safe_url(request, request.POST.get("next", ""))
    if page == 1 and back:
        return redirect(f"{back.split('#')[0]}#post-{post.pk}")
    return redirect(f"{subject.thread_url}?page={page}#post-{post.pk}")


@require_POST
@club_view(needs=MEMBER)
def post(request: SignedInRequest, access: ClubAccess, kind: str, subject_id: int) -> HttpResponse:
    """A new post, or a reply (`parent`)."""
    subject = subject_get(access.club, kind, subject_id)
    form = PostForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            new = services.post_add(
                subject=subject,
                user=request.user,
                body=form.cleaned_data["body"],
                parent_id=form.cleaned_data["parent"],
            )
        except NotAllowed as refusal:
            raise PermissionDenied(str(refusal)) from refusal
        except SessionError as refusal:
            error = str(refusal)
        else:
            if request.htmx:
                return _section(request, access, subject, page_number=selectors.page_of(post=new))
            messages.success(request, "Posted. You follow this discussion now.")
            return _to_post(request, subject, new)
    else:
        error = "; ".join(str(e) for errors in form.errors.values() for e in errors)
    # Refused: the text stays in the form, the reason beside it.
    if request.htmx:
        return _section(request, access, subject, form=form, error=error)
    return _render_thread(request, access, subject, form=form, error=error, status=400)


@require_POST
@club_view(needs=MEMBER)
def follow(
    request: SignedInRequest, access: ClubAccess, kind: str, subject_id: int
) -> HttpResponse:
    subject = subject_get(access.club, kind, subject_id)
    form = FollowForm(request.POST)
    error = ""
    if not form.is_valid():
        error = "Choose to follow the discussion, get a daily digest, or mute it."
    else:
        try:
            services.thread_follow_set(
                subject=subject, user=request.user, choice=form.cleaned_data["choice"]
            )
        except NotAllowed as refusal:
            raise PermissionDenied(str(refusal)) from refusal
        except SessionError as refusal:
            error = str(refusal)
    if request.htmx:
        return _section(request, access, subject, error=error)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _follow_words(form.cleaned_data["choice"]))
    back = safe_url(request, request.POST.get("next", "")) or subject.thread_url
    return redirect(f"{back.split('#')[0]}#discussion")


def _follow_words(choice: str) -> str:
    return {
        "immediate": "You follow this discussion: an email for each new post.",
        "daily": "You follow this discussion: one email a day with what is new.",
        "none": "You no longer follow this discussion.",
        "mute": "Muted: no mail from this discussion, even when you post in it.",
    }[choice]


@require_POST
@club_view(needs=MEMBER)
def lock(request: SignedInRequest, access: ClubAccess, kind: str, subject_id: int) -> HttpResponse:
    subject = subject_get(access.club, kind, subject_id)
    locked = request.POST.get("locked", "1") == "1"
    try:
        services.thread_lock(subject=subject, by=request.user, locked=locked)
    except NotAllowed as refusal:
        raise PermissionDenied(str(refusal)) from refusal
    messages.success(
        request,
        "Locked: nobody can post or reply until you unlock it." if locked else "Unlocked.",
    )
    back = safe_url(request, request.POST.get("next", "")) or subject.thread_url
    return redirect(f"{back.split('#')[0]}#discussion")


def _post(access: ClubAccess, post_id: int) -> tuple[Post, Subject]:
    found = get_object_or_404(
        Post.objects.select_related("thread"), pk=post_id, thread__club=access.club
    )
    thread = found.thread
    if thread.session_id is not None:
        subject = subject_get(access.club, SESSION, thread.session_id)
    else:
        subject = subject_get(access.club, "paper", thread.nomination_id or 0)
    return found, subject


@club_view(needs=MEMBER)
def post_edit(request: SignedInRequest, access: ClubAccess, post_id: int) -> HttpResponse:
    """The author edits their post: a page of its own (works without JavaScript)."""
    found, subject = _post(access, post_id)
    if found.author_id != request.user.pk:
        raise PermissionDenied("Only its author can edit a post.")
    if found.deleted_at is not None:
        messages.error(request, "That post was deleted.")
        return redirect(subject.thread_url)
    form = PostForm(request.POST or None, initial={"body": found.body})
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            services.post_edit(post_id=found.pk, user=request.user, body=form.cleaned_data["body"])
        except NotAllowed as refusal:
            raise PermissionDenied(str(refusal)) from refusal
        except SessionError as refusal:
            error = str(refusal)
        else:
            messages.success(request, "Saved.")
            return _to_post(request, subject, found)
    return render(
        request,
        "sessions/discussion/post_edit.html",
        {
            "club": access.club,
            "access": access,
            "subject": subject,
            "post": found,
            "form": form,
            "error": error,
            "next": safe_url(request, request.GET.get("next", "") or request.POST.get("next", "")),
        },
        status=400 if request.method == "POST" else 200,
    )


@require_POST
@club_view(needs=MEMBER)
@confirm_first(
    lambda request, access, post_id: Ask(
        question="Delete your post?",
        consequence="Its words are removed for good; replies to it stay.",
        button="Yes, delete it",
    )
)
def post_delete(request: SignedInRequest, access: ClubAccess, post_id: int) -> HttpResponse:
    found, subject = _post(access, post_id)
    try:
        services.post_delete(post_id=found.pk, user=request.user)
    except NotAllowed as refusal:
        raise PermissionDenied(str(refusal)) from refusal
    except SessionError as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, "Your post was deleted.")
    back = safe_url(request, request.POST.get("next", "")) or subject.thread_url
    return redirect(f"{back.split('#')[0]}#discussion")


@require_POST
@club_view(needs=MEMBER)
def post_hide(request: SignedInRequest, access: ClubAccess, post_id: int) -> HttpResponse:
    """An organizer hides a post (or shows it again)."""
    found, subject = _post(access, post_id)
    hidden = request.POST.get("hidden", "1") == "1"
    try:
        services.post_hide(subject=subject, post_id=found.pk, by=request.user, hidden=hidden)
    except NotAllowed as refusal:
        raise PermissionDenied(str(refusal)) from refusal
    messages.success(request, "Hidden from members." if hidden else "Shown again.")
    return _to_post(request, subject, found)


@csrf_exempt  # mail clients POST the one-click unsubscribe; the signature is the check
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """Anyone holding a signed link from a discussion email; no sign-in needed.
    GET asks (mail scanners follow links); POST, or a mail client's one-click
    List-Unsubscribe-Post, does it."""
    try:
        found = mail.unsubscribe_read(token=token)
    except signing.BadSignature:
        return render(
            request, "sessions/discussion/unsubscribe.html", {"invalid": True}, status=400
        )
    context: dict = {"token": token, "all": found.thread is None}
    if found.thread is not None:
        context["subject"] = subject_of_thread(
            Thread.objects.select_related(*subject_prefetch())
            .prefetch_related(session_papers_prefetch())
            .get(pk=found.thread.pk)
        )
    if request.method == "POST":
        mail.unsubscribe_apply(token=token)
        context["done"] = True
    return render(request, "sessions/discussion/unsubscribe.html", context)
