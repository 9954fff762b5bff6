"""The retention formulas against hand-worked examples (docs/retention.md)."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest

from survey_app.retention.metrics import (
    Counts,
    chi_square,
    clv,
    figures,
    percent,
    two_proportion_z,
    wilson,
)


def test_the_seed_example_s200_n30_e210_gives_crr_90():
    result = figures(Counts(start=200, end=210, new=30, lost=20))
    assert result.crr == 90.0
    assert result.churn_rate == 10.0
    assert result.retention_rate == 90.0
    assert result.customer_lifespan == 10.0


def test_order_figures_and_clv():
    # 40 buyers, 10 of them twice: 50 orders, 45 with a EUR amount worth 2,250.
    result = figures(Counts(start=100, end=95, new=15, lost=20, buyers=40, repeat_buyers=10,
                            orders=50, priced_orders=45, revenue=Decimal("2250.00")))
    assert result.repeat_purchase_rate == 25.0
    assert result.average_order_value == 50.0
    assert result.purchase_frequency == 1.25
    assert result.customer_lifespan == 5.0          # 1 / 20 %
    assert result.clv == 50.0 * 1.25 * 5.0          # 312.50
    assert result.clv_low < result.clv < result.clv_high


def test_no_customers_at_start_or_no_churn_gives_no_figure_not_zero():
    empty = figures(Counts())
    assert (empty.crr, empty.churn_rate, empty.retention_rate, empty.average_order_value,
            empty.purchase_frequency, empty.clv, empty.churn_low) == (None,) * 7
    nobody_left = figures(Counts(start=10, end=10, buyers=10, orders=10, priced_orders=10,
                                 revenue=Decimal(100)))
    assert (nobody_left.churn_rate, nobody_left.customer_lifespan, nobody_left.clv) == (
        0.0, None, None)
    assert clv(None, 1.0, 10.0) is None
    assert percent(1, 0) is None


def test_wilson_interval_by_hand():
    # 81 of 263 (p = 0.30798): centre (p + z²/2n) / (1 + z²/n) = 0.31075, half-width
    # z·sqrt(p(1−p)/n + z²/4n²) / (1 + z²/n) = 0.05546 → 25.5 % … 36.6 %.
    low, high = wilson(81, 263)
    assert (round(low, 1), round(high, 1)) == (25.5, 36.6)
    assert wilson(0, 10)[0] == 0.0
    assert wilson(10, 10)[1] == 100.0
    with pytest.raises(ValueError):
        wilson(1, 0)


def test_two_proportion_z_test():
    # 30 of 100 detractors left, 10 of 100 promoters: z = 0.2 / sqrt(0.2 * 0.8 * 0.02) ≈ 3.536.
    test = two_proportion_z(30, 100, 10, 100)
    assert round(test.statistic, 3) == 3.536
    assert math.isclose(test.p_value, math.erfc(3.5355339 / math.sqrt(2)), rel_tol=1e-6)
    assert test.significant
    assert two_proportion_z(0, 10, 0, 10) is None
    assert two_proportion_z(1, 0, 1, 10) is None


def test_chi_square_with_two_and_one_degrees_of_freedom():
    # Lost/kept: promoters 10/90, passives 20/80, detractors 30/70. Expected lost 20 each:
    # 100/20 + 0 + 100/20 (lost) + 100/80 + 0 + 100/80 (kept) = 12.5, df 2, p = e^(−6.25).
    test = chi_square([(10, 90), (20, 80), (30, 70)])
    assert math.isclose(test.statistic, 12.5)
    assert test.degrees_of_freedom == 2
    assert math.isclose(test.p_value, math.exp(-6.25))
    two = chi_square([(10, 90), (0, 0), (30, 70)])
    assert two.degrees_of_freedom == 1
    # 2 × 2 chi-square equals z² of the pooled two-proportion test.
    assert math.isclose(two.statistic, two_proportion_z(10, 100, 30, 100).statistic ** 2)
    assert chi_square([(0, 5), (0, 7)]) is None
    assert chi_square([(1, 5)]) is None
