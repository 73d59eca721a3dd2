"""One factory per model (factory_boy). Each makes a valid row with the fewest
choices made; pass fields to say what a test is about.

Counters the services keep (`Nomination.vote_count`, `Question.vote_count`,
`Session.change_count`) are not touched by the vote factories: a test about
counts goes through the services, or sets the counter it means.
"""

from datetime import time, timedelta

import factory
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.utils import timezone

from clubs.chat.secrets import seal
from clubs.models import (
    ActivityEntry,
    ChatAnnouncement,
    ChatSettings,
    ChatWebhook,
    Club,
    Invitation,
    Membership,
    OutboxFanOut,
    OutboxMessage,
    Profile,
    ReconfirmAsk,
    ReconfirmPolicy,
    Webhook,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEvent,
)
from clubs.webhooks import signing
from papers.models import (
    BacklogOptions,
    BacklogStamp,
    Ballot,
    BallotMark,
    GuideTick,
    Nomination,
    Paper,
    PaperNote,
    ReadingGuide,
    RelatedIndex,
    RelatedPaper,
    RoundCandidate,
    Suggestion,
    Tag,
    Vote,
    VotingRound,
    Watch,
)
from sessions.models import (
    Attendance,
    ClubReminders,
    ClubSchedule,
    FeedStamp,
    FeedToken,
    MailPreferences,
    Post,
    PreRead,
    Question,
    QuestionVote,
    Rsvp,
    SeriesRsvp,
    Session,
    SessionPaper,
    Thread,
    ThreadFollow,
    Writeup,
    WriteupRevision,
)

PASSWORD = "correct horse battery staple"


# --- clubs ------------------------------------------------------------------------------


class UserFactory(factory.django.DjangoModelFactory):
    """A person with a verified address and a profile (`profile__display_name=…`,
    `profile__time_zone=…`; `profile=False` for none, as ProfileFactory needs)."""

    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.Sequence(lambda n: f"user{n}@example.org")
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def verified_email(self, create, extracted, **kwargs):
        # Without a verified primary address allauth sends sign-ins to "confirm your email".
        if create:
            EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)

    @factory.post_generation
    def profile(self, create, extracted, **kwargs):
        if create and extracted is not False:
            Profile.objects.create(
                user=self,
                display_name=kwargs.get("display_name", f"Person {self.pk}"),
                time_zone=kwargs.get("time_zone", "UTC"),
            )


class ProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Profile

    user = factory.SubFactory(UserFactory, profile=False)
    display_name = factory.Sequence(lambda n: f"Reader {n}")
    time_zone = "UTC"


class ClubFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Club

    name = factory.Sequence(lambda n: f"Club {n}")
    slug = factory.Sequence(lambda n: f"club-{n}")
    description = "We read papers."
    visibility = Club.Visibility.PUBLIC
    join_policy = Club.JoinPolicy.OPEN
    time_zone = "America/Los_Angeles"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    club = factory.SubFactory(ClubFactory)
    user = factory.SubFactory(UserFactory)
    role = Membership.Role.MEMBER
    state = Membership.State.ACTIVE
    joined_at = factory.LazyFunction(timezone.now)


class ReconfirmPolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReconfirmPolicy

    club = factory.SubFactory(ClubFactory)
    enabled = True


class ReconfirmAskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReconfirmAsk

    membership = factory.SubFactory(MembershipFactory)
    club = factory.SelfAttribute("membership.club")
    asked_at = factory.LazyFunction(timezone.now)
    answer_by = factory.LazyAttribute(lambda ask: ask.asked_at + timedelta(days=14))


class ChatWebhookFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChatWebhook

    club = factory.SubFactory(ClubFactory)
    service = ChatWebhook.Service.SLACK
    url_sealed = factory.LazyFunction(
        lambda: seal("https://hooks.slack.com/services/T0ABCDEF1/B0GHIJKL2/fAcToRyToKeN0123456789")
    )
    url_masked = "https://hooks.slack.com/services/T0ABCDEF1/…/••••6789"


class ChatSettingsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChatSettings

    club = factory.SubFactory(ClubFactory)
    events = factory.LazyFunction(lambda: ["scheduled"])


class ChatAnnouncementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChatAnnouncement

    club = factory.SubFactory(ClubFactory)
    event = "scheduled"
    key = factory.Sequence(lambda n: f"scheduled:{n}")
    facts = factory.LazyFunction(lambda: {"headline": "Scheduled"})


class WebhookFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Webhook

    club = factory.SubFactory(ClubFactory)
    name = factory.Sequence(lambda n: f"Club website {n}")
    url_sealed = factory.LazyFunction(
        lambda: seal("https://hooks.example.org/paperclub", purpose=signing.URL_PURPOSE)
    )
    url_masked = "https://hooks.example.org/paperclub"
    secret_sealed = factory.LazyFunction(
        lambda: seal(signing.new_secret(), purpose=signing.PURPOSE)
    )
    events = factory.LazyFunction(lambda: ["session.scheduled"])


class WebhookEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebhookEvent

    club = factory.SubFactory(ClubFactory)
    event = "ping"
    key = factory.Sequence(lambda n: f"ping:{n}")
    subject_type = "club"


class WebhookDeliveryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebhookDelivery

    webhook = factory.SubFactory(WebhookFactory)
    event = factory.SubFactory(WebhookEventFactory, club=factory.SelfAttribute("..webhook.club"))


class WebhookAttemptFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebhookAttempt

    delivery = factory.SubFactory(WebhookDeliveryFactory)
    outcome = "sent"
    status_code = 200
    response_ms = 42


class InvitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invitation

    club = factory.SubFactory(ClubFactory)
    token = factory.Sequence(lambda n: f"token-{n}-abcdefghijklmnop")
    created_by = factory.SubFactory(UserFactory)
    created_at = factory.LazyFunction(timezone.now)
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=7))


class ActivityEntryFactory(factory.django.DjangoModelFactory):
    """A line of the log of a kind clubs registers (one without an undo)."""

    class Meta:
        model = ActivityEntry

    club = factory.SubFactory(ClubFactory)
    actor = factory.SubFactory(UserFactory)
    kind = "club.settings"
    summary = factory.Sequence(lambda n: f"changed the club's settings ({n})")


class OutboxMessageFactory(factory.django.DjangoModelFactory):
    """A message the outbox sent: a session's invite to a member (pass
    `state="failed", error=…` for one that failed)."""

    class Meta:
        model = OutboxMessage

    kind = "sessions.invite"
    club = factory.SubFactory(ClubFactory)
    subject_type = "session"
    subject_id = factory.Sequence(lambda n: n + 1)
    topic = factory.LazyAttribute(lambda m: f"session:{m.subject_id}:calendar")
    sequence = 1
    recipient = factory.SubFactory(UserFactory)
    recipient_key = factory.LazyAttribute(lambda m: f"user:{m.recipient.pk}")
    address = factory.LazyAttribute(lambda m: m.recipient.email)
    state = OutboxMessage.State.SENT
    attempts = 1
    message_id = factory.Sequence(lambda n: f"<invite.{n}@paperclub.example>")
    sent_at = factory.LazyFunction(timezone.now)


class OutboxFanOutFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OutboxFanOut

    kind = "sessions.invite"
    club = factory.SubFactory(ClubFactory)
    subject_type = "session"
    subject_id = factory.Sequence(lambda n: n + 1)
    topic = factory.LazyAttribute(lambda f: f"session:{f.subject_id}:calendar")
    sequence = 1
    state = OutboxFanOut.State.DONE


# --- papers -----------------------------------------------------------------------------


class PaperFactory(factory.django.DjangoModelFactory):
    """A paper whose metadata is in (no arXiv id unless given)."""

    class Meta:
        model = Paper

    club = factory.SubFactory(ClubFactory)
    title = factory.Sequence(lambda n: f"Paper {n}")
    metadata_state = Paper.MetadataState.READY


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag

    club = factory.SubFactory(ClubFactory)
    name = factory.Sequence(lambda n: f"Topic {n}")
    slug = factory.Sequence(lambda n: f"topic-{n}")


class NominationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Nomination

    club = factory.SubFactory(ClubFactory)
    paper = factory.SubFactory(PaperFactory, club=factory.SelfAttribute("..club"))
    state = Nomination.State.PROPOSED


class VoteFactory(factory.django.DjangoModelFactory):
    """A vote row only; `nomination.vote_count` stays as it was (see the module's note)."""

    class Meta:
        model = Vote

    nomination = factory.SubFactory(NominationFactory)
    user = factory.SubFactory(UserFactory)


class BacklogOptionsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BacklogOptions

    club = factory.SubFactory(ClubFactory)


class VotingRoundFactory(factory.django.DjangoModelFactory):
    """An approval round closing in a week (papers.voting.rounds opens real ones)."""

    class Meta:
        model = VotingRound

    club = factory.SubFactory(ClubFactory)
    title = factory.Sequence(lambda n: f"Round {n}")
    created_at = factory.LazyFunction(timezone.now)
    closes_at = factory.LazyAttribute(lambda r: r.created_at + timedelta(days=7))


class RoundCandidateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RoundCandidate

    round = factory.SubFactory(VotingRoundFactory)
    nomination = factory.SubFactory(NominationFactory, club=factory.SelfAttribute("..round.club"))
    position = factory.Sequence(lambda n: n)


class BallotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Ballot

    round = factory.SubFactory(VotingRoundFactory)
    user = factory.SubFactory(UserFactory)


class BallotMarkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BallotMark

    ballot = factory.SubFactory(BallotFactory)
    candidate = factory.SubFactory(
        RoundCandidateFactory, round=factory.SelfAttribute("..ballot.round")
    )
    score = 1


class ReadingGuideFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReadingGuide

    paper = factory.SubFactory(PaperFactory)
    abstract = "We propose a method."
    headings = factory.LazyFunction(lambda: ["Introduction", "Method", "Experiments"])


class PaperNoteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PaperNote

    paper = factory.SubFactory(PaperFactory)
    user = factory.SubFactory(UserFactory)
    text = "My notes."


class GuideTickFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GuideTick

    paper = factory.SubFactory(PaperFactory)
    user = factory.SubFactory(UserFactory)
    item = "p1-abstract"  # a papers.guide.CHECKLIST key


class BacklogStampFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BacklogStamp

    club = factory.SubFactory(ClubFactory)
    token = factory.Sequence(lambda n: f"{n:032x}")


class RelatedPaperFactory(factory.django.DjangoModelFactory):
    """One related pair of a club's nominations (the worker's rebuild writes these)."""

    class Meta:
        model = RelatedPaper

    club = factory.SubFactory(ClubFactory)
    nomination = factory.SubFactory(NominationFactory, club=factory.SelfAttribute("..club"))
    related = factory.SubFactory(NominationFactory, club=factory.SelfAttribute("..club"))
    rank = 1
    score = 0.5


class RelatedIndexFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RelatedIndex

    club = factory.SubFactory(ClubFactory)


class WatchFactory(factory.django.DjangoModelFactory):
    """A club's watch of one arXiv category (owner=... for a member's own)."""

    class Meta:
        model = Watch

    club = factory.SubFactory(ClubFactory)
    kind = Watch.Kind.CATEGORY
    value = factory.Sequence(lambda n: f"cs.{chr(65 + n % 26)}{chr(65 + n // 26 % 26)}")


class SuggestionFactory(factory.django.DjangoModelFactory):
    """A new paper one of the club's watches found (the daily run writes these)."""

    class Meta:
        model = Suggestion

    club = factory.SubFactory(ClubFactory)
    watch = factory.SubFactory(WatchFactory, club=factory.SelfAttribute("..club"))
    watch_label = factory.LazyAttribute(lambda s: s.watch.label)
    arxiv_id = factory.Sequence(lambda n: f"2611.{10000 + n}")
    title = factory.Sequence(lambda n: f"Suggested paper {n}")
    authors = factory.LazyFunction(lambda: ["Ada Lovelace"])
    published_at = factory.LazyFunction(timezone.now)


# --- sessions ---------------------------------------------------------------------------


class ClubScheduleFactory(factory.django.DjangoModelFactory):
    """Wednesdays at noon in the club's zone, four weeks ahead, from today."""

    class Meta:
        model = ClubSchedule

    club = factory.SubFactory(ClubFactory)
    weekday = 2
    start_time = time(12, 0)
    duration_minutes = 60
    weeks_ahead = 4
    first_date = factory.LazyFunction(lambda: timezone.now().date())


class SessionFactory(factory.django.DjangoModelFactory):
    """An open week a week from now, an hour long. A scheduled one needs a
    facilitator (the database says so): `state="scheduled", facilitator=user`."""

    class Meta:
        model = Session

    club = factory.SubFactory(ClubFactory)
    starts_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=7))
    ends_at = factory.LazyAttribute(lambda session: session.starts_at + timedelta(hours=1))
    state = Session.State.OPEN


class SessionPaperFactory(factory.django.DjangoModelFactory):
    """A paper of the session's own club's backlog, chosen for the session."""

    class Meta:
        model = SessionPaper

    session = factory.SubFactory(SessionFactory)
    nomination = factory.SubFactory(
        NominationFactory,
        club=factory.SelfAttribute("..session.club"),
        state=Nomination.State.SCHEDULED,
    )
    position = factory.Sequence(lambda n: n)


class RsvpFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Rsvp

    session = factory.SubFactory(SessionFactory)
    user = factory.SubFactory(UserFactory)
    answer = Rsvp.Answer.GOING


class SeriesRsvpFactory(factory.django.DjangoModelFactory):
    """A member's "I'll come every week" (the Rsvp rows it fills are sessions.series')."""

    class Meta:
        model = SeriesRsvp

    club = factory.SubFactory(ClubFactory)
    user = factory.SubFactory(UserFactory)


class PreReadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PreRead

    session = factory.SubFactory(SessionFactory)
    user = factory.SubFactory(UserFactory)
    level = PreRead.Level.READ


class AttendanceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Attendance

    session = factory.SubFactory(SessionFactory)
    user = factory.SubFactory(UserFactory)


class WriteupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Writeup

    session = factory.SubFactory(SessionFactory)
    text = "We discussed the results."


class WriteupRevisionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WriteupRevision

    writeup = factory.SubFactory(WriteupFactory)
    number = factory.Sequence(lambda n: n + 1)
    text = "We discussed the results."


class QuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Question

    session = factory.SubFactory(SessionFactory)
    author = factory.SubFactory(UserFactory)
    text = factory.Sequence(lambda n: f"Question {n}?")


class QuestionVoteFactory(factory.django.DjangoModelFactory):
    """A vote row only; `question.vote_count` stays as it was (see the module's note)."""

    class Meta:
        model = QuestionVote

    question = factory.SubFactory(QuestionFactory)
    user = factory.SubFactory(UserFactory)


class FeedTokenFactory(factory.django.DjangoModelFactory):
    """A person's feed token; `club=…, user=None` for a club's."""

    class Meta:
        model = FeedToken

    user = factory.SubFactory(UserFactory)
    club = None
    token = factory.Sequence(lambda n: f"feed-token-{n:06d}-abcdefghijklmnop")


class MailPreferencesFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MailPreferences

    user = factory.SubFactory(UserFactory)


class ClubRemindersFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ClubReminders

    club = factory.SubFactory(ClubFactory)


class ThreadFactory(factory.django.DjangoModelFactory):
    """A session's discussion (pass nomination=… and session=None for a paper's)."""

    class Meta:
        model = Thread

    session = factory.SubFactory(SessionFactory)
    club = factory.SelfAttribute("session.club")


class PostFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Post

    thread = factory.SubFactory(ThreadFactory)
    author = factory.SubFactory(UserFactory)
    body = "A thought about the paper."


class ThreadFollowFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ThreadFollow

    thread = factory.SubFactory(ThreadFactory)
    user = factory.SubFactory(UserFactory)


class FeedStampFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FeedStamp

    club = factory.SubFactory(ClubFactory)
    token = factory.Sequence(lambda n: f"{n:032x}")


def session_at(club, *, starts_in, state="scheduled", facilitator=None, **fields):
    """A one-hour session of `club` starting `starts_in` (a timedelta) from now."""
    starts = timezone.now() + starts_in
    return SessionFactory(
        club=club,
        starts_at=starts,
        ends_at=starts + timedelta(hours=1),
        state=state,
        facilitator=facilitator,
        **fields,
    )
