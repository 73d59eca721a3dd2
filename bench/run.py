"""Paper Club at the scale of a big club: every main page under load, and the mail fan-out.

Run it with ./bench/run (which makes sure .venv exists). It

1. creates the PostgreSQL database `paperclub_bench` (or --database) if needed,
   migrates it and seeds it once with `seed_scale` (again only if the sizes changed);
2. starts gunicorn on a free loopback port with production settings (DEBUG off,
   Redis cache, database sessions, collected static files) and PAPERCLUB_BENCH=1,
   which adds the X-Query-Count header and the /bench/floor/ page;
3. signs in as members of the big club (the allauth form), warms up, then sends a
   fixed number of requests to each page from a few threads, in several rounds,
   and reads each gunicorn worker's memory from /proc while it does;
4. times one Celery worker (solo pool, Redis broker) sending 10,000 calendar
   invites to a local SMTP sink, and reads its peak memory;
5. prints one table and checks the budgets of issue 7.

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
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import psycopg

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PYTHON = sys.executable
SLUG = "big-club"
PASSWORD = "paperclub-scale"  # noqa: S105 - paperclub/seeding/scale.py SCALE_PASSWORD (made-up accounts)
FIRST_BENCH_MEMBER = 100  # paperclub/seeding/scale.py: member0100 is a plain member
SEARCH = "sparse attention"
FANOUT_QUEUE = "bench-fanout"
FANOUT_SESSIONS = 5  # × 2,000 members = 10,000 invites
BUDGET_QUERIES = 15

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
class Targets:
    """The rows the pages are about, looked up in the seeded database."""

    club_id: int
    nomination_id: int
    session_id: int
    vote_nominations: list[int]
    members: list[str]
    fanout_sessions: list[int]


def find_targets(args, threads: int) -> Targets:
    with bench_connect(args) as conn:
        club_id = conn.execute("SELECT id FROM clubs_club WHERE slug = %s", [SLUG]).fetchone()[0]
        # The backlog's top papers (not pinned): the most visited, and the ones voted on.
        top = [
            row[0]
            for row in conn.execute(
                "SELECT id FROM papers_nomination WHERE club_id = %s AND state = 'proposed' "
                "AND pinned_at IS NULL ORDER BY vote_count DESC, id LIMIT %s",
                [club_id, threads + 1],
            )
        ]
        # Next week's session: papers chosen, RSVPs and pre-reads coming in.
        session_id, facilitator, co_facilitator = conn.execute(
            "SELECT id, facilitator_id, co_facilitator_id FROM meetings_session "
            "WHERE club_id = %s AND starts_at > now() AND state = 'scheduled' "
            "ORDER BY starts_at LIMIT 1",
            [club_id],
        ).fetchone()
        runners = {facilitator, co_facilitator}
        members = []
        for user_id, email in conn.execute(
            "SELECT u.id, u.email FROM auth_user u JOIN clubs_membership m ON m.user_id = u.id "
            "WHERE m.club_id = %s AND m.role = 'member' AND m.state = 'active' "
            "AND u.email >= %s ORDER BY u.email LIMIT %s",
            [club_id, f"member{FIRST_BENCH_MEMBER:04d}@", threads + 4],
        ):
            if user_id not in runners and len(members) < threads:
                members.append(email)
        fanout = [
            row[0]
            for row in conn.execute(
                "SELECT id FROM meetings_session WHERE club_id = %s AND starts_at > now() "
                "AND state = 'scheduled' ORDER BY starts_at LIMIT %s",
                [club_id, FANOUT_SESSIONS],
            )
        ]
    return Targets(
        club_id=club_id,
        nomination_id=top[0],
        session_id=session_id,
        vote_nominations=top[1 : threads + 1],
        members=members,
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
        status, headers, _, _ = self.request("POST", "/accounts/login/", form=form)
        if status != 302 or "sessionid" not in self.cookies:
            raise SystemExit(f"signing in as {email} failed ({status})")


@dataclass
class Page:
    name: str
    path: str
    method: str = "GET"
    # Per request: (thread, index) -> (path, form)
    make: object = None
    htmx: bool = False
    content: bytes = b""  # a piece the answer must contain

    def call(self, client: Client, thread: int, index: int):
        path, form = self.path, None
        if self.make is not None:
            path, form = self.make(thread, index)
        headers = {"HX-Request": "true"} if self.htmx else None
        return client.request(self.method, path, form=form, headers=headers)


def pages(targets: Targets) -> list[Page]:
    club = f"/c/{SLUG}"
    session = f"{club}/sessions/{targets.session_id}"

    def vote(thread: int, index: int):
        nomination = targets.vote_nominations[thread % len(targets.vote_nominations)]
        return f"{club}/papers/{nomination}/vote/", {"next": f"{club}/backlog/"}

    def preread(thread: int, index: int):
        return f"{session}/preread/", {"level": str((index + 1) % 4)}

    return [
        Page("floor (signed-in base page)", "/bench/floor/", content=b"<h1>Floor</h1>"),
        Page("club home", f"{club}/", content=b"Big Club"),
        Page("backlog: top", f"{club}/backlog/", content=b'class="nominations"'),
        Page("backlog: trending", f"{club}/backlog/?sort=trending", content=b"trending counts"),
        Page(
            "backlog: search",
            f"{club}/backlog/?" + urlencode({"q": SEARCH}),
            content=b'class="nominations"',
        ),
        Page("nomination page", f"{club}/papers/{targets.nomination_id}/"),
        Page("rota", f"{club}/rota/", content=b"session-list"),
        Page("session page", f"{session}/"),
        Page("archive", f"{club}/archive/", content=b"archive-table"),
        Page("club ICS feed (5 years)", f"{club}/calendar.ics", content=b"END:VCALENDAR"),
        Page("vote toggle (POST)", "", method="POST", make=vote, htmx=True, content=b"vote"),
        Page("pre-read change (POST)", "", method="POST", make=preread, htmx=True),
    ]


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
    seconds: float
    errors: list[str]
    peak_kb: int
    cpu_seconds: float
    floor_rps: float = 0.0  # the floor's, measured just before this page in the same round


def drive(
    page: Page, clients: list[Client], requests: int, watch: MemoryWatch, cpu: ServerCpu
) -> RoundResult:
    """`requests` requests, split evenly over one thread per client, all started together."""
    per_thread = requests // len(clients)
    latencies: list[float] = []
    queries: list[int] = []
    errors: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(len(clients) + 1)
    wanted = 200

    def work(thread: int, client: Client) -> None:
        mine, counts, problems = [], [], []
        start.wait()
        for index in range(per_thread):
            status, headers, body, seconds = page.call(client, thread, index)
            mine.append(seconds)
            counts.append(int(headers.get("X-Query-Count", "-1")))
            if status != wanted or (page.content and page.content not in body):
                problems.append(f"{status} {body[:120]!r}")
        with lock:
            latencies.extend(mine)
            queries.extend(counts)
            errors.extend(problems)

    threads = [
        threading.Thread(target=work, args=(t, client), daemon=True)
        for t, client in enumerate(clients)
    ]
    for thread in threads:
        thread.start()
    with watch:
        cpu_before = cpu.seconds()
        start.wait()
        began = time.perf_counter()
        for thread in threads:
            thread.join()
        seconds = time.perf_counter() - began
        used = cpu.seconds() - cpu_before
    return RoundResult(latencies, queries, seconds, errors, watch.peak_kb, used)


@dataclass
class PageResult:
    page: Page
    rounds: list[RoundResult] = field(default_factory=list)

    def _median_of(self, figure) -> float:
        return statistics.median(figure(r) for r in self.rounds)

    @property
    def median_ms(self) -> float:
        return self._median_of(lambda r: statistics.median(r.latencies) * 1000)

    @property
    def p95_ms(self) -> float:
        return self._median_of(lambda r: percentile(r.latencies, 0.95) * 1000)

    @property
    def rps(self) -> float:
        return self._median_of(lambda r: len(r.latencies) / r.seconds)

    @property
    def of_floor(self) -> float:
        """Throughput as a share of the floor's, each round against the floor
        measured just before it (so a slower moment of the machine hits both)."""
        return self._median_of(lambda r: len(r.latencies) / r.seconds / r.floor_rps)

    @property
    def cpu_ms(self) -> float:
        """Server CPU (gunicorn workers and PostgreSQL) per request."""
        return self._median_of(lambda r: r.cpu_seconds / len(r.latencies) * 1000)

    @property
    def queries(self) -> tuple[int, int]:
        everything = [q for r in self.rounds for q in r.queries]
        return min(everything), max(everything)

    @property
    def peak_mb(self) -> float:
        return max(r.peak_kb for r in self.rounds) / 1024

    @property
    def errors(self) -> list[str]:
        return [e for r in self.rounds for e in r.errors]


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
        self.lock = threading.Lock()
        self.done_at: float | None = None
        self.expected = 0

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.count += 1
            self.bytes += len(envelope.content)
            if self.first is None:
                self.first = envelope.content
            if self.count == self.expected:
                self.done_at = time.perf_counter()
        return "250 Message accepted"


def fanout(args, env: dict, targets: Targets) -> dict:
    from aiosmtpd.controller import Controller
    from celery import Celery

    sessions = targets.fanout_sessions
    with bench_connect(args) as conn:
        # Start from nothing sent, so every run sends the same 10,000 messages.
        conn.execute("DELETE FROM meetings_delivery WHERE session_id = ANY(%s)", [sessions])
        recipients = conn.execute(
            "SELECT count(*) FROM clubs_membership m JOIN meetings_mailpreferences p "
            "ON p.user_id = m.user_id WHERE m.club_id = %s AND m.state = 'active' "
            "AND p.invites AND NOT p.no_email",
            [targets.club_id],
        ).fetchone()[0]
    expected = recipients * len(sessions)
    handler = CountingSink()
    handler.expected = expected
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, data_size_limit=0)
    controller.start()
    worker_env = dict(env)
    worker_env.update(EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(port), EMAIL_USE_TLS="0")
    worker_env.pop("PAPERCLUB_BENCH", None)
    log_path = Path(tempfile.mkstemp(prefix="paperclub-bench-worker-", suffix=".log")[1])
    command = [
        str(BIN / "celery"), "-A", "paperclub", "worker",
        "--pool", "solo", "--queues", FANOUT_QUEUE, "--loglevel", "info",
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
        app = Celery(broker=args.redis_url)
        log(f"fan-out: {len(sessions)} sessions × {recipients} members = {expected} invites")
        started = time.perf_counter()
        cpu_before = cpu_seconds(worker.pid)
        sink_before = time.process_time()
        for session_id in sessions:
            app.send_task("sessions.send_invites", args=[session_id], queue=FANOUT_QUEUE)
        deadline = time.monotonic() + args.fanout_timeout
        peak = 0
        while handler.done_at is None:
            peak = max(peak, proc_status(worker.pid, "VmRSS"))
            if worker.poll() is not None:
                raise SystemExit("the Celery worker died:\n" + log_path.read_text()[-3000:])
            if time.monotonic() > deadline:
                raise SystemExit(f"fan-out timed out after {handler.count} messages")
            time.sleep(0.05)
        seconds = handler.done_at - started
        worker_cpu = cpu_seconds(worker.pid) - cpu_before
        sink_cpu = time.process_time() - sink_before
        # The send log is written right after each hand-over: wait for the last rows.
        with bench_connect(args) as conn:
            for _ in range(100):
                sent = conn.execute(
                    "SELECT count(*) FROM meetings_delivery WHERE session_id = ANY(%s) "
                    "AND state = 'sent'",
                    [sessions],
                ).fetchone()[0]
                if sent == expected:
                    break
                time.sleep(0.1)
        peak_kb = max(peak, proc_status(worker.pid, "VmHWM"))
        first = handler.first or b""
    finally:
        stop(worker)
        controller.stop()
    return {
        "messages": handler.count,
        "sent_rows": sent,
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


def table(results: list[PageResult]) -> str:
    head = (
        "| page | median ms | p95 ms | req/s | × floor | queries/request "
        "| server CPU ms/request | peak worker RSS MB |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    )
    rows = []
    for result in results:
        low, high = result.queries
        queries = str(low) if low == high else f"{low}–{high}"
        rows.append(
            f"| {result.page.name} | {result.median_ms:.1f} | {result.p95_ms:.1f} | "
            f"{result.rps:.0f} | {result.of_floor:.2f} | {queries} | "
            f"{result.cpu_ms:.1f} | {result.peak_mb:.0f} |"
        )
    return "\n".join([*head, *rows])


def budgets(results: dict[str, PageResult], fan: dict | None) -> list[str]:
    lines = []

    def check(ok: bool, text: str) -> None:
        lines.append(f"  [{'met ' if ok else 'MISS'}] {text}")

    worst = max(results.values(), key=lambda r: r.queries[1])
    check(
        worst.queries[1] <= BUDGET_QUERIES,
        f"≤ {BUDGET_QUERIES} SQL queries on every page (most: {worst.queries[1]}, "
        f"{worst.page.name})",
    )
    for name in ("backlog: top", "backlog: trending", "backlog: search"):
        r = results[name]
        check(
            r.of_floor >= 0.25 and r.median_ms <= 50,
            f"{name}: ≥ 25% of the floor's throughput and median ≤ 50 ms "
            f"({r.of_floor:.1%}, {r.median_ms:.1f} ms)",
        )
    r = results["vote toggle (POST)"]
    check(r.of_floor >= 0.5, f"vote toggle ≥ 50% of the floor's ({r.of_floor:.1%})")
    r = results["club ICS feed (5 years)"]
    check(r.median_ms <= 100, f"five-year ICS feed ≤ 100 ms (median {r.median_ms:.1f} ms)")
    if fan is not None:
        check(
            fan["seconds"] <= 60 and fan["peak_mb"] < 300,
            f"fan-out of {fan['messages']:,} ≤ 60 s with the worker < 300 MB "
            f"({fan['seconds']:.1f} s, {fan['peak_mb']:.0f} MB)",
        )
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
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/12")
    parser.add_argument("--requests", type=int, default=200, help="per page and round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=20, help="requests per page first")
    parser.add_argument("--threads", type=int, default=2, help="signed-in members at once")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--no-fanout", action="store_true")
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

    begun = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="paperclub-bench-"))
    port = free_port()
    env = web_env(args, port, str(work / "static"), str(work / "media"))
    seed_seconds = prepare_database(args, env)
    targets = find_targets(args, args.threads)
    log("collecting static files")
    manage(env, "collectstatic", "--noinput", "-v", "0")
    log(f"starting gunicorn on 127.0.0.1:{port} with {args.workers} workers")
    server = start_gunicorn(args, env, port)
    try:
        clients = []
        for email in targets.members:
            client = Client(port)
            client.sign_in(email)
            clients.append(client)
        log(f"signed in as {', '.join(targets.members)}")
        chosen = pages(targets)
        if args.only:
            names = {"floor (signed-in base page)", *args.only.split(",")}
            chosen = [p for p in chosen if p.name in names]
        watch = MemoryWatch(server.pid)
        cpu = ServerCpu(server.pid, args.database)
        log(f"warming up ({args.warmup} requests per page)")
        for page in chosen:
            result = drive(page, clients, args.warmup - args.warmup % args.threads, watch, cpu)
            if result.errors:
                raise SystemExit(f"{page.name}: {result.errors[0]}")
        results = {page.name: PageResult(page) for page in chosen}
        floor, others = chosen[0], chosen[1:]
        for round_number in range(1, args.rounds + 1):
            log(f"round {round_number} of {args.rounds}: {args.requests} requests per page")
            for page in others:
                # The floor again just before each page: the page's share of its
                # throughput compares two runs a second apart.
                before = drive(floor, clients, args.requests, watch, cpu)
                results[floor.name].rounds.append(before)
                result = drive(page, clients, args.requests, watch, cpu)
                result.floor_rps = len(before.latencies) / before.seconds
                results[page.name].rounds.append(result)
        for result in results[floor.name].rounds:
            result.floor_rps = len(result.latencies) / result.seconds
        peak_hwm = max((proc_status(pid, "VmHWM") for pid in children(server.pid)), default=0)
    finally:
        stop(server)
    fan = None if args.no_fanout else fanout(args, env, targets)

    ordered = list(results.values())
    print()
    print(
        f"Paper Club bench, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {machine()}; "
        f"gunicorn {args.workers} sync workers, {args.threads} signed-in members at once, "
        f"{args.rounds} rounds × {args.requests} requests per page, each page right after a run "
        f"of the floor (figures: median of rounds)"
    )
    print()
    print(table(ordered))
    print()
    print(f"Peak RSS of a gunicorn worker over the whole run (VmHWM): {peak_hwm / 1024:.0f} MB")
    if fan is not None:
        print(
            f"Fan-out: {fan['messages']:,} invites with their calendars handed to the SMTP sink "
            f"in {fan['seconds']:.1f} s ({fan['per_second']:.0f}/s, "
            f"{fan['megabytes_sent']:.0f} MB); one Celery worker (solo pool) "
            f"busy {fan['worker_cpu_seconds']:.0f} s of CPU (the sink "
            f"{fan['sink_cpu_seconds']:.0f} s), "
            f"peaked at {fan['peak_mb']:.0f} MB RSS (idle {fan['idle_mb']:.0f} MB); "
            f"send log rows sent: {fan['sent_rows']:,}; calendar attached: {fan['has_calendar']}"
        )
    errors = {name: r.errors for name, r in results.items() if r.errors}
    for name, problems in errors.items():
        print(f"ERRORS on {name}: {len(problems)}, e.g. {problems[0]}")
    print()
    print("Budgets (issue 7):")
    for line in budgets(results, fan) if not args.only else []:
        print(line)
    total = time.monotonic() - begun
    print()
    print(f"Whole run: {total:.0f} s (seed {seed_seconds:.0f} s).")
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(
        json.dumps(
            {
                "when": datetime.now(UTC).isoformat(),
                "machine": machine(),
                "pages": {
                    r.page.name: {
                        "median_ms": r.median_ms,
                        "p95_ms": r.p95_ms,
                        "rps": r.rps,
                        "queries": r.queries,
                        "of_floor": r.of_floor,
                        "cpu_ms": r.cpu_ms,
                        "peak_mb": r.peak_mb,
                        "errors": len(r.errors),
                    }
                    for r in ordered
                },
                "worker_peak_mb": peak_hwm / 1024,
                "fanout": fan,
                "seconds": total,
            },
            indent=2,
        )
    )
    if errors:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
