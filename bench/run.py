"""Paper Club at the scale of a big club: every main page under an honest load, and the fan-out.

Run it with ./bench/run (which makes sure .venv exists). It

1. creates the PostgreSQL database `paperclub_bench` (or --database) if needed,
   migrates it and seeds it once with `seed_scale` (again only if the sizes changed);
   empties its own Redis database (--redis-url: cache and broker), so every run
   starts from a cold cache and an empty queue;
2. starts gunicorn on a free loopback port with production settings (DEBUG off,
   Redis cache, database sessions, collected static files) and PAPERCLUB_BENCH=1,
   which adds the X-Query-Count header and the /bench/floor/ page;
3. signs in --viewers plain members (50 by default) through the allauth form;
4. probes each page's SQL statements in the big club and in a small one, with an
   empty cache and again with a warm one: the count must not grow with the club;
5. loads every page in several rounds, each right after a run of the floor
   (a signed-in page that runs none of the app's queries). The requests go to
   the signed-in members in turn (request n as member n mod --viewers), and
   among the reads a member toggles a vote on one of the backlog's top papers
   every 20th read and marks their pre-reading of the next session every 50th,
   so every cache keyed by the viewer, the URL or the backlog's state misses as
   often as it would in a club that reads and votes at once;
6. has an organizer change the meeting link of the 5 coming scheduled weeks
   through the session page's form, as a person would, and times one Celery
   worker (solo pool, the outbox's queues) expanding the five fan-outs and
   sending the 10,000 updated invites to a local SMTP sink, reading its peak
   memory;
7. prints the tables and checks the budgets of issue 14.

All traffic stays on 127.0.0.1 and every load is bounded by a request count.
"""

import argparse
import contextlib
import http.client
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import psycopg
import redis
from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PYTHON = sys.executable
SLUG = "big-club"
SMALL_SLUG = "small-club-1"  # seed_scale: 20-60 members, 60-150 papers, 52 weeks
PASSWORD = "paperclub-scale"  # noqa: S105 - paperclub/seeding/scale.py SCALE_PASSWORD (made-up)
SEARCH = "sparse attention"
FANOUT_SESSIONS = 5  # × 2,000 members = 10,000 invites
# The queues the outbox's tasks go to (CELERY_TASK_ROUTES): its senders on
# mail, the expansion of a fan-out on the default queue. The fan-out's worker
# serves exactly these.
MAIL_QUEUES = ("mail", "celery")
MEETING_LINK = "https://meet.example.com/big-club"
VOTE_EVERY = 20  # reads between two interleaved vote toggles
PREREAD_EVERY = 50  # reads between two interleaved pre-read marks
MIN_VIEWERS = 50

# The budgets of issue 14.
BUDGET_QUERIES = 15
BUDGET_EVERY_PAGE = 0.12  # of the floor's throughput
BUDGET_BACKLOG = 0.25
BUDGET_VOTE = 0.4
BUDGET_FEED = 0.5
BUDGET_P95_MS = 50
BUDGET_FANOUT_SECONDS = 60
BUDGET_FANOUT_MB = 300

FLOOR = "floor (signed-in base page)"
BACKLOG_PAGES = ("backlog: top", "backlog: trending", "backlog: search")
VOTE = "vote toggle (POST)"
FEED = "club ICS feed (5 years)"

# --- Small helpers -----------------------------------------------------------------------


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def proc_status(pid: int, field_name: str) -> int:
    """A memory figure of a process from /proc/<pid>/status, in kB (0 if gone)."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith(field_name + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used so far (0 if gone)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(entry))
    return found


def stop(process: subprocess.Popen) -> None:
    """Stop a process group this script started (by its id), politely first."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f}, {five:.2f}, {fifteen:.2f}"


# --- The database --------------------------------------------------------------------------


def admin_connect(args) -> psycopg.Connection:
    return psycopg.connect(
        host=args.pg_host, port=args.pg_port, user=args.pg_user, dbname="postgres", autocommit=True
    )


def database_url(args) -> str:
    return f"postgres://{args.pg_user}@{args.pg_host}:{args.pg_port}/{args.database}"


def database_reset(args, *, drop: bool) -> None:
    with admin_connect(args) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [args.database]
        ).fetchone()
        if exists and drop:
            log(f"dropping database {args.database}")
            conn.execute(f'DROP DATABASE "{args.database}" WITH (FORCE)')
            exists = None
        if not exists:
            log(f"creating database {args.database}")
            conn.execute(f'CREATE DATABASE "{args.database}"')


def bench_connect(args) -> psycopg.Connection:
    return psycopg.connect(database_url(args), autocommit=True)


def manage(env: dict, *command: str, quiet: bool = False) -> str:
    result = subprocess.run(  # noqa: S603 - our own manage.py
        [PYTHON, "manage.py", *command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit(f"manage.py {' '.join(command)} failed")
    if not quiet and result.stdout.strip():
        print(result.stdout.rstrip(), flush=True)
    return result.stdout


def seed_options(args) -> list[str]:
    return [
        "--seed", str(args.seed),
        "--members", str(args.members),
        "--nominations", str(args.nominations),
        "--votes", str(args.votes),
        "--weeks", str(args.weeks),
        "--other-clubs", str(args.other_clubs),
    ]  # fmt: skip


def prepare_database(args, env: dict) -> float:
    """Create, migrate and seed (once per size). Returns the seconds the seed took."""
    database_reset(args, drop=args.fresh)
    log("migrating")
    manage(env, "migrate", "--noinput", "-v", "0")
    wanted = "Generated by `seed_scale " + " ".join(seed_options(args)) + "`."
    with bench_connect(args) as conn:
        row = conn.execute("SELECT description FROM clubs_club WHERE slug = %s", [SLUG]).fetchone()
    if row is not None and wanted not in row[0]:
        log("the database was seeded with other sizes: starting it again")
        database_reset(args, drop=True)
        manage(env, "migrate", "--noinput", "-v", "0")
        row = None
    if row is not None:
        log("already seeded with these sizes")
        return 0.0
    log("seeding: seed_scale " + " ".join(seed_options(args)))
    started = time.monotonic()
    manage(env, "seed_scale", *seed_options(args))
    return time.monotonic() - started


@dataclass
class ClubTargets:
    """The rows one club's pages are about, looked up in the seeded database."""

    slug: str
    club_id: int
    nomination_id: int  # the backlog's top open paper
    session_id: int  # the next scheduled week
    vote_nominations: list[int]  # the next open papers, for the votes


@dataclass
class Targets:
    big: ClubTargets
    small: ClubTargets
    viewers: list[str]  # plain members of the big club, none running its next week
    prober: str  # a plain member of both clubs, running neither next week
    organizer: str
    fanout_sessions: list[int]


def _club_targets(conn, slug: str, votes: int) -> tuple[ClubTargets, set[int]]:
    club_id = conn.execute("SELECT id FROM clubs_club WHERE slug = %s", [slug]).fetchone()[0]
    top = [
        row[0]
        for row in conn.execute(
            "SELECT id FROM papers_nomination WHERE club_id = %s AND state = 'proposed' "
            "AND pinned_at IS NULL ORDER BY vote_count DESC, id LIMIT %s",
            [club_id, votes + 1],
        )
    ]
    session_id, facilitator, co_facilitator = conn.execute(
        "SELECT id, facilitator_id, co_facilitator_id FROM meetings_session "
        "WHERE club_id = %s AND starts_at > now() AND state = 'scheduled' "
        "ORDER BY starts_at LIMIT 1",
        [club_id],
    ).fetchone()
    found = ClubTargets(
        slug=slug,
        club_id=club_id,
        nomination_id=top[0],
        session_id=session_id,
        vote_nominations=top[1:],
    )
    return found, {facilitator, co_facilitator}


def _plain_members(conn, club_id: int) -> dict[int, str]:
    return dict(
        conn.execute(
            "SELECT u.id, u.email FROM auth_user u JOIN clubs_membership m ON m.user_id = u.id "
            "WHERE m.club_id = %s AND m.role = 'member' AND m.state = 'active' ORDER BY u.email",
            [club_id],
        ).fetchall()
    )


def find_targets(args) -> Targets:
    with bench_connect(args) as conn:
        big, big_runners = _club_targets(conn, SLUG, votes=50)
        small, small_runners = _club_targets(conn, SMALL_SLUG, votes=5)
        members = _plain_members(conn, big.club_id)
        eligible = [email for user_id, email in members.items() if user_id not in big_runners]
        if len(eligible) < args.viewers:
            raise SystemExit(f"the big club has only {len(eligible)} plain members to sign in")
        # Spread over the whole club (the seed gives them their zones and votes at random).
        step = len(eligible) / args.viewers
        viewers = [eligible[int(i * step)] for i in range(args.viewers)]
        in_small = _plain_members(conn, small.club_id)
        both = sorted(
            email
            for user_id, email in members.items()
            if user_id in in_small and user_id not in big_runners | small_runners
        )
        if not both:
            raise SystemExit(f"nobody is a plain member of both {SLUG} and {SMALL_SLUG}")
        organizer = conn.execute(
            "SELECT u.email FROM auth_user u JOIN clubs_membership m ON m.user_id = u.id "
            "WHERE m.club_id = %s AND m.role = 'organizer' AND m.state = 'active' "
            "ORDER BY u.email LIMIT 1",
            [big.club_id],
        ).fetchone()[0]
        fanout = [
            row[0]
            for row in conn.execute(
                "SELECT id FROM meetings_session WHERE club_id = %s AND starts_at > now() "
                "AND state = 'scheduled' ORDER BY starts_at LIMIT %s",
                [big.club_id, FANOUT_SESSIONS],
            )
        ]
    return Targets(
        big=big,
        small=small,
        viewers=viewers,
        prober=both[0],
        organizer=organizer,
        fanout_sessions=fanout,
    )


# --- HTTP -------------------------------------------------------------------------------------


class Client:
    """One signed-in person: cookies, and one fresh connection per request (gunicorn's
    sync workers close each connection after answering)."""

    def __init__(self, port: int):
        self.port = port
        self.origin = f"http://127.0.0.1:{port}"
        self.cookies: dict[str, str] = {}
        self.email = ""

    def request(self, method: str, path: str, *, form: dict | None = None, headers=None):
        sent = {"Host": f"127.0.0.1:{self.port}", "User-Agent": "paperclub-bench"}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
            sent["Origin"] = self.origin
        if method == "POST" and "csrftoken" in self.cookies:
            sent["X-CSRFToken"] = self.cookies["csrftoken"]
        sent.update(headers or {})
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        started = time.perf_counter()
        conn.request(method, path, body=body, headers=sent)
        response = conn.getresponse()
        data = response.read()
        seconds = time.perf_counter() - started
        conn.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie()
            cookie.load(header)
            for name, morsel in cookie.items():
                self.cookies[name] = morsel.value
        return response.status, response.headers, data, seconds

    def sign_in(self, email: str) -> None:
        status, _, page, _ = self.request("GET", "/accounts/login/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if status != 200 or token is None:
            raise SystemExit(f"the sign-in page answered {status}")
        form = {"login": email, "password": PASSWORD, "csrfmiddlewaretoken": token.group(1)}
        status, _headers, _, _ = self.request("POST", "/accounts/login/", form=form)
        if status != 302 or "sessionid" not in self.cookies:
            raise SystemExit(f"signing in as {email} failed ({status})")
        self.email = email


def signed_in(port: int, emails: list[str], threads: int) -> list[Client]:
    """A signed-in client per address, in the order given (signing in `threads` at once)."""
    clients = [Client(port) for _ in emails]
    failures: list[BaseException] = []

    def work(offset: int) -> None:
        try:
            for index in range(offset, len(emails), threads):
                clients[index].sign_in(emails[index])
        except BaseException as error:  # reported below
            failures.append(error)

    workers = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    if failures:
        raise failures[0]
    return clients


class Forms(HTMLParser):
    """The forms of a page: each one's action and the values it would submit as is."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({"action": attrs.get("action", ""), "fields": {}})
        elif not self.forms:
            return
        fields = self.forms[-1]["fields"]
        if tag == "input" and attrs.get("name"):
            kind = attrs.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            if kind not in ("submit", "button", "file"):
                fields[attrs["name"]] = attrs.get("value") or ""
        elif tag == "textarea" and attrs.get("name"):
            self._textarea = attrs["name"]
            fields[self._textarea] = ""
        elif tag == "select" and attrs.get("name"):
            self._select = attrs["name"]
        elif tag == "option" and self._select and "selected" in attrs:
            fields[self._select] = attrs.get("value") or ""

    def handle_data(self, data):
        if self._textarea and self.forms:
            self.forms[-1]["fields"][self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None


def form_on(page: bytes, action_ends: str) -> dict:
    parser = Forms()
    parser.feed(page.decode())
    for form in parser.forms:
        if form["action"].endswith(action_ends):
            return form
    raise SystemExit(f"no form posting to …{action_ends} on the page")


@dataclass
class Page:
    name: str
    path: str
    method: str = "GET"
    # Per request: n (the request's place in the run) -> (path, form)
    make: object = None
    htmx: bool = False
    content: bytes = b""  # a piece the answer must contain

    def call(self, client: Client, n: int):
        path, form = self.path, None
        if self.make is not None:
            path, form = self.make(n)
        headers = {"HX-Request": "true"} if self.htmx else None
        return client.request(self.method, path, form=form, headers=headers)

    @property
    def reads(self) -> bool:
        return self.method == "GET"


def vote_page(club: ClubTargets) -> Page:
    base = f"/c/{club.slug}"

    def vote(n: int):
        # Request n is member n mod --viewers: the nomination moves on every
        # round of the members, so each member votes on many papers.
        count = len(club.vote_nominations)
        nomination = club.vote_nominations[(n + n // count) % count]
        return f"{base}/papers/{nomination}/vote/", {"next": f"{base}/backlog/"}

    return Page(VOTE, "", method="POST", make=vote, htmx=True, content=b"vote")


def preread_page(club: ClubTargets) -> Page:
    session = f"/c/{club.slug}/sessions/{club.session_id}"

    def preread(n: int):
        return f"{session}/preread/", {"level": str((n + 1) % 4)}

    return Page("pre-read change (POST)", "", method="POST", make=preread, htmx=True)


def pages(club: ClubTargets) -> list[Page]:
    base = f"/c/{club.slug}"
    session = f"{base}/sessions/{club.session_id}"
    return [
        Page(FLOOR, "/bench/floor/", content=b"<h1>Floor</h1>"),
        Page("club home", f"{base}/", content=b"<h1"),
        Page("backlog: top", f"{base}/backlog/", content=b'class="nominations"'),
        Page("backlog: trending", f"{base}/backlog/?sort=trending", content=b"trending counts"),
        Page(
            "backlog: search",
            f"{base}/backlog/?" + urlencode({"q": SEARCH}),
            content=b"<h1",
        ),
        Page("nomination page", f"{base}/papers/{club.nomination_id}/"),
        Page("rota", f"{base}/rota/", content=b"session-list"),
        Page("session page", f"{session}/"),
        Page("archive", f"{base}/archive/", content=b"archive-table"),
        Page(FEED, f"{base}/calendar.ics", content=b"END:VCALENDAR"),
        vote_page(club),
        preread_page(club),
    ]


# --- Statements: constant in the club's size -------------------------------------------------


def probe_statements(args, port: int, targets: Targets) -> dict[str, dict[str, tuple[int, int]]]:
    """Each page's SQL statements in the big and the small club, as one member of
    both: (with an empty cache, right after with a warm one). A POST is sent twice
    (a vote and taking it back; two pre-read levels)."""
    client = Client(port)
    client.sign_in(targets.prober)
    cache = redis.Redis.from_url(args.redis_url)
    found: dict[str, dict[str, tuple[int, int]]] = {}
    for club in (targets.big, targets.small):
        for page in pages(club)[1:]:
            cache.flushdb()
            counts = []
            for n in (0, 0) if page.name == VOTE else (0, 1):
                status, headers, body, _ = page.call(client, n)
                if status != 200:
                    raise SystemExit(f"{page.name} in {club.slug} answered {status}: {body[:200]}")
                counts.append(int(headers.get("X-Query-Count", "-1")))
            if page.name == VOTE:
                # A vote and taking it back: which comes first depends on whether
                # the prober had voted, so compare them larger first.
                counts.sort(reverse=True)
            found.setdefault(page.name, {})[club.slug] = (counts[0], counts[1])
    cache.flushdb()
    return found


# --- Load ---------------------------------------------------------------------------------------


class MemoryWatch:
    """Samples the gunicorn workers' resident memory while a page is loaded."""

    def __init__(self, master: int):
        self.master = master
        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self):
        self.peak_kb = 0
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(0.02)

    def sample(self) -> None:
        for pid in children(self.master):
            self.peak_kb = max(self.peak_kb, proc_status(pid, "VmRSS"))

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.sample()


class ServerCpu:
    """CPU seconds used so far by the gunicorn workers and by the PostgreSQL
    backends connected to the bench database: what serving the load cost, whatever
    else the machine was doing meanwhile."""

    def __init__(self, master: int, database: str):
        self.master = master
        self.marker = f" {database} ".encode()

    def _postgres(self) -> list[int]:
        found = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                    text = cmdline.read()
            except OSError:
                continue
            if text.startswith(b"postgres:") and self.marker in text:
                found.append(int(entry))
        return found

    def seconds(self) -> float:
        pids = children(self.master) + self._postgres()
        return sum(cpu_seconds(pid) for pid in pids)


@dataclass
class RoundResult:
    latencies: list[float]
    queries: list[int]
    rps: float  # requests of the page per second of the threads' time spent on it
    errors: list[str]
    peak_kb: int
    cpu_seconds: float
    writes: list[float]  # the interleaved writes' latencies
    floor_rps: float = 0.0  # the floor's, measured just before this page in the same round


class Rotation:
    """Hands out request numbers across threads: request n goes to member n mod members."""

    def __init__(self, clients: list[Client]):
        self.clients = clients
        self.next = 0
        self.lock = threading.Lock()

    def take(self) -> tuple[int, Client]:
        with self.lock:
            n, self.next = self.next, self.next + 1
        return n, self.clients[n % len(self.clients)]


def drive(
    page: Page,
    rotation: Rotation,
    *,
    requests: int,
    threads: int,
    watch: MemoryWatch,
    cpu: ServerCpu,
    writes: tuple[Page, Page] | None,
) -> RoundResult:
    """`requests` requests from `threads` threads started together, the members in
    turn. With `writes` (a vote and a pre-read page), a read's member also votes
    after every VOTE_EVERY-th read and marks their pre-reading after every
    PREREAD_EVERY-th; that time is not the page's."""
    per_thread = requests // threads
    latencies: list[float] = []
    queries: list[int] = []
    errors: list[str] = []
    written: list[float] = []
    busy: list[tuple[int, float]] = []  # per thread: (requests, seconds on this page)
    lock = threading.Lock()
    start = threading.Barrier(threads + 1)
    interleave = writes is not None and page.reads

    def write(writer: Page, client: Client, n: int, mine: list[float], problems: list) -> None:
        status, _, body, seconds = writer.call(client, n)
        mine.append(seconds)
        if status != 200:
            problems.append(f"interleaved {writer.name}: {status} {body[:120]!r}")

    def work() -> None:
        mine, counts, problems, mine_written = [], [], [], []
        start.wait()
        began = time.perf_counter()
        for _ in range(per_thread):
            n, client = rotation.take()
            status, headers, body, seconds = page.call(client, n)
            mine.append(seconds)
            counts.append(int(headers.get("X-Query-Count", "-1")))
            if status != 200 or (page.content and page.content not in body):
                problems.append(f"{status} {body[:120]!r}")
            if interleave and (n + 1) % VOTE_EVERY == 0:
                write(writes[0], client, n // VOTE_EVERY, mine_written, problems)
            if interleave and (n + 1) % PREREAD_EVERY == 0:
                write(writes[1], client, n // PREREAD_EVERY, mine_written, problems)
        spent = time.perf_counter() - began - sum(mine_written)
        with lock:
            latencies.extend(mine)
            queries.extend(counts)
            errors.extend(problems)
            written.extend(mine_written)
            busy.append((len(mine), spent))

    workers = [threading.Thread(target=work, daemon=True) for _ in range(threads)]
    for worker in workers:
        worker.start()
    with watch:
        cpu_before = cpu.seconds()
        start.wait()
        for worker in workers:
            worker.join()
        used = cpu.seconds() - cpu_before
    rps = sum(done / seconds for done, seconds in busy)
    return RoundResult(latencies, queries, rps, errors, watch.peak_kb, used, written)


@dataclass
class PageResult:
    page: Page
    rounds: list[RoundResult] = field(default_factory=list)
    probe: dict[str, tuple[int, int]] = field(default_factory=dict)

    def _median_of(self, figure) -> float:
        return statistics.median(figure(r) for r in self.rounds)

    @property
    def latencies(self) -> list[float]:
        return [s for r in self.rounds for s in r.latencies]

    @property
    def p50_ms(self) -> float:
        return statistics.median(self.latencies) * 1000

    @property
    def p95_ms(self) -> float:
        return percentile(self.latencies, 0.95) * 1000

    @property
    def rps(self) -> float:
        return self._median_of(lambda r: r.rps)

    @property
    def of_floor(self) -> float:
        """Throughput as a share of the floor's, each round against the floor
        measured just before it (so a slower moment of the machine hits both)."""
        return self._median_of(lambda r: r.rps / r.floor_rps)

    @property
    def cpu_ms(self) -> float:
        """Server CPU (gunicorn workers and PostgreSQL) per request of the page
        (the interleaved writes' CPU included)."""
        return self._median_of(lambda r: r.cpu_seconds / len(r.latencies) * 1000)

    @property
    def queries(self) -> tuple[int, int]:
        everything = [q for r in self.rounds for q in r.queries]
        for counts in self.probe.values():
            everything.extend(counts)
        return min(everything), max(everything)

    @property
    def peak_mb(self) -> float:
        return max(r.peak_kb for r in self.rounds) / 1024

    @property
    def errors(self) -> list[str]:
        return [e for r in self.rounds for e in r.errors]

    @property
    def writes(self) -> list[float]:
        return [s for r in self.rounds for s in r.writes]

    def grows(self) -> bool:
        """More statements in the big club than in the small one (empty or warm cache)."""
        if SLUG not in self.probe or SMALL_SLUG not in self.probe:
            return False
        big, small = self.probe[SLUG], self.probe[SMALL_SLUG]
        return big[0] > small[0] or big[1] > small[1]


# --- gunicorn ---------------------------------------------------------------------------


def web_env(args, port: int, static_root: str, media_root: str) -> dict:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url(args),
        SECRET_KEY="bench-" + "x" * 50,
        DEBUG="0",
        ALLOWED_HOSTS="127.0.0.1",
        SITE_URL=f"http://127.0.0.1:{port}",
        SECURE_SSL_REDIRECT="0",
        SESSION_COOKIE_SECURE="0",
        CSRF_COOKIE_SECURE="0",
        SECURE_HSTS_SECONDS="0",
        REDIS_URL=args.redis_url,
        CELERY_BROKER_URL=args.redis_url,
        STATIC_ROOT=static_root,
        MEDIA_ROOT=media_root,
        EMAIL_HOST="",
        PAPERCLUB_BENCH="1",
        LOG_LEVEL="WARNING",
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


def start_gunicorn(args, env: dict, port: int) -> subprocess.Popen:
    command = [
        str(BIN / "gunicorn"),
        "paperclub.wsgi:application",
        "--bind", f"127.0.0.1:{port}",
        "--workers", str(args.workers),
        "--worker-class", "sync",
        "--timeout", "120",
        "--log-level", "warning",
    ]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)  # noqa: S603
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("gunicorn stopped while starting")
        try:
            status, *_ = Client(port).request("GET", "/healthz")
            if status == 200 and len(children(process.pid)) >= args.workers:
                return process
        except OSError:
            pass
        time.sleep(0.2)
    stop(process)
    raise SystemExit("gunicorn did not answer /healthz within a minute")


# --- The fan-out ------------------------------------------------------------------------


class CountingSink:
    """An SMTP handler (aiosmtpd) that counts what it takes and keeps the first message."""

    def __init__(self):
        self.count = 0
        self.bytes = 0
        self.first: bytes | None = None
        self.seen: set[tuple[str, bytes]] = set()  # (recipient, Message-ID)
        self.lock = threading.Lock()
        self.last_at: float | None = None

    async def handle_DATA(self, server, session, envelope):
        found = re.search(rb"^Message-ID:\s*(\S+)", envelope.content, re.M | re.I)
        with self.lock:
            self.count += 1
            self.bytes += len(envelope.content)
            for recipient in envelope.rcpt_tos:
                self.seen.add((recipient, found.group(1) if found else b""))
            if self.first is None:
                self.first = envelope.content
            self.last_at = time.perf_counter()
        return "250 Message accepted"


def owed_by_fan_outs(args, session_ids: list[int], since: datetime) -> int | None:
    """How many messages the fan-outs of these sessions made since `since` owe,
    once every one is expanded (None before). A member who said they are not
    going to a week is owed no update of it (sessions.mail.invites), so this is
    the outbox's own count rather than members × weeks."""
    with bench_connect(args) as conn:
        fan_outs = conn.execute(
            "SELECT id, state FROM clubs_outboxfanout WHERE subject_id = ANY(%s) "
            "AND created_at >= %s",
            [session_ids, since],
        ).fetchall()
        if len(fan_outs) < len(session_ids) or any(state == "pending" for _, state in fan_outs):
            return None
        return conn.execute(
            "SELECT count(*) FROM clubs_outboxmessage WHERE fan_out_id = ANY(%s)",
            [[pk for pk, _ in fan_outs]],
        ).fetchone()[0]


def fanout(args, env: dict, port: int, targets: Targets) -> dict:
    """An organizer changes the meeting link of the coming weeks (the session
    page's "Edit details" form, as in a browser): every invited member gets the
    updated invite. One Celery worker on the mail queues sends them to a sink."""
    sessions = targets.fanout_sessions
    with bench_connect(args) as conn:
        recipients = conn.execute(
            "SELECT count(*) FROM clubs_membership m JOIN meetings_mailpreferences p "
            "ON p.user_id = m.user_id WHERE m.club_id = %s AND m.state = 'active' "
            "AND p.invites AND NOT p.no_email",
            [targets.big.club_id],
        ).fetchone()[0]
    invited = recipients * len(sessions)
    organizer = Client(port)
    organizer.sign_in(targets.organizer)
    changes = []
    run = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    for session_id in sessions:
        path = f"/c/{SLUG}/sessions/{session_id}/"
        status, _, page, _ = organizer.request("GET", path)
        if status != 200:
            raise SystemExit(f"the organizer's session page answered {status}")
        form = form_on(page, f"/sessions/{session_id}/details/")
        form["fields"]["meeting_link"] = f"{MEETING_LINK}?run={run}"
        changes.append((form["action"], form["fields"]))

    handler = CountingSink()
    sink_port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=sink_port, data_size_limit=0)
    controller.start()
    worker_env = dict(env)
    worker_env.update(EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(sink_port), EMAIL_USE_TLS="0")
    worker_env.pop("PAPERCLUB_BENCH", None)
    log_path = Path(tempfile.mkstemp(prefix="paperclub-bench-worker-", suffix=".log")[1])
    command = [
        str(BIN / "celery"), "-A", "paperclub", "worker",
        "--pool", "solo", "--queues", ",".join(MAIL_QUEUES), "--loglevel", "info",
        "--without-gossip", "--without-mingle", "--without-heartbeat",
        "--hostname", f"bench-fanout-{os.getpid()}@%h",
    ]  # fmt: skip
    with open(log_path, "w") as log_file:
        worker = subprocess.Popen(  # noqa: S603 - our own celery worker
            command,
            cwd=ROOT,
            env=worker_env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 60
        while " ready." not in log_path.read_text():
            if worker.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the Celery worker did not start:\n" + log_path.read_text())
            time.sleep(0.2)
        rss_idle = proc_status(worker.pid, "VmRSS")
        log(f"fan-out: {len(sessions)} sessions × {recipients} members opted in = {invited}")
        since = datetime.now(UTC)
        cpu_before = cpu_seconds(worker.pid)
        sink_before = time.process_time()
        started = time.perf_counter()
        for action, fields in changes:
            status, _, body, _ = organizer.request("POST", action, form=fields)
            if status != 302:
                raise SystemExit(f"saving the session's details answered {status}: {body[:300]}")
        deadline = time.monotonic() + args.fanout_timeout
        peak = 0
        expected = None
        checked = 0.0
        while expected is None or handler.count < expected:
            peak = max(peak, proc_status(worker.pid, "VmRSS"))
            if worker.poll() is not None:
                raise SystemExit("the Celery worker died:\n" + log_path.read_text()[-3000:])
            if time.monotonic() > deadline:
                raise SystemExit(f"fan-out timed out after {handler.count} of {expected} messages")
            if expected is None and time.monotonic() - checked > 0.5:
                checked = time.monotonic()
                expected = owed_by_fan_outs(args, sessions, since)
            time.sleep(0.05)
        seconds = (handler.last_at or started) - started
        worker_cpu = cpu_seconds(worker.pid) - cpu_before
        sink_cpu = time.process_time() - sink_before
        time.sleep(2)  # anything sent twice would arrive now
        peak_kb = max(peak, proc_status(worker.pid, "VmHWM"))
        first = handler.first or b""
    finally:
        stop(worker)
        controller.stop()
    return {
        "messages": handler.count,
        "distinct": len(handler.seen),
        "expected": expected,
        "invited": invited,
        "seconds": seconds,
        "per_second": handler.count / seconds,
        "peak_mb": peak_kb / 1024,
        "idle_mb": rss_idle / 1024,
        "megabytes_sent": handler.bytes / 1e6,
        "worker_cpu_seconds": worker_cpu,
        "sink_cpu_seconds": sink_cpu,
        "has_calendar": all(
            part in first
            for part in (b"text/calendar; method=", b"METHOD:REQUEST", b"ATTENDEE", b"invite.ics")
        ),
    }


# --- Report ---------------------------------------------------------------------------------------


def _statements(result: PageResult) -> str:
    low, high = result.queries
    return str(low) if low == high else f"{low}–{high}"


def _probe(result: PageResult, slug: str) -> str:
    if slug not in result.probe:
        return ""
    cold, warm = result.probe[slug]
    return f"{cold} / {warm}"


def table(results: list[PageResult]) -> str:
    head = (
        "| page | p50 ms | p95 ms | req/s | × floor | SQL statements | big club: cold / warm "
        "| small club: cold / warm | server CPU ms/request | peak worker RSS MB |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    )
    rows = []
    for result in results:
        rows.append(
            f"| {result.page.name} | {result.p50_ms:.1f} | {result.p95_ms:.1f} | "
            f"{result.rps:.0f} | {result.of_floor:.2f} | {_statements(result)} | "
            f"{_probe(result, SLUG)} | {_probe(result, SMALL_SLUG)} | "
            f"{result.cpu_ms:.1f} | {result.peak_mb:.0f} |"
        )
    return "\n".join([*head, *rows])


def budgets(
    results: dict[str, PageResult], fan: dict | None, fan_error: str = ""
) -> list[tuple[bool, str]]:
    lines: list[tuple[bool, str]] = []
    pages_only = [r for name, r in results.items() if name != FLOOR]

    def check(ok: bool, text: str) -> None:
        lines.append((ok, text))

    worst = max(pages_only, key=lambda r: r.queries[1])
    check(
        worst.queries[1] <= BUDGET_QUERIES,
        f"≤ {BUDGET_QUERIES} SQL statements on every page (most: {worst.queries[1]}, "
        f"{worst.page.name})",
    )
    growing = [r.page.name for r in pages_only if r.grows()]
    probed = [r for r in pages_only if r.probe]
    if probed:
        check(
            not growing,
            "statements constant in rows: no page runs more in the big club than in the "
            f"small one ({', '.join(growing) if growing else 'none does'})",
        )
    slow = min(pages_only, key=lambda r: r.of_floor)
    check(
        slow.of_floor >= BUDGET_EVERY_PAGE,
        f"every page ≥ {BUDGET_EVERY_PAGE} of the floor's throughput "
        f"(lowest: {slow.of_floor:.2f}, {slow.page.name})",
    )
    for name in BACKLOG_PAGES:
        if name in results:
            r = results[name]
            check(
                r.of_floor >= BUDGET_BACKLOG,
                f"{name} ≥ {BUDGET_BACKLOG} of the floor's ({r.of_floor:.2f})",
            )
    if VOTE in results:
        r = results[VOTE]
        check(
            r.of_floor >= BUDGET_VOTE,
            f"vote toggle ≥ {BUDGET_VOTE} of the floor's ({r.of_floor:.2f})",
        )
    if FEED in results:
        r = results[FEED]
        check(
            r.of_floor >= BUDGET_FEED,
            f"five-year feed ≥ {BUDGET_FEED} of the floor's ({r.of_floor:.2f})",
        )
    worst_p95 = max(pages_only, key=lambda r: r.p95_ms)
    check(
        worst_p95.p95_ms <= BUDGET_P95_MS,
        f"p95 of every page ≤ {BUDGET_P95_MS} ms (highest: {worst_p95.p95_ms:.1f} ms, "
        f"{worst_p95.page.name})",
    )
    if fan is not None:
        check(
            fan["seconds"] <= BUDGET_FANOUT_SECONDS
            and fan["peak_mb"] < BUDGET_FANOUT_MB
            and fan["messages"] == fan["distinct"] == fan["expected"],
            f"fan-out of {fan['expected']:,} ≤ {BUDGET_FANOUT_SECONDS} s with the worker "
            f"< {BUDGET_FANOUT_MB} MB, each sent once ({fan['seconds']:.1f} s, "
            f"{fan['peak_mb']:.0f} MB, {fan['messages']:,} sent, {fan['distinct']:,} distinct)",
        )
    elif fan_error:
        check(False, f"fan-out within {BUDGET_FANOUT_SECONDS} s: {fan_error}")
    return lines


def machine() -> str:
    cpus = os.cpu_count()
    with open("/proc/meminfo") as meminfo:
        total_kb = int(meminfo.readline().split()[1])
    model = ""
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"{cpus} cores ({model}), {total_kb / 1024 / 1024:.0f} GiB RAM"


# --- Main -----------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="paperclub_bench")
    parser.add_argument("--fresh", action="store_true", help="drop and seed the database again")
    parser.add_argument("--pg-host", default="127.0.0.1")
    parser.add_argument("--pg-port", type=int, default=5432)
    parser.add_argument("--pg-user", default="postgres")
    parser.add_argument(
        "--redis-url",
        default="redis://127.0.0.1:6379/12",
        help="a Redis database for the bench alone (cache and broker): emptied at the start",
    )
    parser.add_argument("--requests", type=int, default=200, help="per page and round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=20, help="requests per page first")
    parser.add_argument("--threads", type=int, default=2, help="requests at once")
    parser.add_argument("--viewers", type=int, default=MIN_VIEWERS, help="signed-in members")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--no-fanout", action="store_true")
    parser.add_argument("--no-probe", action="store_true", help="skip the big/small club probe")
    parser.add_argument("--fanout-timeout", type=float, default=300)
    parser.add_argument("--only", help="comma-separated page names (and always the floor)")
    parser.add_argument("--json", default=str(ROOT / "var" / "bench-latest.json"))
    defaults = {"seed": 7, "members": 2000, "nominations": 5000, "votes": 100_000, "weeks": 260}
    for name, value in defaults.items():
        parser.add_argument(f"--{name}", type=int, default=value)
    parser.add_argument("--other-clubs", type=int, default=3)
    args = parser.parse_args()
    if args.requests % args.threads:
        parser.error("--requests must be a multiple of --threads")
    if args.other_clubs < 1:
        parser.error("--other-clubs must be at least 1 (the probe compares with a small club)")

    begun = time.monotonic()
    load_at_start = load_average()
    log(f"load average (1, 5, 15 min) before the run: {load_at_start}")
    work = Path(tempfile.mkdtemp(prefix="paperclub-bench-"))
    port = free_port()
    env = web_env(args, port, str(work / "static"), str(work / "media"))
    seed_seconds = prepare_database(args, env)
    redis.Redis.from_url(args.redis_url).flushdb()
    targets = find_targets(args)
    log("collecting static files")
    manage(env, "collectstatic", "--noinput", "-v", "0")
    log(f"starting gunicorn on 127.0.0.1:{port} with {args.workers} workers")
    server = start_gunicorn(args, env, port)
    fan = None
    fan_error = ""
    try:
        log(f"signing in {len(targets.viewers)} members")
        clients = signed_in(port, targets.viewers, args.threads)
        rotation = Rotation(clients)
        chosen = pages(targets.big)
        writes = (vote_page(targets.big), preread_page(targets.big))
        if args.only:
            names = {FLOOR, *(name.strip() for name in args.only.split(","))}
            unknown = names - {p.name for p in chosen}
            if unknown:
                known = ", ".join(repr(p.name) for p in chosen)
                missing = ", ".join(sorted(unknown))
                raise SystemExit(f"--only: no page named {missing}; pages: {known}")
            chosen = [p for p in chosen if p.name in names]
        results = {page.name: PageResult(page) for page in chosen}
        if not args.no_probe:
            log(f"statements per page in {SLUG} and {SMALL_SLUG}, as {targets.prober}")
            for name, counts in probe_statements(args, port, targets).items():
                if name in results:
                    results[name].probe = counts
        watch = MemoryWatch(server.pid)
        cpu = ServerCpu(server.pid, args.database)
        log(f"warming up ({args.warmup} requests per page)")
        load = {"threads": args.threads, "watch": watch, "cpu": cpu, "writes": writes}
        for page in chosen:
            warm = args.warmup - args.warmup % args.threads
            result = drive(page, rotation, requests=warm, **load)
            if result.errors:
                raise SystemExit(f"{page.name}: {result.errors[0]}")
        floor, others = chosen[0], chosen[1:]
        for round_number in range(1, args.rounds + 1):
            log(f"round {round_number} of {args.rounds}: {args.requests} requests per page")
            for page in others:
                # The floor again just before each page: the page's share of its
                # throughput compares two runs a second apart.
                before = drive(floor, rotation, requests=args.requests, **load)
                before.floor_rps = before.rps
                results[floor.name].rounds.append(before)
                result = drive(page, rotation, requests=args.requests, **load)
                result.floor_rps = before.rps
                results[page.name].rounds.append(result)
        peak_hwm = max((proc_status(pid, "VmHWM") for pid in children(server.pid)), default=0)
        if not args.no_fanout:
            try:
                fan = fanout(args, env, port, targets)
            except SystemExit as error:
                # Reported with the pages' tables, which stay worth reading.
                fan_error = str(error)
    finally:
        stop(server)
    load_at_end = load_average()

    ordered = list(results.values())
    writes_seen = [s for r in ordered for s in r.writes]
    print()
    print(
        f"Paper Club bench, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {machine()}; "
        f"gunicorn {args.workers} sync workers; {args.threads} requests at once from "
        f"{len(clients)} signed-in members in turn; {args.rounds} rounds × {args.requests} "
        f"requests per page, each page right after a run of the floor; among the reads a "
        f"vote every {VOTE_EVERY} and a pre-read mark every {PREREAD_EVERY}. p50 and p95 over "
        f"every request of the page; req/s and × floor the median of the rounds."
    )
    print(f"Load average (1, 5, 15 min): {load_at_start} before, {load_at_end} after.")
    print()
    print(table(ordered))
    print()
    if writes_seen:
        print(
            f"Interleaved writes: {len(writes_seen):,} (votes and pre-read marks), "
            f"p50 {statistics.median(writes_seen) * 1000:.1f} ms, "
            f"p95 {percentile(writes_seen, 0.95) * 1000:.1f} ms."
        )
    print(f"Peak RSS of a gunicorn worker over the whole run (VmHWM): {peak_hwm / 1024:.0f} MB")
    if fan is not None:
        print(
            f"Fan-out: {fan['messages']:,} updated invites with their calendars handed to the "
            f"SMTP sink ({fan['expected']:,} owed by the outbox of {fan['invited']:,} opted-in "
            f"member-weeks: those who said they are not going are owed none) "
            f"in {fan['seconds']:.1f} s ({fan['per_second']:.0f}/s, "
            f"{fan['megabytes_sent']:.0f} MB), {fan['distinct']:,} distinct (recipient, "
            f"Message-ID); one Celery worker (solo pool) busy {fan['worker_cpu_seconds']:.0f} s "
            f"of CPU (the sink {fan['sink_cpu_seconds']:.0f} s), peaked at "
            f"{fan['peak_mb']:.0f} MB RSS (idle {fan['idle_mb']:.0f} MB); "
            f"calendar attached: {fan['has_calendar']}"
        )
    if fan_error:
        print(f"Fan-out FAILED: {fan_error}")
    errors = {name: r.errors for name, r in results.items() if r.errors}
    for name, problems in errors.items():
        print(f"ERRORS on {name}: {len(problems)}, e.g. {problems[0]}")
    print()
    checked = budgets(results, fan, fan_error) if not args.only else []
    if checked:
        print("Budgets (issue 14):")
        for ok, text in checked:
            print(f"  [{'pass' if ok else 'FAIL'}] {text}")
    total = time.monotonic() - begun
    print()
    print(f"Whole run: {total:.0f} s (seed {seed_seconds:.0f} s).")
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(
        json.dumps(
            {
                "when": datetime.now(UTC).isoformat(),
                "machine": machine(),
                "load_average": {"before": load_at_start, "after": load_at_end},
                "pages": {
                    r.page.name: {
                        "p50_ms": r.p50_ms,
                        "p95_ms": r.p95_ms,
                        "rps": r.rps,
                        "of_floor": r.of_floor,
                        "queries": r.queries,
                        "probe": r.probe,
                        "cpu_ms": r.cpu_ms,
                        "peak_mb": r.peak_mb,
                        "errors": len(r.errors),
                    }
                    for r in ordered
                },
                "budgets": [{"pass": ok, "text": text} for ok, text in checked],
                "worker_peak_mb": peak_hwm / 1024,
                "fanout": fan,
                "fanout_error": fan_error,
                "seconds": total,
            },
            indent=2,
        )
    )
    if errors or fan_error:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
