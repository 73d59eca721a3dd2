"""Writes for pre-reading: progress, questions for the facilitator, their votes.

The same rules as the rota's services: atomic, keyword-only, SessionError for people.
"""

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from clubs.models import Membership

from ..errors import NotAllowed, SessionError
from ..models import PreRead, Question, QuestionVote, Session
from ..permissions import require_member, require_runner
from ..rota import activity


@transaction.atomic
def preread_set(*, session: Session, user: User, level: int) -> PreRead:
    require_member(session.club, user)
    if level not in PreRead.Level.values:
        raise SessionError("Choose not started, skimmed, read or deep-read.")
    if session.state == Session.State.CANCELLED:
        raise SessionError("This week is cancelled; there is nothing to pre-read.")
    if level > PreRead.Level.NONE and not session.papers.exists():
        raise SessionError("This week has no paper yet, so there is nothing to pre-read.")
    # One statement, first mark or not (INSERT … ON CONFLICT DO UPDATE), where
    # update_or_create takes up to seven with its savepoints. Two clicks at once
    # from one person: the last one wins.
    (preread,) = PreRead.objects.bulk_create(
        [PreRead(session=session, user=user, level=level, changed_at=timezone.now())],
        update_conflicts=True,
        unique_fields=["session", "user"],
        update_fields=["level", "changed_at"],
    )
    return preread


def _ensure_open_for_questions(session: Session) -> None:
    if session.state == Session.State.CANCELLED:
        raise SessionError("This week is cancelled, so it takes no questions.")
    if session.state == Session.State.DONE or session.ends_at <= timezone.now():
        raise SessionError("This session is over, so it takes no more questions.")


@transaction.atomic
def question_ask(*, session: Session, user: User, text: str, anonymous: bool = False) -> Question:
    require_member(session.club, user)
    _ensure_open_for_questions(session)
    text = (text or "").strip()
    if not text:
        raise SessionError("Write your question first.")
    if len(text) > Question.MAX_LENGTH:
        raise SessionError(
            f"A question is at most {Question.MAX_LENGTH:,} characters (yours has {len(text):,})."
        )
    return Question.objects.create(session=session, author=user, text=text, anonymous=anonymous)


@transaction.atomic
def question_vote(*, question: Question, user: User, up: bool = True) -> int:
    """Vote for a question once (up) or take the vote back (not up). Returns the count."""
    require_member(question.session.club, user)
    _ensure_open_for_questions(question.session)
    if up:
        if question.author_id == user.pk:
            raise SessionError("You asked this question; the votes are for others to give.")
        try:
            with transaction.atomic():
                QuestionVote.objects.create(question=question, user=user)
        except IntegrityError as error:
            raise SessionError("You have already voted for this question.") from error
        Question.objects.filter(pk=question.pk).update(vote_count=F("vote_count") + 1)
    else:
        deleted, _ = QuestionVote.objects.filter(question=question, user=user).delete()
        if not deleted:
            raise SessionError("You had not voted for this question.")
        Question.objects.filter(pk=question.pk).update(vote_count=F("vote_count") - 1)
    return Question.objects.values_list("vote_count", flat=True).get(pk=question.pk)


@transaction.atomic
def question_mark_answered(*, question: Question, by: User, answered: bool = True) -> Question:
    require_runner(question.session, by)
    question.answered_at = timezone.now() if answered else None
    question.save(update_fields=["answered_at"])
    return question


@transaction.atomic
def question_delete(*, question: Question, by: User) -> None:
    """The asker withdraws their question, or an organizer removes abuse."""
    if question.author_id != by.pk:
        membership = Membership.objects.filter(
            club=question.session.club, user=by, state=Membership.State.ACTIVE
        ).first()
        if membership is None or membership.role != Membership.Role.ORGANIZER:
            raise NotAllowed("Only the asker or an organizer can remove a question.")
        activity.log(
            session=question.session,
            by=by,
            kind="reading.question_remove",
            summary=f"removed a question from the week of {activity.when(question.session)}",
            data={"question": question.pk, "text": question.text[:200]},
        )
    question.delete()
