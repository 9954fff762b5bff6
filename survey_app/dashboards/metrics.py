"""Survey metrics from counts: NPS/eNPS, CSAT, 95% margins of error, period-over-period tests.

Pure functions, no database: :mod:`survey_app.dashboards.queries` counts in SQL, these turn the
counts into scores. Formulas (also in ``docs/dashboards.md``):

* **NPS / eNPS** = 100 × (promoters − detractors) / n. Each answer is a variable worth +1
  (promoter), 0 (passive) or −1 (detractor); NPS is 100 × its mean. Its variance is
  ``p_P + p_D − (p_P − p_D)²`` (proportions), so the 95% margin of error is
  ``1.96 × 100 × sqrt(variance / n)``.
* **CSAT** = 100 × satisfied / n (satisfied = 4–5 on 1–5), a proportion: margin
  ``1.96 × 100 × sqrt(p(1 − p) / n)``.
* **Change between two periods**: a two-sample z-test on the difference of the two scores with
  unpooled variances, ``z = (S₁ − S₂) / sqrt(SE₁² + SE₂²)``, two-sided p-value
  ``erfc(|z| / √2)``; significant when p < 0.05 and each period has at least
  :data:`MIN_TEST_N` answers (below that the normal approximation is not trusted).
* **Mean** of a 1–5 question from its count, sum and sum of squares, with the margin
  ``1.96 × s / sqrt(n)`` (sample standard deviation ``s``).
* **Small numbers**: a margin is shown only from :data:`MIN_MARGIN_N` answers (below, the
  normal approximation is too rough: "NPS −100 ± 0" on one answer) and when it is not 0 (all
  answers alike is no proof of certainty); the default trend step is a week only when weeks
  average that many answers (:func:`trend_step`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

#: Two-sided 95% quantile of the standard normal distribution.
Z_95 = 1.959963984540054
#: Fewest answers in each period for the change to be tested at all.
MIN_TEST_N = 30
#: Significance level of the period-over-period test.
ALPHA = 0.05
#: Fewest answers for a margin of error to be shown (and a trend step to be a week).
MIN_MARGIN_N = 10


def shows_margin(n: int, margin: float) -> bool:
    """Whether a margin means something: at least :data:`MIN_MARGIN_N` answers, and not 0."""
    return n >= MIN_MARGIN_N and margin > 0


def trend_step(n: int, days: int) -> str:
    """``"week"`` when ``n`` answers over ``days`` days average :data:`MIN_MARGIN_N` a week,
    else ``"month"`` (weekly points on 1–3 answers swing between −100 and +100)."""
    return "week" if 7 * n >= MIN_MARGIN_N * days else "month"


@dataclass(frozen=True, slots=True)
class Score:
    """A headline score (−100…100 for NPS/eNPS, 0…100 for CSAT) with its 95% margin."""

    value: float
    #: Half-width of the 95% confidence interval, in score points.
    margin: float
    n: int
    #: Standard error in score points (used by :func:`compare`).
    standard_error: float

    @property
    def low(self) -> float:
        return self.value - self.margin

    @property
    def high(self) -> float:
        return self.value + self.margin

    @property
    def shows_margin(self) -> bool:
        return shows_margin(self.n, self.margin)


@dataclass(frozen=True, slots=True)
class Change:
    """Score of this period minus the previous one, and whether that is significant."""

    delta: float
    #: ``None`` when either period has fewer than :data:`MIN_TEST_N` answers.
    z: float | None
    p_value: float | None

    @property
    def is_tested(self) -> bool:
        return self.p_value is not None

    @property
    def is_significant(self) -> bool:
        return self.p_value is not None and self.p_value < ALPHA


@dataclass(frozen=True, slots=True)
class Mean:
    """Mean of a numeric answer (e.g. 1–5 agreement) with its 95% margin."""

    value: float
    margin: float
    n: int

    @property
    def shows_margin(self) -> bool:
        return shows_margin(self.n, self.margin)


def nps(promoters: int, passives: int, detractors: int) -> Score | None:
    """NPS (or eNPS) from category counts; ``None`` without answers.

    >>> nps(50, 30, 20).value
    30.0
    """
    _check_counts(promoters, passives, detractors)
    n = promoters + passives + detractors
    if n == 0:
        return None
    p_promoter, p_detractor = promoters / n, detractors / n
    mean = p_promoter - p_detractor
    variance = max(p_promoter + p_detractor - mean * mean, 0.0)
    standard_error = 100 * math.sqrt(variance / n)
    return Score(100 * mean, Z_95 * standard_error, n, standard_error)


def csat(satisfied: int, n: int) -> Score | None:
    """CSAT % (share of 4–5 answers) from counts; ``None`` without answers.

    >>> csat(80, 100).value
    80.0
    """
    _check_counts(satisfied, n)
    if satisfied > n:
        raise ValueError("more satisfied answers than answers")
    if n == 0:
        return None
    p = satisfied / n
    standard_error = 100 * math.sqrt(p * (1 - p) / n)
    return Score(100 * p, Z_95 * standard_error, n, standard_error)


def score_from_categories(kind: str, counts: Mapping[str, int]) -> Score | None:
    """The survey kind's headline score from counts by category name (missing = 0)."""
    if kind == "csat":
        n = sum(counts.get(c, 0) for c in ("satisfied", "neutral", "dissatisfied"))
        return csat(counts.get("satisfied", 0), n)
    return nps(counts.get("promoter", 0), counts.get("passive", 0), counts.get("detractor", 0))


def compare(current: Score | None, previous: Score | None) -> Change | None:
    """Change from ``previous`` to ``current``: two-sample z-test, unpooled variances.

    ``None`` when either period has no answers. The change is reported but not tested
    (``p_value is None``) when either has fewer than :data:`MIN_TEST_N` answers.
    """
    if current is None or previous is None:
        return None
    delta = current.value - previous.value
    if current.n < MIN_TEST_N or previous.n < MIN_TEST_N:
        return Change(delta, None, None)
    standard_error = math.hypot(current.standard_error, previous.standard_error)
    if standard_error == 0:
        # Both periods unanimous: identical scores differ by nothing, different ones certainly.
        return Change(delta, 0.0 if delta == 0 else math.copysign(math.inf, delta),
                      1.0 if delta == 0 else 0.0)
    z = delta / standard_error
    return Change(delta, z, math.erfc(abs(z) / math.sqrt(2)))


@dataclass(frozen=True, slots=True)
class Impact:
    """How much a theme moves the score: ``share × (score of those mentioning it − score of
    the rest)``, in score points, with the 95% margin of that difference."""

    #: Share (0–1) of the answers with text that mention the theme.
    share: float
    #: Score of the answers mentioning the theme minus that of the other answers with text.
    difference: float
    #: Half-width of the 95% interval of ``difference``; ``None`` when not tested.
    margin: float | None
    #: Whether the difference is significant (:func:`compare`'s test, p < 0.05).
    is_driver: bool

    @property
    def value(self) -> float:
        return self.share * self.difference


def impact(kind: str, mentioning: Mapping[str, int], all_texts: Mapping[str, int]
           ) -> Impact | None:
    """The :class:`Impact` of a theme from category counts of the answers that mention it and
    of every answer with text (the rest is the difference); ``None`` when either side is
    empty. Each side needs :data:`MIN_TEST_N` answers to be tested: below, it is no driver.
    """
    rest = {key: all_texts.get(key, 0) - mentioning.get(key, 0) for key in all_texts}
    if any(n < 0 for n in rest.values()) or mentioning.keys() - all_texts.keys():
        raise ValueError("more answers mention the theme than there are answers")
    theme_score = score_from_categories(kind, mentioning)
    rest_score = score_from_categories(kind, rest)
    change = compare(theme_score, rest_score)
    if change is None or theme_score is None or rest_score is None:
        return None
    margin = (Z_95 * math.hypot(theme_score.standard_error, rest_score.standard_error)
              if change.is_tested else None)
    return Impact(theme_score.n / (theme_score.n + rest_score.n), change.delta, margin,
                  change.is_significant)


def mean(n: int, total: float, total_of_squares: float) -> Mean | None:
    """Mean and 95% margin from the count, sum and sum of squares of the values.

    The margin uses the sample standard deviation (n − 1); one answer has no margin (0).
    """
    if n < 0:
        raise ValueError("counts cannot be negative")
    if n == 0:
        return None
    average = total / n
    if n == 1:
        return Mean(average, 0.0, 1)
    variance = max((total_of_squares - total * total / n) / (n - 1), 0.0)
    return Mean(average, Z_95 * math.sqrt(variance / n), n)


def share(part: int, whole: int) -> float | None:
    """``part`` as a percentage of ``whole``; ``None`` when ``whole`` is 0."""
    _check_counts(part, whole)
    return None if whole == 0 else 100 * part / whole


def _check_counts(*counts: int) -> None:
    if any(c < 0 for c in counts):
        raise ValueError("counts cannot be negative")
