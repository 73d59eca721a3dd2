"""A club at the scale Paper Club must stay fast at, for benchmarks (`seed_scale`).

One big club (by default 2,000 members, 5,000 papers in the backlog, 100,000
votes and five years of weekly sessions with RSVPs, pre-reads and questions)
and a few small clubs around it that share some papers and members.

Everything is written with bulk inserts, the way the demo writes its history:
it is made-up past, no rule decides it. The counters the services keep in the
rows (Nomination.vote_count, Question.vote_count) are set to the number of
rows written, so the data looks exactly as if the services had made it.

Deterministic: the same seed on the same day gives the same rows (dates are
relative to the next meeting day, so the coming weeks are always ahead).
"""

import random
import time as clock
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import slugify

from clubs.models import Club, Membership, Profile
from papers.backlog_cache import backlogs_changed
from papers.models import Nomination, Paper, Tag, Vote
from papers.related.services import related_rebuild
from sessions.models import (
    ClubSchedule,
    MailPreferences,
    PreRead,
    Question,
    QuestionVote,
    Rsvp,
    Session,
    SessionPaper,
    Weekday,
)
from sessions.rota.common import AUTO_DONE_AFTER, ends_after, local_datetime

from . import SeedReport

SCALE_PASSWORD = "paperclub-scale"  # noqa: S105 - printed for the benchmark; made-up accounts
BIG_CLUB_SLUG = "big-club"
EMAIL_DOMAIN = "scale.example"
BATCH = 5000
ORGANIZERS = 5
# The member the benchmark signs in as (and the next ones for more threads).
FIRST_BENCH_MEMBER = 100
WEEKS_AHEAD = 8
# Of the coming weeks, this many have a facilitator (the rest are open), and the
# first few of those already have their papers.
CLAIMED_AHEAD = 6
PICKED_AHEAD = 2
START_TIME = time(18, 0)
LENGTH_MINUTES = 60
ZONE = "America/New_York"
MEETING_LINK = "https://meet.example.com/big-club"


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


FIRST_NAMES = _words(
    "Ada Alan Amara Ana Ben Bo Chen Chiara Dana Dev Elif Emeka Eva Farah Felix Grace Hana "
    "Hugo Ines Ivan Jae Jonas Kai Kamala Lars Lea Leo Lin Maya Mateo Mei Nadia Noor Omar "
    "Paz Priya Quinn Rafael Rosa Sam Sana Taro Tess Uma Viktor Wen Xavier Yara Zoe"
)
LAST_NAMES = _words(
    "Abara Berg Costa Dubois Eze Fischer Garcia Haddad Ito Jensen Kim Kowalski Lopez Mensah "
    "Nakamura Novak Okafor Patel Quispe Rossi Santos Schmidt Singh Tanaka Umar Varga Wang "
    "Weber Xu Yilmaz Zhou"
)
TIME_ZONES = _words(
    "America/New_York America/Los_Angeles America/Chicago America/Sao_Paulo Europe/London "
    "Europe/Berlin Europe/Paris Africa/Lagos Asia/Kolkata Asia/Singapore Asia/Tokyo "
    "Australia/Sydney UTC"
)
TOPICS = (
    "Attention",
    "Retrieval",
    "Reinforcement learning",
    "Scaling laws",
    "Interpretability",
    "Evaluation",
    "Efficient inference",
    "Fine-tuning",
    "Multimodal",
    "Agents",
    "Reasoning",
    "Safety",
    "Data curation",
    "Optimisation",
    "State space models",
    "Mixture of experts",
    "Tokenisation",
    "Long context",
    "Code generation",
    "Speech",
    "Graph learning",
    "Diffusion",
    "Robotics",
    "Theory",
)
# Words for titles and abstracts: a few technical terms many papers share, and
# rarer ones that make a search narrow.
TERMS = _words(
    "attention transformer sparse dense retrieval augmented generation policy gradient reward "
    "model preference optimisation scaling compute optimal interpretability circuits features "
    "probing evaluation benchmark contamination inference speculative decoding quantisation "
    "distillation pruning adapter low-rank fine-tuning instruction multimodal vision language "
    "audio agent tool planning reasoning chain-of-thought verifier safety alignment red-teaming "
    "data filtering deduplication curriculum optimiser learning-rate warmup state-space "
    "recurrent mixture experts routing tokeniser byte-level context length memory cache "
    "positional encoding rotary code synthesis program repair speech recognition graph neural "
    "diffusion denoising score robotics manipulation theory generalisation kernel"
)
COMMON = _words(
    "we propose a method that improves the results of large models on many tasks and show "
    "how this approach scales with data and compute while keeping training stable across "
    "settings our experiments suggest simple changes matter more than expected and we "
    "release code to reproduce every number in this paper"
)
PITCHES = (
    "",
    "",
    "A clear paper that changed how people think about this.",
    "Short and readable; a good one for newcomers.",
    "The results section alone is worth an hour of discussion.",
    "Everyone cites it; few of us have read it closely.",
    "Controversial claims; I'd love to hear what the club thinks.",
)
QUESTIONS = (
    "How sensitive are the results to the choice of hyperparameters?",
    "Would this still hold at a much larger scale?",
    "What is the simplest baseline they should have compared with?",
    "Can someone explain the second figure in plain words?",
    "How would we try this on our own data?",
    "Which of the ablations convinced you most?",
)


@dataclass(frozen=True)
class ScaleSpec:
    """How big the big club is, and how many small clubs surround it."""

    seed: int = 7
    members: int = 2000
    nominations: int = 5000
    votes: int = 100_000
    weeks: int = 260
    other_clubs: int = 3

    def check(self) -> None:
        if self.members < ORGANIZERS + 1:
            raise ValueError(f"A club needs at least {ORGANIZERS + 1} members here.")
        if self.nominations < 1 or self.weeks < 1:
            raise ValueError("Give at least one nomination and one week.")
        if not self.nominations <= self.votes <= self.nominations * self.members:
            raise ValueError(
                "Votes must be at least one per nomination (the proposer's) and at most "
                "one per member per nomination."
            )

    def describe(self) -> str:
        return (
            f"--seed {self.seed} --members {self.members} --nominations {self.nominations} "
            f"--votes {self.votes} --weeks {self.weeks} --other-clubs {self.other_clubs}"
        )


@dataclass
class ClubSummary:
    slug: str
    name: str
    members: int = 0
    nominations: int = 0
    votes: int = 0
    sessions: int = 0
    past: int = 0
    upcoming: int = 0
    rsvps: int = 0
    prereads: int = 0
    questions: int = 0


@dataclass
class ScaleSummary:
    clubs: list[ClubSummary] = field(default_factory=list)
    users: int = 0
    papers: int = 0
    member_email: str = ""
    organizer_email: str = ""


def seed_marker(spec: ScaleSpec) -> str:
    """The line in the big club's description that records how it was made."""
    return f"Generated by `seed_scale {spec.describe()}`."


def seeded_spec_line(*, slug: str = BIG_CLUB_SLUG) -> str | None:
    """How the existing big club was made, or None if there is none."""
    club = Club.objects.filter(slug=slug).only("description").first()
    if club is None:
        return None
    for line in club.description.splitlines():
        if line.startswith("Generated by `seed_scale"):
            return line
    return ""


def member_email(index: int, prefix: str = "member") -> str:
    return f"{prefix}{index:04d}@{EMAIL_DOMAIN}"


# --- Building blocks ---------------------------------------------------------------------


def _bulk(model, rows: list) -> list:
    return model.objects.bulk_create(rows, batch_size=BATCH)


def _users(emails: list[str], rng: random.Random, password_hash: str, now: datetime) -> list:
    """Users with a verified primary address and a profile, in three bulk inserts."""
    User = get_user_model()
    users = _bulk(
        User,
        [
            User(
                username=email.split("@")[0] + "." + slugify(email.split("@")[1]),
                email=email,
                password=password_hash,
                date_joined=now - timedelta(days=rng.randint(30, 2000)),
            )
            for email in emails
        ],
    )
    _bulk(
        EmailAddress,
        [EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in users],
    )
    _bulk(
        Profile,
        [
            Profile(
                user=u,
                display_name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                time_zone=rng.choice(TIME_ZONES),
            )
            for u in users
        ],
    )
    return users


def _phrase(rng: random.Random, pool, count: int) -> str:
    return " ".join(rng.choice(pool) for _ in range(count))


def _papers(
    club: Club, count: int, rng: random.Random, start: datetime, now: datetime, used: set
) -> list:
    """The club's ready arXiv papers with made-up metadata (ids unique across the database)."""
    papers: list[Paper] = []
    span = (now - start).total_seconds()
    while len(papers) < count:
        published = start + timedelta(seconds=rng.uniform(0, span))
        arxiv_id = f"{published:%y%m}.{rng.randint(90000, 99999)}"
        if arxiv_id in used:
            continue
        used.add(arxiv_id)
        title_terms = rng.sample(TERMS, rng.randint(2, 4))
        title = f"{' '.join(title_terms).capitalize()} for {rng.choice(TERMS)} {rng.choice(TERMS)}"
        authors = [
            f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}" for _ in range(rng.randint(1, 8))
        ]
        abstract = " ".join(
            _phrase(rng, COMMON, rng.randint(8, 16)) + " " + _phrase(rng, TERMS, rng.randint(2, 5))
            for _ in range(rng.randint(5, 9))
        ).capitalize()
        papers.append(
            Paper(
                club=club,
                arxiv_id=arxiv_id,
                arxiv_version=rng.randint(1, 4),
                year=published.year,
                title=title,
                authors=authors,
                abstract=abstract + ".",
                categories=["cs.LG", rng.choice(["cs.CL", "cs.AI", "stat.ML", "cs.CV"])],
                primary_category="cs.LG",
                published_at=published,
                revised_at=published + timedelta(days=rng.randint(0, 90)),
                abs_url=f"https://arxiv.org/abs/{arxiv_id}",
                pdf_url=f"https://arxiv.org/pdf/{arxiv_id}",
                metadata_state=Paper.MetadataState.READY,
                created_at=published + timedelta(days=rng.randint(0, 30)),
            )
        )
    return _bulk(Paper, papers)


def _copies(club: Club, papers: list) -> list:
    """Another club's rows of the same works (every paper belongs to one club)."""
    fields = [f.attname for f in Paper._meta.concrete_fields if f.name not in ("id", "club")]
    return _bulk(
        Paper, [Paper(club=club, **{name: getattr(p, name) for name in fields}) for p in papers]
    )


def _vote_counts(count: int, total: int, cap: int, rng: random.Random) -> list[int]:
    """`count` vote counts summing to `total`, each in [1, cap], skewed like real
    backlogs (a few favourites, a long tail)."""
    weights = [rng.paretovariate(1.3) for _ in range(count)]
    scale = (total - count) / sum(weights)
    counts = [min(cap, 1 + int(w * scale)) for w in weights]
    remaining = total - sum(counts)
    order = list(range(count))
    rng.shuffle(order)
    while remaining > 0:
        progressed = False
        for index in order:
            if remaining == 0:
                break
            if counts[index] < cap:
                counts[index] += 1
                remaining -= 1
                progressed = True
        if not progressed:
            raise ValueError("Too many votes for the members and nominations given.")
    return counts


def _meeting_days(weeks: int, zone: ZoneInfo, now: datetime) -> tuple[list[date], int]:
    """The club's Wednesdays: `weeks` of them, the last few still ahead. Returns
    (dates, how many are past)."""
    today = now.astimezone(zone).date()
    day = today + timedelta(days=(Weekday.WEDNESDAY - today.weekday()) % 7)
    if local_datetime(day, START_TIME, zone) <= now:
        day += timedelta(weeks=1)
    upcoming = min(WEEKS_AHEAD, max(1, weeks // 4))
    past = weeks - upcoming
    return [day + timedelta(weeks=k) for k in range(-past, upcoming)], past


def _holiday(day: date) -> bool:
    return (day.month, day.day) >= (12, 24) or (day.month, day.day) <= (1, 2)


@dataclass
class _Club:
    """What one club's builder needs as it goes."""

    club: Club
    members: list  # users, organizers first
    rng: random.Random
    now: datetime
    summary: ClubSummary


def _club(
    *,
    slug: str,
    name: str,
    description: str,
    members: list,
    organizers: int,
    rng: random.Random,
    now: datetime,
) -> _Club:
    club = Club.objects.create(
        name=name,
        slug=slug,
        description=description,
        visibility=Club.Visibility.PUBLIC,
        join_policy=Club.JoinPolicy.OPEN,
        time_zone=ZONE,
        created_at=now - timedelta(days=5 * 365 + 30),
        created_by=members[0],
    )
    _bulk(
        Membership,
        [
            Membership(
                club=club,
                user=user,
                role=Membership.Role.ORGANIZER if i < organizers else Membership.Role.MEMBER,
                state=Membership.State.ACTIVE,
                created_at=user.date_joined,
                joined_at=user.date_joined,
                updated_at=user.date_joined,
            )
            for i, user in enumerate(members)
        ],
    )
    return _Club(club, members, rng, now, ClubSummary(slug=slug, name=name, members=len(members)))


def _backlog(built: _Club, papers: list, votes: int, start: datetime) -> list[Nomination]:
    """Nominations for `papers`, with tags and `votes` votes (vote_count kept equal)."""
    rng, club, members, now = built.rng, built.club, built.members, built.now
    tags = _bulk(Tag, [Tag(club=club, name=t, slug=slugify(t)) for t in TOPICS])
    counts = _vote_counts(len(papers), votes, len(members), rng)
    span = (now - start).total_seconds()
    # Proposed over the club's life, oldest first.
    moments = sorted(start + timedelta(seconds=rng.uniform(0, span)) for _ in papers)
    proposers = [rng.randrange(len(members)) for _ in papers]
    nominations = _bulk(
        Nomination,
        [
            Nomination(
                club=club,
                paper=paper,
                proposed_by=members[proposers[i]],
                pitch=rng.choice(PITCHES),
                state=Nomination.State.PROPOSED,
                vote_count=counts[i],
                created_at=moments[i],
            )
            for i, paper in enumerate(papers)
        ],
    )
    through = Nomination.tags.through
    _bulk(
        through,
        [
            through(nomination_id=n.pk, tag_id=tag.pk)
            for n in nominations
            for tag in rng.sample(tags, rng.randint(1, 3))
        ],
    )
    rows = []
    for i, nomination in enumerate(nominations):
        # The proposer's own vote first (the service counts it), then others'.
        others = [v for v in rng.sample(range(len(members)), counts[i]) if v != proposers[i]]
        voters = [proposers[i], *others][: counts[i]]
        age = max(1.0, (now - nomination.created_at).total_seconds())
        for k, voter in enumerate(voters):
            # Most votes come soon after a paper is proposed; some much later.
            delay = 0 if k == 0 else min(age, rng.expovariate(1 / (45 * 86400)))
            rows.append(
                Vote(
                    nomination=nomination,
                    user=members[voter],
                    created_at=nomination.created_at + timedelta(seconds=delay),
                )
            )
        if len(rows) >= BATCH * 4:
            _bulk(Vote, rows)
            rows = []
    _bulk(Vote, rows)
    built.summary.nominations = len(nominations)
    built.summary.votes = votes
    return nominations


def _sessions(built: _Club, nominations: list[Nomination], weeks: int) -> list[Session]:
    """Five years (or `weeks`) of Wednesdays: the past held (done, with papers and a
    facilitator) or skipped for the holidays; the coming weeks partly claimed."""
    rng, club, members, now = built.rng, built.club, built.members, built.now
    zone = ZoneInfo(club.time_zone)
    days, past = _meeting_days(weeks, zone, now)
    # Papers become readable once proposed; a week reads one not yet read.
    by_age = sorted(nominations, key=lambda n: n.created_at)
    ready: list[Nomination] = []
    cursor = 0
    picks: dict[int, list[Nomination]] = {}
    sessions = []
    rota = list(range(len(members)))
    rng.shuffle(rota)
    for k, day in enumerate(days):
        starts = local_datetime(day, START_TIME, zone)
        ends = ends_after(starts, LENGTH_MINUTES)
        session = Session(
            club=club,
            uid=uuid.UUID(int=rng.getrandbits(128), version=4),
            series_date=day,
            starts_at=starts,
            ends_at=ends,
            meeting_link=MEETING_LINK,
            created_at=starts - timedelta(weeks=WEEKS_AHEAD),
        )
        sessions.append(session)
        while cursor < len(by_age) and by_age[cursor].created_at < starts - timedelta(days=7):
            ready.append(by_age[cursor])
            cursor += 1
        ahead = k - past  # 0 for next week
        if k < past and _holiday(day):
            session.state = Session.State.CANCELLED
            session.cancel_reason = "Holidays"
            session.change_count = 1
            continue
        if k >= past and ahead >= CLAIMED_AHEAD:
            continue  # open: needs a facilitator
        session.facilitator = members[rota[k % len(rota)]]
        session.state = Session.State.DONE if k < past else Session.State.SCHEDULED
        if k < past:
            session.done_at = ends + AUTO_DONE_AFTER
            if rng.random() < 0.6:
                session.slides_url = f"https://example.com/{club.slug}/{day:%Y-%m-%d}/slides"
            if rng.random() < 0.4:
                session.recording_url = f"https://example.com/{club.slug}/{day:%Y-%m-%d}/rec"
            if rng.random() < 0.7:
                session.notes = "## Big idea\nWhat the paper says.\n\n## Open questions\n- Why?"
        elif ahead >= PICKED_AHEAD:
            continue  # claimed, papers not chosen yet
        count = 2 if rng.random() < 0.1 else (0 if rng.random() < 0.04 else 1)
        if count == 0 or not ready:
            session.title = f"Lightning talks: week {k + 1}"
            session.format = Session.Format.SURVEY
            continue
        chosen = []
        for _ in range(min(count, len(ready))):
            index = rng.randrange(len(ready))
            ready[index], ready[-1] = ready[-1], ready[index]
            chosen.append(ready.pop())
        if len(chosen) > 1:
            session.format = Session.Format.SURVEY
            session.title = f"Two papers on {rng.choice(TOPICS).lower()}"
        picks[k] = chosen
    sessions = _bulk(Session, sessions)

    links, covered, scheduled = [], [], []
    for k, chosen in picks.items():
        minutes = LENGTH_MINUTES // len(chosen) if len(chosen) > 1 else None
        links += [
            SessionPaper(session=sessions[k], nomination=n, position=i, minutes=minutes)
            for i, n in enumerate(chosen)
        ]
        for nomination in chosen:
            if k < past:
                nomination.state = Nomination.State.COVERED
                nomination.covered_on = days[k]
                covered.append(nomination)
            else:
                nomination.state = Nomination.State.SCHEDULED
                scheduled.append(nomination)
    _bulk(SessionPaper, links)
    Nomination.objects.bulk_update(covered + scheduled, ["state", "covered_on"], batch_size=BATCH)
    # A few papers the club decided not to read, and a few pinned by organizers.
    open_ones = [n for n in nominations if n.state == Nomination.State.PROPOSED]
    archived = rng.sample(open_ones, len(open_ones) // 25)
    for nomination in archived:
        nomination.state = Nomination.State.ARCHIVED
    gone = set(archived)
    still_open = [n for n in open_ones if n not in gone]
    pinned = rng.sample(still_open, min(3, len(still_open)))
    for nomination in pinned:
        nomination.pinned_at = now - timedelta(days=rng.randint(1, 60))
    Nomination.objects.bulk_update(archived + pinned, ["state", "pinned_at"], batch_size=BATCH)

    built.summary.sessions = len(sessions)
    built.summary.past = past
    built.summary.upcoming = len(sessions) - past
    return sessions


def _attendance(built: _Club, sessions: list[Session]) -> None:
    """RSVPs, pre-reads and questions: the past ones complete, the next weeks filling up."""
    rng, members, now = built.rng, built.members, built.now
    size = len(members)
    position = {user.pk: i for i, user in enumerate(members)}
    rsvps, prereads, questions, asked_by = [], [], [], []
    upcoming_seen = 0
    for session in sessions:
        future = session.starts_at > now
        if future:
            upcoming_seen += 1
            if upcoming_seen > 3:
                continue  # nobody answers that far ahead yet
        share = 0.06 if not future else 0.06 / upcoming_seen
        crowd = rng.sample(range(size), max(1, min(size, int(size * share) + rng.randint(0, 4))))
        if session.state == Session.State.CANCELLED:
            answers = {i: Rsvp.Answer.NOT_GOING for i in crowd[:3]}
        else:
            answers = {i: Rsvp.Answer.GOING for i in crowd}
            for i in crowd[: len(crowd) // 5]:
                answers[i] = rng.choice([Rsvp.Answer.MAYBE, Rsvp.Answer.NOT_GOING])
        if session.facilitator_id:
            answers[position[session.facilitator_id]] = Rsvp.Answer.GOING
        for i, answer in answers.items():
            rsvps.append(
                Rsvp(
                    session=session,
                    user=members[i],
                    answer=answer,
                    updated_at=min(now, session.starts_at - timedelta(hours=rng.randint(2, 140))),
                )
            )
        if session.state == Session.State.CANCELLED:
            continue
        going = [i for i, answer in answers.items() if answer == Rsvp.Answer.GOING]
        if not going:
            continue
        started = 0.7 if not future else 0.3
        for i in going:
            if rng.random() < started:
                prereads.append(
                    PreRead(
                        session=session,
                        user=members[i],
                        level=rng.choice([1, 1, 2, 2, 2, 3]),
                        changed_at=min(
                            now, session.starts_at - timedelta(hours=rng.randint(1, 72))
                        ),
                    )
                )
        for _ in range(rng.randint(0, 4)):
            author = rng.choice(going)
            others = [i for i in going if i != author]  # nobody votes for their own
            voters = rng.sample(others, min(len(others), rng.randint(0, 12)))
            questions.append(
                Question(
                    session=session,
                    author=members[author],
                    text=rng.choice(QUESTIONS),
                    anonymous=rng.random() < 0.2,
                    vote_count=len(voters),
                    answered_at=session.ends_at if not future and rng.random() < 0.8 else None,
                    created_at=session.starts_at - timedelta(hours=rng.randint(3, 96)),
                )
            )
            asked_by.append(voters)
    _bulk(Rsvp, rsvps)
    _bulk(PreRead, prereads)
    questions = _bulk(Question, questions)
    _bulk(
        QuestionVote,
        [
            QuestionVote(question=q, user=members[v], created_at=q.created_at)
            for q, voters in zip(questions, asked_by, strict=True)
            for v in voters
        ],
    )
    built.summary.rsvps = len(rsvps)
    built.summary.prereads = len(prereads)
    built.summary.questions = len(questions)


def _schedule(built: _Club, sessions: list[Session]) -> None:
    ClubSchedule.objects.create(
        club=built.club,
        weekday=Weekday.WEDNESDAY,
        start_time=START_TIME,
        duration_minutes=LENGTH_MINUTES,
        meeting_link=MEETING_LINK,
        weeks_ahead=WEEKS_AHEAD,
        first_date=sessions[0].series_date,  # type: ignore[misc]  # series weeks (made above)
        last_date=None,
        updated_at=sessions[0].created_at,
    )


# --- The whole world ---------------------------------------------------------------------------


@transaction.atomic
def scale_seed(spec: ScaleSpec, *, now: datetime | None = None) -> ScaleSummary:
    """Create the big club and the small clubs around it. Refuses to run twice."""
    spec.check()
    if Club.objects.filter(slug=BIG_CLUB_SLUG).exists():
        raise ValueError(f"The club “{BIG_CLUB_SLUG}” exists already: use a fresh database.")
    rng = random.Random(spec.seed)
    now = now or timezone.now()
    start = now - timedelta(days=max(spec.weeks, 8) * 7 + 60)
    # One hash for every account (hashing 2,000 passwords would take minutes).
    password_hash = make_password(SCALE_PASSWORD, salt=f"seedscale{spec.seed}")
    summary = ScaleSummary()
    used_ids = set(Paper.objects.filter(arxiv_id__isnull=False).values_list("arxiv_id", flat=True))

    members = _users([member_email(i) for i in range(1, spec.members + 1)], rng, password_hash, now)
    big = _club(
        slug=BIG_CLUB_SLUG,
        name="Big Club",
        description=(
            "A very large weekly paper club, made up for benchmarks.\n\n" + seed_marker(spec)
        ),
        members=members,
        organizers=ORGANIZERS,
        rng=rng,
        now=now,
    )
    # Everyone opted in to calendar invites: the largest fan-out a week can have.
    _bulk(MailPreferences, [MailPreferences(user=user, invites=True) for user in members])
    papers = _papers(big.club, spec.nominations, rng, start, now, used_ids)
    nominations = _backlog(big, papers, spec.votes, start)
    sessions = _sessions(big, nominations, spec.weeks)
    _schedule(big, sessions)
    _attendance(big, sessions)
    summary.clubs.append(big.summary)
    summary.users = len(members)
    summary.papers = len(papers)
    # The member a benchmark signs in as: never an organizer.
    bench_index = max(ORGANIZERS, min(FIRST_BENCH_MEMBER, spec.members) - 1)

    for n in range(1, spec.other_clubs + 1):
        size = min(spec.members, rng.randint(20, 60))
        own = _users(
            [member_email(i, prefix=f"club{n}-") for i in range(1, size + 1)],
            rng,
            password_hash,
            now,
        )
        # A few people of the big club are in this one too (the benchmark's member
        # among them, so their "my clubs" lists several).
        shared = members[bench_index : bench_index + 5]
        small = _club(
            slug=f"small-club-{n}",
            name=f"Small Club {n}",
            description="A small weekly paper club next to the big one.",
            members=own + [u for u in shared if u not in own],
            organizers=2,
            rng=rng,
            now=now,
        )
        count = min(spec.nominations, rng.randint(60, 150))
        reused = _copies(small.club, rng.sample(papers, min(len(papers), count // 3)))
        fresh = _papers(small.club, count - len(reused), rng, start, now, used_ids)
        votes = min(len(small.members) * count, count * rng.randint(3, 8))
        small_nominations = _backlog(small, reused + fresh, votes, start)
        small_sessions = _sessions(small, small_nominations, min(spec.weeks, 52))
        _schedule(small, small_sessions)
        _attendance(small, small_sessions)
        summary.clubs.append(small.summary)
        summary.users += len(own)
        summary.papers += len(fresh)

    summary.member_email = members[bench_index].email
    summary.organizer_email = member_email(1)
    # Bulk inserts bypass the services: a cache that outlived an older database
    # (the same club ids) must not serve its lists.
    backlogs_changed(club_ids=Club.objects.values_list("pk", flat=True))
    # Nor do they ask for related papers: build them, as the worker would.
    for club_id in Club.objects.values_list("pk", flat=True):
        related_rebuild(club_id=club_id, force=True)
    return summary


def analyze() -> None:
    """Fresh planner statistics after a bulk load (PostgreSQL)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # raw: the ORM has no ANALYZE


def scale_seed_report(spec: ScaleSpec, *, if_missing: bool = False) -> SeedReport:
    """What `seed_scale` does: seed a fresh database (then ANALYZE) and say what it made.

    A database whose big club was seeded with the same spec is left alone when
    `if_missing`; any other existing big club is a ValueError (seed a fresh database)."""
    existing = seeded_spec_line()
    if existing is not None:
        if if_missing and existing == seed_marker(spec):
            return SeedReport(
                headline=f"Already seeded with {spec.describe()}; nothing to do.", changed=False
            )
        raise ValueError(
            f"The club “{BIG_CLUB_SLUG}” exists already ({existing or 'made by hand'}). "
            "Seed a fresh database."
        )
    started = clock.monotonic()
    summary = scale_seed(spec)
    analyze()
    seconds = clock.monotonic() - started
    lines = [
        f"  /c/{club.slug}/: {club.members:,} members, {club.nominations:,} nominations, "
        f"{club.votes:,} votes, {club.sessions} sessions ({club.past} past, "
        f"{club.upcoming} coming), {club.rsvps:,} RSVPs, {club.prereads:,} pre-reads, "
        f"{club.questions:,} questions"
        for club in summary.clubs
    ]
    lines += [
        f"Sign in (password for all: {SCALE_PASSWORD}):",
        f"  {summary.member_email}  a member of the big club and the small ones",
        f"  {summary.organizer_email}  an organizer of the big club",
    ]
    return SeedReport(
        headline=f"Seeded in {seconds:.1f} s: {summary.users:,} people, {summary.papers:,} papers.",
        lines=tuple(lines),
    )
