"""Recomputing the daily rollups from the responses, and comparing the two (``polso db rollup``).

The triggers keep the rollups exact as responses change; this is the same ``GROUP BY`` the
migration filled them with, for a restore from an old backup, a trigger dropped by hand, or a
check. It works a month of one survey at a time, so writers wait for one month at most.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy import ColumnElement, Select, func, select

from survey_app.core.db import db
from survey_app.dashboards.filters import day_start, next_bucket
from survey_app.dashboards.models import DailyComboScore, DailyScore, DailySegmentScore
from survey_app.responses.models import Response
from survey_app.responses.queries import countable

KEY = ("survey_id", "day", "score", "category")
SEGMENT_KEY = ("survey_id", "attribute", "day", "value", "score", "category")
COMBO_KEY = ("survey_id", "day", "segment", "score", "category")
COUNT_COLUMNS = ("n", "comments", "negative", "neutral", "positive")


def _is_postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _day() -> ColumnElement[Any]:
    """The UTC day of ``submitted_dt``, as the triggers compute it."""
    if _is_postgresql():
        return sa.cast(func.timezone("UTC", Response.submitted_dt), sa.Date)
    return func.date(Response.submitted_dt)


def _counts() -> list[ColumnElement[int]]:
    label = Response.sentiment_label
    return [func.count(), func.count(Response.comment),
            func.count().filter(label == "negative"), func.count().filter(label == "neutral"),
            func.count().filter(label == "positive")]


def _segment_pairs() -> tuple[Any, ColumnElement[str], ColumnElement[str], ColumnElement[bool]]:
    """The table of ``(key, value)`` pairs of ``responses.segment`` (JSON objects only), its
    value as the raw filter's text, and the condition leaving out JSON ``null`` values."""
    if _is_postgresql():
        objects = sa.case((func.json_typeof(Response.segment) == "object", Response.segment),
                          else_=sa.cast(sa.literal("{}"), sa.JSON))
        pairs = func.json_each_text(objects).table_valued("key", "value")
        return pairs, pairs.c.key, pairs.c.value, pairs.c.value.is_not(None)
    pairs = func.json_each(Response.segment).table_valued("key", "value")
    value = sa.cast(pairs.c.value, sa.Text)
    return pairs, pairs.c.key, value, sa.and_(func.json_type(Response.segment) == "object",
                                              pairs.c.value.is_not(None))


def _responses(survey_id: int, start: date | None, end: date | None
               ) -> list[ColumnElement[bool]]:
    conditions = [Response.survey_id == survey_id, countable()]
    if start is not None:
        conditions.append(Response.submitted_dt >= day_start(start))
    if end is not None:
        conditions.append(Response.submitted_dt < day_start(end))
    return conditions


def score_rows(survey_id: int, start: date | None = None, end: date | None = None
               ) -> Select[Any]:
    """Raw aggregates as rows of ``rollup_scores`` (``survey_id, day, score, category`` and
    the counts), for ``[start, end)``."""
    day = _day().label("day")
    return (select(Response.survey_id, day, Response.score, Response.category, *_counts())
            .where(*_responses(survey_id, start, end))
            .group_by(Response.survey_id, sa.literal_column("day"), Response.score,
                      Response.category))


def segment_rows(survey_id: int, start: date | None = None, end: date | None = None
                 ) -> Select[Any]:
    """Raw aggregates as rows of ``rollup_segment_scores``."""
    pairs, key, value, present = _segment_pairs()
    day = _day().label("day")
    return (select(Response.survey_id, key.label("attribute"), day, value.label("value"),
                   Response.score, Response.category, *_counts())
            .select_from(Response).join(pairs, sa.true())
            .where(*_responses(survey_id, start, end), present)
            .group_by(Response.survey_id, sa.literal_column("attribute"),
                      sa.literal_column("day"), sa.literal_column("value"), Response.score,
                      Response.category))


def combo_rows(survey_id: int, start: date | None = None, end: date | None = None
               ) -> Select[Any]:
    """Raw aggregates as rows of ``rollup_combo_scores`` (the segment's JSON text)."""
    text = sa.cast(Response.segment, sa.Text) if _is_postgresql() else \
        sa.type_coerce(Response.segment, sa.Text)
    # Not labelled "segment": PostgreSQL's GROUP BY would take the column of that name.
    segment = func.coalesce(text, "null").label("combination")
    day = _day().label("day")
    return (select(Response.survey_id, day, segment, Response.score, Response.category,
                   *_counts())
            .where(*_responses(survey_id, start, end))
            .group_by(Response.survey_id, sa.literal_column("day"),
                      sa.literal_column("combination"), Response.score, Response.category))


#: Each rollup table, the raw aggregate that fills it, and its key.
TABLES = ((DailyScore, score_rows, KEY), (DailySegmentScore, segment_rows, SEGMENT_KEY),
          (DailyComboScore, combo_rows, COMBO_KEY))


def months(survey_id: int) -> list[tuple[date, date]]:
    """``[start, end)`` of each calendar month from the survey's first to its last response."""
    first, last = db.session.execute(
        select(func.min(Response.submitted_dt), func.max(Response.submitted_dt))
        .where(Response.survey_id == survey_id)).one()
    if first is None:
        return []
    spans, start = [], first.date().replace(day=1)
    while start <= last.date():
        end = next_bucket(start, "month")
        spans.append((start, end))
        start = end
    return spans


def rebuild_span(survey_id: int, start: date | None, end: date | None) -> None:
    """Replace the survey's rollup rows on the days ``[start, end)`` (``None``: unbounded) by
    the raw aggregates (flushes, never commits). On PostgreSQL writers of responses wait until
    the transaction ends, so no answer is counted twice or lost."""
    if _is_postgresql():
        db.session.execute(sa.text("LOCK TABLE responses IN SHARE MODE"))
    for table, rows, key in TABLES:
        days = [table.survey_id == survey_id]
        if start is not None:
            days.append(table.day >= start)
        if end is not None:
            days.append(table.day < end)
        db.session.execute(sa.delete(table).where(*days))
        db.session.execute(sa.insert(table).from_select(
            [*key, *COUNT_COLUMNS], rows(survey_id, start, end)))
    db.session.flush()


def differences(survey_id: int) -> int:
    """Rows where the rollups and the raw aggregates disagree (0 when exact); rows of zeros
    left by the triggers are not differences."""
    total = 0
    for table, rows, key in TABLES:
        columns = [table.__table__.c[name] for name in (*key, *COUNT_COLUMNS)]
        stored = select(*columns).where(table.survey_id == survey_id, table.n != 0)
        raw = rows(survey_id)
        for left, right in ((stored, raw), (raw, stored)):
            total += db.session.scalar(
                select(func.count()).select_from(left.except_(right).subquery())) or 0
    return total
