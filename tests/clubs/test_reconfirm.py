"""Asking quiet members whether to stay (issue 16, item 6): who is asked, the
mail through the outbox, the signed "keep me" link (no sign-in; tampered and
expired links get a clear page), the lapse to inactive (no mail, not counted,
shown apart), coming back by signing in, visiting or the link, every step in
the activity log, and the periodic job in the embedded beat."""

import html
import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from clubs.models import ActivityEntry, Membership, OutboxMessage, ReconfirmAsk, ReconfirmPolicy
from clubs.reconfirm import participation
from clubs.reconfirm.services import (
    LINK_GRACE,
    reconfirm_ask_due,
    reconfirm_lapse_due,
    reconfirm_policy_save,
    reconfirm_scan,
)
from clubs.reconfirm.tokens import ask_id_from, keep_token
from clubs.selectors import club_members
from paperclub import embedded_beat
from papers.models import Nomination, Paper, Vote
from sessions.models import Attendance, MailPreferences, Rsvp
from tests.factories import ClubFactory, MembershipFactory, UserFactory, session_at
from tests.unchanged import unchanged

pytestmark = pytest.mark.django_db

LONG_AGO = timedelta(weeks=30)


def _member(club, name, *, joined_ago=LONG_AGO, role="member"):
    user = UserFactory(profile__display_name=name, email=f"{name.split()[0].lower()}@example.org")
    MembershipFactory(club=club, user=user, role=role, joined_at=timezone.now() - joined_ago)
    return user


@pytest.fixture
def club():
    club = ClubFactory(name="Quiet Readers", slug="quiet")
    club.organizer = _member(club, "Olga Organizer", role="organizer")
    reconfirm_policy_save(club=club, by=club.organizer, enabled=True, quiet_weeks=8, answer_days=10)
    return club


def _kinds(club) -> list[str]:
    return list(
        ActivityEntry.objects.filter(club=club).order_by("pk").values_list("kind", flat=True)
    )


def _membership(club, user) -> Membership:
    return Membership.objects.get(club=club, user=user)


def test_policy_page_saves_the_rule_and_logs_it(client, club):
    client.force_login(club.organizer)
    url = reverse("clubs:reconfirm", args=[club.slug])
    response = client.post(url, {"enabled": "on", "quiet_weeks": "6", "answer_days": "7"})
    assert response.status_code == 302
    policy = ReconfirmPolicy.objects.get(club=club)
    assert (policy.enabled, policy.quiet_weeks, policy.answer_days) == (True, 6, 7)
    entry = ActivityEntry.objects.filter(club=club, kind="reconfirm.settings").latest("pk")
    assert entry.summary == (
        "chose to ask members with no RSVP, attendance, vote or post in 6 weeks whether to "
        "stay, giving them 7 days to answer"
    )
    # Out of range: refused with the form's message, nothing saved.
    with unchanged():
        response = client.post(url, {"enabled": "on", "quiet_weeks": "1", "answer_days": "7"})
    assert response.status_code == 200
    assert "greater than or equal to 2" in response.content.decode()


def test_only_quiet_members_are_asked_once_through_the_outbox(club):
    quiet = _member(club, "Quinn Quiet")
    _member(club, "Nina Newcomer", joined_ago=timedelta(weeks=2))
    rsvper, attendee, voter = (_member(club, n) for n in ("Rita Rsvp", "Abe Attend", "Vic Vote"))
    recent = session_at(club, starts_in=-timedelta(weeks=3), state="done")
    Rsvp.objects.create(session=recent, user=rsvper, answer="going")
    Attendance.objects.create(session=recent, user=attendee)
    paper = Paper.objects.create(club=club, title="A paper")
    Vote.objects.create(nomination=Nomination.objects.create(club=club, paper=paper), user=voter)
    # A vote long ago is no sign of taking part now.
    old_voter = _member(club, "Olaf Oldvote")
    Vote.objects.filter(user=old_voter).delete()
    old = Vote.objects.create(nomination=Nomination.objects.get(paper=paper), user=old_voter)
    Vote.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(weeks=9))

    asks = reconfirm_ask_due(club=club)

    assert sorted(a.membership.user.email for a in asks) == [
        "olaf@example.org",
        "quinn@example.org",
    ]
    rows = OutboxMessage.objects.filter(kind="clubs.reconfirm")
    assert sorted(rows.values_list("address", flat=True)) == [
        "olaf@example.org",
        "quinn@example.org",
    ]
    entry = ActivityEntry.objects.get(club=club, kind="reconfirm.ask")
    assert entry.actor is None
    assert entry.summary == (
        "asked 2 members with nothing in 8 weeks whether to stay: Quinn Quiet, Olaf Oldvote"
    )
    # Asked once: the next scans ask nobody again while the question is open.
    assert reconfirm_ask_due(club=club) == []
    assert ReconfirmAsk.objects.filter(membership__user=quiet).count() == 1


def test_every_kind_of_taking_part_is_registered():
    assert participation.registered() == [
        "discussion.posts",
        "papers.votes",
        "sessions.attendance",
        "sessions.rsvps",
    ]
    assert participation.missing_sources() == []


def test_a_policy_that_is_off_asks_nobody(club):
    _member(club, "Quinn Quiet")
    ReconfirmPolicy.objects.filter(club=club).update(enabled=False)
    assert reconfirm_ask_due(club=club) == []


def _asked(club, name="Quinn Quiet"):
    user = _member(club, name)
    [ask] = reconfirm_ask_due(club=club)
    return user, ask


def test_keep_link_keeps_the_place_without_signing_in(client, club):
    user, ask = _asked(club)
    url = reverse("clubs:reconfirm_keep", args=[keep_token(ask.pk)])
    with unchanged():
        page = client.get(url)  # a mail scanner following the link changes nothing
    assert page.status_code == 200
    assert "Keep me in Quiet Readers</button>" in page.content.decode()

    response = client.post(url)

    assert response.status_code == 200
    assert "You're staying in Quiet Readers" in response.content.decode()
    ask.refresh_from_db()
    assert ask.outcome == ReconfirmAsk.Outcome.KEPT
    entry = ActivityEntry.objects.filter(club=club, kind="reconfirm.keep").get()
    assert (entry.actor, entry.summary) == (
        user,
        "answered “keep me” to the question whether to stay",
    )
    # Past the deadline a kept member does not lapse.
    assert reconfirm_lapse_due(now=ask.answer_by + timedelta(minutes=1)) == 0
    assert _membership(club, user).state == Membership.State.ACTIVE


@pytest.mark.parametrize("how", ["a changed letter", "cut short", "another salt", "made up"])
def test_tampered_keep_link_gets_a_clear_page_and_changes_nothing(client, club, how):
    _user, ask = _asked(club)
    token = keep_token(ask.pk)
    bad = {
        "a changed letter": token[:-3] + ("A" if token[-3] != "A" else "B") + token[-2:],
        "cut short": token[: len(token) // 2],
        "another salt": __import__("django.core.signing").core.signing.dumps({"a": ask.pk}),
        "made up": "not-a-token",
    }[how]
    with unchanged():
        response = client.post(reverse("clubs:reconfirm_keep", args=[bad]))
    assert response.status_code == 400
    assert "This link is not valid" in response.content.decode()


def test_expired_keep_link_says_to_sign_in(client, club):
    _user, ask = _asked(club)
    ReconfirmAsk.objects.filter(pk=ask.pk).update(
        asked_at=timezone.now() - timedelta(days=40),
        answer_by=timezone.now() - LINK_GRACE - timedelta(minutes=1),
    )
    with unchanged():
        response = client.post(reverse("clubs:reconfirm_keep", args=[keep_token(ask.pk)]))
    assert response.status_code == 410
    body = response.content.decode()
    assert "This link has expired" in body
    assert reverse("account_login") in body


def test_unanswered_members_lapse_to_inactive_apart_and_without_mail(client, club):
    quiet, ask = _asked(club)
    came_back = _member(club, "Bea Back")
    [back_ask] = reconfirm_ask_due(club=club)
    # Bea RSVPs after being asked: that answers too.
    Rsvp.objects.create(
        session=session_at(club, starts_in=timedelta(days=2), state="open"),
        user=came_back,
        answer="going",
    )
    deadline = ask.answer_by + timedelta(minutes=1)

    assert reconfirm_lapse_due(now=deadline) == 1

    assert _membership(club, quiet).state == Membership.State.INACTIVE
    assert _membership(club, came_back).state == Membership.State.ACTIVE
    back_ask.refresh_from_db()
    assert back_ask.outcome == ReconfirmAsk.Outcome.KEPT
    lapse = ActivityEntry.objects.get(club=club, kind="reconfirm.lapse")
    assert lapse.summary == "marked 1 member inactive, with no answer in 10 days: Quinn Quiet"
    # Not counted, and shown apart to organizers.
    assert quiet.pk not in set(club_members(club=club).values_list("user_id", flat=True))
    client.force_login(club.organizer)
    body = client.get(reverse("clubs:members", args=[club.slug])).content.decode()
    members_part, inactive_part = body.split('id="inactive-title"')
    assert "Quinn Quiet" not in members_part
    assert "Quinn Quiet" in inactive_part
    # A question answered meanwhile is not sent: its mail is skipped.
    assert ask.outcome == ReconfirmAsk.Outcome.OPEN


def test_a_lapsed_member_is_active_again_on_signing_in(client, club):
    quiet, ask = _asked(club)
    reconfirm_lapse_due(now=ask.answer_by + timedelta(minutes=1))

    client.force_login(quiet)  # Django's login: user_logged_in, as allauth sends it

    assert _membership(club, quiet).state == Membership.State.ACTIVE
    ask.refresh_from_db()
    assert ask.outcome == ReconfirmAsk.Outcome.RETURNED
    entry = ActivityEntry.objects.filter(club=club, kind="reconfirm.return").get()
    assert (entry.actor, entry.summary) == (quiet, "is an active member again (signed in)")


def test_a_lapsed_member_already_signed_in_is_active_again_on_visiting(client, club):
    quiet = _member(club, "Quinn Quiet")
    client.force_login(quiet)  # signed in before the question, and never again
    [ask] = reconfirm_ask_due(club=club)
    reconfirm_lapse_due(now=ask.answer_by + timedelta(minutes=1))
    assert _membership(club, quiet).state == Membership.State.INACTIVE

    assert client.get(reverse("clubs:home", args=[club.slug])).status_code == 200

    assert _membership(club, quiet).state == Membership.State.ACTIVE
    assert _kinds(club)[-1] == "reconfirm.return"


def test_a_lapsed_member_is_active_again_by_the_link(client, club):
    quiet, ask = _asked(club)
    reconfirm_lapse_due(now=ask.answer_by + timedelta(minutes=1))
    response = client.post(reverse("clubs:reconfirm_keep", args=[keep_token(ask.pk)]))
    assert "Welcome back to Quiet Readers" in response.content.decode()
    assert _membership(club, quiet).state == Membership.State.ACTIVE
    assert _kinds(club) == [
        "reconfirm.settings",
        "reconfirm.ask",
        "reconfirm.lapse",
        "reconfirm.return",
    ]


def test_the_mail_goes_through_the_outbox_with_the_keep_link(
    club, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        _quiet, ask = _asked(club)
    [message] = mail.outbox
    assert message.subject == "Still reading with Quiet Readers?"
    assert message.to == ["quinn@example.org"]
    # The token carries the second it was signed, so it is read back, not rebuilt.
    assert _kept_asks(message.body, prefix=settings.SITE_URL) == [ask.pk]
    row = OutboxMessage.objects.get(kind="clubs.reconfirm")
    assert (row.state, row.payload) == ("sent", {})


@pytest.mark.django_db(transaction=True)  # the beat closes its connection after each job
def test_the_scan_runs_in_the_embedded_beat(club):
    _member(club, "Quinn Quiet")
    [entry] = [e for e in embedded_beat.entries_from_settings() if e.task == "clubs.reconfirm_scan"]
    embedded_beat.app.loader.import_default_modules()  # as the beat's thread does first

    embedded_beat.run_entry(entry)

    assert ReconfirmAsk.objects.filter(club=club).count() == 1
    assert reconfirm_scan() == (0, 0)  # idempotent


# --- A member who takes no email is asked on the site instead ----------------------


def _no_email_member(club, name="Nora Nomail"):
    user = _member(club, name)
    MailPreferences.objects.create(user=user, no_email=True)
    return user


def _kept_asks(text: str, *, prefix: str) -> list[int]:
    """The questions the keep links after `prefix` in `text` answer (their
    tokens are signed with the time, so a test rebuilding one can miss by a second)."""
    keep = reverse("clubs:reconfirm_keep", args=["TOKEN"]).split("TOKEN")[0]
    found = re.findall(re.escape(prefix + keep) + r"([^/\s\"]+)/", text)
    return [ask_id_from(token) for token in found]


def _banner(page: str) -> str:
    """The question on a club page ('' when there is none)."""
    if 'id="reconfirm-banner"' not in page:
        return ""
    return page.split('id="reconfirm-banner"', 1)[1].split("</section>", 1)[0]


def test_a_member_who_takes_no_email_is_not_mailed_but_asked_on_the_site(club):
    nomail = _no_email_member(club)
    mailed = _member(club, "Quinn Quiet")

    asks = {a.membership.user_id: a for a in reconfirm_ask_due(club=club)}

    assert set(asks) == {nomail.pk, mailed.pk}
    assert list(OutboxMessage.objects.values_list("address", flat=True)) == [mailed.email]
    quiet_ask = asks[nomail.pk]
    assert (quiet_ask.by_mail, quiet_ask.answer_by, quiet_ask.shown_at) == (False, None, None)
    entry = ActivityEntry.objects.get(club=club, kind="reconfirm.ask")
    assert entry.summary == (
        "asked 2 members with nothing in 8 weeks whether to stay: Nora Nomail, Quinn Quiet "
        "(Nora Nomail takes no email: asked on their next visit instead)"
    )


def test_a_question_not_yet_seen_never_lapses(club):
    nomail = _no_email_member(club)
    [ask] = reconfirm_ask_due(club=club)

    assert reconfirm_lapse_due(now=timezone.now() + timedelta(days=365)) == 0

    assert _membership(club, nomail).state == Membership.State.ACTIVE
    ask.refresh_from_db()
    assert ask.outcome == ReconfirmAsk.Outcome.OPEN
    assert reconfirm_ask_due(club=club) == []  # and they are not asked twice


def test_the_next_visit_shows_the_question_and_starts_the_days_to_answer(client, club):
    nomail = _no_email_member(club)
    client.force_login(nomail)  # signed in before the question, and never again
    [ask] = reconfirm_ask_due(club=club)
    home = reverse("clubs:home", args=[club.slug])

    before = timezone.now()
    banner = _banner(client.get(home).content.decode())

    assert "Still reading with Quiet Readers?" in banner
    assert _kept_asks(banner, prefix='action="') == [ask.pk]
    assert "Keep me in Quiet Readers" in banner
    ask.refresh_from_db()
    assert ask.shown_at is not None
    assert ask.shown_at >= before
    assert ask.answer_by == ask.shown_at + timedelta(days=10)
    # Seen once: the days run from then; another page shows it again and moves nothing.
    again = _banner(client.get(reverse("sessions:rota", args=[club.slug])).content.decode())
    assert "Still reading with Quiet Readers?" in again
    assert ReconfirmAsk.objects.get(pk=ask.pk).answer_by == ask.answer_by
    # Others in the club see no question.
    other = _member(club, "Otto Other")
    client.force_login(other)
    assert _banner(client.get(home).content.decode()) == ""

    # Unanswered past those days: inactive, as by mail.
    assert reconfirm_lapse_due(now=ask.answer_by - timedelta(minutes=1)) == 0
    assert reconfirm_lapse_due(now=ask.answer_by + timedelta(minutes=1)) == 1
    assert _membership(club, nomail).state == Membership.State.INACTIVE


def test_keeping_from_the_banner_goes_back_to_the_page(client, club):
    nomail = _no_email_member(club)
    client.force_login(nomail)
    [ask] = reconfirm_ask_due(club=club)
    rota = reverse("sessions:rota", args=[club.slug])
    assert _banner(client.get(rota).content.decode())

    response = client.post(
        reverse("clubs:reconfirm_keep", args=[keep_token(ask.pk)]), {"next": rota}, follow=True
    )

    assert response.redirect_chain == [(rota, 302)]
    page = html.unescape(response.content.decode())
    assert "You're staying in Quiet Readers." in page
    assert _banner(page) == ""
    ask.refresh_from_db()
    assert ask.outcome == ReconfirmAsk.Outcome.KEPT


def test_the_policy_page_says_who_is_asked_on_their_next_visit(client, club):
    _no_email_member(club)
    reconfirm_ask_due(club=club)
    client.force_login(club.organizer)

    page = client.get(reverse("clubs:reconfirm", args=[club.slug])).content.decode()

    waiting = page.split('id="waiting-title"', 1)[1].split("</section>", 1)[0]
    assert "Nora Nomail" in waiting
    assert "takes no email: asked on their next visit, not seen yet" in waiting
