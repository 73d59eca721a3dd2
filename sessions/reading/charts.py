"""Server-rendered bar charts for the statistics page (SVG, no script).

Each chart is one bar per session, oldest first, with what a reader needs without
hovering: a y axis with a few whole-number ticks and its unit, every bar's value
written above it (and each part of a stacked bar written inside it when it is tall
enough to hold the number), every session's date under its bar and an x axis
title. The SVG is drawn at its natural size (one unit a CSS pixel) and scrolls in
its own box on a narrow screen, so the text never shrinks below legible; the
table under the charts holds the same numbers for screen readers and copying.
"""

import math
from dataclasses import dataclass, field
from typing import Any

from django.utils import dateformat

SLOT = 36  # horizontal room per session
LEFT = 48  # the y axis' tick labels and title
RIGHT = 12
TOP = 22  # the value written above the tallest bar
PLOT = 200  # the bars' full height
BOTTOM = 58  # the dates (day, and the month under its first day) and the x axis title
INSIDE_MIN = 13  # a stacked part shorter than this has no room for its number


@dataclass
class Segment:
    field: str
    field_label: str
    value: int
    y: float
    h: float
    label_y: float
    labelled: bool  # its number is written inside it


@dataclass
class Bar:
    session: Any
    x: float
    w: float
    centre: float
    total: int
    top_y: float
    day: str
    month: str  # under the first bar of each month only
    full_date: str
    segments: list[Segment] = field(default_factory=list)
    recorded: bool = True  # False: nothing was counted that week (attendance not taken)


@dataclass
class Tick:
    value: int
    y: float


@dataclass
class Chart:
    width: int
    height: int
    bars: list[Bar]
    ticks: list[Tick]
    plot_left: int
    plot_right: int
    plot_top: int
    baseline: int
    day_y: int
    month_y: int
    axis_title_y: int
    stacked: bool


def _step(top: int) -> int:
    """A tick step of 1, 2 or 5 times a power of ten giving at most 5 ticks over 0..top."""
    for power in range(0, 7):
        for base in (1, 2, 5):
            step = base * 10**power
            if math.ceil(top / step) <= 4:
                return step
    return 10**7


def bar_chart(rows: list, fields: dict[str, str], *, zone, recorded: str = "") -> Chart:
    """One bar per row (a session with starts_at and the counted `fields`, each
    with the words for it); several fields stack, in order from the baseline.
    `recorded` names a row attribute that is false for a week nothing was
    counted in: its bar says so instead of showing 0."""
    totals = [sum(getattr(row, f) for f in fields) for row in rows]
    step = _step(max([*totals, 1]))
    axis_top = step * math.ceil(max([*totals, 1]) / step)
    scale = PLOT / axis_top
    baseline = TOP + PLOT
    bars: list[Bar] = []
    shown_month = None
    for index, (row, total) in enumerate(zip(rows, totals, strict=True)):
        left = LEFT + index * SLOT
        y = float(baseline)
        segments = []
        for f, label in fields.items():
            value = getattr(row, f)
            h = round(value * scale, 1)
            y = round(y - h, 1)
            segments.append(
                Segment(
                    field=f,
                    field_label=label,
                    value=value,
                    y=y,
                    h=h,
                    label_y=round(y + h / 2 + 4, 1),
                    labelled=len(fields) > 1 and value > 0 and h >= INSIDE_MIN,
                )
            )
        local = row.starts_at.astimezone(zone)
        bars.append(
            Bar(
                session=row,
                x=left + SLOT * 0.2,
                w=SLOT * 0.6,
                centre=left + SLOT / 2,
                total=total,
                top_y=round(y - 5, 1),
                day=dateformat.format(local, "j"),
                month="" if (local.year, local.month) == shown_month else f"{local:%b}",
                full_date=dateformat.format(local, "D j M Y"),
                segments=segments,
                recorded=bool(getattr(row, recorded)) if recorded else True,
            )
        )
        shown_month = (local.year, local.month)
    width = LEFT + max(len(rows), 1) * SLOT + RIGHT
    return Chart(
        width=width,
        height=TOP + PLOT + BOTTOM,
        bars=bars,
        ticks=[
            Tick(value=v, y=round(baseline - v * scale, 1)) for v in range(0, axis_top + 1, step)
        ],
        plot_left=LEFT,
        plot_right=width - RIGHT,
        plot_top=TOP,
        baseline=baseline,
        day_y=baseline + 16,
        month_y=baseline + 30,
        axis_title_y=baseline + 50,
        stacked=len(fields) > 1,
    )
