"""Golden files: every message kind, exactly as sent (headers, text, HTML, the
calendar part and the attached .ics), and the club feed. Any change to what a
message says or how it is built fails here until the golden file is renewed on
purpose.

To renew after an intended change:

    UPDATE_GOLDEN=1 ./scripts/test tests/sessions/mail/test_golden.py
    git diff tests/sessions/mail/golden/      # read every line of it

What varies from run to run is normalised (golden/README.md): DTSTAMP, the
database ids in links and Message-IDs, the unsubscribe signature, MIME
boundaries; calendar lines are unfolded so an id's length cannot move a fold.
"""

import json
import os
import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from clubs.chat import messages as chat_messages
from clubs.chat.models import ChatAnnouncement
from clubs.chat.outbox import KIND as CHAT
from clubs.chat.outbox import post_for as chat_post_for
from clubs.mail import ACCOUNT, INVITATION, invitation_owe
from clubs.models import Invitation, OutboxMessage, ReconfirmAsk
from clubs.outbox import kinds as outbox_kinds
from clubs.outbox.kinds import Recipient
from clubs.outbox.sending import outbox_flush
from clubs.outbox.services import outbox_enqueue
from clubs.reconfirm.services import RECONFIRM_MAIL
from clubs.webhooks import payloads as webhook_payloads
from clubs.webhooks import signing as webhook_signing
from clubs.webhooks.models import WebhookEvent
from clubs.webhooks.outbox import KIND as WEBHOOK
from papers.models import Nomination, Paper
from sessions.calendars import feeds
from sessions.calendars.personal import Copy
from sessions.discussion import mail as discussion_mail
from sessions.discussion import services as discussion
from sessions.discussion.subjects import session_subject
from sessions.mail.kinds import Kind, outbox_kind
from sessions.mail.messages import build_message, message_id_for
from sessions.mail.reminders import reminder_moment
from sessions.models import Session, SessionPaper, ThreadFollow
from tests.factories import ClubFactory, MembershipFactory, UserFactory
from tests.sessions.ics import parse_everywhere

pytestmark = pytest.mark.django_db

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
BERLIN = ZoneInfo("Europe/Berlin")
# Wednesday 5 March 2031, noon in Berlin: far enough ahead to stay in the future.
STARTS = datetime(2031, 3, 5, 12, 0, tzinfo=BERLIN)
SESSION_UID = uuid.UUID("00000000-0000-4000-8000-00000000c0de")
TOP_HEADERS = [
    "Subject",
    "From",
    "To",
    "Message-ID",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
    "Auto-Submitted",
    "MIME-Version",
    "Content-Type",
]


class Scene:
    def __init__(self):
        self.club = ClubFactory(name="Golden Club", slug="golden", time_zone="Europe/Berlin")
        self.ada = self._person("ada@example.org", "Ada Lovelace", "Europe/Berlin")
        self.grace = self._person("grace@example.org", "Grace Hopper", "America/New_York")
        self.alan = self._person("alan@example.org", "Alan Turing", "Asia/Tokyo")
        paper = Paper.objects.create(
            club=self.club,
            arxiv_id="1706.03762",
            title="Attention Is All You Need",
            abs_url="https://arxiv.org/abs/1706.03762",
            metadata_state="ready",
        )
        self.session = Session.objects.create(
            club=self.club,
            uid=SESSION_UID,
            starts_at=STARTS,
            ends_at=STARTS + timedelta(minutes=90),
            state=Session.State.SCHEDULED,
            facilitator=self.ada,
            co_facilitator=self.grace,
            title="Transformers, from the source",
            meeting_link="https://meet.example.com/golden",
            location="Room 4, Library",
            change_count=1,
        )
        nomination = Nomination.objects.create(
            club=self.club, paper=paper, state=Nomination.State.SCHEDULED
        )
        SessionPaper.objects.create(session=self.session, nomination=nomination)

    def _person(self, email, name, zone):
        user = UserFactory(
            email=email, username=email, profile__display_name=name, profile__time_zone=zone
        )
        MembershipFactory(club=self.club, user=user)
        return user


def _open_week(scene):
    Session.objects.filter(pk=scene.session.pk).update(
        state=Session.State.OPEN, facilitator=None, co_facilitator=None
    )


def _cancel(scene):
    Session.objects.filter(pk=scene.session.pk).update(
        state=Session.State.CANCELLED, cancel_reason="the library is closed", change_count=2
    )


def _earlier_invite(scene):
    OutboxMessage.objects.create(
        kind="sessions.invite",
        club=scene.session.club,
        subject_type="session",
        subject_id=scene.session.pk,
        topic=f"session:{scene.session.pk}:calendar",
        recipient=scene.alan,
        recipient_key=f"user:{scene.alan.pk}",
        sequence=1,
        address=scene.alan.email,
        state="sent",
        attempts=1,
        message_id="<earlier@localhost>",
    )
    Session.objects.filter(pk=scene.session.pk).update(change_count=2)


def _done(scene):
    Session.objects.filter(pk=scene.session.pk).update(
        state=Session.State.DONE,
        slides_url="https://slides.example.com/golden",
        recording_url="https://video.example.com/golden",
    )


# name -> (kind, recipient, change to the scene)
CASES = {
    "invite": (Kind.INVITE, "alan", None),
    "update": (Kind.INVITE, "alan", _earlier_invite),
    "cancel": (Kind.CANCEL, "alan", _cancel),
    "facilitator_invite": (Kind.INVITE, "ada", None),
    "co_facilitator_invite": (Kind.INVITE, "grace", None),
    "assignment": (Kind.ASSIGNED, "ada", None),
    "reminder_volunteer": (Kind.VOLUNTEER, "alan", _open_week),
    "reminder_prep": (Kind.PREP, "ada", None),
    "reminder_nudge": (Kind.NUDGE, "alan", None),
    "reminder_soon": (Kind.SOON, "alan", None),
    "reminder_soon_facilitator": (Kind.SOON, "ada", None),
    "reminder_follow_up": (Kind.FOLLOW_UP, "alan", _done),
    "not_this_week": (Kind.CANCEL, "alan", None),
    "back_this_week": (Kind.INVITE, "alan", None),
}
# What the person's own answer made of their copy (sessions.calendars.personal):
# "not going" cancelled it for them (their sequence: the week's 1 and theirs 1),
# going again put it back (theirs 2).
PERSONAL = {
    "not_this_week": {"copy": Copy(sequence=2, dropped=True)},
    "back_this_week": {"copy": Copy(sequence=3, dropped=False), "back": True},
}


def _now_for(kind, session):
    moment = reminder_moment(kind, session)
    if kind == Kind.FOLLOW_UP:
        return session.ends_at + timedelta(minutes=2)
    if moment is None:
        return STARTS - timedelta(days=6)
    return moment + timedelta(minutes=2)  # the scan came two minutes late


def _unfold(ics: str) -> str:
    return re.sub(r"\r?\n[ \t]", "", ics)


def _normalise(text: str, *, ids: dict[str, str]) -> str:
    text = text.replace("\r\n", "\n")
    text = re.sub(r"DTSTAMP:\d{8}T\d{6}Z", "DTSTAMP:<generated>", text)
    text = re.sub(r"/unsubscribe/[^/\s\"'>]+/", "/unsubscribe/<signed>/", text)
    text = re.sub(r'boundary="[^"]+"', 'boundary="<boundary>"', text)
    for value, placeholder in ids.items():
        text = text.replace(value, placeholder)
    return text


def _render(message, *, ids) -> tuple[str, list[tuple[str, bytes]]]:
    """The message as a reader of its source sees it, and its calendar parts."""
    mime = message.message()
    lines = [f"{name}: {mime[name]}" for name in TOP_HEADERS if mime[name] is not None]
    calendars = []
    for part in mime.walk():
        disposition = part.get("Content-Disposition")
        lines.append("")
        lines.append(f"--- {part['Content-Type']}" + (f" ({disposition})" if disposition else ""))
        if part.is_multipart():
            continue
        payload = part.get_payload(decode=True)
        text = payload.decode()
        if part.get_content_type() in ("text/calendar", "application/ics"):
            calendars.append((part["Content-Type"], payload))
            text = _unfold(text)
        lines.append(text)
    return _normalise("\n".join(lines), ids=ids) + "\n", calendars


def _check(name: str, actual: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.write_text(actual)
    assert path.exists(), f"No golden file {path.name}: run with UPDATE_GOLDEN=1 and read it."
    assert actual == path.read_text(), (
        f"{path.name} changed. If that is intended: UPDATE_GOLDEN=1 and review the git diff."
    )


def _ids(scene, user, sequence):
    return {
        f"/sessions/{scene.session.pk}/": "/sessions/<session>/",
        f".{user.pk}.{sequence}@": f".<user>.{sequence}@",
    }


@pytest.mark.parametrize("name", sorted(CASES))
def test_message_matches_its_golden_file(name):
    kind, who, change = CASES[name]
    scene = Scene()
    if change is not None:
        change(scene)
    session = Session.objects.select_related(
        "club", "facilitator__profile", "co_facilitator__profile"
    ).get(pk=scene.session.pk)
    user = getattr(scene, who)
    # Invites, cancellations and assignments are keyed by the change; reminders by 0.
    sequence = session.change_count if kind in (Kind.INVITE, Kind.CANCEL, Kind.ASSIGNED) else 0
    personal = PERSONAL.get(name, {})
    if personal:
        sequence = personal["copy"].sequence
    message = build_message(
        kind=kind,
        session=session,
        user=user,
        sequence=sequence,
        message_id=message_id_for(kind, session, user, sequence),
        now=_now_for(kind, session),
        **personal,
    )

    rendered, calendars = _render(message, ids=_ids(scene, user, sequence))
    _check(f"{name}.eml.txt", rendered)
    if kind in (Kind.INVITE, Kind.CANCEL):
        assert len(calendars) == 2  # the text/calendar part and the attached file
        (inline_type, inline), (file_type, attached) = calendars
        assert inline == attached
        method = parse_everywhere(inline)["METHOD"]
        assert inline_type == f'text/calendar; method="{method}"; charset="utf-8"'
        assert file_type == f"application/ics; method={method}"
    else:
        assert calendars == []


def test_club_feed_matches_its_golden_file():
    scene = Scene()
    Session.objects.filter(pk=scene.session.pk).update(co_facilitator=None)

    feed = feeds.club_feed(club=scene.club)

    parse_everywhere(feed)
    ids = {
        f"/sessions/{scene.session.pk}/": "/sessions/<session>/",
        f"UID:club-{scene.club.pk}@": "UID:club-<club>@",
    }
    _check("feed_club.ics.txt", _normalise(_unfold(feed.decode()), ids=ids))


def _invitation(scene, client, on_commit):
    invitation = Invitation.objects.create(
        club=scene.club,
        token="golden-invitation-token",
        email="guest@example.org",
        created_by=scene.ada,
        expires_at=STARTS,
    )
    with on_commit(execute=True):
        invitation_owe(invitation=invitation)
    return {f"invitation-{invitation.pk}": "invitation-<invitation>"}


def _sign_up(scene, client, on_commit):
    with on_commit(execute=True):
        client.post(
            reverse("account_signup"),
            {
                "display_name": "Nia Newcomer",
                "email": "newcomer@example.org",
                "password1": "a long enough passphrase 42",
                "password2": "a long enough passphrase 42",
            },
        )
    return {}


def _password_reset(scene, client, on_commit):
    with on_commit(execute=True):
        client.post(reverse("account_reset_password"), {"email": scene.alan.email})
    return {}


def _reconfirm(scene, client, on_commit):
    """Grace, quiet since long ago, asked whether to stay (clubs.reconfirm)."""
    membership = scene.grace.memberships.get(club=scene.club)
    ask = ReconfirmAsk.objects.create(
        membership=membership,
        club=scene.club,
        asked_at=STARTS - timedelta(days=10),
        answer_by=STARTS + timedelta(days=4),
    )
    with on_commit(execute=True):
        outbox_enqueue(
            kind=RECONFIRM_MAIL,
            topic=f"reconfirm:{ask.pk}",
            recipients=[Recipient(address=scene.grace.email, user_id=scene.grace.pk)],
            club=scene.club,
            subject_id=ask.pk,
        )
    return {f"reconfirm-{ask.pk}.user-{scene.grace.pk}": "reconfirm-<ask>.user-<user>"}


# Mail clubs owes (clubs/mail.py, clubs/reconfirm), as sent through the outbox: name -> how
# it is owed.
CLUB_CASES = {
    "club_reconfirm": _reconfirm,
    "club_invitation": _invitation,
    "account_sign_up": _sign_up,
    "account_password_reset": _password_reset,
}
SECRETS = [
    (r"/accounts/confirm-email/[^/\s\"]+/", "/accounts/confirm-email/<key>/"),
    (r"/accounts/password/reset/key/[^/\s\"]+/", "/accounts/password/reset/key/<key>/"),
    (r"account-[0-9a-f]{32}\.user-\d+", "account-<topic>.user-<user>"),
    (r"/keep/[^/\s\"]+/", "/keep/<signed>/"),
]


@pytest.mark.parametrize("name", sorted(CLUB_CASES))
def test_club_mail_matches_its_golden_file(name, client, django_capture_on_commit_callbacks):
    scene = Scene()
    mail.outbox.clear()

    ids = CLUB_CASES[name](scene, client, django_capture_on_commit_callbacks)

    [message] = mail.outbox
    rendered, calendars = _render(message, ids=ids)
    for pattern, placeholder in SECRETS:
        rendered = re.sub(pattern, placeholder, rendered)
    _check(f"{name}.eml.txt", rendered)
    assert calendars == []


def _discussion_post(scene):
    """Grace follows the week's thread; Ada posts in it, Markdown and all."""
    subject = session_subject(scene.club, scene.session)
    discussion.thread_follow_set(subject=subject, user=scene.grace, choice="immediate")
    discussion.post_add(
        subject=subject,
        user=scene.ada,
        body="Read **section 3** first, then [the ablations](https://arxiv.org/abs/1706.03762).",
    )


def _discussion_digest(scene):
    """Alan takes a daily digest; Ada and Grace post; the day's scan owes it."""
    subject = session_subject(scene.club, scene.session)
    discussion.thread_follow_set(subject=subject, user=scene.alan, choice="daily")
    ThreadFollow.objects.filter(user=scene.alan).update(
        digested_up_to=timezone.now() - timedelta(days=2)
    )
    top = discussion.post_add(subject=subject, user=scene.ada, body="What would you *cut*?")
    discussion.post_add(
        subject=subject, user=scene.grace, body="The decoder, for a start.", parent_id=top.pk
    )
    mail.outbox.clear()
    outbox_flush()  # the emails per post to Ada, who follows by posting
    assert discussion_mail.digests_enqueue() == 1


DISCUSSION_CASES = {"discussion_post": _discussion_post, "discussion_digest": _discussion_digest}
DISCUSSION_IDS = [
    (r"/discussion/session/\d+/", "/discussion/session/<session>/"),
    (r"#post-\d+", "#post-<post>"),
    (r"discussion-post-\d+", "discussion-post-<post>"),
    (r"discussion-digest-\d+-\d{4}-\d{2}-\d{2}", "discussion-digest-<user>-<day>"),
    (r"user-\d+", "user-<user>"),
]


@pytest.mark.parametrize("name", sorted(DISCUSSION_CASES))
def test_discussion_mail_matches_its_golden_file(name):
    scene = Scene()
    DISCUSSION_CASES[name](scene)
    mail.outbox.clear()
    outbox_flush()
    [message] = mail.outbox
    rendered, calendars = _render(message, ids={})
    for pattern, placeholder in DISCUSSION_IDS:
        rendered = re.sub(pattern, placeholder, rendered)
    _check(f"{name}.eml.txt", rendered)
    assert calendars == []


@pytest.mark.parametrize("event", ["scheduled", "starting_soon"])
def test_chat_posts_match_their_golden_files(event):
    """Discord's and Slack's payloads of a week's post, as the chat kind renders them."""
    facts = {
        "club": "Latent Space Paper Club",
        "headline": "Scheduled: Latent Space Paper Club, Wednesday 02 December"
        if event == "scheduled"
        else "Starting soon: Latent Space Paper Club, 12:00 (America/Los_Angeles)",
        "title": "Attention Is All *You* Need",
        "url": "https://paperclub.example/c/latent-space/sessions/7/",
        "body": "The dominant sequence transduction models are based on complex recurrent "
        "or convolutional neural networks <b>in</b> an encoder-decoder configuration.",
        "fields": [["Paper", "Attention Is All *You* Need"], ["Facilitator", "Ada Lovelace"]],
        "starts_at": 1796241600,
        "meeting_link": "https://meet.example.com/room",
    }
    post = chat_post_for(ChatAnnouncement(event=event, facts=facts), share_link=True)
    for service, payload in (
        ("discord", chat_messages.discord_payload(post)),
        ("slack", chat_messages.slack_payload(post)),
    ):
        text = json.dumps(payload, indent=2, ensure_ascii=False) + "\n"
        _check(f"chat.{event}.{service}.json", text)


def test_a_webhook_delivery_matches_its_golden_file():
    """The body of a signed webhook's delivery (clubs/webhooks), as its kind
    renders it at the first attempt: the API's shape of the week, as an
    outsider sees it (no meeting link), and the headers that sign it."""
    scene = Scene()
    occurred = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    event = WebhookEvent.objects.create(
        club=scene.club,
        event="session.scheduled",
        key="golden",
        subject_type="session",
        subject_id=scene.session.pk,
        occurred_at=occurred,
    )
    body = webhook_payloads.body_of(
        delivery_id="5b0c7d1e-0000-4000-8000-000000000001", event=event, club=scene.club
    )
    nomination = scene.session.papers.get().nomination_id
    text = json.dumps(json.loads(body), indent=2, ensure_ascii=False) + "\n"
    text = text.replace(f'"id": {scene.session.pk},', '"id": "<session>",')
    text = text.replace(f'"nomination_id": {nomination},', '"nomination_id": "<nomination>",')
    # Signed as sent, over the body with its ids as the file shows them (the
    # rows' ids differ from run to run).
    fixed = body.replace(f'"id":{scene.session.pk},', '"id":"<session>",').replace(
        f'"nomination_id":{nomination},', '"nomination_id":"<nomination>",'
    )
    assert fixed != body
    headers = webhook_signing.headers(
        secret="whsec_golden", event=event.event, body=fixed.encode(), now=1796241600
    )
    text += json.dumps(headers, indent=2) + "\n"
    _check("webhook.session.scheduled.json", text)


def test_every_kind_of_message_has_a_golden_file():
    covered = {outbox_kind(kind) for kind, _, _ in CASES.values()} | {
        INVITATION,
        ACCOUNT,
        RECONFIRM_MAIL,
        CHAT,
        WEBHOOK,
    }
    covered |= {discussion_mail.POST_KIND, discussion_mail.DIGEST_KIND}
    registered = {name for name in outbox_kinds.registered() if not name.startswith("tests.")}
    assert registered == covered
