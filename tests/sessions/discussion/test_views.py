"""Discussion threads through the pages: posting and replying (one level deep),
Markdown sanitised, who may read (members only in private clubs) and post,
refusals that change nothing (a locked thread, a week not yet scheduled, an
empty or too long post, which keep the text), editing and deleting one's own,
organizers hiding and locking (in the activity log), follow and mute,
pagination, the paper page and the archive, and query counts."""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from clubs.confirming import CONFIRM_FIELD
from clubs.models import ActivityEntry, Club
from papers.models import Nomination
from sessions.discussion import selectors
from sessions.models import Post, Session, Thread, ThreadFollow
from tests.factories import (
    ClubFactory,
    MembershipFactory,
    NominationFactory,
    QuestionFactory,
    UserFactory,
    session_at,
)
from tests.unchanged import unchanged

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@dataclass
class Scene:
    club: Club
    organizer: object
    member: object
    other: object
    pending: object
    outsider: object
    session: Session  # scheduled for next week
    nomination: Nomination


def _person(club, name: str, role: str = "member", state: str = "active"):
    user = UserFactory(profile__display_name=name)
    MembershipFactory(club=club, user=user, role=role, state=state)
    return user


def _scene(visibility=Club.Visibility.PUBLIC) -> Scene:
    club = ClubFactory(
        visibility=visibility,
        join_policy=Club.JoinPolicy.INVITE
        if visibility == Club.Visibility.PRIVATE
        else Club.JoinPolicy.OPEN,
    )
    facilitator = _person(club, "Fran Facilitator")
    return Scene(
        club=club,
        organizer=_person(club, "Olga Organizer", role="organizer"),
        member=_person(club, "Mara Member"),
        other=_person(club, "Oscar Other"),
        pending=_person(club, "Pat Pending", state="pending"),
        outsider=UserFactory(profile__display_name="Otto Outsider"),
        session=session_at(
            club,
            starts_in=timedelta(days=7),
            facilitator=facilitator,
            notes="## Big idea\nAttention is enough.",
        ),
        nomination=NominationFactory(club=club, paper__title="Attention Is All You Need"),
    )


@pytest.fixture
def scene():
    return _scene()


def _thread_url(scene, kind="session", name="thread"):
    subject_id = scene.session.pk if kind == "session" else scene.nomination.pk
    return reverse(f"discussion:{name}", args=[scene.club.slug, kind, subject_id])


def _post(client, scene, body, *, kind="session", parent=None, headers=None, next_url=""):
    data = {"body": body, "next": next_url}
    if parent is not None:
        data["parent"] = parent.pk
    return client.post(_thread_url(scene, kind, "post"), data, headers=headers or {})


def _say(scene, user, body, parent=None, kind="session"):
    from sessions.discussion import services, subjects  # noqa: PLC0415 - keeps imports short

    subject = (
        subjects.session_subject(scene.club, scene.session)
        if kind == "session"
        else subjects.paper_subject(scene.club, scene.nomination)
    )
    return services.post_add(
        subject=subject, user=user, body=body, parent_id=parent.pk if parent else None
    )


def test_member_posts_without_javascript_and_follows(client, scene):
    client.force_login(scene.member)
    session_page = reverse("sessions:session", args=[scene.club.slug, scene.session.pk])
    response = _post(client, scene, "The *ablations* are thin.", next_url=session_page)
    post = Post.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{session_page}#post-{post.pk}"
    assert (post.author, post.parent, post.body) == (
        scene.member,
        None,
        "The *ablations* are thin.",
    )
    follow = ThreadFollow.objects.get()
    assert (follow.user, follow.state, follow.delivery) == (scene.member, "following", "immediate")
    page = client.get(session_page).content.decode()
    assert "The <em>ablations</em> are thin." in page
    assert 'id="discussion"' in page


def test_htmx_post_answers_with_the_section(client, scene):
    client.force_login(scene.member)
    response = _post(client, scene, "First!", headers=HTMX)
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith("<section")
    assert "First!" in body
    assert "<html" not in body


def test_markdown_is_sanitised(client, scene):
    client.force_login(scene.member)
    _post(client, scene, "hi <script>alert(1)</script> [x](javascript:alert(1)) **bold**")
    body = client.get(_thread_url(scene)).content.decode()
    assert "<strong>bold</strong>" in body
    assert "<script>alert" not in body
    assert "javascript:alert" not in body


def test_a_reply_to_a_reply_is_filed_under_its_top_level_post(client, scene):
    top = _say(scene, scene.member, "Top")
    reply = _say(scene, scene.other, "Reply", parent=top)
    client.force_login(scene.member)
    _post(client, scene, "Reply to the reply", parent=reply)
    assert Post.objects.get(body="Reply to the reply").parent == top
    view = selectors.thread_view(
        subject=_subject(scene), viewer=scene.member, is_member=True, is_organizer=False
    )
    assert [p.body for p in view.posts] == ["Top"]
    assert [r.body for r in view.posts[0].shown_replies] == ["Reply", "Reply to the reply"]


def _subject(scene):
    from sessions.discussion.subjects import session_subject  # noqa: PLC0415

    return session_subject(scene.club, scene.session)


def test_reply_in_a_locked_thread_is_refused_and_the_text_kept(client, scene):
    top = _say(scene, scene.member, "Top")
    client.force_login(scene.organizer)
    assert client.post(_thread_url(scene, name="lock"), {"locked": "1"}).status_code == 302
    assert Thread.objects.get().is_locked
    client.force_login(scene.other)
    with unchanged():
        response = _post(client, scene, "Sneaking in a reply", parent=top)
    assert response.status_code == 400
    body = response.content.decode()
    assert "locked by an organizer" in body
    assert "Sneaking in a reply" in body  # nothing lost: the text is back in the form
    with unchanged():
        response = _post(client, scene, "And a new post", headers=HTMX)
    assert response.status_code == 200
    assert "locked by an organizer" in response.content.decode()
    assert ActivityEntry.objects.filter(club=scene.club, kind="discussion.lock").count() == 1
    # Unlocked, the reply goes in.
    client.force_login(scene.organizer)
    client.post(_thread_url(scene, name="lock"), {"locked": "0"})
    client.force_login(scene.other)
    assert _post(client, scene, "Now it goes in", parent=top).status_code == 302
    assert Post.objects.filter(parent=top).count() == 1


def test_a_member_cannot_lock(client, scene):
    client.force_login(scene.member)
    with unchanged():
        assert client.post(_thread_url(scene, name="lock"), {"locked": "1"}).status_code == 403


@pytest.mark.parametrize(
    ("state", "words"),
    [("open", "opens when the week is scheduled"), ("cancelled", "cancelled")],
)
def test_a_week_not_scheduled_takes_no_posts(client, scene, state, words):
    Session.objects.filter(pk=scene.session.pk).update(state=state, facilitator=None)
    client.force_login(scene.member)
    with unchanged():
        response = _post(client, scene, "Too early")
    assert response.status_code == 400
    assert words in response.content.decode()


def test_the_discussion_goes_on_after_the_meeting(client, scene):
    Session.objects.filter(pk=scene.session.pk).update(
        state="done",
        starts_at=scene.session.starts_at - timedelta(days=14),
        ends_at=scene.session.ends_at - timedelta(days=14),
    )
    client.force_login(scene.member)
    assert _post(client, scene, "Afterthought").status_code == 302


@pytest.mark.parametrize(
    ("body", "words"), [("   ", "Write something first."), ("x" * 10_001, "at most 10,000")]
)
def test_empty_or_too_long_posts_are_refused(client, scene, body, words):
    client.force_login(scene.member)
    with unchanged():
        response = _post(client, scene, body)
    assert response.status_code == 400
    assert words in response.content.decode()


def test_author_edits_and_others_cannot(client, scene):
    post = _say(scene, scene.member, "Typo hre")
    url = reverse("discussion:post_edit", args=[scene.club.slug, post.pk])
    client.force_login(scene.other)
    with unchanged():
        assert client.get(url).status_code == 403
        assert client.post(url, {"body": "Hijacked"}).status_code == 403
    client.force_login(scene.member)
    assert "Typo hre" in client.get(url).content.decode()
    assert client.post(url, {"body": "Typo here"}).status_code == 302
    post.refresh_from_db()
    assert post.body == "Typo here"
    assert post.edited_at is not None


def test_editing_in_a_locked_thread_is_refused(client, scene):
    post = _say(scene, scene.member, "Before the lock")
    Thread.objects.update(locked_at=post.created_at)
    client.force_login(scene.member)
    url = reverse("discussion:post_edit", args=[scene.club.slug, post.pk])
    with unchanged():
        response = client.post(url, {"body": "After the lock"})
    assert response.status_code == 400
    assert "locked" in response.content.decode()


def test_author_deletes_and_replies_stay(client, scene):
    top = _say(scene, scene.member, "Regrettable take")
    _say(scene, scene.other, "A reply worth keeping", parent=top)
    url = reverse("discussion:post_delete", args=[scene.club.slug, top.pk])
    client.force_login(scene.other)
    with unchanged():
        assert client.post(url, {CONFIRM_FIELD: "1"}).status_code == 403
    client.force_login(scene.member)
    with unchanged():  # without confirmation it only asks
        assert client.post(url).status_code == 200
    assert client.post(url, {CONFIRM_FIELD: "1"}).status_code == 302
    body = client.get(_thread_url(scene)).content.decode()
    assert "Regrettable take" not in body
    assert "deleted by its author" in body
    assert "A reply worth keeping" in body


def test_organizer_hides_a_post_from_members_only(client, scene):
    post = _say(scene, scene.member, "Off-topic spam link")
    url = reverse("discussion:post_hide", args=[scene.club.slug, post.pk])
    client.force_login(scene.other)
    with unchanged():
        assert client.post(url, {"hidden": "1"}).status_code == 403
    client.force_login(scene.organizer)
    assert client.post(url, {"hidden": "1"}).status_code == 302
    assert "Off-topic spam link" in client.get(_thread_url(scene)).content.decode()
    client.force_login(scene.other)
    body = client.get(_thread_url(scene)).content.decode()
    assert "Off-topic spam link" not in body
    assert "hidden by an organizer" in body
    client.logout()
    assert "Off-topic spam link" not in client.get(_thread_url(scene)).content.decode()
    entry = ActivityEntry.objects.get(club=scene.club, kind="discussion.hide")
    assert "Mara Member" in entry.summary


def test_public_club_threads_are_readable_by_anyone(client, scene):
    _say(scene, scene.member, "Public thought")
    assert "Public thought" in client.get(_thread_url(scene)).content.decode()
    client.force_login(scene.outsider)
    with unchanged():
        assert _post(client, scene, "Drive-by").status_code == 403


def test_private_club_threads_are_for_members(client):
    scene = _scene(Club.Visibility.PRIVATE)
    _say(scene, scene.member, "Members-only thought")
    session_page = reverse("sessions:session", args=[scene.club.slug, scene.session.pk])
    assert client.get(_thread_url(scene)).status_code == 404
    client.force_login(scene.pending)
    assert client.get(_thread_url(scene)).status_code == 403
    assert "Members-only thought" not in client.get(session_page).content.decode()
    client.force_login(scene.other)
    assert "Members-only thought" in client.get(_thread_url(scene)).content.decode()


def test_thread_of_another_club_is_not_found(client, scene):
    other = _scene()
    client.force_login(scene.member)
    url = reverse("discussion:thread", args=[scene.club.slug, "session", other.session.pk])
    assert client.get(url).status_code == 404


def test_session_thread_starts_with_outline_and_top_questions(client, scene):
    QuestionFactory(session=scene.session, text="Why not RNNs?", vote_count=5)
    QuestionFactory(session=scene.session, text="Least voted", vote_count=0)
    body = client.get(_thread_url(scene)).content.decode()
    assert "Attention is enough." in body
    assert body.index("Why not RNNs?") < body.index("Least voted")


def test_paper_page_shows_its_thread(client, scene):
    client.force_login(scene.member)
    paper_page = reverse("papers:nomination", args=[scene.club.slug, scene.nomination.pk])
    response = _post(client, scene, "Read section 3 first", kind="paper", next_url=paper_page)
    assert response.status_code == 302
    thread = Thread.objects.get()
    assert (thread.nomination, thread.session) == (scene.nomination, None)
    assert "Read section 3 first" in client.get(paper_page).content.decode()


def test_pagination(client, scene):
    posts = [
        _say(scene, scene.member, f"Post number {n:02}") for n in range(selectors.PER_PAGE + 1)
    ]
    first = client.get(_thread_url(scene)).content.decode()
    assert "Post number 00" in first
    assert "Post number 20" not in first
    assert "?page=2" in first
    second = client.get(_thread_url(scene) + "?page=2").content.decode()
    assert "Post number 20" in second
    assert "Post number 00" not in second
    assert selectors.page_of(post=posts[-1]) == 2
    # Posting lands on the page that shows the post.
    client.force_login(scene.other)
    response = _post(client, scene, "Late to the party")
    assert response["Location"].startswith(_thread_url(scene) + "?page=2#post-")


@pytest.mark.parametrize(
    ("choice", "state", "delivery"),
    [
        ("immediate", "following", "immediate"),
        ("daily", "following", "daily"),
        ("mute", "muted", "immediate"),
    ],
)
def test_follow_choices(client, scene, choice, state, delivery):
    client.force_login(scene.member)
    response = client.post(_thread_url(scene, name="follow"), {"choice": choice}, headers=HTMX)
    assert response.status_code == 200
    follow = ThreadFollow.objects.get(user=scene.member)
    assert (follow.state, follow.delivery) == (state, delivery)
    client.post(_thread_url(scene, name="follow"), {"choice": "none"})
    assert not ThreadFollow.objects.exists()


def test_muted_thread_stays_muted_when_posting(client, scene):
    client.force_login(scene.member)
    client.post(_thread_url(scene, name="follow"), {"choice": "mute"})
    _post(client, scene, "Just this once")
    assert ThreadFollow.objects.get(user=scene.member).state == "muted"


def test_archive_links_each_past_weeks_thread(client, scene):
    past = session_at(
        scene.club, starts_in=-timedelta(days=7), state="done", facilitator=scene.member
    )
    body = client.get(reverse("sessions:archive", args=[scene.club.slug])).content.decode()
    assert reverse("discussion:thread", args=[scene.club.slug, "session", past.pk]) in body


@pytest.mark.parametrize("count", [1, 8])
def test_thread_page_query_count_is_constant(client, scene, django_assert_num_queries, count):
    for n in range(count):
        top = _say(scene, scene.member, f"Top {n}")
        _say(scene, scene.other, f"Reply {n}", parent=top)
    client.force_login(scene.member)
    with django_assert_num_queries(9):
        response = client.get(_thread_url(scene))
    assert response.status_code == 200


def test_a_post_counts_as_taking_part(scene):
    """For the re-confirmation of quiet members (clubs.reconfirm.participation)."""
    from clubs.reconfirm import participation  # noqa: PLC0415

    since = timezone.now() - timedelta(days=1)
    assert scene.member.pk not in participation.took_part(club_id=scene.club.pk, since=since)
    _say(scene, scene.member, "Still here")
    assert scene.member.pk in participation.took_part(club_id=scene.club.pk, since=since)
    assert scene.member.pk not in participation.took_part(
        club_id=scene.club.pk, since=timezone.now() + timedelta(minutes=1)
    )
