"""Writes for discussion threads: posting, replying, editing and deleting
one's own posts, organizers hiding posts and locking threads, following and
muting.

Who may do what:
- active members post and reply while the thread is open: a session's from the
  moment the week is scheduled, and on after the meeting (not while it needs a
  facilitator, not once it is cancelled); a paper's always; nobody in a locked
  thread;
- a post's author edits it (not in a locked thread) and deletes it;
- organizers hide and show posts and lock and unlock threads (in the club's
  activity log);
- replies are one level deep: a reply to a reply is filed under its top-level post.

The thread's row is locked (SELECT ... FOR UPDATE) by every post and by the
lock, so a reply never slips into a thread an organizer is locking.
"""

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from clubs.activity.services import activity_record, person

from ..errors import NotAllowed, SessionError
from ..models import Post, Thread, ThreadFollow
from ..permissions import require_member, require_organizer
from . import mail
from .subjects import Subject

LOCKED = "This discussion is locked by an organizer: no new posts or replies."
EMPTY = "Write something first."


def _thread(subject: Subject) -> Thread:
    """The subject's thread, written on first use, and locked for this transaction."""
    thread, _ = Thread.objects.get_or_create(
        session=subject.session, nomination=subject.nomination, defaults={"club": subject.club}
    )
    return Thread.objects.select_for_update().get(pk=thread.pk)


def _clean(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise SessionError(EMPTY)
    if len(body) > Post.BODY_MAX:
        raise SessionError(f"A post can be at most {Post.BODY_MAX:,} characters.")
    return body


@transaction.atomic
def post_add(*, subject: Subject, user: User, body: str, parent_id: int | None = None) -> Post:
    """A new post, or a reply to `parent_id`. The author follows the thread
    from then on (unless they muted it)."""
    require_member(subject.club, user)
    body = _clean(body)
    if problem := subject.closed_because():
        raise SessionError(problem)
    thread = _thread(subject)
    if thread.is_locked:
        raise SessionError(LOCKED)
    parent = None
    if parent_id is not None:
        parent = Post.objects.filter(thread=thread, pk=parent_id).first()
        if parent is None:
            raise SessionError("The post you replied to is not in this discussion any more.")
        if parent.parent_id is not None:  # one level deep
            parent = Post.objects.get(pk=parent.parent_id)
        if parent.deleted_at is not None or parent.hidden_at is not None:
            raise SessionError("The post you replied to was removed.")
    post = Post.objects.create(thread=thread, author=user, parent=parent, body=body)
    ThreadFollow.objects.get_or_create(thread=thread, user=user)
    mail.post_added(post=post)  # the followers' mail, owed in this transaction
    return post


def _own_post(post_id: int, user: User) -> Post:
    post = (
        Post.objects.select_for_update(of=("self",))
        .select_related("thread")
        .filter(pk=post_id)
        .first()
    )
    if post is None or post.deleted_at is not None:
        raise SessionError("That post was deleted.")
    if post.author_id != user.pk:
        raise NotAllowed("Only its author can change a post.")
    return post


@transaction.atomic
def post_edit(*, post_id: int, user: User, body: str) -> Post:
    post = _own_post(post_id, user)
    require_member(post.thread.club, user)
    body = _clean(body)
    if Thread.objects.select_for_update().get(pk=post.thread_id).is_locked:
        raise SessionError(LOCKED)
    if body != post.body:
        post.body = body
        post.edited_at = timezone.now()
        post.save(update_fields=["body", "edited_at"])
    return post


@transaction.atomic
def post_delete(*, post_id: int, user: User) -> Post:
    """The author takes their post back: its words go, its place (and any
    replies under it) stay."""
    post = _own_post(post_id, user)
    post.body = ""
    post.deleted_at = timezone.now()
    post.save(update_fields=["body", "deleted_at"])
    return post


def _log(*, thread: Thread, by: User, kind: str, summary: str, data: dict) -> None:
    activity_record(
        club=thread.club_id,
        actor=by,
        kind=kind,
        summary=summary,
        data={"thread": thread.pk, **data},
        subject=thread,
    )


@transaction.atomic
def post_hide(*, subject: Subject, post_id: int, by: User, hidden: bool) -> Post:
    """An organizer hides a post from everyone but the organizers (or shows it again)."""
    require_organizer(subject.club, by)
    post = (
        Post.objects.select_for_update(of=("self",))
        .select_related("thread", "author__profile")
        .filter(pk=post_id, thread__club=subject.club)
        .first()
    )
    if post is None:
        raise SessionError("That post is not in this club.")
    if (post.hidden_at is not None) == hidden:
        return post
    post.hidden_at = timezone.now() if hidden else None
    post.hidden_by = by if hidden else None
    post.save(update_fields=["hidden_at", "hidden_by"])
    author = person(post.author) if post.author else "a former member"
    _log(
        thread=post.thread,
        by=by,
        kind="discussion.hide" if hidden else "discussion.show",
        summary=f"{'hid' if hidden else 'showed again'} a post by {author} in the discussion of "
        f"“{subject.title}”",
        data={"post": post.pk},
    )
    return post


@transaction.atomic
def thread_lock(*, subject: Subject, by: User, locked: bool) -> Thread:
    """An organizer locks a thread (no new posts, replies or edits) or unlocks it."""
    require_organizer(subject.club, by)
    thread = _thread(subject)
    if thread.is_locked == locked:
        return thread
    thread.locked_at = timezone.now() if locked else None
    thread.locked_by = by if locked else None
    thread.save(update_fields=["locked_at", "locked_by"])
    _log(
        thread=thread,
        by=by,
        kind="discussion.lock" if locked else "discussion.unlock",
        summary=f"{'locked' if locked else 'unlocked'} the discussion of “{subject.title}”",
        data={},
    )
    return thread


FOLLOW_CHOICES = ("immediate", "daily", "mute", "none")


@transaction.atomic
def thread_follow_set(*, subject: Subject, user: User, choice: str) -> ThreadFollow | None:
    """Follow a thread with mail for each post ("immediate") or a daily digest
    ("daily"), mute it ("mute": posting no longer follows it), or neither ("none")."""
    require_member(subject.club, user)
    if choice not in FOLLOW_CHOICES:
        raise SessionError("Choose to follow the discussion, get a daily digest, or mute it.")
    thread = _thread(subject)
    if choice == "none":
        ThreadFollow.objects.filter(thread=thread, user=user).delete()
        return None
    state = ThreadFollow.State.MUTED if choice == "mute" else ThreadFollow.State.FOLLOWING
    delivery = ThreadFollow.Delivery.DAILY if choice == "daily" else ThreadFollow.Delivery.IMMEDIATE
    follow, created = ThreadFollow.objects.get_or_create(
        thread=thread, user=user, defaults={"state": state, "delivery": delivery}
    )
    if not created and (follow.state, follow.delivery) != (state, delivery):
        # A new choice starts from now: a digest never repeats what came by email.
        follow.digested_up_to = timezone.now()
        follow.state, follow.delivery = state, delivery
        follow.save(update_fields=["state", "delivery", "digested_up_to"])
    return follow


def thread_move_on_merge(*, from_id: int, to_id: int) -> None:
    """A paper merged into another (papers.merging): its discussion stays. With
    no thread of its own, the kept paper takes the duplicate's thread; else the
    duplicate's posts and followers join the kept thread (a person following
    both keeps the kept thread's choice). Undoing the merge writes the rows back
    as they were (its snapshot was read before this runs)."""
    moving = Thread.objects.select_for_update().filter(nomination_id=from_id).first()
    if moving is None:
        return
    staying = Thread.objects.select_for_update().filter(nomination_id=to_id).first()
    if staying is None:
        Thread.objects.filter(pk=moving.pk).update(nomination_id=to_id)
        return
    Post.objects.filter(thread=moving).update(thread=staying)
    already = ThreadFollow.objects.filter(thread=staying).values("user_id")
    ThreadFollow.objects.filter(thread=moving).exclude(user_id__in=already).update(thread=staying)
