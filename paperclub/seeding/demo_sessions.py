"""The demo club's weekly sessions: a year of history and the coming weeks. Safe to run twice.

The history is written directly (bulk rows: it is the past, no rule decides it);
the schedule, the coming weeks, the claims and the paper picks go through the
services, as an organizer and members would make them.
"""

import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from clubs.models import Club, Membership
from paperclub.seeding.demo_backlog import reading_list
from papers.models import Nomination
from papers.selectors import BacklogFilter, backlog
from papers.services import nominations_set_state
from sessions.discussion.services import post_add
from sessions.discussion.subjects import session_subject
from sessions.models import (
    ClubSchedule,
    PreRead,
    Question,
    QuestionVote,
    Rsvp,
    Session,
    SessionPaper,
    Weekday,
)
from sessions.reading.services import preread_set, question_ask, question_vote
from sessions.rota.common import AUTO_DONE_AFTER, ends_after, local_datetime
from sessions.rota.facilitators import session_claim, session_papers_set
from sessions.rota.planning import ScheduleInput, schedule_save, sessions_plan
from sessions.rota.weeks import rsvp_set

MEETING_LINK = "https://meet.example.com/latent-space"
START_TIME = time(12, 0)
LENGTH_MINUTES = 60
WEEKS_AHEAD = 8
PAST_WEEKS = 52
# The last few reading-list papers stay in the backlog, proposed.
KEEP_IN_BACKLOG = 6
# Survey weeks: two neighbouring reading-list papers, by the first one's index.
SURVEY_WEEKS = {
    3: "Fine-tuning on a budget: LoRA and QLoRA",
    11: "The Llama papers",
    15: "Beyond attention: Jamba and Mamba",
}
# Weeks without a paper, in the order they come up (the first is the kick-off).
SPECIAL_WEEKS = [
    ("Kick-off: how this club works, and what we will read", Session.Format.SURVEY),
    ("Lightning talks: the paper that got you into LLMs", Session.Format.SURVEY),
    ("Guest talk: evaluating an LLM product people rely on", Session.Format.GUEST),
    ("Lightning talks: five papers, five minutes each", Session.Format.SURVEY),
    ("Guest talk: serving open models on a budget", Session.Format.GUEST),
    ("Retro: what should we read next?", Session.Format.SURVEY),
    ("Lightning talks: papers from the summer conferences", Session.Format.SURVEY),
    ("Guest talk: a year of retrieval in production", Session.Format.GUEST),
    ("Lightning talks: our favourite figures", Session.Format.SURVEY),
    ("Retro: the papers that stuck", Session.Format.SURVEY),
    ("Demo night: show what you built with what we read", Session.Format.SURVEY),
    ("Lightning talks: papers we disagreed about", Session.Format.SURVEY),
    ("Hands-on: fine-tune a small model together", Session.Format.SURVEY),
]
# These members never facilitated, so the fairness panel has someone to suggest.
NEVER_FACILITATED = {"lucas@example.com", "grace@example.com"}
# Who takes which of the coming weeks (by position; next week, 0, stays open).
UPCOMING_CLAIMS = {
    1: "priya@example.com",
    2: "grace@example.com",  # her first time: the fairness panel shows her booked
    4: "kwame@example.com",
    6: "lena@example.com",
}
# The first claimed weeks already have their paper: the backlog's top-voted.
WEEKS_WITH_A_PICK = 2

OUTLINE = """\
## Big idea
{big_idea}

## Results
{results}

## Relevance
{relevance}

## Related work
{related}

## Open questions
- {question}
- What would we try first at work?
"""

# Short, topic-level outline text: enough to show what a filled-in outline looks like.
TOPIC_NOTES = {
    "Key components": (
        "One building block of every modern LLM, and the problem it was made to solve.",
        "Quality holds or improves while memory, speed or stability gets much better.",
        "Every model we use has this inside; knowing it explains their limits.",
        "Compare with the alternatives the paper itself benchmarks against.",
        "Which of its assumptions no longer hold at today's scale?",
    ),
    "Models": (
        "What this model family changed in data, architecture or training recipe.",
        "Strong results for its size on the benchmarks of its day.",
        "A model family people keep asking about; now we know what is in it.",
        "Its predecessors and the open models that followed it.",
        "Which design choices mattered most, and which were incidental?",
    ),
    "Training": (
        "Teaching a model to follow instructions or preferences, not just predict text.",
        "People prefer the tuned model's answers, often at a fraction of the size.",
        "This is how the assistants we build on are made.",
        "RLHF, its cheaper successors, and self-training methods.",
        "What does the model lose while it learns to please?",
    ),
    "Inference": (
        "Spend compute at answer time more wisely.",
        "Faster or better answers without retraining the model.",
        "Latency and cost are where our products feel it.",
        "Speculative decoding, test-time search, long-context tricks.",
        "When does more thinking at answer time stop paying off?",
    ),
    "Trends": (
        "A big-picture result that changed what people build.",
        "Clear trends across model sizes, data and compute.",
        "It shapes which models and tools will exist next year.",
        "Scaling laws and the agent and tool-use work that followed.",
        "Which of these trends has already bent?",
    ),
    "Practice": (
        "A lesson from people shipping LLM systems.",
        "Measured gains on real tasks, and honest failure cases.",
        "Directly useful for the systems we run.",
        "Retrieval, evaluation and pipeline papers from the backlog.",
        "What would it take to adopt this on our team?",
    ),
}


# Pre-reading, past weeks: how likely each level is for someone going, a year ago
# and last week (the facilitator always deep-reads). The club's habit grows, so
# the statistics page has a trend: many skims, fewer reads, a few deep reads.
LEVEL_WEIGHTS_THEN = {
    PreRead.Level.NONE: 40,
    PreRead.Level.SKIMMED: 42,
    PreRead.Level.READ: 16,
    PreRead.Level.DEEP: 2,
}
LEVEL_WEIGHTS_NOW = {
    PreRead.Level.NONE: 15,
    PreRead.Level.SKIMMED: 50,
    PreRead.Level.READ: 29,
    PreRead.Level.DEEP: 6,
}
# The coming weeks with a paper, soonest first: how far people who answered have
# got so far.
LEVEL_WEIGHTS_COMING = [
    {PreRead.Level.NONE: 25, PreRead.Level.SKIMMED: 45, PreRead.Level.READ: 25},
    {PreRead.Level.NONE: 60, PreRead.Level.SKIMMED: 35, PreRead.Level.READ: 5},
]

# How the demo's threads go (sessions.discussion): an opening post and its replies.
DISCUSSION_COMING = (
    "Before Wednesday: skim **section 3** and the ablations. What would you cut first?",
    [
        "The appendix has the training curves: worth a look before the session.",
        "Related: the follow-up paper tries the same idea at a tenth of the compute.",
    ],
)
DISCUSSION_AFTER = (
    "Thanks all! The slides and recording are linked on the session page. What did we not get to?",
    ["The evaluation on long inputs: I'd like a follow-up week on that."],
)

# Questions members bring, by the reading list's topic; any topic may also get a
# generic one.
TOPIC_QUESTIONS = {
    "Key components": [
        "Which of the paper's assumptions still hold at today's model sizes?",
        "Could someone walk through the main equation step by step?",
        "Why does this beat the simpler alternative they compare against?",
    ],
    "Models": [
        "Which change mattered most: the data, the architecture or the training recipe?",
        "How much of the gain is just more compute?",
        "Are the benchmark numbers comparable with the models that came before?",
    ],
    "Training": [
        "What does the model lose while it learns to follow preferences?",
        "How noisy were the human labels, and does it matter?",
        "Could we reproduce this with a 7B model on one GPU?",
    ],
    "Inference": [
        "When does spending more compute at answer time stop paying off?",
        "What would this do to our latency at work?",
        "Does the speed-up hold with batching?",
    ],
    "Trends": [
        "Which of these trends has already bent since the paper came out?",
        "How would you extrapolate this to next year's models?",
        "Is the fit convincing outside the range they measured?",
    ],
    "Practice": [
        "What would it take to adopt this on a small team?",
        "How did they evaluate it, and would that catch our failure cases?",
        "Which part would you build first?",
    ],
}
GENERIC_QUESTIONS = [
    "Is the baseline comparison fair: same data, same compute?",
    "Which figure should we look at together first?",
    "Where does this approach break down?",
    "How sensitive are the results to the hyperparameters they chose?",
]
# The next week with a paper: a few questions already, one anonymous, with votes.
COMING_QUESTIONS = [
    ("member@example.com", "Which result would you try to reproduce first?", False),
    ("tomas@example.com", "Is the baseline comparison fair: same data, same compute?", True),
    ("aiko@example.com", "How does this compare with what came out since?", False),
]


@dataclass
class DemoSessions:
    past: int
    cancelled: int
    covered: int
    upcoming: int
    open: int


def _thanksgiving(year: int) -> date:
    """The fourth Thursday of November."""
    first = date(year, 11, 1)
    return first + timedelta(days=(3 - first.weekday()) % 7 + 21)


def _holiday(day: date) -> str:
    """Why the club skipped this Wednesday, if it did."""
    if day == _thanksgiving(day.year) - timedelta(days=1):
        return "Thanksgiving"
    if day.month == 12 and day.day == 31:
        return "New Year's Eve"
    if (day.month, day.day) >= (12, 28) or (day.month, day.day) <= (1, 3):
        return "New Year holidays"
    return ""


def _next_meeting_day(now: datetime, zone: ZoneInfo) -> date:
    """The next Wednesday whose noon (club time) is still ahead: next week's session."""
    today = now.astimezone(zone).date()
    day = today + timedelta(days=(Weekday.WEDNESDAY - today.weekday()) % 7)
    if local_datetime(day, START_TIME, zone) <= now:
        day += timedelta(weeks=1)
    return day


def _reading_groups(count: int) -> list[list[int]]:
    """The reading list walked in order (as indices), pairs for survey weeks, the
    last few left out for the backlog."""
    groups, index = [], 0
    last = count - KEEP_IN_BACKLOG
    while index < last:
        size = 2 if index in SURVEY_WEEKS and index + 1 < last else 1
        groups.append(list(range(index, index + size)))
        index += size
    return groups


def _place(groups: list[list[int]], *, held: list[int], lag: int) -> dict[int, int]:
    """Spread the reading groups evenly over the weeks that were held.

    The backlog demo proposes reading-list paper i about `len - i` weeks ago, so
    paper i is read no earlier than week i + lag. Returns {week: group}; the held
    weeks left over are weeks without a paper."""
    placed: dict[int, int] = {}
    if not groups or not held:
        return placed
    first = max(lag, held[0])
    step = (held[-1] - first) / max(len(groups) - 1, 1)
    previous = -1
    for number, group in enumerate(groups):
        earliest = max(round(first + number * step), group[-1] + lag, previous + 1)
        week = next((k for k in held if k >= earliest), None)
        if week is None:
            break  # no room: the rest of the reading list stays in the backlog
        placed[week] = number
        previous = week
    return placed


def _rota(people: list, organizers: set, rng: random.Random, count: int) -> list:
    """Facilitators for `count` weeks: everyone in turn, organizers a little more often,
    never the same person two weeks running."""
    block = [person for person in people for _ in range(3 if person.pk in organizers else 2)]
    rota: list = []
    while len(rota) < count:
        shuffled = block[:]
        rng.shuffle(shuffled)
        rota += shuffled
    for index in range(1, len(rota)):
        if rota[index] == rota[index - 1]:
            swap = next((j for j in range(index + 1, len(rota)) if rota[j] != rota[index]), None)
            if swap is not None:
                rota[index], rota[swap] = rota[swap], rota[index]
    return rota[:count]


def _notes(topic: str) -> str:
    big_idea, results, relevance, related, question = TOPIC_NOTES.get(
        topic, TOPIC_NOTES["Practice"]
    )
    return OUTLINE.format(
        big_idea=big_idea, results=results, relevance=relevance, related=related, question=question
    )


def _rsvps(session: Session, users: list, rng: random.Random) -> list[Rsvp]:
    others = [user for user in users if user.pk != session.facilitator_id]
    if session.state == Session.State.CANCELLED:
        # Answers from before the week was called off.
        answers = {user: Rsvp.Answer.NOT_GOING for user in rng.sample(others, 3)}
    else:
        crowd = rng.sample(others, rng.randint(6, 12))
        answers = {user: Rsvp.Answer.GOING for user in crowd[:-3]}
        answers |= {user: rng.choice(list(Rsvp.Answer)) for user in crowd[-3:]}
        if session.facilitator_id:
            answers[session.facilitator] = Rsvp.Answer.GOING
    return [
        Rsvp(
            session=session,
            user=user,
            answer=answer,
            updated_at=session.starts_at - timedelta(hours=rng.randint(2, 140)),
        )
        for user, answer in answers.items()
    ]


def _history(*, club: Club, users: list, nominations: list[Nomination], rng) -> date:
    """A year of past Wednesdays, held (done, with papers) or skipped. Returns the first."""
    zone = ZoneInfo(club.time_zone)
    now = timezone.now()
    upcoming = _next_meeting_day(now, zone)
    weeks = [upcoming - timedelta(weeks=k) for k in range(PAST_WEEKS, 0, -1)]
    while _holiday(weeks[0]):  # a club does not start on a holiday
        weeks.insert(0, weeks[0] - timedelta(weeks=1))
    reasons = [_holiday(day) for day in weeks]
    held = [k for k, reason in enumerate(reasons) if not reason]
    groups = _reading_groups(len(nominations))
    placed = _place(groups, held=held, lag=len(weeks) - len(nominations))
    topics = [item["topic"] for item in reading_list()]

    organizers = set(
        club.memberships.filter(role=Membership.Role.ORGANIZER).values_list("user_id", flat=True)
    )
    pool = [user for user in users if user.email not in NEVER_FACILITATED]
    rota = iter(_rota(pool, organizers, rng, len(held)))
    specials = iter(SPECIAL_WEEKS)

    sessions, reading = [], {}
    for k, day in enumerate(weeks):
        starts = local_datetime(day, START_TIME, zone)
        session = Session(
            club=club,
            series_date=day,
            starts_at=starts,
            ends_at=ends_after(starts, LENGTH_MINUTES),
            meeting_link=MEETING_LINK,
            created_at=starts - timedelta(weeks=WEEKS_AHEAD),
        )
        sessions.append(session)
        if reasons[k]:
            session.state = Session.State.CANCELLED
            session.cancel_reason = reasons[k]
            session.change_count = 1
            continue
        session.state = Session.State.DONE
        session.facilitator = next(rota)
        session.done_at = min(session.ends_at + AUTO_DONE_AFTER, now)
        if k in placed:
            group = groups[placed[k]]
            reading[day] = group
            if len(group) > 1:
                session.format = Session.Format.SURVEY
                session.title = SURVEY_WEEKS[group[0]]
            if rng.random() < 0.7:
                session.notes = _notes(topics[group[0]])
        else:
            # More special weeks than titles: lightning talks again, by week number.
            lightning = f"Lightning talks: week {k + 1}", Session.Format.SURVEY
            session.title, session.format = next(specials, lightning)
        if rng.random() < 0.6:
            session.slides_url = f"https://example.com/latent-space/{day:%Y-%m-%d}/slides"
        if rng.random() < 0.45:
            session.recording_url = f"https://example.com/latent-space/{day:%Y-%m-%d}/recording"
    Session.objects.bulk_create(sessions)

    saved = {s.series_date: s for s in Session.objects.filter(club=club, series_date__in=weeks)}
    links = []
    for day, group in reading.items():
        minutes = LENGTH_MINUTES // len(group) if len(group) > 1 else None
        links += [
            SessionPaper(
                session=saved[day], nomination=nominations[index], position=i, minutes=minutes
            )
            for i, index in enumerate(group)
        ]
        # Covered on the club-local date, as session_mark_done records it.
        nominations_set_state(
            nominations=[nominations[index] for index in group],
            state=Nomination.State.COVERED,
            covered_on=day,
        )
    SessionPaper.objects.bulk_create(links)
    Rsvp.objects.bulk_create([rsvp for day in weeks for rsvp in _rsvps(saved[day], users, rng)])
    return weeks[0]


def _coming_weeks(*, club: Club, users: list, rng: random.Random) -> None:
    """About half of the coming weeks claimed (next week left open), the first
    claimed ones with the backlog's top paper, and a few RSVPs."""
    people = {user.email: user for user in users}
    coming = list(
        Session.objects.filter(club=club, starts_at__gt=timezone.now()).order_by("starts_at")
    )
    picks_left = WEEKS_WITH_A_PICK
    for position, email in sorted(UPCOMING_CLAIMS.items()):
        if position >= len(coming):
            break
        session = session_claim(session=coming[position], user=people[email])
        top = picks_left and backlog(club=club, user=None, options=BacklogFilter()).first()
        if top:
            session_papers_set(session=session, by=people[email], picks=[(top.pk, None)])
            picks_left -= 1
    for session in coming[:3]:
        for user in rng.sample(users, 5):
            rsvp_set(session=session, user=user, answer=rng.choice(["going", "going", "maybe"]))


def _level(rng: random.Random, weights: Mapping[PreRead.Level, int]) -> int:
    levels = list(weights)
    return rng.choices(levels, weights=[weights[level] for level in levels])[0]


def _blend(
    then: Mapping[PreRead.Level, int], now: Mapping[PreRead.Level, int], progress: float
) -> dict[PreRead.Level, int]:
    return {level: round(then[level] + (now[level] - then[level]) * progress) for level in then}


def _past_reading(*, club: Club, nominations: list[Nomination], rng: random.Random) -> None:
    """Pre-read levels and questions on the weeks held with a paper (rows written
    directly, as the history is)."""
    topic_of = {
        nomination.pk: item["topic"]
        for nomination, item in zip(nominations, reading_list(), strict=False)
    }
    weeks = list(
        Session.objects.filter(club=club, state=Session.State.DONE, papers__isnull=False)
        .distinct()
        .prefetch_related("papers", "rsvps")
        .order_by("starts_at")
    )
    prereads, questions, voters = [], [], []
    for number, week in enumerate(weeks):
        weights = _blend(LEVEL_WEIGHTS_THEN, LEVEL_WEIGHTS_NOW, number / max(len(weeks) - 1, 1))
        going = sorted(r.user_id for r in week.rsvps.all() if r.answer == Rsvp.Answer.GOING)
        for user_id in going:
            # The facilitator presented it: a deep read.
            level = PreRead.Level.DEEP if user_id == week.facilitator_id else _level(rng, weights)
            if level != PreRead.Level.NONE:
                changed = week.starts_at - timedelta(hours=rng.randint(1, 120))
                prereads.append(
                    PreRead(session=week, user_id=user_id, level=level, changed_at=changed)
                )
        askers = [user_id for user_id in going if user_id != week.facilitator_id]
        topic = topic_of.get(week.papers.all()[0].nomination_id, "Practice")
        texts = rng.sample(TOPIC_QUESTIONS[topic], 2) + rng.sample(GENERIC_QUESTIONS, 1)
        count = min(rng.choice([0, 1, 1, 2, 2, 3]), len(askers))
        for text, author in zip(texts, rng.sample(askers, count), strict=False):
            asked = week.starts_at - timedelta(hours=rng.randint(2, 96))
            others = [user_id for user_id in going if user_id != author]
            votes = rng.sample(others, rng.randint(0, min(4, len(others))))
            # The facilitator got to most of them in the hour.
            answered = rng.random() < 0.75
            question = Question(
                session=week,
                author_id=author,
                text=text,
                anonymous=rng.random() < 0.25,
                vote_count=len(votes),
                created_at=asked,
                answered_at=week.starts_at + timedelta(minutes=rng.randint(10, 55))
                if answered
                else None,
            )
            questions.append(question)
            voters.append((question, votes, asked))
    PreRead.objects.bulk_create(prereads)
    Question.objects.bulk_create(questions)
    QuestionVote.objects.bulk_create(
        [
            QuestionVote(
                question=question,
                user_id=user_id,
                created_at=asked + timedelta(hours=rng.randint(1, 24)),
            )
            for question, votes, asked in voters
            for user_id in votes
        ]
    )


def _coming_reading(*, club: Club, users: list, rng: random.Random) -> None:
    """The coming weeks with a paper: levels so far (through the service, as members
    set them), the facilitator's deep read, and the next one's first questions."""
    people = {user.email: user for user in users}
    coming = list(
        Session.objects.filter(club=club, starts_at__gt=timezone.now(), papers__isnull=False)
        .exclude(state=Session.State.CANCELLED)
        .distinct()
        .select_related("club", "facilitator")
        .prefetch_related("rsvps")
        .order_by("starts_at")
    )
    for week, weights in zip(coming, LEVEL_WEIGHTS_COMING, strict=False):
        if week.facilitator:
            preread_set(session=week, user=week.facilitator, level=PreRead.Level.DEEP)
        answered = {r.user_id for r in week.rsvps.all() if r.answer != Rsvp.Answer.NOT_GOING}
        for user in users:
            if user.pk in answered and user.pk != week.facilitator_id:
                level = _level(rng, weights)
                if level != PreRead.Level.NONE:
                    preread_set(session=week, user=user, level=level)
    if not coming:
        return
    week = coming[0]
    asked = [
        question_ask(session=week, user=people[email], text=text, anonymous=anonymous)
        for email, text, anonymous in COMING_QUESTIONS
    ]
    for question, votes in zip(asked, [3, 5, 1], strict=True):
        others = [user for user in users if user.pk != question.author_id]
        for voter in rng.sample(others, votes):
            question_vote(question=question, user=voter)
    _discussion(club=club, week=week, users=users, rng=rng)


def _discussion(*, club: Club, week: Session, users: list, rng: random.Random) -> None:
    """The coming week's thread, started by its facilitator, and the last week's
    going on after the meeting."""
    last = Session.objects.filter(club=club, state=Session.State.DONE).order_by("-starts_at")
    threads = [(week, DISCUSSION_COMING), *((held, DISCUSSION_AFTER) for held in last[:1])]
    for session, (opening, replies) in threads:
        opener = session.facilitator or users[0]
        subject = session_subject(club, session)
        top = post_add(subject=subject, user=opener, body=opening)
        others = [user for user in users if user.pk != opener.pk]
        for user, text in zip(rng.sample(others, len(replies)), replies, strict=True):
            post_add(subject=subject, user=user, body=text, parent_id=top.pk)


def demo_reading_seed(*, club: Club, users: list, nominations: list[Nomination]) -> None:
    """Pre-read levels and questions on the past and the coming weeks, once: a club
    that has any already (seeded before, or used) is left as it is."""
    if (
        PreRead.objects.filter(session__club=club).exists()
        or Question.objects.filter(session__club=club).exists()
    ):
        return
    rng = random.Random(20250305)
    _past_reading(club=club, nominations=nominations, rng=rng)
    _coming_reading(club=club, users=users, rng=rng)


@transaction.atomic
def demo_sessions_seed(*, club: Club, users: list, nominations: list[Nomination]) -> DemoSessions:
    """Give the demo club its schedule, a year of sessions and the coming weeks.

    `nominations` are the backlog demo's, in reading-list order."""
    if ClubSchedule.objects.filter(club=club).exists():
        # Seeded before: only keep the horizon full, as the daily beat job does.
        sessions_plan(club=club)
    else:
        rng = random.Random(20241120)
        first_date = _history(club=club, users=users, nominations=nominations, rng=rng)
        first = club.memberships.filter(role=Membership.Role.ORGANIZER).order_by("pk").first()
        if first is None:
            raise ValueError(f"The demo club {club.slug} has no organizer to run its schedule.")
        organizer = first.user
        schedule_save(
            club=club,
            by=organizer,
            data=ScheduleInput(
                weekday=Weekday.WEDNESDAY,
                start_time=START_TIME,
                duration_minutes=LENGTH_MINUTES,
                meeting_link=MEETING_LINK,
                weeks_ahead=WEEKS_AHEAD,
                first_date=first_date,
                last_date=None,
            ),
            based_on_version=None,
        )
        _coming_weeks(club=club, users=users, rng=rng)
    demo_reading_seed(club=club, users=users, nominations=nominations)
    return demo_sessions_summary(club=club)


def demo_sessions_summary(*, club: Club) -> DemoSessions:
    now = timezone.now()
    sessions = Session.objects.filter(club=club)
    return DemoSessions(
        past=sessions.filter(state=Session.State.DONE).count(),
        cancelled=sessions.filter(state=Session.State.CANCELLED, starts_at__lte=now).count(),
        covered=Nomination.objects.filter(club=club, state=Nomination.State.COVERED).count(),
        upcoming=sessions.filter(starts_at__gt=now).count(),
        open=sessions.filter(starts_at__gt=now, state=Session.State.OPEN).count(),
    )
