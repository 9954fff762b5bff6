"""Category cut-offs at every boundary."""

import pytest

from survey_app.core.scoring import Category, categorise, is_happy


@pytest.mark.parametrize("kind", ["nps", "enps", "pulse"])
@pytest.mark.parametrize(("score", "expected"), [
    (0, Category.DETRACTOR), (6, Category.DETRACTOR), (7, Category.PASSIVE),
    (8, Category.PASSIVE), (9, Category.PROMOTER), (10, Category.PROMOTER),
])
def test_eleven_point_boundaries(kind, score, expected):
    assert categorise(kind, score) is expected


@pytest.mark.parametrize(("score", "expected"), [
    (1, Category.DISSATISFIED), (2, Category.DISSATISFIED), (3, Category.NEUTRAL),
    (4, Category.SATISFIED), (5, Category.SATISFIED),
])
def test_csat_boundaries(score, expected):
    assert categorise("csat", score) is expected


@pytest.mark.parametrize(("kind", "score"), [("nps", -1), ("nps", 11), ("csat", 0), ("csat", 6)])
def test_out_of_range_scores_are_refused(kind, score):
    with pytest.raises(ValueError):
        categorise(kind, score)


def test_only_detractors_and_dissatisfied_are_unhappy():
    assert [c for c in Category if not is_happy(c)] == [Category.DETRACTOR, Category.DISSATISFIED]
