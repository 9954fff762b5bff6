"""Retention figures from counts: CRR, churn, CLV, Wilson intervals, significance (no database).

Every formula is written out with a worked example in docs/retention.md; the page's tooltips
say the same. Rates are percentages (0–100); a figure whose denominator is zero is ``None``
(shown as "—"), never a division error or a made-up 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

#: z for a two-sided 95 % interval.
Z95 = 1.959963984540054


def percent(part: int, whole: int) -> float | None:
    """``part / whole × 100``, or ``None`` when ``whole`` is 0."""
    return part / whole * 100 if whole else None


@dataclass(frozen=True)
class Counts:
    """What the SQL query counts for one group of customers over one period."""

    #: Active customers on the day before the period starts (S) and on its last day (E).
    start: int = 0
    end: int = 0
    #: Active at the end but not at the start (N: new or won back) / the reverse (lost).
    new: int = 0
    lost: int = 0
    #: Customers with at least one order in the period, and with two or more.
    buyers: int = 0
    repeat_buyers: int = 0
    #: Orders in the period; those with an amount in the reporting currency, and their total.
    orders: int = 0
    priced_orders: int = 0
    revenue: Decimal = Decimal(0)

    def __add__(self, other: Counts) -> Counts:
        return Counts(*(a + b for a, b in zip(_values(self), _values(other), strict=True)))


def _values(counts: Counts) -> tuple:
    return (counts.start, counts.end, counts.new, counts.lost, counts.buyers,
            counts.repeat_buyers, counts.orders, counts.priced_orders, counts.revenue)


@dataclass(frozen=True)
class Figures:
    """The retention figures of one group over one period (JSON keys of the CLI report)."""

    start: int
    end: int
    new: int
    lost: int
    crr: float | None
    churn_rate: float | None
    retention_rate: float | None
    repeat_purchase_rate: float | None
    average_order_value: float | None
    purchase_frequency: float | None
    #: Expected number of periods a customer stays: 1 / churn.
    customer_lifespan: float | None
    clv: float | None
    #: 95 % Wilson interval of the churn rate, in percent.
    churn_low: float | None = None
    churn_high: float | None = None
    #: CLV with the churn rate at the ends of its interval (a higher churn, a lower CLV).
    clv_low: float | None = None
    clv_high: float | None = None


def figures(counts: Counts) -> Figures:
    """All figures from ``counts``.

    CRR = (E − N) / S × 100; churn = lost / S × 100; retention = 100 − churn; repeat purchase
    rate = repeat buyers / buyers × 100; AOV = revenue / priced orders; purchase frequency =
    orders / buyers; lifespan = 1 / churn (in periods); CLV = AOV × frequency × lifespan.
    """
    c = counts
    crr = percent(c.end - c.new, c.start)
    churn = percent(c.lost, c.start)
    aov = float(c.revenue) / c.priced_orders if c.priced_orders else None
    frequency = c.orders / c.buyers if c.buyers else None
    low, high = wilson(c.lost, c.start) if c.start else (None, None)
    return Figures(
        start=c.start, end=c.end, new=c.new, lost=c.lost, crr=crr, churn_rate=churn,
        retention_rate=None if churn is None else 100 - churn,
        repeat_purchase_rate=percent(c.repeat_buyers, c.buyers),
        average_order_value=aov, purchase_frequency=frequency,
        customer_lifespan=lifespan(churn), clv=clv(aov, frequency, churn),
        churn_low=low, churn_high=high,
        clv_low=clv(aov, frequency, high), clv_high=clv(aov, frequency, low),
    )


def lifespan(churn_rate: float | None) -> float | None:
    """Expected periods a customer stays, ``100 / churn``; ``None`` without churn."""
    return 100 / churn_rate if churn_rate else None


def clv(aov: float | None, frequency: float | None, churn_rate: float | None) -> float | None:
    """AOV × purchase frequency × lifespan, or ``None`` when a factor is unknown."""
    span = lifespan(churn_rate)
    if aov is None or frequency is None or span is None:
        return None
    return aov * frequency * span


def wilson(successes: int, total: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of ``successes / total``, in percent.

    :raises ValueError: ``total`` is 0 or ``successes`` is outside 0…``total``.
    """
    if total <= 0 or not 0 <= successes <= total:
        raise ValueError("wilson needs 0 <= successes <= total and total > 0")
    p = successes / total
    denominator = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denominator
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denominator
    low = 0.0 if successes == 0 else max(centre - half, 0.0) * 100
    high = 100.0 if successes == total else min(centre + half, 1.0) * 100
    return low, high


@dataclass(frozen=True)
class Significance:
    """A significance test's statistic and two-sided p-value."""

    statistic: float
    p_value: float
    degrees_of_freedom: int = 1

    @property
    def significant(self) -> bool:
        """At the usual 5 % level."""
        return self.p_value < 0.05


def two_proportion_z(k1: int, n1: int, k2: int, n2: int) -> Significance | None:
    """Two-proportion z-test (pooled) of ``k1/n1`` against ``k2/n2``; ``None`` when a group is
    empty or the pooled proportion is 0 or 1 (nothing varies, nothing to test)."""
    if n1 <= 0 or n2 <= 0:
        return None
    pooled = (k1 + k2) / (n1 + n2)
    if pooled in (0, 1):
        return None
    z = (k1 / n1 - k2 / n2) / math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    return Significance(z, math.erfc(abs(z) / math.sqrt(2)))


def chi_square(rows: list[tuple[int, int]]) -> Significance | None:
    """Pearson's chi-square test of independence for a k × 2 table of (lost, kept) counts.

    Rows with no customers are left out; ``None`` with fewer than two rows left or when a
    column is all zero. Closed-form p-values for 1 and 2 degrees of freedom (k = 2, 3).
    """
    table = [(a, b) for a, b in rows if a + b > 0]
    if not 2 <= len(table) <= 3:
        return None
    total = sum(a + b for a, b in table)
    columns = (sum(a for a, _b in table), sum(b for _a, b in table))
    if 0 in columns:
        return None
    statistic = 0.0
    for row in table:
        row_total = sum(row)
        for observed, column in zip(row, columns, strict=True):
            expected = row_total * column / total
            statistic += (observed - expected) ** 2 / expected
    df = len(table) - 1
    p = math.erfc(math.sqrt(statistic / 2)) if df == 1 else math.exp(-statistic / 2)
    return Significance(statistic, p, df)
