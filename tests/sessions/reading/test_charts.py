"""The statistics charts say what they show without hovering: a title and
description, a y axis with whole-number ticks and its unit, each bar's value and
its session's date as text (sessions/reading/charts.py, _bar_chart.html)."""

import re
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from sessions.models import PreRead, Rsvp
from sessions.reading.charts import bar_chart
from tests.factories import (
    MembershipFactory,
    PreReadFactory,
    QuestionFactory,
    RsvpFactory,
    session_at,
)

READING = {"skimmed_count": "skimmed", "read_count": "read", "deep_count": "deep-read"}


def _row(day: int, **counts):
    return SimpleNamespace(starts_at=datetime(2026, 11, day, 17, tzinfo=UTC), **counts)


def test_ticks_are_whole_numbers_up_to_the_tallest_bar():
    chart = bar_chart(
        [_row(3, going_total=3), _row(10, going_total=7)], {"going_total": "going"}, zone=UTC
    )
    assert [tick.value for tick in chart.ticks] == [0, 2, 4, 6, 8]
    assert chart.ticks[0].y == chart.baseline
    assert [(bar.day, bar.month, bar.total) for bar in chart.bars] == [
        ("3", "Nov", 3),
        ("10", "", 7),  # the month is written under its first session only
    ]


def test_dates_are_in_the_given_zone():
    chart = bar_chart(
        [_row(3, going_total=1)], {"going_total": "going"}, zone=ZoneInfo("Pacific/Auckland")
    )
    assert (chart.bars[0].day, chart.bars[0].month) == ("4", "Nov")  # the next morning there


def test_stacked_parts_tall_enough_carry_their_numbers():
    chart = bar_chart([_row(3, skimmed_count=1, read_count=0, deep_count=9)], READING, zone=UTC)
    labelled = {s.field: s.labelled for s in chart.bars[0].segments}
    # 10 members over 160 px: 16 px each, room for a number; nothing for a 0.
    assert labelled == {"skimmed_count": True, "read_count": False, "deep_count": True}
    assert chart.bars[0].total == 10


def test_a_chart_of_zeros_still_has_an_axis():
    chart = bar_chart([_row(3, question_count=0)], {"question_count": "questions"}, zone=UTC)
    assert [tick.value for tick in chart.ticks] == [0, 1]
    assert chart.bars[0].segments[0].h == 0


def _texts(svg: str, css_class: str) -> list[str]:
    return re.findall(rf'<text class="{css_class}"[^>]*>([^<]*)</text>', svg)


@pytest.mark.django_db
def test_stats_page_writes_each_sessions_date_and_values(client, club, member):
    first = session_at(club, starts_in=-timedelta(days=20), state="done", facilitator=member)
    second = session_at(club, starts_in=-timedelta(days=13), state="done", facilitator=member)
    for _ in range(3):
        reader = MembershipFactory(club=club).user
        RsvpFactory(session=second, user=reader, answer=Rsvp.Answer.GOING)
        PreReadFactory(session=second, user=reader, level=PreRead.Level.READ)
    QuestionFactory(session=second, author=member)
    client.force_login(member)
    body = client.get(reverse("reading:stats", args=[club.slug])).content.decode()

    svgs = re.findall(r"<svg .*?</svg>", body, re.S)
    assert len(svgs) == 4  # pre-read, going, came (sessions/attendance), questions
    going, questions = svgs[1], svgs[3]
    viewer_zone = ZoneInfo(member.profile.time_zone)  # the page shows the viewer's dates
    dates = [s.starts_at.astimezone(viewer_zone) for s in (first, second)]
    assert _texts(going, "chart__day") == [str(d.day) for d in dates]
    months = [f"{dates[0]:%b}"] + ([f"{dates[1]:%b}"] if dates[1].month != dates[0].month else [])
    assert _texts(going, "chart__month") == months
    assert _texts(going, "chart__value") == ["0", "3"]
    assert _texts(questions, "chart__value") == ["0", "1"]
    assert _texts(going, "chart__axis-title") == ["people", "Session (date)"]
    assert _texts(going, "chart__tick") == ["0", "1", "2", "3"]
    assert 'role="img" aria-labelledby="chart-going-title chart-going-desc"' in going
    assert '<title id="chart-going-title">People going per session</title>' in going
    assert "The table below the charts lists the same numbers." in going
    assert '<th scope="col">Going</th>' in body  # the table stays
