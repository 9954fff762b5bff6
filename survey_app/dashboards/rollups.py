"""The dashboard's counts read from the daily rollups (``dashboards.models``), not the responses.

Each function returns exactly what its namesake in :mod:`survey_app.dashboards.queries`
returns from the raw rows, for the filters :func:`usable` accepts, so the metrics and the
anonymity rules run on the same counts whichever source they come from. Reads are bounded by
days × scores × attribute values, not by responses.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import ColumnElement, case, func, literal, select

from survey_app.core.db import db
from survey_app.dashboards import queries
from survey_app.dashboards.filters import Filters, Period
from survey_app.dashboards.models import DailyComboScore, DailyScore, DailySegmentScore
from survey_app.dashboards.queries import Cell, GroupCounts, TooManyGroupsError
from survey_app.surveys.models import Survey

Table = type[DailyScore] | type[DailySegmentScore] | type[DailyComboScore]
#: Cell counts after the bucket, segment and score: n, comments, negative, neutral, positive.
COUNTS = 5


def usable(filters: Filters, breakdown: str | None = None) -> bool:
    """Whether the rollups hold these filters' (and breakdown's) counts.

    They do without a sentiment or theme filter, with at most one segment attribute among the
    segment filter and the breakdown, and a segment filter on a value (not "without the
    attribute"). Other combinations (two attributes crossed) read the responses.
    """
    if not current_app.config["DASHBOARD_ROLLUPS"] or filters.sentiment or filters.theme:
        return False
    keys = {key for key, _value in filters.segments} | ({breakdown} if breakdown else set())
    return len(keys) <= 1 and all(value is not None for _key, value in filters.segments)


def sums(table: Table) -> list[ColumnElement[Any]]:
    """The five counted columns summed (as ``_Counts`` lists them)."""
    return [func.sum(table.n), func.sum(table.comments), func.sum(table.negative),
            func.sum(table.neutral), func.sum(table.positive)]


def _days(table: Table, survey: Survey, period: Period) -> list[ColumnElement[bool]]:
    """The survey's rows on the period's days."""
    conditions = [table.survey_id == survey.id, table.day < period.end]
    if period.start is not None:
        conditions.append(table.day >= period.start)
    return conditions


def _scope(table: Table, survey: Survey, filters: Filters, period: Period
           ) -> list[ColumnElement[bool]]:
    """The period's days, the category filter, and the segment filter on the segment table."""
    conditions = _days(table, survey, period)
    if filters.category:
        conditions.append(table.category == filters.category)
    if table is DailySegmentScore:
        for key, value in filters.segments:
            conditions += [DailySegmentScore.attribute == key, DailySegmentScore.value == value]
    return conditions


def day_number(table: Table, buckets: Sequence[date]) -> ColumnElement[int]:
    """The trend bucket of a day, numbered as ``queries.bucket_number`` numbers responses."""
    whens = [(table.day >= day, index) for index, day in reversed(list(enumerate(buckets)))]
    return case(*whens, else_=literal(-1))


def score_cells(survey: Survey, filters: Filters, buckets: Sequence[date],
                breakdown: str | None) -> list[Cell]:
    """:func:`queries.score_cells` from the rollups (see :func:`usable`).

    With a breakdown, responses without the attribute are the survey's cell minus the sum of
    the attribute's values in that cell.

    :raises TooManyGroupsError: the breakdown attribute has too many distinct values.
    """
    period = filters.period
    if filters.segments:
        value = filters.segments[0][1]
        bucket = day_number(DailySegmentScore, buckets).label("bucket_key")
        rows = db.session.execute(
            select(bucket, DailySegmentScore.score, *sums(DailySegmentScore))
            .where(*_scope(DailySegmentScore, survey, filters, period))
            .group_by(sa.literal_column("bucket_key"), DailySegmentScore.score)).all()
        return _cells((row[0], value if breakdown else None, row[1], row[2:]) for row in rows)
    bucket = day_number(DailyScore, buckets).label("bucket_key")
    totals = (select(bucket, DailyScore.score, *sums(DailyScore))
              .where(*_scope(DailyScore, survey, filters, period))
              .group_by(sa.literal_column("bucket_key"), DailyScore.score))
    if breakdown is None:
        return _cells((row[0], None, row[1], row[2:]) for row in db.session.execute(totals))
    values = _values(survey, filters, buckets, breakdown)
    total = totals.subquery()
    # One statement, so totals and values come from one snapshot: read apart, an answer
    # committed in between would be in the values only (a negative "without" count).
    totals_row = select(literal(True).label("is_total"), total.c.bucket_key,
                        sa.null().label("value"), *list(total.c)[1:])
    values_row = select(literal(False).label("is_total"), *values.c)
    rows = db.session.execute(sa.union_all(totals_row, values_row)).all()
    if sum(1 for row in rows if not row[0]) > queries.MAX_GROUP_ROWS:
        raise TooManyGroupsError(breakdown)
    without = {(row[1], row[3]): list(row[4:]) for row in rows if row[0]}
    for row in rows:
        if not row[0]:
            rest = without[(row[1], row[3])]
            for index in range(COUNTS):
                rest[index] -= row[4 + index]
    cells = _cells([(row[1], row[2], row[3], row[4:]) for row in rows if not row[0]]
                   + [(bucket_key, None, score, counts)
                      for (bucket_key, score), counts in without.items()])
    if len(cells) > queries.MAX_GROUP_ROWS:
        raise TooManyGroupsError(breakdown)
    return cells


def _values(survey: Survey, filters: Filters, buckets: Sequence[date], breakdown: str
            ) -> sa.Subquery:
    """The breakdown attribute's counts by bucket, value and score: one row more than
    ``MAX_GROUP_ROWS`` at most, so a breakdown with too many values is refused cheaply."""
    bucket = day_number(DailySegmentScore, buckets).label("bucket_key")
    return (select(bucket, DailySegmentScore.value, DailySegmentScore.score,
                   *sums(DailySegmentScore))
            .where(*_scope(DailySegmentScore, survey, filters, filters.period),
                   DailySegmentScore.attribute == breakdown)
            .group_by(sa.literal_column("bucket_key"), DailySegmentScore.value,
                      DailySegmentScore.score)
            .limit(queries.MAX_GROUP_ROWS + 1)).subquery()


def _cells(rows: Any) -> list[Cell]:
    """Cells of ``(bucket, segment, score, counts)``, leaving out empty ones (as ``GROUP BY``)."""
    return [Cell(bucket_key, segment, score, *(int(c) for c in counts))
            for bucket_key, segment, score, counts in rows if counts[0]]


def score_counts(survey: Survey, filters: Filters, period: Period) -> dict[int, int]:
    """:func:`queries.score_counts` from the rollups."""
    table: Table = DailySegmentScore if filters.segments else DailyScore
    total = func.sum(table.n)
    query = (select(table.score, total).where(*_scope(table, survey, filters, period))
             .group_by(table.score).having(total != 0))
    return {score: int(n) for score, n in db.session.execute(query)}


def group_counts(survey: Survey, filters: Filters) -> GroupCounts:
    """:func:`queries.group_counts` from the rollups: two small ``GROUP BY`` queries (per
    category; per value and category of the filtered attribute), combined here."""
    period = filters.period
    by_category: dict[str, tuple[int, int]] = {
        category: (int(n), int(comments)) for category, n, comments in db.session.execute(
            select(DailyScore.category, func.sum(DailyScore.n), func.sum(DailyScore.comments))
            .where(*_days(DailyScore, survey, period)).group_by(DailyScore.category))}
    if not filters.segments:
        return GroupCounts(_count(filters, by_category), _count(filters, by_category, 1),
                           {"category": _count(filters, by_category, category=False)}
                           if filters.category else {}, {})
    (key, value), = filters.segments
    by_value: defaultdict[str | None, dict[str, tuple[int, int]]] = defaultdict(dict)
    for each, category, n, comments in db.session.execute(
            select(DailySegmentScore.value, DailySegmentScore.category,
                   func.sum(DailySegmentScore.n), func.sum(DailySegmentScore.comments))
            .where(*_days(DailySegmentScore, survey, period),
                   DailySegmentScore.attribute == key)
            .group_by(DailySegmentScore.value, DailySegmentScore.category)
            .limit(queries.MAX_GROUP_ROWS * len(by_category or "x"))):
        by_value[each][category] = (int(n), int(comments))
    by_value[None] = {category: tuple(  # type: ignore[misc]
        total[i] - sum(counts.get(category, (0, 0))[i] for counts in by_value.values())
        for i in (0, 1)) for category, total in by_category.items()}
    group = by_value[value]
    parents = {name: _count(filters, group, category=False) if name == "category"
               else _count(filters, by_category) for name in filters.narrowing}
    sizes = {each: _count(filters, counts) for each, counts in by_value.items()}
    return GroupCounts(_count(filters, group), _count(filters, group, 1), parents,
                       {(key, value): {each: n for each, n in sizes.items() if n}})


def _count(filters: Filters, counts: dict[str, tuple[int, int]], index: int = 0, *,
           category: bool = True) -> int:
    """Responses (``index`` 0) or comments (1) of ``counts`` by category, under the category
    filter when ``category``."""
    return sum(pair[index] for name, pair in counts.items()
               if not (category and filters.category) or name == filters.category)


def comment_cells(survey: Survey, filters: Filters, buckets: Sequence[date]
                  ) -> dict[tuple[int, str], int]:
    """Countable responses with a comment per trend bucket and category: the themes panel's
    "answers with text" of a survey without free-text questions (see :func:`usable`)."""
    table: Table = DailySegmentScore if filters.segments else DailyScore
    bucket = day_number(table, buckets).label("bucket_key")
    total = func.sum(table.comments)
    rows = db.session.execute(
        select(bucket, table.category, total)
        .where(*_scope(table, survey, filters, filters.period))
        .group_by(sa.literal_column("bucket_key"), table.category).having(total != 0))
    return {(bucket_key, category): int(n) for bucket_key, category, n in rows}
