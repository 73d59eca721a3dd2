"""The demo club between sessions (issue 16): who came to the last weeks, the
last week's shared write-up, a member who comes every week (with one week
off), and quiet members: one asked whether to stay, one who became inactive.

Each part is seeded once: a club that has it already (seeded before, or used)
is left as it is, so `seed_demo` stays safe to run again.
"""

from datetime import timedelta

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from clubs.activity.services import activity_record, person
from clubs.models import Club, Membership, ReconfirmAsk, ReconfirmPolicy
from sessions.models import Attendance, Rsvp, SeriesRsvp, Session, Writeup
from sessions.rota.weeks import rsvp_set
from sessions.series.services import series_join, series_weeks
from sessions.writeups.services import writeup_save

# The last held weeks with attendance taken (streaks on the profiles).
WEEKS_WITH_ATTENDANCE = 12
# "I'll come every week": the README's member account, so signing in shows it.
SERIES_MEMBER = "member@example.com"
# Asked whether to stay three days ago, not answered yet; and one who never
# answered and became inactive (shown apart on the members page).
ASKED_MEMBER = "jonas@example.com"
INACTIVE_MEMBER = "lucas@example.com"
QUIET_WEEKS, ANSWER_DAYS = 8, 14

WRITEUP_FIRST = """\
## What we covered

- The paper's main claim, and the one ablation that carries it.
- Why the baseline numbers in table 2 are not quite comparable.

## Open questions

- Does the method still help at 70B parameters?
"""
WRITEUP_SECOND = (
    WRITEUP_FIRST
    + """- Someone should rerun the long-context evaluation with the released code.

## Links shared in the chat

- The authors' blog post and their follow-up thread.
"""
)


def _by_email(users: list[User]) -> dict[str, User]:
    return {user.email: user for user in users}


def _attendance(*, club: Club) -> list[Session]:
    """Who came to the last held weeks: everyone who said they were going."""
    held = list(
        Session.objects.filter(club=club, state=Session.State.DONE).order_by("-starts_at")[
            :WEEKS_WITH_ATTENDANCE
        ]
    )
    if Attendance.objects.filter(session__club=club).exists():
        return held
    going = Rsvp.objects.filter(session__in=held, answer=Rsvp.Answer.GOING)
    Attendance.objects.bulk_create(
        [
            Attendance(
                session_id=rsvp.session_id,
                user_id=rsvp.user_id,
                marked_by_id=None,
                created_at=rsvp.session.ends_at,
            )
            for rsvp in going.select_related("session")
        ]
    )
    for week in held:
        Session.objects.filter(pk=week.pk).update(attendance_taken_at=week.ends_at)
    return held


def _writeup(*, held: list[Session]) -> None:
    """The last held week's write-up: its facilitator's notes, then an attendee's additions."""
    week = next((s for s in held if s.facilitator is not None), None)
    if week is None or week.facilitator is None or Writeup.objects.filter(session=week).exists():
        return
    attendee = (
        Attendance.objects.filter(session=week)
        .exclude(user=week.facilitator)
        .select_related("user")
        .order_by("user_id")
        .first()
    )
    first = writeup_save(session=week, by=week.facilitator, text=WRITEUP_FIRST, base=0)
    if attendee is not None and first is not None:
        writeup_save(session=week, by=attendee.user, text=WRITEUP_SECOND, base=first.number)


def _series(*, club: Club, people: dict[str, User]) -> None:
    """The demo member comes every week, but not the second week to come."""
    member = people[SERIES_MEMBER]
    if SeriesRsvp.objects.filter(club=club, user=member).exists():
        return
    series_join(club=club, user=member)
    weeks = list(series_weeks(club).order_by("starts_at")[:2])
    if len(weeks) == 2:
        rsvp_set(session=weeks[1], user=member, answer=Rsvp.Answer.NOT_GOING)


def _quiet_members(*, club: Club, people: dict[str, User]) -> None:
    """The policy on; one member asked (waiting), one who became inactive."""
    if ReconfirmPolicy.objects.filter(club=club).exists():
        return
    organizer = club.memberships.filter(role=Membership.Role.ORGANIZER).order_by("pk").first()
    assert organizer is not None  # demo_club_seed made them
    now = timezone.now()
    ReconfirmPolicy.objects.create(
        club=club,
        enabled=True,
        quiet_weeks=QUIET_WEEKS,
        answer_days=ANSWER_DAYS,
        updated_by=organizer.user,
        updated_at=now - timedelta(days=30),
    )
    asked = Membership.objects.get(club=club, user=people[ASKED_MEMBER])
    lapsed = Membership.objects.get(club=club, user=people[INACTIVE_MEMBER])
    asked_at = now - timedelta(days=3)
    ReconfirmAsk.objects.create(
        membership=asked,
        club=club,
        asked_at=asked_at,
        answer_by=asked_at + timedelta(days=ANSWER_DAYS),
    )
    lapsed_at = now - timedelta(days=2)
    ReconfirmAsk.objects.create(
        membership=lapsed,
        club=club,
        asked_at=lapsed_at - timedelta(days=ANSWER_DAYS),
        answer_by=lapsed_at,
        outcome=ReconfirmAsk.Outcome.LAPSED,
        closed_at=lapsed_at,
    )
    Membership.objects.filter(pk=lapsed.pk).update(
        state=Membership.State.INACTIVE, updated_at=lapsed_at
    )
    activity_record(
        club=club,
        actor=organizer.user,
        kind="reconfirm.settings",
        summary=(
            f"chose to ask members with no RSVP, attendance, vote or post in {QUIET_WEEKS} "
            f"weeks whether to stay, giving them {ANSWER_DAYS} days to answer"
        ),
        data={"enabled": True, "quiet_weeks": QUIET_WEEKS, "answer_days": ANSWER_DAYS},
    )
    for membership, summary in (
        (lapsed, f"asked 1 member with nothing in {QUIET_WEEKS} weeks whether to stay"),
        (asked, f"asked 1 member with nothing in {QUIET_WEEKS} weeks whether to stay"),
    ):
        activity_record(
            club=club,
            actor=None,
            kind="reconfirm.ask",
            summary=f"{summary}: {person(membership.user)}",
            data={"members": [membership.pk]},
        )
    activity_record(
        club=club,
        actor=None,
        kind="reconfirm.lapse",
        summary=(
            f"marked 1 member inactive, with no answer in {ANSWER_DAYS} days: {person(lapsed.user)}"
        ),
        data={"members": [lapsed.pk]},
    )


@transaction.atomic
def demo_between_seed(*, club: Club, users: list[User]) -> None:
    people = _by_email(users)
    held = _attendance(club=club)
    _writeup(held=held)
    _series(club=club, people=people)
    _quiet_members(club=club, people=people)
