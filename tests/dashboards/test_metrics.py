"""NPS/eNPS, CSAT, margins of error and the period test against values worked out by hand.

Each expected value below is written out from the formula in docs/dashboards.md, e.g. for
50 promoters, 30 passives and 20 detractors: NPS = 100 × (0.5 − 0.2) = 30; the ±1/0/−1
variable has variance 0.5 + 0.2 − 0.3² = 0.61, standard error 100 × √(0.61/100) = 7.8102…,
margin 1.95996 × 7.8102 = 15.3078.
"""

from __future__ import annotations

import math

import pytest

from survey_app.dashboards import metrics
from survey_app.dashboards.metrics import compare, csat, mean, nps, score_from_categories, share

Z = 1.959963984540054


@pytest.mark.parametrize(
    ("promoters", "passives", "detractors", "value", "standard_error"),
    [
        (50, 30, 20, 30.0, 100 * math.sqrt(0.61 / 100)),      # 7.8102
        (30, 30, 40, -10.0, 100 * math.sqrt(0.69 / 100)),     # 8.3066
        (3, 4, 3, 0.0, 100 * math.sqrt(0.6 / 10)),            # 24.4949
        (1, 0, 1, 0.0, 100 * math.sqrt(1 / 2)),               # 70.7107: widest possible
        (2, 1, 0, 200 / 3, 100 * math.sqrt((2 / 3 - 4 / 9) / 3)),  # 27.2166
        (10, 0, 0, 100.0, 0.0),                               # unanimous: no spread
        (0, 0, 4, -100.0, 0.0),
        (0, 7, 0, 0.0, 0.0),
        (1, 0, 0, 100.0, 0.0),
    ],
)
def test_nps_and_its_margin(promoters, passives, detractors, value, standard_error):
    score = nps(promoters, passives, detractors)
    assert score.value == pytest.approx(value)
    assert score.standard_error == pytest.approx(standard_error)
    assert score.margin == pytest.approx(Z * standard_error)
    assert score.n == promoters + passives + detractors
    assert (score.low, score.high) == pytest.approx((value - score.margin, value + score.margin))


def test_nps_hand_computed_figures():
    assert nps(50, 30, 20).margin == pytest.approx(15.3078, abs=1e-4)
    assert nps(3, 4, 3).margin == pytest.approx(48.0092, abs=1e-4)
    assert nps(1, 0, 1).margin == pytest.approx(138.5904, abs=1e-4)


def test_enps_uses_the_same_formula_through_categories():
    counts = {"promoter": 50, "passive": 30, "detractor": 20}
    assert score_from_categories("enps", counts) == nps(50, 30, 20)
    assert score_from_categories("pulse", counts) == nps(50, 30, 20)
    assert score_from_categories("nps", {"promoter": 1}).value == 100.0


def test_no_answers_no_score():
    assert nps(0, 0, 0) is None
    assert csat(0, 0) is None
    assert score_from_categories("csat", {}) is None
    assert score_from_categories("nps", {}) is None


@pytest.mark.parametrize(
    ("satisfied", "n", "value", "standard_error"),
    [
        (80, 100, 80.0, 4.0),                             # √(0.8·0.2/100) = 0.04
        (90, 100, 90.0, 3.0),                             # √(0.9·0.1/100) = 0.03
        (1, 4, 25.0, 100 * math.sqrt(0.1875 / 4)),        # 21.6506
        (5, 5, 100.0, 0.0),
        (0, 3, 0.0, 0.0),
    ],
)
def test_csat_and_its_margin(satisfied, n, value, standard_error):
    score = csat(satisfied, n)
    assert score.value == pytest.approx(value)
    assert score.standard_error == pytest.approx(standard_error)
    assert score.margin == pytest.approx(Z * standard_error)


def test_csat_hand_computed_figures():
    assert csat(80, 100).margin == pytest.approx(7.8399, abs=1e-4)
    assert csat(1, 4).margin == pytest.approx(42.4344, abs=1e-4)
    # neutral and dissatisfied both count against CSAT
    counts = {"satisfied": 6, "neutral": 2, "dissatisfied": 2}
    assert score_from_categories("csat", counts).value == pytest.approx(60.0)


@pytest.mark.parametrize("args", [(-1, 0, 0), (0, -2, 1), (0, 0, -1)])
def test_nps_refuses_negative_counts(args):
    with pytest.raises(ValueError, match="negative"):
        nps(*args)


def test_csat_refuses_impossible_counts():
    with pytest.raises(ValueError, match="more satisfied"):
        csat(5, 4)
    with pytest.raises(ValueError, match="negative"):
        csat(-1, 4)


def test_significant_nps_change():
    # SEs 7.8102 and 8.3066 → difference SE √(61 + 69) = 11.4018; z = 40 / 11.4018 = 3.5082
    change = compare(nps(50, 30, 20), nps(30, 30, 40))
    assert change.delta == pytest.approx(40.0)
    assert change.z == pytest.approx(40 / math.sqrt(130))
    assert change.z == pytest.approx(3.5082, abs=1e-4)
    assert change.p_value == pytest.approx(0.000451, abs=1e-5)
    assert change.is_tested and change.is_significant


def test_insignificant_nps_change():
    # SEs √69 and √70 → difference SE √139 = 11.7898; z = 10 / 11.7898 = 0.8482, p = 0.3963
    change = compare(nps(40, 30, 30), nps(35, 30, 35))
    assert change.delta == pytest.approx(10.0)
    assert change.z == pytest.approx(0.8482, abs=1e-4)
    assert change.p_value == pytest.approx(0.3963, abs=1e-4)
    assert change.is_tested and not change.is_significant


def test_csat_change_at_z_two():
    # SEs 3 and 4 → 5; z = 10 / 5 = 2, two-sided p = 0.0455 < 0.05
    change = compare(csat(90, 100), csat(80, 100))
    assert change.z == pytest.approx(2.0)
    assert change.p_value == pytest.approx(0.0455, abs=1e-4)
    assert change.is_significant
    falling = compare(csat(80, 100), csat(90, 100))
    assert falling.delta == pytest.approx(-10.0) and falling.z == pytest.approx(-2.0)
    assert falling.p_value == pytest.approx(change.p_value)


def test_change_not_tested_below_the_minimum_sample():
    small = metrics.MIN_TEST_N - 1
    change = compare(csat(small, small), csat(0, 100))
    assert change.delta == pytest.approx(100.0)
    assert change.p_value is None and change.z is None
    assert not change.is_tested and not change.is_significant
    enough = compare(csat(metrics.MIN_TEST_N - 10, metrics.MIN_TEST_N), csat(50, 100))
    assert enough.is_tested


def test_change_between_unanimous_periods():
    same = compare(nps(40, 0, 0), nps(50, 0, 0))
    assert same.delta == 0 and same.p_value == 1.0 and not same.is_significant
    flipped = compare(nps(0, 0, 40), nps(50, 0, 0))
    assert flipped.delta == -200 and flipped.z == -math.inf and flipped.is_significant


def test_change_needs_both_periods():
    assert compare(nps(1, 0, 0), None) is None
    assert compare(None, nps(1, 0, 0)) is None


def test_mean_of_one_to_five():
    # 1..5: mean 3, sample variance (55 − 15²/5) / 4 = 2.5, SE √(2.5/5) = 0.7071
    result = mean(5, 15, 55)
    assert result.value == pytest.approx(3.0)
    assert result.margin == pytest.approx(Z * math.sqrt(0.5))
    assert result.margin == pytest.approx(1.3859, abs=1e-4)
    assert result.n == 5


def test_mean_edge_cases():
    assert mean(0, 0, 0) is None
    assert mean(1, 4, 16) == metrics.Mean(4.0, 0.0, 1)
    assert mean(3, 12, 48).margin == 0.0  # 4, 4, 4
    with pytest.raises(ValueError):
        mean(-1, 0, 0)


def test_share():
    assert share(1, 4) == 25.0
    assert share(0, 0) is None
    with pytest.raises(ValueError):
        share(-1, 3)
