"""The figures in SQL against a hand-worked period (docs/retention.md, "Worked example")."""

from __future__ import annotations

from datetime import date

import pytest

from survey_app.retention import services
from survey_app.retention.queries import month_ends
from tests.retention.helpers import build_shop

START, END = date(2026, 1, 1), date(2026, 3, 31)


@pytest.fixture
def shop(app_ctx):
    return build_shop()


def test_the_worked_example(shop):
    result = services.summary(services.scope(START, END))
    assert (result.start, result.end, result.new, result.lost) == (4, 5, 4, 3)
    assert result.crr == 25.0                       # (5 − 4) / 4
    assert (result.churn_rate, result.retention_rate) == (75.0, 25.0)
    assert result.repeat_purchase_rate == 40.0      # a and h of 5 buyers
    assert result.average_order_value == 60.0       # 300 EUR over 5 priced orders
    assert result.purchase_frequency == 1.4         # 7 orders, 5 buyers
    assert result.clv == pytest.approx(60 * 1.4 * 100 / 75)


def test_the_json_keys_are_the_documented_ones(shop):
    data = services.as_json(services.summary(services.scope(START, END)))
    assert list(data) == ["start", "end", "new", "lost", "crr", "churn_rate", "retention_rate",
                          "repeat_purchase_rate", "average_order_value", "purchase_frequency",
                          "clv"]
    assert data["clv"] == 112.0


def test_a_segment_and_employees_with_the_same_attribute(shop):
    result = services.summary(services.scope(START, END, ("plan", "pro")))
    assert (result.start, result.end, result.new, result.lost) == (2, 1, 0, 1)  # a, b — not g


def test_figures_by_last_nps_category_before_the_period_end(shop):
    report = services.report(services.scope(START, END))
    by = report.by_category
    assert (by["promoter"].start, by["promoter"].lost) == (1, 0)         # a
    assert (by["detractor"].start, by["detractor"].lost) == (2, 2)       # b, c
    assert (by["passive"].start, by["passive"].new) == (0, 1)            # e
    assert (by[None].start, by[None].new, by[None].lost) == (1, 3, 1)    # k; d, h, l
    assert by["detractor"].churn_rate == 100.0
    assert by["detractor"].churn_low < 100.0 == by["detractor"].churn_high


def test_monthly_trend(shop):
    months = services.report(services.scope(START, END)).months
    assert [(m.first, m.last) for m in months] == [
        (date(2026, 1, 1), date(2026, 1, 31)), (date(2026, 2, 1), date(2026, 2, 28)),
        (date(2026, 3, 1), date(2026, 3, 31))]
    # January: k lapses on Jan 1st; e, h, l come. February: c cancels, d comes.
    # March: b lapses on March 1st.
    assert [(m.start, m.end, m.new, m.lost) for m in months] == [
        (4, 6, 3, 1), (6, 6, 1, 1), (6, 5, 0, 1)]
    assert months[0].start == 4 and months[-1].end == 5


def test_month_ends_with_partial_months():
    assert month_ends(date(2026, 1, 15), date(2026, 3, 10)) == [
        date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 10)]
    assert month_ends(date(2026, 2, 3), date(2026, 2, 3)) == [date(2026, 2, 3)]
    assert month_ends(date(2025, 12, 1), date(2026, 1, 31)) == [
        date(2025, 12, 31), date(2026, 1, 31)]


def test_rfm_segments_with_their_nps(shop):
    groups = services.report(services.scope(START, END)).rfm
    assert sum(g.customers for g in groups) == 9            # every customer with an order
    assert all(g.segment != "" for g in groups)
    answered = sum(g.answered for g in groups)
    assert answered == 4                                    # a, b, c, e (d answered later)
    assert sum(g.promoters for g in groups) == 1
    assert sum(g.detractors for g in groups) == 2


def test_customers_without_activity_give_empty_figures(customer):
    customer("only@example.com")
    result = services.summary(services.scope(START, END))
    assert (result.start, result.end, result.crr, result.clv) == (0, 0, None, None)
    assert services.report(services.scope(START, END)).rfm == []


def test_a_reversed_or_too_long_period_is_refused(app_ctx):
    with pytest.raises(services.InvalidPeriodError):
        services.scope(END, START)
    with pytest.raises(services.InvalidPeriodError):
        services.scope(date(2020, 1, 1), date(2026, 1, 1))
