"""Issue 7's query budget: every main page runs at most 15 SQL statements.

The pages are read as a plain member of a club made by seed_scale (tiny sizes
here; bench/run checks the same budget at 2,000 members). The statements are
counted as the benchmark's X-Query-Count header counts them: every statement
sent, the session's and the user's included, outside any test transaction
(transaction=True), so savepoints are what they are in production. That each
page's count does not grow with the club is checked by the "one versus many"
tests beside each app's views.
"""

import logging
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, models
from django.template.base import VariableDoesNotExist
from django.urls import reverse
from django.utils import timezone

from clubs.models import Club, Membership
from paperclub.seeding.scale import BIG_CLUB_SLUG, ScaleSpec, scale_seed
from papers.models import Nomination
from sessions.attendance.services import attendance_check_in
from sessions.discussion.services import post_add
from sessions.discussion.subjects import session_subject
from sessions.models import Post, Rsvp, Session, Writeup
from sessions.rota.weeks import rsvp_set
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


@pytest.mark.django_db(transaction=True)
def test_the_organizers_session_page_in_the_attendance_window_with_a_thread(client):
    """The organizer's week page while attendance is open (the sheet of everyone
    going, check-ins) and its thread has posts and replies by several members:
    in budget, and the same count with more posts, authors and check-ins."""
    need_postgres()
    summary = scale_seed(
        ScaleSpec(seed=11, members=20, nominations=60, votes=400, weeks=16, other_clubs=1)
    )
    club = Club.objects.get(slug=BIG_CLUB_SLUG)
    organizer = get_user_model().objects.get(email=summary.organizer_email)
    session = (
        Session.objects.filter(
            club=club, state="scheduled", starts_at__gt=timezone.now(), papers__isnull=False
        )
        .distinct()
        .order_by("starts_at")[0]
    )
    # It started ten minutes ago: the sheet and the check-ins are open.
    now = timezone.now()
    Session.objects.filter(pk=session.pk).update(
        starts_at=now - timedelta(minutes=10), ends_at=now + timedelta(minutes=50)
    )
    session.refresh_from_db()
    members = [
        m.user
        for m in Membership.objects.filter(club=club, state="active", role="member")
        .select_related("user")
        .order_by("pk")
    ]
    for user in members:
        rsvp_set(session=session, user=user, answer=Rsvp.Answer.GOING)
    subject = session_subject(club, session)
    url = reverse("sessions:session", args=[club.slug, session.pk])
    client.force_login(organizer)

    def add_posts(authors):
        for author in authors:
            top = post_add(subject=subject, user=author, body=f"**{author.pk}** asks: why?")
            post_add(subject=subject, user=organizer, body="Because.", parent_id=top.pk)
            attendance_check_in(session=session, user=author)

    add_posts(members[:2])
    status, few = _statements(client, "get", url)
    assert status == 200
    page = client.get(url).content.decode()
    assert 'class="attendance-sheet"' in page  # the organizer's sheet, open now
    assert page.count("asks: why?") == 2  # and the thread's posts
    add_posts(members[2:8])
    status, many = _statements(client, "get", url)
    assert status == 200
    assert Post.objects.filter(thread__session=session).count() == 16
    assert (few, many) == (few, few)
    assert few <= BUDGET


def _failed_model_lookups(caplog) -> set[str]:
    """The template lookups that failed on a model instance ("Nomination.weighted_words"):
    Django logs each failed lookup (django.template, DEBUG) with its traceback,
    and before giving up calls dir() on the object, which for a model instance
    costs about 0.2 ms on the bench's machine (issue 14). A missing attribute
    raises VariableDoesNotExist, which names the object; a missing related
    object raises from the related descriptor, whose frame holds the instance."""
    failed = set()
    lookups = [r for r in caplog.records if r.getMessage().startswith("Exception while resolving")]
    for record in lookups:
        error, traceback = record.exc_info[1], record.exc_info[2]
        if isinstance(error, VariableDoesNotExist):
            bit, current = error.params
        else:
            frames = []
            while traceback is not None:
                frames.append(traceback.tb_frame)
                traceback = traceback.tb_next
            names = [f.f_code.co_name for f in frames]
            raised_in = frames[names.index("_resolve_lookup") + 1]
            bit, current = record.args[0], raised_in.f_locals["instance"]
        if isinstance(current, models.Model):
            failed.add(f"{type(current).__name__}.{bit}")
    return failed


@pytest.mark.django_db(transaction=True)
def test_no_main_page_looks_up_what_its_objects_lack(client, scaled, caplog):
    """A card's `nomination.weighted_words` on a club that does not weigh votes,
    an archive row's `session.writeup.text` for a week without one: each failed
    lookup cost a dir() of the instance, 25 a page (8–10 ms of a 45–70 ms page
    on the bench). The pages are read with the archive holding weeks with and
    without a write-up."""
    club = Club.objects.get(slug=BIG_CLUB_SLUG)
    done = list(Session.objects.filter(club=club, state="done").order_by("-starts_at")[:2])
    assert len(done) == 2
    Writeup.objects.create(session=done[0], text="What we learned.")
    client.force_login(scaled)
    slug = club.slug
    nomination = Nomination.objects.filter(club=club, state="proposed").order_by("-vote_count")[0]
    urls = [
        reverse("clubs:home", args=[slug]),
        reverse("papers:backlog", args=[slug]),
        reverse("papers:backlog", args=[slug]) + "?sort=trending",
        reverse("papers:nomination", args=[slug, nomination.pk]),
        reverse("sessions:rota", args=[slug]),
        reverse("sessions:archive", args=[slug]),
    ]
    with caplog.at_level(logging.DEBUG, logger="django.template"):
        pages = {url: client.get(url) for url in urls}
    assert {url: r.status_code for url, r in pages.items() if r.status_code != 200} == {}
    assert _failed_model_lookups(caplog) == set()
    # The archive still links the one write-up, and only that one.
    archive = pages[reverse("sessions:archive", args=[slug])].content.decode()
    assert archive.count(">Write-up</a>") == 1
