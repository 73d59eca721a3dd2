"""Issue 7's query budget: every main page runs at most 15 SQL statements.

The pages are read as a plain member of a club made by seed_scale (tiny sizes
here; bench/run checks the same budget at 2,000 members). The statements are
counted as the benchmark's X-Query-Count header counts them: every statement
sent, the session's and the user's included, outside any test transaction
(transaction=True), so savepoints are what they are in production. That each
page's count does not grow with the club is checked by the "one versus many"
tests beside each app's views.
"""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from clubs.models import Club
from paperclub.seeding.scale import BIG_CLUB_SLUG, ScaleSpec, scale_seed
from papers.models import Nomination
from sessions.models import Session
from tests.services import need_postgres

BUDGET = 15


@pytest.fixture
def scaled(transactional_db):
    need_postgres()
    summary = scale_seed(
        ScaleSpec(seed=11, members=20, nominations=60, votes=400, weeks=16, other_clubs=1)
    )

    return get_user_model().objects.get(email=summary.member_email)


def _statements(client, method: str, url: str, **extra) -> tuple[int, int]:
    count = 0

    def counter(execute, sql, params, many, context):
        nonlocal count
        count += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counter):
        response = getattr(client, method)(url, **extra)
    return response.status_code, count


@pytest.mark.django_db(transaction=True)
def test_every_main_page_runs_at_most_fifteen_statements(client, scaled):
    client.force_login(scaled)
    club = Club.objects.get(slug=BIG_CLUB_SLUG)
    nomination = Nomination.objects.filter(club=club, state="proposed").order_by("-vote_count")[0]
    session = (
        # A week with its paper chosen: a week without one has nothing to pre-read.
        Session.objects.filter(
            club=club, state="scheduled", starts_at__gt=timezone.now(), papers__isnull=False
        )
        .exclude(facilitator=scaled)
        .distinct()
        .order_by("starts_at")[0]
    )
    slug = club.slug
    htmx = {"HTTP_HX_REQUEST": "true"}
    pages = {
        "club home": ("get", reverse("clubs:home", args=[slug]), {}),
        "backlog": ("get", reverse("papers:backlog", args=[slug]), {}),
        "trending": ("get", reverse("papers:backlog", args=[slug]) + "?sort=trending", {}),
        "search": ("get", reverse("papers:backlog", args=[slug]) + "?q=sparse+attention", {}),
        "nomination": ("get", reverse("papers:nomination", args=[slug, nomination.pk]), {}),
        "rota": ("get", reverse("sessions:rota", args=[slug]), {}),
        "facilitators": ("get", reverse("sessions:facilitators", args=[slug]) + "?page=2", {}),
        "session": ("get", reverse("sessions:session", args=[slug, session.pk]), {}),
        "archive": ("get", reverse("sessions:archive", args=[slug]), {}),
        "calendar": ("get", reverse("calendars:club_public", args=[slug]), {}),
        "vote": ("post", reverse("papers:vote", args=[slug, nomination.pk]), htmx),
        "unvote": ("post", reverse("papers:vote", args=[slug, nomination.pk]), htmx),
        "pre-read": (
            "post",
            reverse("reading:preread", args=[slug, session.pk]),
            {"data": {"level": "2"}, **htmx},
        ),
    }
    counts = {}
    for name, (method, url, extra) in pages.items():
        status, counts[name] = _statements(client, method, url, **extra)
        assert status == 200, name
    assert {name: n for name, n in counts.items() if n > BUDGET} == {}
