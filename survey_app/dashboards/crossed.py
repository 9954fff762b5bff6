"""The counts of a view crossing segment attributes, from one ``GROUP BY`` of a rollup.

The per-attribute rollups hold one attribute at a time, so a view filtering on two or three
(department = A and region = north) reads the rollup per combination of segment values
(``rollup_combo_scores``), with the raw filter's JSON conditions. Its page needs the same set
counted several ways: the trend step's count, the narrowing check (the group without each
filter), each filtered attribute's siblings, the trend, the breakdown, the previous period and
the comments per month. :class:`CrossedCounts` reads them at once: the combinations that fail
at most one segment filter in the current period, and those passing them all in the previous
one, ``GROUP BY`` cut (the days where a trend bucket, a month or a period starts) × each
filtered attribute's value × score × category. Its few thousand rows then answer every count
the way :mod:`.rollups` does (``score_cells``, ``score_counts``, ``group_counts``,
``comment_cells``, same results as :mod:`.queries`), so the anonymity rules run on the same
numbers. On PostgreSQL an anonymous survey's comment page is found by one ordered aggregate of
the period's matching responses (:meth:`CrossedCounts.comment_tokens`).
docs/dashboards.md, "Crossed filters".
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import ColumnElement, select

from survey_app.core.db import db, for_reports
from survey_app.dashboards import queries, rollups
from survey_app.dashboards.filters import Filters, Period
from survey_app.dashboards.models import DailyComboScore
from survey_app.dashboards.queries import Cell, GroupCounts
from survey_app.responses.models import Response
from survey_app.surveys.models import Survey

#: The anonymous comment pages found in token order here (PostgreSQL): the first five.
TOKEN_PAGES = 5
#: Token digests' first eight hex digits: the range a bound of :meth:`comment_tokens` cuts.
TOKEN_RANGE = 16**8
#: Counts per aggregate row: responses, comments, negative, neutral, positive.
Counts = tuple[int, int, int, int, int]


def usable(filters: Filters) -> bool:
    """Whether :class:`CrossedCounts` serves these filters: two or three segment attributes
    (values or "without the attribute"), a category filter or none; not a sentiment or theme
    filter (those keep their own statements)."""
    return (current_app.config["DASHBOARD_ROLLUPS"] and len(filters.segments) >= 2
            and not filters.sentiment and not filters.theme)


@dataclass(frozen=True, slots=True)
class _Row:
    #: Index of the cut the rows fall in (``cuts[cut] <= day < cuts[cut + 1]``; -1: before).
    cut: int
    #: 0: every segment filter holds; ``j``: all but the ``j``-th (from 1) hold.
    miss: int
    #: The ``miss``-th attribute's value (``None`` when ``miss`` is 0).
    value: str | None
    score: int
    category: str
    counts: Counts


class CrossedCounts:
    """One page's counts for crossed segment filters (see the module's docstring).

    Built for the filters as parsed (the trend step may still change: both steps' periods
    are covered) and one survey; each method takes the same arguments as its namesake in
    :mod:`.rollups` and :mod:`.queries`, for these filters with another period or step.
    """

    def __init__(self, survey: Survey, filters: Filters, first_day: date | None, *,
                 siblings: bool = True, tokens: int = 0) -> None:
        """:param siblings: read the rows failing one filter too (:meth:`group_counts`, for
            the anonymity checks); without, only the rows passing them all.
        :param tokens: on PostgreSQL, how many comments' token digests
            :meth:`comment_tokens` reads at once (an anonymous survey's first comment pages)."""
        self.survey = survey
        self.segments = filters.segments
        self.siblings = siblings
        periods = _periods(filters.period)
        cuts: set[date] = set()
        for period in periods:
            cuts |= {period.end, *period.buckets(first_day),
                     *period.with_step("month").buckets(first_day)}
            cuts |= {p.start for p in (period, period.previous()) if p and p.start}
        #: Days where an interval starts, ascending; the last is the period's end.
        self.cuts = sorted(cuts)
        starts = [p.start for period in periods for p in (period, period.previous()) if p]
        if db.session.get_bind().dialect.name != "postgresql":
            tokens = 0  # SQLite reads its comment page in index order, cheaply
        #: How many token digests each group holds (0: none read).
        self.tokens = tokens
        self.rows = _read(survey, filters, self.cuts,
                          None if None in starts else min(d for d in starts if d is not None),
                          None if None in starts else min(p.start for p in periods
                                                           if p.start is not None),
                          siblings)

    # -- what rollups/queries return -------------------------------------------------------

    def score_cells(self, survey: Survey, filters: Filters, buckets: Sequence[date],
                    breakdown: str | None) -> list[Cell]:
        """:func:`queries.score_cells` for a breakdown by a filtered attribute or none."""
        value = dict(self.segments)[breakdown] if breakdown else None
        sums: defaultdict[tuple[int, int], list[int]] = defaultdict(lambda: [0] * 5)
        for row in self._rows(filters, filters.period):
            if row.miss == 0:
                bucket = _bucket(self._cut_start(row.cut), buckets)
                _add(sums[(bucket, row.score)], row.counts)
        return [Cell(bucket, value, score, *counts)
                for (bucket, score), counts in sums.items() if counts[0]]

    def score_counts(self, survey: Survey, filters: Filters, period: Period
                     ) -> dict[int, int]:
        """:func:`queries.score_counts`."""
        counts: Counter[int] = Counter()
        for row in self._rows(filters, period):
            if row.miss == 0:
                counts[row.score] += row.counts[0]
        return {score: n for score, n in counts.items() if n}

    def group_counts(self, survey: Survey, filters: Filters) -> GroupCounts:
        """:func:`queries.group_counts`: the group, its parents and each filter's siblings."""
        if not self.siblings:
            raise ValueError("crossed counts read without the siblings")
        rows = list(self._rows(filters, filters.period, category=False))
        matching = [row for row in rows if self._category(filters, row)]
        n = sum(row.counts[0] for row in matching if row.miss == 0)
        comments = sum(row.counts[1] for row in matching if row.miss == 0)
        parents: dict[str, int] = {}
        if filters.category:
            parents["category"] = sum(row.counts[0] for row in rows if row.miss == 0)
        siblings: dict[tuple[str, str | None], dict[str | None, int]] = {}
        for index, (key, value) in enumerate(self.segments, 1):
            sizes: Counter[str | None] = Counter()
            for row in matching:
                if row.miss in (0, index):
                    sizes[value if row.miss == 0 else row.value] += row.counts[0]
            siblings[(key, value)] = {each: size for each, size in sizes.items() if size}
            parents[f"segment:{key}"] = sum(sizes.values())
        return GroupCounts(n, comments, {name: parents[name] for name in filters.narrowing},
                           siblings)

    def comment_cells(self, survey: Survey, filters: Filters, buckets: Sequence[date]
                      ) -> dict[tuple[int, str], int]:
        """:func:`rollups.comment_cells`: comments per bucket and category."""
        cells: Counter[tuple[int, str]] = Counter()
        for row in self._rows(filters, filters.period):
            if row.miss == 0:
                cells[(_bucket(self._cut_start(row.cut), buckets), row.category)] += \
                    row.counts[1]
        return {key: n for key, n in cells.items() if n}

    def comment_tokens(self, filters: Filters, offset: int, limit: int) -> list[str] | None:
        """Token digests of the comments ``offset`` to ``offset + limit`` in token order
        (the anonymous comment page, ``queries.comments_page``); ``None`` when not read here.

        Read in the ``(survey_id, token_digest)`` index below a bound: digests are uniform,
        so the group's first ``n`` comments lie in about the first ``n / comments`` of the
        token range, ``comments`` being the group's count from the rollup. Twice that range
        is read; with fewer than ``n`` found the range grows fourfold, up to all of it, so the
        result is exact. Without the bound PostgreSQL estimates two JSON filters to keep
        almost no row and scans the whole table in parallel instead (1.1 s at 10M answers).
        """
        if offset + limit > self.tokens:
            return None
        wanted = offset + limit
        comments = sum(row.counts[1] for row in self._rows(filters, filters.period)
                       if row.miss == 0)
        query = (select(Response.token_digest)
                 .where(*queries.scope(self.survey, filters.period.start, filters.period.end),
                        Response.comment.is_not(None), *queries.filter_conditions(filters))
                 .order_by(Response.token_digest).limit(wanted))
        share = 2 * wanted / max(comments, 1)
        while share < 1:
            bound = f"{int(share * TOKEN_RANGE):08x}"
            found = db.session.scalars(query.where(Response.token_digest < bound)).all()
            if len(found) == wanted:
                return list(found[offset:])
            share *= 4
        return list(db.session.scalars(query).all()[offset:])

    # -- helpers ---------------------------------------------------------------------------

    def _rows(self, filters: Filters, period: Period, *, category: bool = True
              ) -> Iterable[_Row]:
        """Rows of the cuts within ``period`` (under the category filter when ``category``)."""
        if filters.segments != self.segments:
            raise ValueError("crossed counts read with other segment filters")
        first = -1 if period.start is None else self._cut_index(period.start)
        last = self._cut_index(period.end)
        return (row for row in self.rows if first <= row.cut < last
                and (not category or self._category(filters, row)))

    def _cut_index(self, day: date) -> int:
        """The cut starting on ``day`` (every period's start and end is one)."""
        index = bisect_right(self.cuts, day) - 1
        if index < 0 or self.cuts[index] != day:
            raise ValueError(f"{day} is not a cut of these crossed counts")
        return index

    def _cut_start(self, cut: int) -> date:
        return date.min if cut < 0 else self.cuts[cut]

    @staticmethod
    def _category(filters: Filters, row: _Row) -> bool:
        return not filters.category or row.category == filters.category


def _periods(period: Period) -> list[Period]:
    """The periods a page with ``period`` may show: with an automatic weekly step, also the
    monthly one its data may choose (``services._step_from_data``)."""
    if period.is_step_auto and period.granularity == "week" and period.days is not None:
        return [period, period.with_step("month")]
    return [period]


def _bucket(day: date, buckets: Sequence[date]) -> int:
    """The trend bucket of ``day``, as ``queries.bucket_number`` numbers it (-1: before)."""
    return bisect_right(buckets, day) - 1


def _add(total: list[int], counts: Counts) -> None:
    for index, n in enumerate(counts):
        total[index] += n


def _read(survey: Survey, filters: Filters, cuts: list[date], start: date | None,
          current: date | None, siblings: bool) -> list[_Row]:
    """The one ``GROUP BY`` of the combination rollup: by cut, each filtered attribute's value,
    score and category, the combinations failing at most one segment filter from ``current``
    on (each filter's siblings and parents) and those passing them all before it (the
    previous periods); without ``siblings``, only those passing them all.

    The values are grouped as the database reads them, and which filter a group fails is
    decided here, on the same text (a ``CASE`` for it would parse the JSON again per row).
    """
    table = DailyComboScore
    segment = _segment_json()
    conditions = [queries.segment_condition(key, value, segment)
                  for key, value in filters.segments]
    but_one = sa.or_(*(sa.and_(*(c for i, c in enumerate(conditions) if i != j))
                       for j in range(len(conditions))))
    if not siblings:
        wanted = sa.and_(*conditions)
    elif current is None:
        wanted = but_one
    else:
        # Before ``current`` every filter must hold: one condition per filter (not a
        # ``CASE``), so a row of the previous period parses the JSON once when its first
        # filter fails, and the planner's estimate stays that of the filters.
        wanted = sa.and_(*(sa.or_(table.day >= current, c) for c in conditions), but_one)
    values = [queries.segment_value(key, segment).label(f"value_{index}")
              for index, (key, _value) in enumerate(filters.segments)]
    days = [table.survey_id == survey.id, table.day < cuts[-1]]
    if start is not None:
        days.append(table.day >= start)
    query = (
        select(rollups.day_number(table, cuts).label("cut"), *values, table.score,
               table.category, *rollups.sums(table))
        .where(*days, wanted)
        .group_by(sa.literal_column("cut"), *(sa.literal_column(v.name) for v in values),
                  table.score, table.category)
    )
    for_reports()
    rows = []
    for cut, *found, score, category, n, comments, negative, neutral, positive in \
            db.session.execute(query):
        failed = [index for index, (value, (_key, wanted_value))
                  in enumerate(zip(found, filters.segments, strict=True), 1)
                  if value != wanted_value]
        if len(failed) <= 1 and n:
            miss = failed[0] if failed else 0
            rows.append(_Row(cut, miss, found[miss - 1] if miss else None, score, category,
                             (n, comments, negative, neutral, positive)))
    return rows


def _segment_json() -> ColumnElement[Any]:
    """The combination rollup's segment text as JSON, for the raw filter's conditions."""
    if db.session.get_bind().dialect.name == "postgresql":
        return sa.cast(DailyComboScore.segment, sa.JSON)
    return sa.type_coerce(DailyComboScore.segment, sa.JSON)
