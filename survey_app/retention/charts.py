"""Geometry of the retention page's SVG charts (drawn by ``templates/retention/_charts.html``).

The same conventions as :mod:`survey_app.dashboards.charts`: a 360-unit ``viewBox`` that CSS
scales, colours from CSS classes only (CSP), every number also in the chart's text description.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from flask_babel import format_date, format_decimal

from survey_app.dashboards.charts import WIDTH, Bar, BarChart
from survey_app.retention.queries import Month

#: Left margin for the row labels, row height and gap of the interval chart.
LABEL_WIDTH = 92
ROW = 26
GAP = 12


@dataclass(frozen=True, slots=True)
class IntervalRow:
    y: float
    width: float
    #: The 95 % interval's ends.
    low: float
    high: float
    css: str
    label: str
    value: str


@dataclass(frozen=True, slots=True)
class IntervalChart:
    width: int
    height: int
    left: float
    right: float
    rows: list[IntervalRow]
    ticks: list[tuple[float, str]]


def interval_chart(rows: Sequence[tuple[str, str, float, float, float]]) -> IntervalChart:
    """Horizontal bars with their interval: ``(label, css, value, low, high)`` in percent."""
    right = WIDTH - 34
    top = max([10.0, *(high for *_rest, high in rows)])
    scale = math.ceil(top / 10) * 10

    def x_of(value: float) -> float:
        return round(LABEL_WIDTH + (right - LABEL_WIDTH) * value / scale, 1)

    shown = [IntervalRow(y=i * (ROW + GAP) + 6, width=round(x_of(value) - LABEL_WIDTH, 1),
                         low=x_of(low), high=x_of(high), css=css, label=label,
                         value=f"{format_decimal(value, '0.#')} %")
             for i, (label, css, value, low, high) in enumerate(rows)]
    ticks = [(x_of(v), f"{v} %") for v in range(0, scale + 1, max(scale // 5, 2))]
    return IntervalChart(WIDTH, len(rows) * (ROW + GAP) + 26, LABEL_WIDTH, right, shown, ticks)


def active_chart(months: Sequence[Month]) -> BarChart:
    """Active customers at the end of each month, as bars."""
    height, baseline, top = 160, 130, 22
    highest = max([1, *(m.end for m in months)])
    step = WIDTH / max(len(months), 1)
    width = min(step * 0.7, 36)
    bars = []
    for i, month in enumerate(months):
        bar_height = round((baseline - top) * month.end / highest, 1)
        x = round(i * step + (step - width) / 2, 1)
        label = format_date(month.last, "MMM") if len(months) <= 12 or i % 2 == 0 else ""
        bars.append(Bar(x=x, y=baseline - bar_height, width=round(width, 1), height=bar_height,
                        css="bar-active", label=label, value=format_decimal(month.end),
                        label_x=round(x + width / 2, 1)))
    return BarChart(WIDTH, height, baseline, bars)
