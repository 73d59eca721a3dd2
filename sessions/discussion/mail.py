"""Discussion mail through the outbox (clubs/outbox): an email for each new
post to those who follow its thread "immediately", and a daily digest to those
who chose one, each with a one-click unsubscribe (a signed link).

- A new post owes a fan-out (`post_added`, in the post's own transaction): a
  worker lists the thread's followers then; each message is built when it is
  sent, from the post as it is then (deleted or hidden since: skipped; the
  reader no longer follows or left the club: skipped).
- The digest is a beat job (`digests_enqueue`, "sessions.discussion_digests",
  in the embedded beat too): a member whose daily follows have not been
  digested for a day and whose threads have new posts by others is owed one
  message (one row per person per day: running twice owes nothing twice), and
  those follows move on in the same transaction.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from clubs.models import Membership, OutboxFanOut, OutboxMessage
from clubs.outbox import kinds as outbox_kinds
from clubs.outbox.services import outbox_enqueue, outbox_fan_out
from clubs.templatetags.paperclub import display_name

from ..models import Post, Thread, ThreadFollow
from .selectors import page_of
from .subjects import Subject, session_papers_prefetch, subject_of_thread, subject_prefetch

POST_KIND = "discussion.post"
DIGEST_KIND = "discussion.digest"
DIGEST_EVERY = timedelta(days=1)
UNSUBSCRIBE_SALT = "paperclub.discussion.unsubscribe"
ALL_THREADS = 0  # in an unsubscribe link: every discussion


# --- One-click unsubscribe --------------------------------------------------------------


def unsubscribe_token(*, user_id: int, thread_id: int) -> str:
    return signing.dumps({"u": user_id, "t": thread_id}, salt=UNSUBSCRIBE_SALT, compress=True)


def unsubscribe_url(*, user_id: int, thread_id: int) -> str:
    token = unsubscribe_token(user_id=user_id, thread_id=thread_id)
    return settings.SITE_URL + reverse("discussion:unsubscribe", args=[token])


@dataclass(frozen=True)
class Unsubscription:
    user: User
    thread: Thread | None  # None: every discussion


def unsubscribe_read(*, token: str) -> Unsubscription:
    """Raises signing.BadSignature for a tampered or made-up link."""
    data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    user_id, thread_id = data.get("u"), data.get("t")
    if not isinstance(user_id, int) or not isinstance(thread_id, int):
        raise signing.BadSignature("Unknown unsubscribe link.")
    user = get_user_model().objects.filter(pk=user_id).first()
    thread = Thread.objects.filter(pk=thread_id).first() if thread_id != ALL_THREADS else None
    if user is None or (thread_id != ALL_THREADS and thread is None):
        raise signing.BadSignature("This link's person or discussion is gone.")
    return Unsubscription(user=user, thread=thread)


@transaction.atomic
def unsubscribe_apply(*, token: str) -> Unsubscription:
    """No sign-in: stop mail from this discussion (or from all of them). The
    follow becomes a mute, so posting there later does not follow it again."""
    request = unsubscribe_read(token=token)
    if request.thread is not None:
        ThreadFollow.objects.update_or_create(
            thread=request.thread, user=request.user, defaults={"state": ThreadFollow.State.MUTED}
        )
    else:
        ThreadFollow.objects.filter(user=request.user).update(state=ThreadFollow.State.MUTED)
    return request


# --- Owing mail -------------------------------------------------------------------------


def post_added(*, post: Post) -> None:
    """Owe the thread's followers an email about `post` (call inside the post's transaction)."""
    outbox_fan_out(
        kind=POST_KIND,
        topic=f"discussion:post:{post.pk}",
        club=post.thread.club,
        subject_id=post.pk,
    )


def _active_member(club_id: int) -> Exists:
    return Exists(
        Membership.objects.filter(
            club_id=club_id, user=OuterRef("user"), state=Membership.State.ACTIVE
        )
    )


@transaction.atomic
def digests_enqueue(*, now: datetime | None = None) -> int:
    """Owe a digest to each member whose daily follows are due and have news;
    returns how many people were owed one."""
    now = now or timezone.now()
    newer_by_others = Post.objects.filter(
        thread=OuterRef("thread"),
        created_at__gt=OuterRef("digested_up_to"),
        created_at__lte=now,
        deleted_at__isnull=True,
        hidden_at__isnull=True,
    ).exclude(author=OuterRef("user"))
    due = list(
        ThreadFollow.objects.select_for_update(of=("self",))
        .filter(
            state=ThreadFollow.State.FOLLOWING,
            delivery=ThreadFollow.Delivery.DAILY,
            digested_up_to__lte=now - DIGEST_EVERY,
        )
        .filter(Exists(newer_by_others))
        .filter(
            Exists(
                Membership.objects.filter(
                    club_id=OuterRef("thread__club_id"),
                    user=OuterRef("user"),
                    state=Membership.State.ACTIVE,
                )
            )
        )
        .select_related("user")
        .order_by("user_id", "thread_id")
    )
    by_user: dict[int, list[ThreadFollow]] = defaultdict(list)
    for follow in due:
        by_user[follow.user_id].append(follow)
    for user_id, follows in by_user.items():
        user = follows[0].user
        outbox_enqueue(
            kind=DIGEST_KIND,
            topic=f"discussion:digest:{user_id}:{now:%Y-%m-%d}",
            recipients=[outbox_kinds.Recipient(address=user.email, user_id=user_id)],
            subject_id=user_id,
            payload={
                "threads": {str(f.thread_id): f.digested_up_to.isoformat() for f in follows},
                "until": now.isoformat(),
            },
        )
    ThreadFollow.objects.filter(pk__in=[f.pk for f in due]).update(digested_up_to=now)
    return len(by_user)


# --- What the messages say --------------------------------------------------------------


def _post_url(subject: Subject, post: Post) -> str:
    """The post on the page of its thread that shows it (20 posts a page)."""
    page = page_of(post=post)
    query = f"?page={page}" if page > 1 else ""
    return f"{settings.SITE_URL}{subject.thread_url}{query}#post-{post.pk}"


def _headers(message_id: str, unsubscribe: str) -> dict:
    return {
        "Message-ID": message_id,
        "List-Unsubscribe": f"<{unsubscribe}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "Auto-Submitted": "auto-generated",
    }


def _email(*, subject: str, to: User, template: str, context: dict, headers: dict):
    context = {"site_name": settings.SITE_NAME, "name": display_name(to), **context}
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"sessions/discussion/email/{template}.txt", context),
        to=[to.email],
        headers=headers,
    )
    message.attach_alternative(
        render_to_string(f"sessions/discussion/email/{template}.html", context), "text/html"
    )
    return message


def _visible(post: Post | None) -> bool:
    return post is not None and post.deleted_at is None and post.hidden_at is None


@dataclass
class PostBatch:
    posts: dict[int, Post]
    people: dict[int, User]
    following: set[tuple[int, int]]  # (thread, user) following with mail per post


def _people(ids) -> dict[int, User]:
    return {
        user.pk: user
        for user in get_user_model()
        .objects.filter(pk__in=set(ids))
        .select_related("profile", "mail_preferences")
    }


def _takes_mail(user: User) -> bool:
    """Not someone who said "no email from Paper Club at all" (sessions.mail)."""
    preferences = getattr(user, "mail_preferences", None)
    return user.is_active and not (preferences is not None and preferences.no_email)


class PostMail(outbox_kinds.MessageKind):
    name = POST_KIND
    label = "A new post in a discussion you follow"
    subject_type = "post"

    def audience(self, fan_out: OutboxFanOut):
        post = Post.objects.select_related("thread").filter(pk=fan_out.subject_id or 0).first()
        if not _visible(post):
            return []
        assert post is not None
        followers = (
            ThreadFollow.objects.filter(
                thread_id=post.thread_id,
                state=ThreadFollow.State.FOLLOWING,
                delivery=ThreadFollow.Delivery.IMMEDIATE,
            )
            .exclude(user_id=post.author_id or 0)
            .filter(_active_member(post.thread.club_id))
            .values_list("user_id", "user__email")
            .order_by("user_id")
        )
        return [outbox_kinds.Recipient(address=email, user_id=pk) for pk, email in followers]

    def fan_out_current(self, fan_out: OutboxFanOut) -> bool:
        return Post.objects.filter(pk=fan_out.subject_id or 0).exists()

    def prepare(self, messages: list[OutboxMessage], memo: dict) -> PostBatch:
        posts = {
            post.pk: post
            for post in Post.objects.filter(pk__in={m.subject_id for m in messages})
            .select_related(
                "author__profile", "parent__author__profile", *subject_prefetch("thread__")
            )
            .prefetch_related(session_papers_prefetch("thread__"))
        }
        user_ids = {m.recipient_id for m in messages if m.recipient_id}
        following = set(
            ThreadFollow.objects.filter(
                thread_id__in={p.thread_id for p in posts.values()},
                user_id__in=user_ids,
                state=ThreadFollow.State.FOLLOWING,
                delivery=ThreadFollow.Delivery.IMMEDIATE,
            )
            .filter(
                Exists(
                    Membership.objects.filter(
                        club_id=OuterRef("thread__club_id"),
                        user=OuterRef("user"),
                        state=Membership.State.ACTIVE,
                    )
                )
            )
            .values_list("thread_id", "user_id")
        )
        return PostBatch(posts=posts, people=_people(user_ids), following=following)

    def render(self, message: OutboxMessage, context: PostBatch):
        post = context.posts.get(message.subject_id or 0)
        user = context.people.get(message.recipient_id or 0)
        if post is None or user is None or not _takes_mail(user) or not _visible(post):
            return None  # deleted or hidden since, or the person is gone or takes no email
        if (post.thread_id, user.pk) not in context.following:
            return None  # they stopped following, muted it, or left the club
        subject = subject_of_thread(post.thread)
        author = display_name(post.author) if post.author else "A former member"
        unsubscribe = unsubscribe_url(user_id=user.pk, thread_id=post.thread_id)
        replied_to = post.parent if post.parent_id else None
        return _email(
            subject=f"{author} in “{subject.title}” ({subject.club.name})"[:250],
            to=user,
            template="post",
            context={
                "post": post,
                "author": author,
                "replied_to": display_name(replied_to.author)
                if replied_to and replied_to.author
                else "",
                "subject": subject,
                "post_url": _post_url(subject, post),
                "unsubscribe_url": unsubscribe,
            },
            headers=_headers(self.message_id(message, context), unsubscribe),
        )


@dataclass
class DigestBatch:
    people: dict[int, User]


class DigestMail(outbox_kinds.MessageKind):
    name = DIGEST_KIND
    label = "A daily digest of the discussions you follow"
    subject_type = "person"

    def prepare(self, messages: list[OutboxMessage], memo: dict) -> DigestBatch:
        return DigestBatch(people=_people(m.recipient_id for m in messages if m.recipient_id))

    def render(self, message: OutboxMessage, context: DigestBatch):
        user = context.people.get(message.recipient_id or 0)
        if user is None or not _takes_mail(user):
            return None
        until = datetime.fromisoformat(message.payload["until"])
        since = {int(k): datetime.fromisoformat(v) for k, v in message.payload["threads"].items()}
        news = Q()
        for thread_id, start in since.items():
            news |= Q(thread_id=thread_id, created_at__gt=start)
        posts = list(
            Post.objects.filter(news, created_at__lte=until, deleted_at__isnull=True)
            .filter(hidden_at__isnull=True)
            .exclude(author=user)
            .filter(
                # Still following, and still a member, when it is sent.
                Exists(
                    ThreadFollow.objects.filter(
                        thread=OuterRef("thread"), user=user, state=ThreadFollow.State.FOLLOWING
                    )
                ),
                Exists(
                    Membership.objects.filter(
                        club_id=OuterRef("thread__club_id"),
                        user=user,
                        state=Membership.State.ACTIVE,
                    )
                ),
            )
            .select_related("author__profile", *subject_prefetch("thread__"))
            .prefetch_related(session_papers_prefetch("thread__"))
            .order_by("thread_id", "created_at", "pk")
        )
        if not posts:
            return None  # everything was deleted or hidden since, or they stopped following
        threads: dict[int, dict] = {}
        for post in posts:
            if post.thread_id not in threads:
                subject = subject_of_thread(post.thread)
                threads[post.thread_id] = {"subject": subject, "posts": [], "url": ""}
                threads[post.thread_id]["url"] = f"{settings.SITE_URL}{subject.thread_url}"
            threads[post.thread_id]["posts"].append(
                {
                    "post": post,
                    "author": display_name(post.author) if post.author else "A former member",
                    "url": _post_url(threads[post.thread_id]["subject"], post),
                }
            )
        unsubscribe = unsubscribe_url(user_id=user.pk, thread_id=ALL_THREADS)
        count = len(posts)
        return _email(
            subject=f"{count} new post{'s' if count != 1 else ''} in the discussions you follow",
            to=user,
            template="digest",
            context={"threads": list(threads.values()), "unsubscribe_url": unsubscribe},
            headers=_headers(self.message_id(message, context), unsubscribe),
        )


def register_discussion_mail() -> None:
    outbox_kinds.register(PostMail())
    outbox_kinds.register(DigestMail())
