"""Reads for a discussion: one page of a thread, with its replies, for a viewer.

Top-level posts are paginated (PER_PAGE a page, oldest first), each with all
its replies. A deleted post with no visible replies is left out; a hidden post
shows its body to organizers only.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth.models import User
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery

from ..models import Post, Question, Session, Thread, ThreadFollow
from .subjects import Subject

PER_PAGE = 20
TOP_QUESTIONS = 3


def _visible_top_level(thread: Thread) -> QuerySet[Post]:
    live_reply = Post.objects.filter(parent=OuterRef("pk"), deleted_at__isnull=True)
    return (
        Post.objects.filter(thread=thread, parent__isnull=True)
        .filter(Q(deleted_at__isnull=True) | Exists(live_reply))
        .select_related("author__profile")
        .order_by("created_at", "pk")
    )


@dataclass(frozen=True)
class PostsPage:
    """One page of top-level posts: enough for "Earlier" and "Later" links
    without counting the whole thread."""

    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_other_pages(self) -> bool:
        return self.has_previous or self.has_next

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1


@dataclass
class ThreadView:
    subject: Subject
    thread: Thread | None
    page: PostsPage = field(default_factory=lambda: PostsPage(number=1, has_next=False))
    posts: list[Post] = field(default_factory=list)
    follow_choice: str = "none"  # "immediate", "daily", "mute" or "none"
    may_read: bool = True
    may_post: bool = False
    is_organizer: bool = False
    viewer_id: int | None = None
    closed_because: str = ""

    @property
    def locked(self) -> bool:
        return self.thread is not None and self.thread.is_locked

    @property
    def following(self) -> bool:
        return self.follow_choice in ("immediate", "daily")


def _page_number(value: int | str | None) -> int:
    try:
        return max(1, int(value or 1))
    except (TypeError, ValueError):
        return 1


def thread_view(
    *,
    subject: Subject,
    viewer: User | None,
    is_member: bool,
    is_organizer: bool,
    page_number: int | str | None = 1,
) -> ThreadView:
    """Two queries with a thread (the thread with the viewer's follow; the
    page's posts with their replies), one without: the session page shows it
    inside its budget."""
    viewer_id = viewer.pk if viewer is not None and viewer.is_authenticated else None
    threads = Thread.objects.filter(subject.thread_filter())
    if viewer_id is not None and is_member:
        mine = ThreadFollow.objects.filter(thread=OuterRef("pk"), user_id=viewer_id)
        threads = threads.annotate(
            my_state=Subquery(mine.values("state")[:1]),
            my_delivery=Subquery(mine.values("delivery")[:1]),
        )
    thread = threads.first()
    closed = subject.closed_because()
    view = ThreadView(
        subject=subject,
        thread=thread,
        may_read=subject.club.is_public or is_member,
        is_organizer=is_organizer,
        viewer_id=viewer_id,
        closed_because=closed,
        may_post=is_member and not closed and not (thread is not None and thread.is_locked),
    )
    if thread is None or not view.may_read:
        return view
    if getattr(thread, "my_state", None) == ThreadFollow.State.MUTED:
        view.follow_choice = "mute"
    elif getattr(thread, "my_state", None) == ThreadFollow.State.FOLLOWING:
        view.follow_choice = thread.my_delivery  # type: ignore[attr-defined]
    number = _page_number(page_number)
    offset = (number - 1) * PER_PAGE
    window = _visible_top_level(thread).values("pk")[offset : offset + PER_PAGE + 1]
    rows = list(
        Post.objects.filter(
            Q(pk__in=window) | Q(parent__in=window, deleted_at__isnull=True), thread=thread
        )
        .select_related("author__profile")
        .order_by("created_at", "pk")
    )
    tops = [post for post in rows if post.parent_id is None]
    shown = {post.pk for post in tops[:PER_PAGE]}
    replies: dict[int, list[Post]] = {pk: [] for pk in shown}
    for post in rows:
        if post.parent_id in replies:
            replies[post.parent_id].append(post)
    for post in tops[:PER_PAGE]:
        post.shown_replies = replies[post.pk]  # type: ignore[attr-defined]
    view.posts = tops[:PER_PAGE]
    view.page = PostsPage(number=number, has_next=len(tops) > PER_PAGE)
    return view


def page_of(*, post: Post) -> int:
    """Which page of its thread shows `post` (a reply: its parent's page)."""
    top = post.parent or post
    earlier = (
        _visible_top_level(top.thread)
        .filter(Q(created_at__lt=top.created_at) | Q(created_at=top.created_at, pk__lt=top.pk))
        .count()
    )
    return earlier // PER_PAGE + 1


def top_questions(*, session: Session) -> list[Question]:
    """The session's most-voted open questions: how its thread starts."""
    return list(
        Question.objects.filter(session=session, answered_at__isnull=True).order_by(
            "-vote_count", "created_at"
        )[:TOP_QUESTIONS]
    )


def posters_since(club_id: int, since: datetime) -> QuerySet:
    """Who posted in one of the club's discussions since `since` (a sign of
    taking part, registered with clubs.reconfirm.participation)."""
    return Post.objects.filter(thread__club_id=club_id, created_at__gte=since).values_list(
        "author_id", flat=True
    )
