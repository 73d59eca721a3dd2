"""Discussion mail through the outbox: an email for each new post to those who
follow the thread, a daily digest for those who chose one (a beat job that the
embedded beat runs too), and one-click unsubscribe by a signed link (a
tampered link changes nothing)."""

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from clubs.models import Membership, OutboxMessage
from clubs.outbox.sending import outbox_flush
from paperclub.celery_app import app
from paperclub.embedded_beat import entries_from_settings, run_entry
from sessions.discussion import mail as discussion_mail
from sessions.discussion import services
from sessions.discussion.selectors import PER_PAGE
from sessions.discussion.subjects import session_subject
from sessions.models import MailPreferences, Post, Session, ThreadFollow
from tests.factories import (
    ClubFactory,
    MembershipFactory,
    SessionPaperFactory,
    UserFactory,
    session_at,
)
from tests.unchanged import unchanged

pytestmark = pytest.mark.django_db


def _person(club, name: str):
    user = UserFactory(profile__display_name=name)
    MembershipFactory(club=club, user=user)
    return user


@pytest.fixture
def week():
    club = ClubFactory(name="Attention Club")
    facilitator = _person(club, "Fran Facilitator")
    session = session_at(
        club, starts_in=timedelta(days=3), facilitator=facilitator, title="Attention Is All"
    )
    return session_subject(club, session), facilitator


def _follow(subject, user, choice):
    return services.thread_follow_set(subject=subject, user=user, choice=choice)


def _sent():
    mail.outbox.clear()
    outbox_flush()
    return list(mail.outbox)


def test_new_post_mails_each_immediate_follower_once(week):
    subject, facilitator = week
    club = subject.club
    reader = _person(club, "Rita Reader")
    digester = _person(club, "Dora Digest")
    muted = _person(club, "Mo Muted")
    _follow(subject, reader, "immediate")
    _follow(subject, digester, "daily")
    _follow(subject, muted, "mute")
    services.post_add(subject=subject, user=facilitator, body="Read **section 3** first.")
    sent = _sent()
    assert [m.to for m in sent] == [[reader.email]]  # not the author, the digest or the muted
    message = sent[0]
    assert message.subject == "Fran Facilitator in “Attention Is All” (Attention Club)"
    assert "Read **section 3** first." in message.body
    html = message.alternatives[0][0]
    assert "<strong>section 3</strong>" in html
    post = Post.objects.get()
    assert f"discussion/session/{subject.pk}/#post-{post.pk}" in message.body
    unsubscribe = message.extra_headers["List-Unsubscribe"].strip("<>")
    assert unsubscribe in message.body
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # Sent once: flushing again sends nothing.
    assert _sent() == []


def test_a_reply_says_whom_it_answers(week):
    subject, facilitator = week
    reader = _person(subject.club, "Rita Reader")
    top = services.post_add(subject=subject, user=reader, body="Why not RNNs?")  # follows
    _sent()
    services.post_add(subject=subject, user=facilitator, body="Speed.", parent_id=top.pk)
    (message,) = _sent()
    assert message.to == [reader.email]
    assert "Fran Facilitator replied to Rita Reader" in message.body


def test_a_post_deleted_or_hidden_before_sending_is_not_mailed(week):
    subject, facilitator = week
    reader = _person(subject.club, "Rita Reader")
    _follow(subject, reader, "immediate")
    post = services.post_add(subject=subject, user=facilitator, body="Oops, wrong thread")
    services.post_delete(post_id=post.pk, user=facilitator)
    assert _sent() == []


def test_a_follower_who_left_the_club_gets_nothing(week):
    subject, facilitator = week
    reader = _person(subject.club, "Rita Reader")
    _follow(subject, reader, "immediate")
    services.post_add(subject=subject, user=facilitator, body="News")
    Membership.objects.filter(user=reader).update(state=Membership.State.LEFT)
    assert _sent() == []


def test_a_follower_who_takes_no_email_at_all_gets_nothing(week):
    subject, facilitator = week
    reader, digester = _person(subject.club, "Nell Nomail"), _person(subject.club, "Dan Nomail")
    _follow(subject, reader, "immediate")
    _follow(subject, digester, "daily")
    for user in (reader, digester):
        MailPreferences.objects.create(user=user, no_email=True)
    _age_follows()
    services.post_add(subject=subject, user=facilitator, body="News")
    discussion_mail.digests_enqueue()

    assert _sent() == []


def _age_follows(days: float = 1.5) -> None:
    ThreadFollow.objects.update(digested_up_to=timezone.now() - timedelta(days=days))


def test_daily_digest_once_a_day_with_every_new_post(week):
    subject, facilitator = week
    club = subject.club
    digester = _person(club, "Dora Digest")
    other = _person(club, "Oscar Other")
    _follow(subject, digester, "daily")
    _age_follows()
    services.post_add(subject=subject, user=facilitator, body="First news")
    services.post_add(subject=subject, user=other, body="Second news")
    services.post_add(subject=subject, user=digester, body="My own words")
    mail.outbox.clear()
    outbox_flush()  # the immediate mails (to the posters who follow by posting)
    assert digester.email not in [m.to[0] for m in mail.outbox]
    assert discussion_mail.digests_enqueue() == 1
    assert discussion_mail.digests_enqueue() == 0  # nothing owed twice
    (digest,) = _sent()
    assert digest.to == [digester.email]
    assert digest.subject == "2 new posts in the discussions you follow"
    assert "First news" in digest.body
    assert "Second news" in digest.body
    assert "My own words" not in digest.body
    assert "Stop emails from all discussions" in digest.body
    # A day has not passed: the next post waits for tomorrow's digest.
    services.post_add(subject=subject, user=other, body="Third news")
    assert discussion_mail.digests_enqueue() == 0
    later = timezone.now() + timedelta(days=1, minutes=1)
    assert discussion_mail.digests_enqueue(now=later) == 1
    (second,) = [m for m in _sent() if m.to == [digester.email]]
    assert "Third news" in second.body
    assert "First news" not in second.body


def test_digest_with_nothing_left_to_say_is_skipped(week):
    subject, facilitator = week
    digester = _person(subject.club, "Dora Digest")
    _follow(subject, digester, "daily")
    _age_follows()
    post = services.post_add(subject=subject, user=facilitator, body="Soon deleted")
    assert discussion_mail.digests_enqueue() == 1
    services.post_delete(post_id=post.pk, user=facilitator)
    assert _sent() == []
    row = OutboxMessage.objects.get(kind="discussion.digest")
    assert row.state == OutboxMessage.State.SKIPPED


@pytest.mark.django_db(transaction=True)  # the beat closes old connections after each job
def test_digest_job_runs_in_the_embedded_beat(week):
    subject, facilitator = week
    digester = _person(subject.club, "Dora Digest")
    _follow(subject, digester, "daily")
    _age_follows()
    services.post_add(subject=subject, user=facilitator, body="Beat news")
    app.loader.import_default_modules()  # as EmbeddedBeat.run does (autodiscovery is lazy)
    (entry,) = [e for e in entries_from_settings() if e.task == "sessions.discussion_digests"]
    run_entry(entry)
    assert OutboxMessage.objects.filter(kind="discussion.digest", recipient=digester).count() == 1


def test_one_click_unsubscribe_mutes_the_thread(week):
    subject, facilitator = week
    reader = _person(subject.club, "Rita Reader")
    _follow(subject, reader, "immediate")
    services.post_add(subject=subject, user=facilitator, body="News")
    (message,) = _sent()
    url = message.extra_headers["List-Unsubscribe"].strip("<>").split("testserver")[-1]
    path = url[url.index("/discussion/unsubscribe/") :]
    client = Client(enforce_csrf_checks=True)  # a mail client's one-click POST has no token
    with unchanged():
        page = client.get(path)  # a link scanner's GET changes nothing
    assert "Stop emails from the discussion of “Attention Is All”?" in page.content.decode()
    assert page.status_code == 200
    response = client.post(path, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert ThreadFollow.objects.get(user=reader).state == ThreadFollow.State.MUTED
    services.post_add(subject=subject, user=facilitator, body="More news")
    assert _sent() == []


def test_digest_unsubscribe_stops_every_discussion(week):
    subject, _facilitator = week
    reader = _person(subject.club, "Rita Reader")
    _follow(subject, reader, "daily")
    token = discussion_mail.unsubscribe_token(user_id=reader.pk, thread_id=0)
    response = Client().post(reverse("discussion:unsubscribe", args=[token]))
    assert "any discussion you followed" in response.content.decode()
    assert ThreadFollow.objects.get(user=reader).state == ThreadFollow.State.MUTED


def test_a_tampered_unsubscribe_link_changes_nothing(week):
    subject, _facilitator = week
    reader = _person(subject.club, "Rita Reader")
    _follow(subject, reader, "immediate")
    token = discussion_mail.unsubscribe_token(user_id=reader.pk, thread_id=0)
    other = UserFactory()
    forged = token.replace(token.split(":")[0], token.split(":")[0][:-2] + "xx")
    for bad in (
        forged,
        "made-up",
        discussion_mail.unsubscribe_token(user_id=other.pk, thread_id=999),
    ):
        with unchanged():
            response = Client().post(reverse("discussion:unsubscribe", args=[bad]))
        assert response.status_code == 400
        assert "This link does not work" in response.content.decode()
    assert ThreadFollow.objects.get(user=reader).state == ThreadFollow.State.FOLLOWING


def test_unsubscribe_page_names_a_weeks_paper(week):
    subject, _facilitator = week
    Session.objects.filter(pk=subject.pk).update(title="")
    SessionPaperFactory(
        session=subject.session,
        nomination__club=subject.club,
        nomination__paper__title="Matryoshka Representation Learning",
    )
    reader = _person(subject.club, "Rita Reader")
    follow = _follow(subject, reader, "immediate")
    token = discussion_mail.unsubscribe_token(user_id=reader.pk, thread_id=follow.thread_id)
    page = Client().get(reverse("discussion:unsubscribe", args=[token])).content.decode()
    assert "the discussion of “Matryoshka Representation Learning”?" in page


def test_the_mail_links_a_post_on_a_later_page_to_that_page(week):
    subject, facilitator = week
    reader = _person(subject.club, "Rita Reader")
    for n in range(PER_PAGE):
        services.post_add(subject=subject, user=facilitator, body=f"Thought {n}.")
    _follow(subject, reader, "immediate")
    _sent()
    later = services.post_add(subject=subject, user=facilitator, body="One more thought.")
    (message,) = _sent()
    assert f"discussion/session/{subject.pk}/?page=2#post-{later.pk}" in message.body
