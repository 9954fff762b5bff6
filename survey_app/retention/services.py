"""The retention report: the one place the page, the command and later the API get figures."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from flask import current_app

from survey_app.core.db import for_reports
from survey_app.core.errors import DomainError
from survey_app.retention import queries
from survey_app.retention.metrics import (
    Counts,
    Figures,
    Significance,
    chi_square,
    figures,
    two_proportion_z,
)
from survey_app.retention.queries import Month, RfmGroup, Scope

#: Longest period a report covers (its trend has one column per month).
MAX_DAYS = 5 * 366
#: The keys of :func:`as_json`, in order (the command's ``--json``).
JSON_KEYS = ("start", "end", "new", "lost", "crr", "churn_rate", "retention_rate",
             "repeat_purchase_rate", "average_order_value", "purchase_frequency", "clv")


class InvalidPeriodError(DomainError):
    """The period is empty, reversed or too long."""


@dataclass(frozen=True)
class Report:
    scope: Scope
    total: Figures
    #: Figures per last NPS category (``promoter``, ``passive``, ``detractor``, ``None``).
    by_category: dict[str | None, Figures]
    #: Churn of detractors against promoters, and across the three categories.
    detractors_vs_promoters: Significance | None
    across_categories: Significance | None
    months: list[Month]
    rfm: list[RfmGroup]


def scope(start: date, end: date, segment: tuple[str, str] | None = None) -> Scope:
    """A :class:`Scope` with the configured activity window and currency.

    :raises InvalidPeriodError: ``end`` before ``start`` or more than :data:`MAX_DAYS` apart.
    """
    if end < start:
        raise InvalidPeriodError(f"the period ends ({end}) before it starts ({start})")
    if (end - start).days > MAX_DAYS:
        raise InvalidPeriodError("the period may cover at most five years")
    return Scope(start, end, segment, current_app.config["RETENTION_ACTIVE_DAYS"],
                 current_app.config["RETENTION_CURRENCY"])


def report(scope: Scope) -> Report:
    """Every figure of the retention page for ``scope`` (two queries)."""
    for_reports()
    counts, months = queries.period_counts(scope)
    total = sum(counts.values(), Counts())
    kept = {key: (c.lost, c.start - c.lost) for key, c in counts.items()}
    return Report(
        scope=scope,
        total=figures(total),
        by_category={key: figures(c) for key, c in counts.items()},
        detractors_vs_promoters=two_proportion_z(
            counts["detractor"].lost, counts["detractor"].start,
            counts["promoter"].lost, counts["promoter"].start),
        across_categories=chi_square([kept[key] for key in ("promoter", "passive",
                                                             "detractor")]),
        months=months,
        rfm=queries.rfm(scope),
    )


def summary(scope: Scope) -> Figures:
    """Only the period's figures (the command without the trend and RFM)."""
    for_reports()
    return figures(sum(queries.period_counts(scope, trend=False)[0].values(), Counts()))


def as_json(result: Figures) -> dict[str, Any]:
    """The command's ``--json`` object: :data:`JSON_KEYS`, rates in percent, rounded."""
    values = asdict(result)
    return {key: round(values[key], 2) if isinstance(values[key], float) else values[key]
            for key in JSON_KEYS}
