"""The SVG charts: geometry, and well-formed accessible markup without inline styles."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date

from survey_app.dashboards import charts
from survey_app.dashboards.metrics import nps
from survey_app.dashboards.services import Group

SVG = "{http://www.w3.org/2000/svg}"


def test_distribution_bars_are_proportional_and_coloured_by_category():
    chart = charts.distribution_chart("nps", [(s, n) for s, n in zip(range(11), [4, 0, 1, 1, 1,
                                                                                 1, 1, 2, 2, 3, 8],
                                                                     strict=True)])
    assert len(chart.bars) == 11
    tallest = max(chart.bars, key=lambda b: b.height)
    assert tallest.label == "10" and tallest.value == "8"
    assert chart.bars[0].height == tallest.height / 2  # 4 is half of 8
    assert chart.bars[1].height == 0
    assert [b.css for b in chart.bars] == ["bar-detractor"] * 7 + ["bar-passive"] * 2 + [
        "bar-promoter"] * 2
    assert all(b.y + b.height == chart.baseline for b in chart.bars)
    assert all(0 <= b.x and b.x + b.width <= chart.width for b in chart.bars)
    csat = charts.distribution_chart("csat", [(s, 1) for s in range(1, 6)])
    assert [b.css for b in csat.bars] == ["bar-dissatisfied"] * 2 + ["bar-neutral"] + [
        "bar-satisfied"] * 2


def test_trend_line_breaks_at_hidden_points_and_draws_the_margin_band(app_ctx):
    shown = Group("x", False, 10, nps(5, 3, 2))
    trend = [Group(None, False, 10, nps(5, 3, 2), start=date(2026, 1, 5)),
             Group(None, False, 10, nps(2, 3, 5), start=date(2026, 1, 12)),
             Group(None, True, start=date(2026, 1, 19)),
             Group(None, False, 10, shown.score, start=date(2026, 1, 26))]
    chart = charts.trend_chart("nps", trend, "week")
    assert len(chart.lines) == 2 and len(chart.bands) == 2   # broken at the hidden week
    assert len(chart.points) == 3 and len(chart.hidden_x) == 1
    first, second = chart.points[:2]
    assert first.y < second.y                               # +30 is drawn above −30
    assert chart.zero is not None and first.y < chart.zero < second.y
    assert "±" in first.label and "n=10" in first.label
    assert all(chart.left <= p.x <= chart.right for p in chart.points)



def test_monthly_labels_cannot_be_read_as_a_day(app_ctx):
    """'Sep 26' reads as the 26th of September: a month shows its year with an apostrophe."""
    trend = [Group(None, False, 10, nps(5, 3, 2), start=date(2026, month, 1))
             for month in (9, 10)]
    chart = charts.trend_chart("nps", trend, "month")
    assert [t.label for t in chart.x_ticks] == ["Sep '26", "Oct '26"]
    assert chart.points[0].label.startswith("Sep '26: ")

def test_stacked_bar_widths_add_up_and_small_parts_carry_no_text():
    bar = charts.stacked_bar([("a", "A", 90), ("b", "B", 9), ("c", "C", 1)])
    assert sum(s.width for s in bar.segments) == bar.width
    assert [s.inside for s in bar.segments] == ["90%", "", ""]
    assert bar.segments[2].label == "C: 1%"


def test_page_charts_are_accessible_svg_without_inline_styles(client, login, make_survey,
                                                              add_responses):
    survey = make_survey("nps")
    add_responses(survey, [dict(score=s, days_ago=d, comment="ok thanks", sentiment="positive")
                           for s in range(11) for d in (3, 10, 17)])
    login(client, "admin")
    page = client.get(f"/surveys/{survey}").get_data(as_text=True)
    assert " style=" not in page and "<script" not in page
    svgs = re.findall(r"<svg.*?</svg>", page, re.S)
    ids = {ET.fromstring(s).get("id") for s in svgs}
    assert {"chart-categories", "chart-distribution", "chart-trend", "chart-sentiment"} <= ids
    for markup in svgs:
        svg = ET.fromstring(markup)  # well-formed XML
        assert svg.get("role") == "img"
        title, desc = svg.find(f"{SVG}title"), svg.find(f"{SVG}desc")
        assert title is not None and title.text and desc is not None and desc.text
        assert svg.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
        assert svg.get("viewBox", "").startswith("0 0 ")
