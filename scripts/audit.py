"""The audit's judge (run by ./scripts/audit, with the audit server's settings in the environment).

1. Signs each role in (a database session for its demo person, as a sign-in would make)
   and crawls the demo over HTTP from gunicorn: paperclub/seeding/demo_pages.py.
2. The Nu HTML Checker reads every page a visitor, a member, a facilitator and an
   organizer reach (saved as served): 0 errors wanted.
3. Lighthouse (scripts/audit-tools/lighthouse.mjs, one Chromium) scores the main pages
   under mobile emulation: accessibility 100, best practices 100, performance >= 95.
4. Prints one Markdown table (the README keeps a copy) and exits 1 on any shortfall.
"""

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import django
from django.apps import apps

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "paperclub.settings.base")
if not apps.ready:  # imported by tests/test_audit.py, Django is set up already
    django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.test import Client  # noqa: E402

from paperclub.seeding.demo_pages import (  # noqa: E402
    ROLES,
    DemoPage,
    demo_pages_crawl,
    demo_role_email,
    demo_start_paths,
)

TOOLS = ROOT / "scripts" / "audit-tools"
OUT = Path(os.environ.get("AUDIT_DIR", ROOT / "var" / "audit"))
BASE = os.environ.get("AUDIT_BASE_URL", "").rstrip("/")
VNU_JAR = TOOLS / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
TARGETS = {"accessibility": 100, "best-practices": 100, "performance": 95}

# The main pages of each role, judged by Lighthouse (the validator reads them all).
MAIN_VIEWS = (
    "clubs:home",
    "papers:backlog",
    "papers:nomination",
    "sessions:session",
    "sessions:rota",
    "sessions:archive",
    "reading:stats",
    "reading:dashboard",
    "sessions:schedule",
    "clubs:members",
)
# Lighthouse costs ~5 s a page on two cores, so not every page is scored for every role:
# the organizer sees every main page and the most controls on each; the visitor and the
# facilitator are scored on the pages whose content differs for them (a visitor's
# sign-in prompts and no controls; the facilitator's own week and dashboard). A member's
# pages are the organizer's without the organizer's tools (the validator reads them all).
LIGHTHOUSE_VIEWS = {
    "organizer": MAIN_VIEWS,
    "visitor": ("clubs:home", "papers:backlog", "papers:nomination", "sessions:session"),
    "facilitator": ("sessions:session", "reading:dashboard"),
    "member": (),
}


def _session_cookie(role: str) -> str:
    email = demo_role_email(role=role)
    if email is None:
        return ""
    client = Client()
    client.force_login(get_user_model().objects.get(email=email))
    return f"sessionid={client.cookies['sessionid'].value}"


def _fetcher(cookie: str):
    def fetch(path: str) -> tuple[int, str, str]:
        request = urllib.request.Request(BASE + path, headers={"Cookie": cookie} if cookie else {})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return (
                    response.status,
                    response.headers.get("Content-Type", ""),
                    response.read().decode(),
                )
        except urllib.error.HTTPError as error:
            return error.code, error.headers.get("Content-Type", ""), ""

    return fetch


def validate(saved: dict[Path, tuple[str, DemoPage]]) -> dict[tuple[str, str], list[str]]:
    """vnu's errors per (role, path)."""
    result = subprocess.run(
        ["java", "-jar", str(VNU_JAR), "--errors-only", "--format", "json", *map(str, saved)],
        capture_output=True,
        text=True,
        check=False,
    )
    errors: dict[tuple[str, str], list[str]] = {}
    for message in json.loads(result.stderr or '{"messages": []}')["messages"]:
        file = Path(message.get("url", "").removeprefix("file:"))
        role, page = saved.get(file, ("?", DemoPage(path=str(file), view_name="?")))
        line = message.get("lastLine", "?")
        errors.setdefault((role, page.path), []).append(f"line {line}: {message['message']}")
    return errors


def judge(
    *,
    crawled: dict[str, list[DemoPage]],
    vnu_errors: dict[tuple[str, str], list[str]],
    scored: dict[tuple[str, str], dict],
    lighthouse_missing: int,
) -> tuple[list[str], list[str], list[str]]:
    """The two tables (Lighthouse's scores, the validator's counts) and every shortfall."""
    failures = []
    if lighthouse_missing:
        failures.append(f"Lighthouse did not find {lighthouse_missing} of its main pages")
    lighthouse_rows = [
        "| role | page | accessibility | best practices | performance |",
        "| --- | --- | --- | --- | --- |",
    ]
    validator_rows = ["| role | pages read | HTML errors |", "| --- | --- | --- |"]
    judged = {(role, page.path) for role in ROLES for page in crawled[role]}
    for role, path in sorted(vnu_errors.keys() - judged):  # an error no page claims still counts
        failures.append(f"{role} {path}: HTML {'; '.join(vnu_errors[role, path])}")
    for role in ROLES:
        role_errors = 0
        for page in crawled[role]:
            errors = vnu_errors.get((role, page.path), [])
            role_errors += len(errors)
            for error in errors[:5]:
                failures.append(f"{role} {page.path}: HTML {error}")
            if len(errors) > 5:
                failures.append(f"{role} {page.path}: HTML and {len(errors) - 5} more errors")
            result = scored.get((role, page.path))
            if result is None:
                continue
            cells = []
            for category, target in TARGETS.items():
                score = result["scores"][category]
                short = score is None or score < target
                cells.append(f"**{score}** ✗" if short else str(score))
                if short:
                    why = [
                        f"{s['id']} {s['value']} {' | '.join(s['where'])}".strip()
                        for s in result["shortfalls"]
                        if s["category"] in (category, "run")
                    ]
                    failures.append(f"{role} {page.path}: {category} {score}: " + "; ".join(why))
            lighthouse_rows.append(
                f"| {role} | {page.view_name} `{page.path}` | " + " | ".join(cells) + " |"
            )
        names = ", ".join(page.view_name for page in crawled[role])
        validator_rows.append(f"| {role} | {len(crawled[role])}: {names} | {role_errors} |")
    return lighthouse_rows, validator_rows, failures


def main() -> int:
    started = time.monotonic()
    html_dir = OUT / "html"
    html_dir.mkdir(parents=True, exist_ok=True)
    crawled: dict[str, list[DemoPage]] = {}
    saved: dict[Path, tuple[str, DemoPage]] = {}
    cookies = {}
    for role in ROLES:
        cookies[role] = _session_cookie(role)
        fetch = _fetcher(cookies[role])
        bodies = {}

        def keep(path: str, fetch=fetch, bodies=bodies) -> tuple[int, str, str]:
            status, content_type, body = fetch(path)
            bodies[path] = body
            return status, content_type, body

        crawled[role] = demo_pages_crawl(fetch=keep, start=demo_start_paths(role=role))
        for number, page in enumerate(crawled[role]):
            file = html_dir / f"{role}-{number:02d}.html"
            file.write_text(bodies[page.path])
            saved[file.resolve()] = (role, page)
    vnu_errors = validate(saved)
    crawl_seconds = time.monotonic() - started

    # AUDIT_ONLY=html: the validator alone (seconds, not minutes), while fixing markup.
    html_only = os.environ.get("AUDIT_ONLY") == "html"
    lighthouse_pages = [
        {"role": role, "path": page.path, "url": BASE + page.path, "cookie": cookies[role]}
        for role in ROLES
        for page in crawled[role]
        if page.view_name in LIGHTHOUSE_VIEWS[role] and not html_only
    ]
    wanted = 0 if html_only else sum(len(views) for views in LIGHTHOUSE_VIEWS.values())
    pages_file, results_file = OUT / "lighthouse-pages.json", OUT / "lighthouse-results.json"
    pages_file.write_text(json.dumps(lighthouse_pages))
    scored = {}
    if lighthouse_pages:
        subprocess.run(
            ["node", str(TOOLS / "lighthouse.mjs"), pages_file, results_file],
            check=True,
            env={**os.environ, "LIGHTHOUSE_PERFORMANCE_TARGET": str(TARGETS["performance"])},
        )
        scored = {(r["role"], r["path"]): r for r in json.loads(results_file.read_text())}

    if html_only:
        print("audit: AUDIT_ONLY=html, so Lighthouse was not run")
    lighthouse_rows, validator_rows, failures = judge(
        crawled=crawled,
        vnu_errors=vnu_errors,
        scored=scored,
        lighthouse_missing=wanted - len(lighthouse_pages),
    )
    if scored:
        print("Lighthouse 12.2.3, mobile emulation (targets: 100, 100, >= 95)\n")
        print("\n".join(lighthouse_rows))
    print("\nNu HTML Checker, every page each role reaches (target: 0 errors)\n")
    print("\n".join(validator_rows))
    seconds = time.monotonic() - started
    print(
        f"\n{sum(map(len, crawled.values()))} pages validated ({crawl_seconds:.0f} s), "
        f"{len(scored)} scored by Lighthouse; {seconds:.0f} s in all."
    )
    if failures:
        print(f"\naudit: {len(failures)} shortfalls:")
        print("\n".join(f"  - {failure}" for failure in failures))
        return 1
    print("audit: every page at or above its scores, 0 HTML errors")
    return 0


if __name__ == "__main__":
    sys.exit(main())
