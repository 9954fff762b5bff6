"""The impact figure of a theme, against an example worked by hand."""

from __future__ import annotations

import math

import pytest

from survey_app.dashboards.metrics import MIN_TEST_N, impact


def test_impact_matches_the_hand_worked_example() -> None:
    """150 comments; 50 mention the theme: 10 promoters, 10 passives, 30 detractors.

    Theme: NPS = 100 × (10 − 30) / 50 = −40; variance = 0.2 + 0.6 − (0.2 − 0.6)² = 0.64,
    SE = 100 × √(0.64 / 50) = 11.314. Rest (100): 60 / 20 / 20 → NPS +40, variance 0.64,
    SE = 100 × √(0.64 / 100) = 8. Difference −80 ± 1.96 × √(11.314² + 8²) = ± 27.16.
    Share 50 / 150 = ⅓, impact = ⅓ × −80 = −26.67 points.
    """
    result = impact("nps", {"promoter": 10, "passive": 10, "detractor": 30},
                    {"promoter": 70, "passive": 30, "detractor": 50})
    assert result is not None
    assert result.share == pytest.approx(1 / 3)
    assert result.difference == pytest.approx(-80.0)
    assert result.margin == pytest.approx(1.959964 * math.sqrt(128 + 64), abs=1e-3)
    assert result.margin == pytest.approx(27.16, abs=0.01)
    assert result.value == pytest.approx(-26.667, abs=1e-3)
    assert result.is_driver


def test_csat_impact() -> None:
    """CSAT: theme 12 of 40 satisfied (30 %), rest 48 of 60 (80 %): −50 points, share 0.4."""
    result = impact("csat", {"satisfied": 12, "neutral": 8, "dissatisfied": 20},
                    {"satisfied": 60, "neutral": 15, "dissatisfied": 25})
    assert result is not None
    se = 100 * math.hypot(math.sqrt(0.3 * 0.7 / 40), math.sqrt(0.8 * 0.2 / 60))
    assert (result.share, result.difference) == (pytest.approx(0.4), pytest.approx(-50.0))
    assert result.margin == pytest.approx(1.959964 * se, abs=1e-3)
    assert result.value == pytest.approx(-20.0) and result.is_driver


def test_a_difference_within_the_margin_is_noise_not_a_driver() -> None:
    result = impact("nps", {"promoter": 14, "passive": 8, "detractor": 10},
                    {"promoter": 50, "passive": 30, "detractor": 30})
    assert result is not None and result.margin is not None
    assert abs(result.difference) < result.margin
    assert not result.is_driver


def test_too_few_answers_are_not_tested() -> None:
    few = MIN_TEST_N - 1
    result = impact("nps", {"detractor": few}, {"detractor": few, "promoter": 100})
    assert result is not None
    assert result.difference == pytest.approx(-200.0)
    assert result.margin is None and not result.is_driver


def test_nothing_to_compare_gives_none() -> None:
    assert impact("nps", {"promoter": 5}, {"promoter": 5}) is None  # no rest
    assert impact("nps", {}, {"promoter": 5}) is None  # no mention


def test_more_mentions_than_comments_is_an_error() -> None:
    with pytest.raises(ValueError):
        impact("nps", {"promoter": 6}, {"promoter": 5})
