"""Issue 13 item 7: arXiv's faults are never final on their own.

These drive the sweep and one attempt (papers.fetching, what the beat job and
the task call) against the loopback fake arXiv, with the app's own clock
passed in, so an outage of minutes and a rule over an hour take seconds. The
retry spacing is the production one; the outage test also keeps arXiv's slot
of one request every 3 seconds (real seconds: the slot is a cache key that
expires), which the suite's settings otherwise leave at 0.
"""

import itertools
import time
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from papers import fetching, services
from papers.models import Paper
from tests.papers.fake_arxiv import atom_entry, atom_feed

pytestmark = pytest.mark.django_db

SWEEP = timedelta(seconds=20)  # settings.CELERY_BEAT_SCHEDULE's papers-sweep-arxiv


@pytest.fixture
def arxiv(fake_arxiv, settings):
    settings.ARXIV_API_URL = fake_arxiv.api_url
    assert settings.ARXIV_RETRY_BASE_SECONDS == 20.0  # the production spacing
    fake_arxiv.add_entry("1706.03762", atom_entry("1706.03762v7", title="Attention"))
    return fake_arxiv


@pytest.fixture
def paper(club, member):
    return services.papers_propose(club=club, user=member, text="1706.03762").added[0].paper


def _api_requests(fake) -> int:
    return len([r for r in fake.requests if r.path == "/api/query"])


def _run_sweeps(paper, *, until: timedelta, before_request=lambda at: None):
    """What beat does: every SWEEP, one attempt at whatever is due. Returns
    [(seconds since start, state, error)] after each attempt and the real
    (monotonic) time each attempt ended."""
    start = timezone.now()
    seen, ended = [], []
    at = timedelta(0)
    while at <= until:
        now = start + at
        due = fetching.arxiv_due_paper_ids(now=now)
        if due:
            before_request(at)
            fetching.arxiv_fetch(paper_ids=due, now=now)
            ended.append(time.monotonic())
            paper.refresh_from_db()
            seen.append((at.total_seconds(), paper.metadata_state, paper.metadata_error))
            if paper.metadata_state in ("ready", "failed"):
                break
        at += SWEEP
    return seen, ended


def test_a_100_second_outage_of_503s_ends_with_the_paper_ready(arxiv, paper, settings):
    settings.ARXIV_MIN_INTERVAL_SECONDS = 3  # arXiv's own rule, not the suite's 0

    def outage(at):
        if at < timedelta(seconds=100):
            arxiv.queue(status=503, body="<html>Service Unavailable</html>")

    seen, ended = _run_sweeps(paper, until=timedelta(minutes=10), before_request=outage)

    assert seen[-1][1] == "ready"
    assert paper.title == "Attention"
    failures = seen[:-1]
    assert len(failures) >= 2
    assert all(at < 100 for at, _, _ in failures)
    assert {(state, error) for _, state, error in failures} == {
        ("pending", "arXiv is busy (HTTP 503). Trying again automatically.")
    }
    # Each pause longer than the last (backoff), and the slot held in real time.
    pauses = [b[0] - a[0] for a, b in itertools.pairwise(seen)]
    assert pauses == sorted(pauses)
    assert all(b - a >= 2.9 for a, b in itertools.pairwise(ended))
    assert (paper.metadata_failing_since, paper.metadata_next_attempt_at) == (None, None)


def test_retry_after_is_honoured(arxiv, paper):
    arxiv.queue(status=429, body="slow down", headers={"Retry-After": "300"})
    seen, _ = _run_sweeps(paper, until=timedelta(minutes=10))
    assert [(at, state) for at, state, _ in seen] == [(0, "pending"), (300, "ready")]


def test_empty_answers_while_arxiv_is_unhealthy_do_not_count_as_not_found(arxiv, paper):
    """The issue's 25 s of empty answers after an outage made papers "not found"."""
    answers = iter(
        [
            {"status": 503, "body": "<html>down</html>"},
            {"status": 200, "body": atom_feed([], id_list="1706.03762")},
            {"status": 200, "body": atom_feed([], id_list="1706.03762")},
        ]
    )

    def flaky(at):
        if (answer := next(answers, None)) is not None:
            arxiv.queue(**answer)

    seen, _ = _run_sweeps(paper, until=timedelta(minutes=10), before_request=flaky)
    assert [state for _, state, _ in seen] == ["pending", "pending", "pending", "ready"]
    assert seen[1][2] == (
        "arXiv answered without this paper while having trouble. Trying again automatically."
    )
    assert paper.not_found_count == 0


def test_no_such_id_is_final_only_when_repeated_over_an_hour(arxiv, club, member):
    missing = services.papers_propose(club=club, user=member, text="2412.99999").added[0].paper

    # Three quick attempts are one question: the next is not due for minutes.
    now = timezone.now()
    for _ in range(3):
        fetching.arxiv_fetch(paper_ids=[missing.pk], now=now)
    assert _api_requests(arxiv) == 1
    missing.refresh_from_db()
    assert (missing.metadata_state, missing.not_found_count) == ("pending", 1)

    missing.not_found_count, missing.not_found_first_at = 0, None
    missing.metadata_next_attempt_at = None
    missing.save()
    seen, _ = _run_sweeps(missing, until=timedelta(hours=2))
    assert [(at // 60, state) for at, state, _ in seen] == [
        (0, "pending"),
        (2, "pending"),
        (17, "pending"),
        (60, "failed"),
    ]
    assert seen[0][2].startswith("arXiv does not know the id 2412.99999 (yet).")
    assert seen[-1][2] == (
        "arXiv has no paper with the id 2412.99999: not found on arXiv "
        "(asked 4 times over 60 minutes)."
    )


def test_transient_failures_give_up_after_two_days_with_the_reason(arxiv, paper):
    start = timezone.now()
    arxiv.queue(status=503, body="down")
    fetching.arxiv_fetch(paper_ids=[paper.pk], now=start)
    paper.refresh_from_db()
    fetching.arxiv_fetch_failed(
        papers=[paper], reason="arXiv is busy (HTTP 503)", now=start + timedelta(hours=47)
    )
    assert Paper.objects.get(pk=paper.pk).metadata_state == "pending"
    fetching.arxiv_fetch_failed(
        papers=[paper], reason="arXiv is busy (HTTP 503)", now=start + timedelta(hours=48)
    )
    paper.refresh_from_db()
    assert paper.metadata_state == "failed"
    assert paper.metadata_error == (
        f"arXiv is busy (HTTP 503). arXiv has not answered properly since "
        f"{start:%d %b %Y %H:%M} UTC."
    )


def test_the_page_says_it_is_waiting_and_offers_to_ask_now(client, arxiv, club, member, paper):
    arxiv.queue(status=503, body="down")
    fetching.arxiv_fetch(paper_ids=[paper.pk])
    client.force_login(member)
    nomination = paper.nominations.get()
    body = client.get(reverse("papers:nomination", args=[club.slug, nomination.pk])).content
    text = body.decode()
    assert "arXiv is busy (HTTP 503). Trying again automatically. Next try in" in text
    assert "Ask arXiv now" in text
    assert "Could not fetch" not in text
    response = client.post(reverse("papers:retry", args=[club.slug, nomination.pk]))
    assert response.status_code == 302
    paper.refresh_from_db()
    # The on-commit fetch ran nowhere (tests capture none): the paper is due now.
    assert (paper.metadata_state, paper.metadata_next_attempt_at, paper.metadata_error) == (
        "pending",
        None,
        "",
    )
