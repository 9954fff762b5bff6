"""Geometry of the server-side SVG charts (drawn by ``templates/dashboards/_charts.html``).

Charts are small fixed coordinate systems (``viewBox``) that CSS scales to the page width; the
360-unit width keeps 12-unit labels readable on a phone without scaling text down. Colours
come from CSS classes (``bar-promoter`` …), never inline styles (CSP ``style-src 'self'``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

from flask_babel import format_date
from flask_babel import gettext as _

from survey_app.core.i18n import format_number
from survey_app.core.scoring import categorise
from survey_app.dashboards.metrics import MIN_MARGIN_N, Mean, Score
from survey_app.dashboards.services import Group
from survey_app.dashboards.themes import ThemeRow

WIDTH = 360
#: Most x-axis labels a trend shows before it skips some (they would overlap).
MAX_X_LABELS = 6


@dataclass(frozen=True, slots=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    css: str
    label: str
    value: str
    label_x: float


@dataclass(frozen=True, slots=True)
class BarChart:
    width: int
    height: int
    baseline: float
    bars: list[Bar]


@dataclass(frozen=True, slots=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True, slots=True)
class Point:
    x: float
    y: float
    label: str


@dataclass(frozen=True, slots=True)
class LineChart:
    width: int
    height: int
    left: float
    right: float
    y_ticks: list[Tick]
    x_ticks: list[Tick]
    #: One path per run of consecutive shown points (hidden points break the line).
    lines: list[str]
    bands: list[str]
    points: list[Point]
    hidden_x: list[float] = field(default_factory=list)
    zero: float | None = None


@dataclass(frozen=True, slots=True)
class Segment:
    x: float
    width: float
    css: str
    label: str
    #: Text inside the segment, empty when it is too narrow to hold it.
    inside: str


@dataclass(frozen=True, slots=True)
class StackedBar:
    width: int
    height: int
    segments: list[Segment]


def distribution_chart(kind: str, distribution: Sequence[tuple[int, int]]) -> BarChart:
    """Bars per score (0–10 or 1–5), coloured by the score's category."""
    height, top, bottom, side = 190, 22, 26, 6
    slot = (WIDTH - 2 * side) / max(len(distribution), 1)
    peak = max((n for _s, n in distribution), default=0) or 1
    usable = height - top - bottom
    bars = []
    for i, (score, n) in enumerate(distribution):
        bar_height = usable * n / peak
        x = side + i * slot + slot * 0.14
        bars.append(Bar(x=round(x, 1), y=round(height - bottom - bar_height, 1),
                        width=round(slot * 0.72, 1), height=round(bar_height, 1),
                        css=f"bar-{categorise(kind, score)}", label=str(score), value=str(n),
                        label_x=round(side + (i + 0.5) * slot, 1)))
    return BarChart(WIDTH, height, height - bottom, bars)


def trend_chart(kind: str, trend: Sequence[Group], granularity: str) -> LineChart:
    """Score per bucket with its 95% margin as a band; hidden or empty buckets break the line."""
    height, top, bottom, left, right = 210, 12, 30, 40, WIDTH - 10
    low, high = (0.0, 100.0) if kind == "csat" else (-100.0, 100.0)
    ticks = [0, 25, 50, 75, 100] if kind == "csat" else [-100, -50, 0, 50, 100]

    def y_of(value: float) -> float:
        value = min(max(value, low), high)
        return round(top + (high - value) / (high - low) * (height - top - bottom), 1)

    count = len(trend)
    step = (right - left) / max(count - 1, 1)

    def x_of(i: int) -> float:
        return round(left + (i * step if count > 1 else (right - left) / 2), 1)

    runs: list[list[tuple[int, Group]]] = [[]]
    hidden_x = []
    for i, group in enumerate(trend):
        if group.hidden or group.score is None:
            if group.hidden:
                hidden_x.append(x_of(i))
            runs.append([])
        else:
            runs[-1].append((i, group))
    lines, bands, points = [], [], []
    for run in (r for r in runs if r):
        middle = [(x_of(i), y_of(g.score.value)) for i, g in run]  # type: ignore[union-attr]
        lines.append(_path(middle))
        points += [Point(x, y, _point_label(g, granularity))
                   for (x, y), (_i, g) in zip(middle, run, strict=True)]
        bands += [_band(x_of, y_of, part) for part in _with_margin(run)]
    every = max(1, -(-count // MAX_X_LABELS))
    x_ticks = [Tick(x_of(i), _short_date(g.start, granularity))
               for i, g in enumerate(trend) if i % every == 0 and g.start]
    return LineChart(WIDTH, height, left, right,
                     [Tick(y_of(t), f"{t:+d}" if kind != "csat" and t else str(t))
                      for t in ticks],
                     x_ticks, lines, bands, points, hidden_x,
                     zero=None if kind == "csat" else y_of(0))


def _with_margin(run: list[tuple[int, Group]]) -> list[list[tuple[int, Group]]]:
    """The stretches of a run whose points show a margin (no band of width 0 or on 1–9)."""
    parts: list[list[tuple[int, Group]]] = [[]]
    for i, group in run:
        if group.score is not None and group.score.shows_margin:
            parts[-1].append((i, group))
        elif parts[-1]:
            parts.append([])
    return [p for p in parts if p]


def _band(x_of: Callable[[int], float], y_of: Callable[[float], float],
          part: list[tuple[int, Group]]) -> str:
    """The 95% margin around a stretch of points; a lone point gets some width to be seen."""
    upper = [(x_of(i), y_of(g.score.high)) for i, g in part]  # type: ignore[union-attr]
    lower = [(x_of(i), y_of(g.score.low)) for i, g in part]  # type: ignore[union-attr]
    if len(part) == 1:
        (x, top), (_x, bottom) = upper[0], lower[0]
        upper, lower = [(x - 4, top), (x + 4, top)], [(x - 4, bottom), (x + 4, bottom)]
    return _path(upper + lower[::-1]) + " Z"


def margin_text(result: Score | Mean, digits: int = 0, *, short: bool = False) -> str:
    """"± 15", or why no margin is shown (``metrics.shows_margin``); ``short`` for table
    cells, where the column already says "margin"."""
    if result.shows_margin:
        return f"± {format_number(result.margin, digits)}"
    if result.n < MIN_MARGIN_N:
        return _("too few answers") if short else _("too few answers for a margin")
    return _("all answers alike")


def stacked_bar(parts: Sequence[tuple[str, str, int]]) -> StackedBar:
    """One horizontal bar split by ``(css class, label, count)``; percentages inside."""
    height = 30
    total = sum(n for _c, _l, n in parts) or 1
    x, segments = 0.0, []
    for css, label, n in parts:
        width = WIDTH * n / total
        percent = f"{100 * n / total:.0f}%"
        segments.append(Segment(round(x, 1), round(width, 1), css, f"{label}: {percent}",
                                percent if width >= 34 else ""))
        x += width
    return StackedBar(WIDTH, height, segments)


def _path(points: Sequence[tuple[float, float]]) -> str:
    return " ".join(f"{'M' if i == 0 else 'L'}{x},{y}" for i, (x, y) in enumerate(points))


def _short_date(day: date | None, granularity: str) -> str:
    """A week by its first day; a month as "Sep '26" ("Sep 26" would read as a day)."""
    if day is None:
        return ""
    return format_date(day, "d MMM" if granularity == "week" else "MMM ''yy")


def _point_label(group: Group, granularity: str) -> str:
    if group.score is None:
        raise ValueError("a point needs a score")
    return (f"{_short_date(group.start, granularity)}: {group.score.value:.0f} "
            f"{margin_text(group.score)} (n={group.n})")


@dataclass(frozen=True, slots=True)
class ImpactBar:
    """One theme's impact: a bar from the zero line, and the interval of its 95% margin."""

    y: float
    x: float
    width: float
    css: str
    label: str
    value: str
    #: ``(low, high)`` x of the interval; ``None`` when untested.
    whisker: tuple[float, float] | None
    #: Where the value is written: past the bar (and its interval) on its own side.
    value_x: float
    value_anchor: str


@dataclass(frozen=True, slots=True)
class ImpactChart:
    width: int
    height: int
    zero: float
    bars: list[ImpactBar]


#: Impact chart: the label column's width, the room for a value at each end, one row's height.
IMPACT_LABELS = 150
IMPACT_VALUE = 34
IMPACT_ROW = 22


def impact_chart(rows: Sequence[ThemeRow]) -> ImpactChart:
    """Horizontal bars of each theme's impact (score points) around a zero line, with its
    95% interval; red when it pulls the score down, green when up, grey when it is noise."""
    measured = [(row.label, row.impact) for row in rows if row.impact is not None]
    spreads = [impact.share * (impact.margin or 0.0) for _label, impact in measured]
    scale_max = max((abs(impact.value) + spread
                     for (_label, impact), spread in zip(measured, spreads, strict=True)),
                    default=1.0) or 1.0
    half = (WIDTH - IMPACT_LABELS - 10 - 2 * IMPACT_VALUE) / 2
    zero = IMPACT_LABELS + IMPACT_VALUE + half

    def x_of(points: float) -> float:
        return round(zero + points / scale_max * half, 1)

    bars = []
    for index, ((label, impact), spread) in enumerate(zip(measured, spreads, strict=True)):
        value = impact.value
        css = ("bar-noise" if not impact.is_driver
               else "bar-detractor" if value < 0 else "bar-promoter")
        whisker = (x_of(value - spread), x_of(value + spread)) if spread else None
        low, high = whisker or (min(x_of(value), zero), max(x_of(value), zero))
        bars.append(ImpactBar(
            index * IMPACT_ROW + 4, min(x_of(value), zero), round(abs(x_of(value) - zero), 1),
            css, label, format_number(value, 1, signed=True), whisker,
            round(low - 3, 1) if value < 0 else round(max(high, zero) + 3, 1),
            "end" if value < 0 else "start"))
    return ImpactChart(WIDTH, max(len(bars), 1) * IMPACT_ROW + 8, zero, bars)


def month_label(day: date) -> str:
    """A month as the trend's axis writes it ("Sep '26")."""
    return _short_date(day, "month")
