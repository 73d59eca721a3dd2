"""scripts/audit fails when one score is under its target or the validator finds one error.

The whole audit (gunicorn, the crawl, vnu, Lighthouse) runs as a step of ./scripts/test;
these check its judging, which decides whether that step fails.
"""

import importlib.util
import shutil
from pathlib import Path

from paperclub.seeding.demo_pages import ROLES, DemoPage
from tests.services import missing

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("audit", ROOT / "scripts" / "audit.py")
assert _spec
assert _spec.loader
audit = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(audit)

HOME = DemoPage(path="/c/demo/", view_name="clubs:home")


def _scores(performance: int, accessibility: int = 100, shortfalls=()):
    return {
        "scores": {
            "accessibility": accessibility,
            "best-practices": 100,
            "performance": performance,
        },
        "shortfalls": list(shortfalls),
    }


def _judge(*, scored=None, vnu_errors=None, lighthouse_missing=0):
    return audit.judge(
        crawled={role: [HOME] for role in ROLES},
        vnu_errors=vnu_errors or {},
        scored=scored or {},
        lighthouse_missing=lighthouse_missing,
    )


def test_audit_judge_passes_scores_at_their_targets():
    rows, validator_rows, failures = _judge(scored={("organizer", "/c/demo/"): _scores(95)})

    assert failures == []
    assert rows[2:] == ["| organizer | clubs:home `/c/demo/` | 100 | 100 | 95 |"]
    assert validator_rows[2:] == [f"| {role} | 1: clubs:home | 0 |" for role in ROLES]


def test_audit_judge_fails_a_score_under_its_target_with_the_reason():
    blocking = {"category": "performance", "id": "total-blocking-time", "value": "700 ms"}
    contrast = {"category": "accessibility", "id": "color-contrast", "value": ""}
    scored = {
        ("organizer", "/c/demo/"): _scores(94, shortfalls=[{**blocking, "where": []}]),
        ("visitor", "/c/demo/"): _scores(100, 96, [{**contrast, "where": ["<a class=x>"]}]),
    }

    rows, _, failures = _judge(scored=scored)

    assert failures == [
        "visitor /c/demo/: accessibility 96: color-contrast  <a class=x>",
        "organizer /c/demo/: performance 94: total-blocking-time 700 ms",
    ]
    assert rows[2:] == [
        "| visitor | clubs:home `/c/demo/` | **96** ✗ | 100 | 100 |",
        "| organizer | clubs:home `/c/demo/` | 100 | 100 | **94** ✗ |",
    ]


def test_audit_judge_fails_one_html_error_and_a_main_page_not_found():
    errors = {("member", "/c/demo/"): ["line 3: Stray end tag “div”."]}

    _, validator_rows, failures = _judge(vnu_errors=errors, lighthouse_missing=1)

    assert failures == [
        "Lighthouse did not find 1 of its main pages",
        "member /c/demo/: HTML line 3: Stray end tag “div”.",
    ]
    assert "| member | 1: clubs:home | 1 |" in validator_rows


def test_audit_validator_finds_an_error_on_the_page_that_has_it(tmp_path):
    if not (shutil.which("java") and audit.VNU_JAR.exists()):
        missing("java or vnu.jar is missing (./scripts/audit installs vnu-jar from npm)")
    good, bad = tmp_path / "good.html", tmp_path / "bad.html"
    page = '<!DOCTYPE html><html lang="en"><head><title>t</title></head><body>{}</body></html>'
    good.write_text(page.format("<p>fine</p>"))
    bad.write_text(page.format("<p>broken</div>"))
    other = DemoPage(path="/other/", view_name="home")

    errors = audit.validate({good.resolve(): ("member", HOME), bad.resolve(): ("visitor", other)})

    assert list(errors) == [("visitor", "/other/")]
    assert errors["visitor", "/other/"][0].startswith("line 1: ")
