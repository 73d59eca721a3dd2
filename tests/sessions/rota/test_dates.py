"""Dates outside 2000-2100 are a form error, never a server error (issue 13: a
year of 9999 in the schedule or one-off form was an HTTP 500); ids and query
strings out of any range are a 404 or are ignored."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from sessions.models import ClubSchedule, Session
from tests.factories import session_at

pytestmark = pytest.mark.django_db

RANGE_ERROR = "Give a date between 1 January 2000 and 31 December 2100."
FAR_DATES = ["9999-12-31", "2101-01-01", "1999-12-31", "0001-01-01"]


def _soon(club, days: int = 3) -> str:
    return (
        timezone.localtime(timezone.now(), club.tzinfo).date() + timedelta(days=days)
    ).isoformat()


def _schedule(club, **changes) -> dict:
    first = timezone.localtime(timezone.now(), club.tzinfo).date() + timedelta(days=1)
    return {
        "weekday": first.weekday(),
        "start_time": "12:00",
        "duration_minutes": 60,
        "meeting_link": "",
        "weeks_ahead": 4,
        "first_date": first.isoformat(),
        "last_date": "",
        "version": "",
    } | changes


@pytest.mark.parametrize("day", FAR_DATES)
@pytest.mark.parametrize("field", ["first_date", "last_date"])
def test_schedule_date_out_of_range_is_a_form_error(client, club, organizer, field, day):
    client.force_login(organizer)
    response = client.post(
        reverse("sessions:schedule", args=[club.slug]), _schedule(club, **{field: day})
    )
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [RANGE_ERROR]
    assert not ClubSchedule.objects.filter(club=club).exists()
    assert not Session.objects.filter(club=club).exists()


@pytest.mark.parametrize("day", FAR_DATES)
def test_one_off_date_out_of_range_is_a_form_error(client, club, organizer, day):
    client.force_login(organizer)
    response = client.post(
        reverse("sessions:new", args=[club.slug]),
        {"day": day, "at": "17:00", "duration_minutes": 60, "title": "", "format": "single"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["day"] == [RANGE_ERROR]
    assert not Session.objects.filter(club=club).exists()


@pytest.mark.parametrize("day", FAR_DATES)
def test_moving_a_week_out_of_range_says_why_and_changes_nothing(client, club, organizer, day):
    week = session_at(club, starts_in=timedelta(days=2), state="open")
    client.force_login(organizer)
    response = client.post(
        reverse("sessions:move", args=[club.slug, week.pk]),
        {"day": day, "at": "12:00", "duration_minutes": 60},
        follow=True,
    )
    assert response.status_code == 200
    assert [str(m) for m in response.context["messages"]] == [f"Not moved: {RANGE_ERROR}"]
    moved = Session.objects.get(pk=week.pk)
    assert (moved.starts_at, moved.ends_at) == (week.starts_at, week.ends_at)


def test_date_inputs_carry_the_range_for_the_browser(client, club, organizer):
    client.force_login(organizer)
    for name in ("sessions:schedule", "sessions:new"):
        body = client.get(reverse(name, args=[club.slug])).content.decode()
        assert 'min="2000-01-01"' in body
        assert 'max="2100-12-31"' in body


def test_dates_at_the_edges_of_the_range_are_accepted(client, club, organizer):
    client.force_login(organizer)
    response = client.post(
        reverse("sessions:new", args=[club.slug]),
        {"day": "2100-12-31", "at": "17:00", "duration_minutes": 60, "format": "single"},
    )
    assert response.status_code == 302
    assert Session.objects.get(club=club).local_start.date().isoformat() == "2100-12-31"


# --- Out-of-range numbers in URLs and query strings ------------------------------------------

HUGE = "9" * 30


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("papers:nomination", [HUGE]),
        ("papers:pdf", [HUGE]),
        ("sessions:session", [HUGE]),
        ("calendars:session_ics", [HUGE]),
    ],
)
def test_ids_beyond_any_row_are_a_404(client, club, name, args):
    response = client.get(reverse(name, args=[club.slug, *args]))
    assert response.status_code == 404


@pytest.mark.parametrize(
    "query",
    [
        "?misfits=" + "9" * 5000,
        "?misfits=" + ",".join(["9" * 25] * 3),
        "?page=" + "9" * 5000,
        "?page=-1",
    ],
)
def test_odd_numbers_in_the_schedule_and_rota_queries_are_ignored(client, club, organizer, query):
    client.force_login(organizer)
    for name in ("sessions:schedule", "sessions:facilitators"):
        response = client.get(reverse(name, args=[club.slug]) + query)
        assert response.status_code == 200


@pytest.mark.parametrize("query", ["?page=" + "9" * 5000, "?sort=x&state=y&tag=" + "t" * 500])
def test_odd_backlog_queries_are_ignored(client, club, query):
    assert client.get(reverse("papers:backlog", args=[club.slug]) + query).status_code == 200
