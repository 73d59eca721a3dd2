"""What the API says about each thing, and what it accepts.

Output serializers read the attributes the apps' selectors annotate (has_voted,
going_count, ordered_papers, my_answer), so a page runs the site's queries.
Input serializers refuse fields they do not know (400 naming the field)."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from papers.models import Nomination, Paper
from sessions.models import PreRead, Question, Rsvp, Session


def person_name(user) -> str | None:
    return user.profile.name if user is not None else None


class Strict(serializers.Serializer):
    """An input that names each field it does not know."""

    def validate(self, attrs):
        if isinstance(self.initial_data, dict):
            unknown = sorted(set(self.initial_data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(dict.fromkeys(unknown, "Unknown field."))
        return attrs


class ClubOut(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    visibility = serializers.CharField()
    time_zone = serializers.CharField()


class MemberOut(serializers.Serializer):
    name = serializers.SerializerMethodField()
    role = serializers.ChoiceField(choices=["member", "organizer"])
    joined_at = serializers.DateTimeField(allow_null=True)

    def get_name(self, membership) -> str:
        return membership.user.profile.name


class PaperOut(serializers.Serializer):
    title = serializers.CharField()
    authors = serializers.ListField(child=serializers.CharField())
    year = serializers.IntegerField(allow_null=True)
    abstract = serializers.CharField()
    arxiv_id = serializers.CharField(allow_null=True)
    doi = serializers.CharField()
    abs_url = serializers.CharField()
    pdf_url = serializers.CharField()
    url = serializers.CharField()
    metadata_state = serializers.ChoiceField(choices=Paper.MetadataState.choices)


class NominationOut(serializers.Serializer):
    id = serializers.IntegerField()
    state = serializers.ChoiceField(choices=Nomination.State.choices)
    vote_count = serializers.IntegerField()
    voted = serializers.BooleanField(source="has_voted", help_text="Whether the caller voted.")
    pinned = serializers.SerializerMethodField()
    pitch = serializers.CharField()
    proposed_by = serializers.SerializerMethodField()
    tags = serializers.SerializerMethodField()
    covered_on = serializers.DateField(allow_null=True)
    created_at = serializers.DateTimeField()
    paper = PaperOut()

    def get_pinned(self, nomination) -> bool:
        return nomination.pinned_at is not None

    def get_proposed_by(self, nomination) -> str | None:
        return person_name(nomination.proposed_by)

    def get_tags(self, nomination) -> list[str]:
        return [tag.name for tag in nomination.tags.all() if tag.state == "accepted"]


class SessionPaperOut(serializers.Serializer):
    nomination_id = serializers.IntegerField()
    title = serializers.CharField(source="nomination.paper.title")
    arxiv_id = serializers.CharField(source="nomination.paper.arxiv_id", allow_null=True)
    abs_url = serializers.CharField(source="nomination.paper.abs_url")
    minutes = serializers.IntegerField(allow_null=True)


class RsvpCounts(serializers.Serializer):
    going = serializers.IntegerField(source="going_count")
    maybe = serializers.IntegerField(source="maybe_count")
    not_going = serializers.IntegerField(source="not_going_count")


class SessionOut(serializers.Serializer):
    id = serializers.IntegerField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    state = serializers.ChoiceField(choices=Session.State.choices)
    format = serializers.ChoiceField(choices=Session.Format.choices)
    title = serializers.CharField()
    facilitator = serializers.SerializerMethodField()
    co_facilitator = serializers.SerializerMethodField()
    papers = SessionPaperOut(many=True, source="ordered_papers")
    rsvp_counts = serializers.SerializerMethodField()
    my_rsvp = serializers.SerializerMethodField(help_text="The caller's answer, if any.")
    meeting_link = serializers.SerializerMethodField(help_text="Members only.")
    location = serializers.CharField()
    slides_url = serializers.CharField()
    recording_url = serializers.CharField()
    cancel_reason = serializers.CharField()

    def get_facilitator(self, session) -> str | None:
        return person_name(session.facilitator)

    def get_co_facilitator(self, session) -> str | None:
        return person_name(session.co_facilitator)

    @extend_schema_field(RsvpCounts(allow_null=True))
    def get_rsvp_counts(self, session):
        if not hasattr(session, "going_count"):  # the archive counts no answers
            return None
        return RsvpCounts(session).data

    def get_my_rsvp(self, session) -> str | None:
        return getattr(session, "my_answer", None)

    def get_meeting_link(self, session) -> str | None:
        return session.meeting_link if self.context.get("is_member") else None


class QuestionOut(serializers.Serializer):
    id = serializers.IntegerField()
    text = serializers.CharField()
    author = serializers.SerializerMethodField(help_text="Hidden for anonymous questions.")
    anonymous = serializers.BooleanField()
    vote_count = serializers.IntegerField()
    voted = serializers.SerializerMethodField()
    answered = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()

    def get_author(self, question) -> str | None:
        return question.author.profile.name if question.show_author else None

    def get_voted(self, question) -> bool:
        return bool(getattr(question, "has_voted", False))

    def get_answered(self, question) -> bool:
        return question.answered_at is not None


class LevelCountOut(serializers.Serializer):
    level = serializers.IntegerField()
    label = serializers.CharField()
    count = serializers.IntegerField()


class PreReadOut(serializers.Serializer):
    level = serializers.ChoiceField(choices=PreRead.Level.choices, help_text="The caller's.")
    counts = LevelCountOut(many=True)


class MyRsvpOut(serializers.Serializer):
    club = serializers.CharField(source="session.club.slug")
    session_id = serializers.IntegerField()
    starts_at = serializers.DateTimeField(source="session.starts_at")
    state = serializers.CharField(source="session.state")
    answer = serializers.ChoiceField(choices=Rsvp.Answer.choices)


class MyPreReadOut(serializers.Serializer):
    club = serializers.CharField(source="session.club.slug")
    session_id = serializers.IntegerField()
    starts_at = serializers.DateTimeField(source="session.starts_at")
    level = serializers.ChoiceField(choices=PreRead.Level.choices)


# --- What the API accepts ---------------------------------------------------------


class ProposeIn(Strict):
    arxiv_id = serializers.CharField(max_length=200, help_text="An arXiv id or abs/pdf link.")
    pitch = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class VoteIn(Strict):
    voted = serializers.BooleanField(help_text="true: count my vote; false: take it back.")


class VoteOut(serializers.Serializer):
    voted = serializers.BooleanField()
    vote_count = serializers.IntegerField()


class RsvpIn(Strict):
    answer = serializers.ChoiceField(choices=Rsvp.Answer.choices)


class PreReadIn(Strict):
    level = serializers.ChoiceField(choices=PreRead.Level.choices)


class QuestionIn(Strict):
    text = serializers.CharField(max_length=Question.MAX_LENGTH)
    anonymous = serializers.BooleanField(required=False, default=False)


# --- Voting rounds: a count appears only in `result`, which is null until the deadline.


class RoundCandidateOut(serializers.Serializer):
    nomination_id = serializers.IntegerField()
    title = serializers.CharField()


class RoundCountOut(serializers.Serializer):
    nomination_id = serializers.IntegerField()
    title = serializers.CharField()
    total = serializers.IntegerField(help_text="Approvals, or the sum of the scores.")
    marked = serializers.IntegerField(help_text="Ballots that approved or scored it.")
    winner = serializers.BooleanField()


class RoundResultOut(serializers.Serializer):
    ballots = serializers.IntegerField()
    counts = RoundCountOut(many=True)


class RoundOut(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    method = serializers.ChoiceField(choices=["approval", "score"])
    closes_at = serializers.DateTimeField()
    closed = serializers.BooleanField()
    candidates = RoundCandidateOut(many=True)
    my_ballot = serializers.DictField(
        child=serializers.IntegerField(),
        allow_null=True,
        help_text="The caller's own marks (nomination id -> 1 or a score), null if none.",
    )
    result = RoundResultOut(
        allow_null=True, help_text="The counts: null until the round closes, for everyone."
    )


class BallotIn(Strict):
    # Any values here: the view checks each key and value, so an error names
    # `marks` with plain messages (a nested field error would not fit the
    # schema's error shape).
    marks = serializers.DictField(
        help_text="Nomination id -> 1 (approved) or a score from 1 to 5; others unmarked.",
    )
