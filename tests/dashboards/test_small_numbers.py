"""Issue #12 point 7: small numbers do not mislead.

A margin is shown only from :data:`MIN_MARGIN_N` answers and when it is not 0; the default
trend step follows the data (months when weeks average fewer than that many answers); the trend
draws no band where there is no margin.
"""

from __future__ import annotations

import re
from datetime import date

import pytest

from survey_app.dashboards import charts
from survey_app.dashboards.metrics import MIN_MARGIN_N, csat, mean, nps, trend_step
from survey_app.dashboards.services import Group
from tests.dashboards.helpers import rows, section, text

TOO_FEW = "too few answers for a margin"


@pytest.mark.parametrize(("score", "shown"), [
    (nps(1, 0, 0), False),         # n = 1: "−100 ± 0" would be nonsense
    (nps(3, 4, 2), False),         # n = 9
    (nps(5, 3, 2), True),          # n = 10
    (nps(20, 0, 0), False),        # unanimous: a margin of 0 claims certainty
    (csat(3, 4), False),
    (csat(80, 100), True),
    (mean(1, 4, 16), False),
    (mean(3, 12, 48), False),
    (mean(12, 40, 150), True),
])
def test_a_margin_is_shown_only_where_it_means_something(score, shown):
    assert MIN_MARGIN_N == 10
    assert score.shows_margin is shown


@pytest.mark.parametrize(("n", "days", "step"), [
    (0, 91, "month"), (129, 91, "month"), (130, 91, "week"), (10, 7, "week"), (9, 7, "month"),
    (129, 90, "week"),  # 10.03 a week
])
def test_the_trend_step_follows_the_data(n, days, step):
    assert trend_step(n, days) == step


def test_no_band_where_there_is_no_margin(app_ctx):
    week = [date(2026, 1, 5), date(2026, 1, 12), date(2026, 1, 19), date(2026, 1, 26)]
    trend = [Group(None, False, 10, nps(5, 3, 2), start=week[0]),
             Group(None, False, 3, nps(1, 1, 1), start=week[1]),      # too few
             Group(None, False, 12, nps(12, 0, 0), start=week[2]),    # unanimous: margin 0
             Group(None, False, 10, nps(2, 3, 5), start=week[3])]
    chart = charts.trend_chart("nps", trend, "week")
    assert len(chart.lines) == 1 and len(chart.points) == 4
    assert len(chart.bands) == 2  # around the first and the last point only
    for band in chart.bands:
        ys = [float(y) for y in re.findall(r",(-?[\d.]+)", band)]
        assert max(ys) - min(ys) > 1  # never a band of width 0
    assert "±" in chart.points[0].label and "±" not in chart.points[1].label
    assert TOO_FEW in chart.points[1].label


def test_segments_with_few_answers_show_no_margin(client, login, make_survey, add_responses):
    survey = make_survey("nps")
    add_responses(survey, [dict(score=2, segment={"plan": "solo"})]
                  + [dict(score=s, segment={"plan": "pro"}) for s in range(11)] * 2)
    login(client, "admin")
    page = client.get(f"/surveys/{survey}").get_data(as_text=True)
    breakdown = rows(page, "breakdown-title")
    assert breakdown["solo"].startswith("1 | -100 | too few answers |"), breakdown["solo"]
    assert "±" not in breakdown["solo"]
    assert re.match(r"22 \| -45 \| ± \d+", breakdown["pro"]), breakdown["pro"]

    few = make_survey("nps")
    add_responses(few, [dict(score=9), dict(score=10), dict(score=3)])
    headline = text(section(client.get(f"/surveys/{few}").get_data(as_text=True),
                            "headline-title"))
    assert TOO_FEW in headline and "±" not in headline and "margin of error" not in headline


def _trend_heading(page: str) -> str:
    return text(re.search(r'<h2 id="trend-title">(.*?)</h2>', page, re.S).group(1))


def test_sparse_weeks_make_a_monthly_trend_unless_weeks_are_asked_for(client, login,
                                                                     make_survey,
                                                                     add_responses):
    sparse = make_survey("nps")
    add_responses(sparse, [dict(score=s % 11, days_ago=1 + s * 7, segment={"plan": "pro"})
                           for s in range(12)])
    login(client, "admin")
    page = client.get(f"/surveys/{sparse}").get_data(as_text=True)
    assert _trend_heading(page) == "Trend by month"
    assert re.search(r'<option value="" selected>Automatic</option>', page)
    assert "trend=" not in re.search(r'href="(/surveys/\d+\?[^"]*segment[^"]*)"', page).group(1)
    asked = client.get(f"/surveys/{sparse}?trend=week").get_data(as_text=True)
    assert _trend_heading(asked) == "Trend by week"
    export_link = re.search(r'href="(/surveys/\d+/export\.csv[^"]*)"', page).group(1)
    assert "trend=month" in export_link  # the export dates rows by the page's step

    dense = make_survey("nps")
    add_responses(dense, [dict(score=s % 11, days_ago=1 + s % 80) for s in range(140)])
    assert _trend_heading(client.get(f"/surveys/{dense}").get_data(as_text=True)) == (
        "Trend by week")
