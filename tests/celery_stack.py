"""Real Celery processes for integration tests: the general worker, the mail
worker and beat as separate processes on Redis and the test database, as
compose runs them (tests/sessions/mail/test_worker.py, tests/clubs/
test_chat_worker.py). Nothing is shortened: leases, the sweeper's period, the
visibility timeout and every retry delay are the production values."""

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from django.db import connection

from clubs.models import OutboxFanOut, OutboxMessage

ROOT = Path(__file__).resolve().parents[1]
CELERY = str(Path(sys.executable).with_name("celery"))


def worker_env(smtp_port: int, redis_url: str) -> dict[str, str]:
    db = connection.settings_dict
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "DJANGO_SETTINGS_MODULE": "paperclub.settings.base",
        "DEBUG": "0",
        "SECRET_KEY": "test-only-key-for-worker-processes",
        "ALLOWED_HOSTS": "testserver",
        "SITE_URL": "http://testserver",
        "SECURE_SSL_REDIRECT": "0",
        "DATABASE_URL": (
            f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{db['NAME']}"
        ),
        "DATABASE_POOL": "0",
        "REDIS_URL": redis_url,
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_port),
        "DEFAULT_FROM_EMAIL": "Paper Club <club@example.org>",
    }


def start_celery(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [CELERY, "-A", "paperclub", *args],
        cwd=ROOT,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def start_worker(env, log, *, queues: str = "mail", pool: str = "prefork", concurrency: int = 2):
    """A worker as compose runs them: worker-mail is prefork with -c 2 on the mail
    queue; `general` is the one for everything else (expanding fan-outs, the
    sweeper, reminders' scans)."""
    name = f"{queues.replace(',', '-')}-{os.getpid()}-{time.monotonic_ns()}@%h"
    process = start_celery(
        [
            "worker",
            "-P",
            pool,
            "-c",
            str(concurrency),
            "-Q",
            queues,
            "-n",
            name,
            "-l",
            "info",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        env,
        log,
    )
    return process


def wait_ready(log: Path, started: int, more: int) -> None:
    assert wait_for(lambda: log.read_text().count(" ready.") >= started + more, timeout=60), (
        log.read_text()
    )


class Stack:
    """The general worker, the mail worker and beat, as compose runs them."""

    def __init__(self, env: dict[str, str], tmp_path: Path, *, beat: bool = True):
        self.env, self.tmp_path, self.with_beat = env, tmp_path, beat
        self.log = tmp_path / "celery.log"
        self.log.touch()
        self.general = self.mail = self.beat = None

    def __enter__(self) -> "Stack":
        started = self.log.read_text().count(" ready.")
        self.general = start_worker(
            self.env, self.log, queues="celery,arxiv", pool="solo", concurrency=1
        )
        self.mail = start_worker(self.env, self.log)
        wait_ready(self.log, started, 2)
        if self.with_beat:
            self.beat = start_beat(self.env, self.log, self.tmp_path)
        return self

    def kill_mail_worker(self) -> None:
        """SIGKILL the whole mail worker, and start a new one."""
        stop(self.mail, signal.SIGKILL)
        started = self.log.read_text().count(" ready.")
        self.mail = start_worker(self.env, self.log)
        wait_ready(self.log, started, 1)

    def restart_beat(self) -> None:
        stop(self.beat)
        self.beat = start_beat(self.env, self.log, self.tmp_path)

    def __exit__(self, *exc) -> None:
        for process in (self.beat, self.mail, self.general):
            if process is not None:
                stop(process)

    def state(self) -> str:
        return outbox_state(self.log)


def start_beat(env, log, tmp_path):
    return start_celery(["beat", "-s", str(tmp_path / "beat-schedule"), "-l", "info"], env, log)


def stop(process: subprocess.Popen, sig=signal.SIGTERM) -> None:
    if process.poll() is None:
        os.killpg(process.pid, sig)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def wait_for(predicate, timeout: float, step: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


def settled() -> bool:
    """Nothing owed is left: no fan-out to list, no message waiting or on its way."""
    return not (
        OutboxFanOut.objects.filter(state="pending").exists()
        or OutboxMessage.objects.filter(state__in=["pending", "sending"]).exists()
    )


def outbox_state(log: Path) -> str:
    rows = Counter(OutboxMessage.objects.values_list("kind", "sequence", "state"))
    fan_outs = list(OutboxFanOut.objects.values_list("kind", "sequence", "state"))
    return f"{rows}\n{fan_outs}\n{log.read_text()[-6000:]}"
