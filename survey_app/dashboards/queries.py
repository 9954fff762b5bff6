"""Dashboard SQL: aggregates only, never every response into Python.

The page's numbers come from one grouped query, :func:`score_cells` (``GROUP BY`` trend bucket,
segment value and score, with ``count(*) FILTER (…)`` for sentiment and comments): the headline,
distribution, trend, breakdown and sentiment are sums over its few hundred rows. The previous
period is one small ``GROUP BY score``; everything else reads a bounded number of rows (a page
of comments, a sample for the key phrases).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy import ColumnElement, case, func, literal, select
from sqlalchemy.orm import selectinload

from survey_app.core.db import db
from survey_app.dashboards.filters import Filters, Period, day_start
from survey_app.invitations.models import Invitation
from survey_app.people.models import Person
from survey_app.responses.models import Answer, Response
from survey_app.responses.queries import countable
from survey_app.surveys.models import Survey
from survey_app.themes.models import ResponseTheme

#: Refuse a breakdown whose attribute has more distinct values than this (e.g. an e-mail).
MAX_GROUP_ROWS = 20_000
#: Invitations that reached (or were meant to reach) the person.
DELIVERED = ("sent", "opened", "responded", "expired")
#: How many recent responses are read to list the segment attributes in use.
KEY_SAMPLE = 200
EXPORT_BATCH = 1000


@dataclass(frozen=True, slots=True)
class Cell:
    """Responses of one trend bucket × segment value × score."""

    bucket: int
    segment: str | None
    score: int
    n: int
    comments: int
    negative: int
    neutral: int
    positive: int


@dataclass(frozen=True, slots=True)
class AnswerCell:
    """Answers with one value to one extra question within one segment value."""

    question_id: int
    segment: str | None
    value: int
    n: int


@dataclass(frozen=True, slots=True)
class CommentRow:
    id: int
    score: int
    category: str
    comment: str
    sentiment_label: str
    submitted_dt: Any
    segment: dict[str, Any] | None
    email: str | None


def segment_value(key: str, segment: ColumnElement[Any] = Response.segment
                  ) -> ColumnElement[str | None]:
    """The snapshotted attribute ``key`` of ``segment`` (JSON) as text (``->>`` /
    ``json_extract``)."""
    return sa.cast(segment[key].as_string(), sa.String)


def filter_conditions(filters: Filters, *, skip: str | None = None) -> list[ColumnElement[bool]]:
    """SQL conditions for the category, sentiment, theme and segment filters (not the period)."""
    conditions: list[ColumnElement[bool]] = []
    if filters.category and skip != "category":
        conditions.append(Response.category == filters.category)
    if filters.sentiment and skip != "sentiment":
        conditions.append(Response.sentiment_label == filters.sentiment)
    if filters.theme and skip != "theme":
        # Correlated on the response only: the themes panel's own query reads response_themes.
        conditions.append(sa.exists().where(ResponseTheme.response_id == Response.id,
                                            ResponseTheme.theme == filters.theme)
                          .correlate(Response))
    conditions += [segment_condition(key, value) for key, value in filters.segments
                   if skip != f"segment:{key}"]
    return conditions


def segment_condition(key: str, value: str | None,
                      segment: ColumnElement[Any] = Response.segment) -> ColumnElement[bool]:
    """Responses whose attribute ``key`` is ``value`` (``None``: without the attribute)."""
    column = segment_value(key, segment)
    return column.is_(None) if value is None else column == value


def scope(survey: Survey, start: date | None, end: date) -> list[ColumnElement[bool]]:
    """The survey's countable responses (not suspected automated) submitted in ``[start, end)``.

    Every dashboard query and the export start from this, so the numbers, the anonymity
    checks and the exported rows always describe the same set.
    """
    conditions = [Response.survey_id == survey.id, countable(),
                  Response.submitted_dt < day_start(end)]
    if start is not None:
        conditions.append(Response.submitted_dt >= day_start(start))
    return conditions


def bucket_number(buckets: Sequence[date]) -> ColumnElement[int]:
    """``CASE`` numbering the trend buckets 0, 1, 2 … (tested latest first).

    Plain comparisons with bound UTC midnights, identical on SQLite and PostgreSQL, and
    cheaper per row than ``strftime``/``date_trunc``; the boundaries come from
    :meth:`Period.buckets`, so weeks and months are cut the same way on both databases.
    """
    whens = [(Response.submitted_dt >= day_start(day), index)
             for index, day in reversed(list(enumerate(buckets)))]
    return case(*whens, else_=literal(-1))


def first_response_day(survey: Survey) -> date | None:
    first = db.session.scalar(select(func.min(Response.submitted_dt))
                              .where(Response.survey_id == survey.id, countable()))
    return None if first is None else first.date()


def score_cells_query(survey: Survey, filters: Filters, buckets: Sequence[date],
                      breakdown: str | None) -> sa.Select[Any]:
    """The main aggregate: counts by trend bucket, breakdown segment value and score."""
    segment = (sa.null() if breakdown is None else segment_value(breakdown)).label("segment_key")
    label = Response.sentiment_label
    return (
        select(bucket_number(buckets).label("bucket_key"), segment, Response.score,
               func.count(), func.count(Response.comment),
               func.count().filter(label == "negative"), func.count().filter(label == "neutral"),
               func.count().filter(label == "positive"))
        .where(*scope(survey, filters.period.start, filters.period.end),
               *filter_conditions(filters))
        .group_by(sa.literal_column("bucket_key"), sa.literal_column("segment_key"),
                  Response.score)
        .limit(MAX_GROUP_ROWS + 1)
    )


def score_counts(survey: Survey, filters: Filters, period: Period) -> dict[int, int]:
    """Responses per score in ``period`` with the filters (for the previous period)."""
    query = (select(Response.score, func.count())
             .where(*scope(survey, period.start, period.end),
                    *filter_conditions(filters))
             .group_by(Response.score))
    return {score: n for score, n in db.session.execute(query)}


def score_cells(survey: Survey, filters: Filters, buckets: Sequence[date],
                breakdown: str | None) -> list[Cell]:
    """Run :func:`score_cells_query`.

    :raises TooManyGroupsError: the breakdown attribute has too many distinct values.
    """
    rows = db.session.execute(score_cells_query(survey, filters, buckets, breakdown)).all()
    if len(rows) > MAX_GROUP_ROWS:
        raise TooManyGroupsError(breakdown or "")
    return [Cell(*row) for row in rows]


class TooManyGroupsError(Exception):
    """The breakdown attribute has more distinct values than a table can show."""


@dataclass(frozen=True, slots=True)
class GroupCounts:
    """Size of the filtered group (current period), and of its parents for the anonymity check."""

    n: int
    comments: int
    #: Responses matching all filters but the named one, for each active filter.
    parents: dict[str, int]
    #: For each segment filter ``(attribute, value)``: responses per value of the attribute
    #: under the other filters (the breakdown the filter picks one row of).
    siblings: dict[tuple[str, str | None], dict[str | None, int]]


def group_counts(survey: Survey, filters: Filters) -> GroupCounts:
    """Filtered responses and comments, and the count without each filter (one query), and
    the sizes of each segment filter's siblings (one ``GROUP BY`` per segment filter)."""
    names = filters.narrowing
    matching = sa.and_(sa.true(), *filter_conditions(filters))
    columns = [func.count().filter(matching),
               func.count().filter(sa.and_(matching, Response.comment.is_not(None)))]
    columns += [func.count().filter(sa.and_(sa.true(), *filter_conditions(filters, skip=name)))
                for name in names]
    row = db.session.execute(
        select(*columns).where(*scope(survey, filters.period.start, filters.period.end))
    ).one()
    siblings = {(key, value): segment_sizes(survey, filters, key)
                for key, value in filters.segments}
    return GroupCounts(row[0], row[1], dict(zip(names, row[2:], strict=True)), siblings)


def segment_sizes(survey: Survey, filters: Filters, key: str) -> dict[str | None, int]:
    """Responses per value of attribute ``key`` under all filters but the one on ``key``."""
    query = (select(segment_value(key).label("segment_key"), func.count())
             .where(*scope(survey, filters.period.start, filters.period.end),
                    *filter_conditions(filters, skip=f"segment:{key}"))
             .group_by(sa.literal_column("segment_key")).limit(MAX_GROUP_ROWS))
    return {segment: n for segment, n in db.session.execute(query)}


def comments_page(survey: Survey, filters: Filters, order: Sequence[ColumnElement[Any]],
                  *, limit: int, offset: int, identified: bool) -> list[CommentRow]:
    """One page of the filtered comments in ``order``; identity only when ``identified``."""
    columns: list[Any] = [Response.id, Response.score, Response.category, Response.comment,
                          Response.sentiment_label, Response.submitted_dt]
    columns += ([Response.segment, Person.email] if identified
                else [sa.null(), sa.null()])
    conditions = scope(survey, filters.period.start, filters.period.end)
    if order[0] is Response.token_digest and db.session.get_bind().dialect.name == "sqlite":
        # The shuffle is read in the order of ``(survey_id, token_digest)``, stopping at the
        # page; told the period holds most answers (``likely``, a no-op), SQLite stops sorting
        # every comment of the period first (2 s for a year of 10M answers; PostgreSQL knows).
        conditions = [conditions[0], *(func.likely(c) for c in conditions[1:])]
    query = select(*columns).where(*conditions, Response.comment.is_not(None),
                                   *filter_conditions(filters))
    if identified:
        query = query.outerjoin(Person, Person.id == Response.person_id)
    rows = db.session.execute(query.order_by(*order).limit(limit).offset(offset)).all()
    return [CommentRow(*row) for row in rows]


def comments_by_token(survey: Survey, filters: Filters, tokens: Sequence[str]
                      ) -> list[CommentRow]:
    """The filtered comments of the responses with these token digests, in token order: an
    anonymous survey's comment page once its tokens are known (``crossed.CrossedCounts``)."""
    query = (select(Response.id, Response.score, Response.category, Response.comment,
                    Response.sentiment_label, Response.submitted_dt, sa.null(), sa.null())
             .where(*scope(survey, filters.period.start, filters.period.end),
                    Response.token_digest.in_(tokens), Response.comment.is_not(None),
                    *filter_conditions(filters))
             .order_by(Response.token_digest))
    return [CommentRow(*row) for row in db.session.execute(query)] if tokens else []


def comment_sample(survey: Survey, filters: Filters, categories: Sequence[str],
                   limit: int) -> list[tuple[str, str]]:
    """``(comment, locale)`` of the latest ``limit`` filtered comments in ``categories``."""
    query = (select(Response.comment, Response.locale)
             .where(*scope(survey, filters.period.start, filters.period.end),
                    Response.comment.is_not(None), Response.category.in_(categories),
                    *filter_conditions(filters))
             .order_by(Response.submitted_dt.desc()).limit(limit))
    return [(comment, locale) for comment, locale in db.session.execute(query)]


def recent_segment_keys(survey: Survey, limit: int = KEY_SAMPLE) -> list[str]:
    """Attribute names in the latest ``limit`` responses, sorted (a bounded sample)."""
    query = (select(Response.segment).where(Response.survey_id == survey.id)
             .order_by(Response.submitted_dt.desc()).limit(limit))
    keys: set[str] = set()
    for segment in db.session.scalars(query):
        keys.update(k for k in (segment or {}) if isinstance(k, str))
    return sorted(keys)


def all_segment_keys(survey: Survey) -> list[str]:
    """Every attribute name any response of the survey has, found by the database."""
    if db.session.get_bind().dialect.name == "postgresql":
        keys = select(func.json_object_keys(Response.segment).label("key")).where(
            Response.survey_id == survey.id).subquery()
        query = select(keys.c.key).distinct()
    else:
        each = func.json_each(Response.segment).table_valued("key")
        query = (select(each.c.key).select_from(Response).join(each, sa.true())
                 .where(Response.survey_id == survey.id).distinct())
    return sorted(k for k in db.session.scalars(query) if isinstance(k, str))


def invitation_counts(survey: Survey, period: Period) -> tuple[int, int]:
    """``(invited, responded)`` among the invitations created in ``period``."""
    conditions = [Invitation.survey_id == survey.id,
                  Invitation.created_dt < day_start(period.end)]
    if period.start is not None:
        conditions.append(Invitation.created_dt >= day_start(period.start))
    row = db.session.execute(select(
        func.count().filter(Invitation.status.in_(DELIVERED)),
        func.count().filter(Invitation.status == "responded"),
    ).where(*conditions)).one()
    return row[0], row[1]


def answer_cells(survey: Survey, filters: Filters, breakdown: str | None) -> list[AnswerCell]:
    """Counts of each numeric answer value by extra question and segment value."""
    segment = (segment_value(breakdown) if breakdown else sa.null()).label("segment_key")
    query = (
        select(Answer.question_id, segment, Answer.value_int, func.count())
        .join(Response, Response.id == Answer.response_id)
        .where(*scope(survey, filters.period.start, filters.period.end),
               Answer.value_int.is_not(None), *filter_conditions(filters))
        .group_by(Answer.question_id, sa.literal_column("segment_key"), Answer.value_int)
        .limit(MAX_GROUP_ROWS + 1)
    )
    rows = db.session.execute(query).all()
    if len(rows) > MAX_GROUP_ROWS:
        raise TooManyGroupsError(breakdown or "")
    return [AnswerCell(*row) for row in rows]


@dataclass(frozen=True, slots=True)
class TextAnswerRow:
    question_id: int
    text: str
    submitted_dt: Any


def _text_answered() -> list[ColumnElement[bool]]:
    return [Answer.value_text.is_not(None), Answer.value_text != ""]


def text_answer_counts(survey: Survey, filters: Filters) -> dict[int, int]:
    """Free-text answers per question among the filtered responses."""
    query = (select(Answer.question_id, func.count())
             .join(Response, Response.id == Answer.response_id)
             .where(*scope(survey, filters.period.start, filters.period.end),
                    *_text_answered(), *filter_conditions(filters))
             .group_by(Answer.question_id))
    return {question_id: n for question_id, n in db.session.execute(query)}


def text_answers(survey: Survey, filters: Filters, question_ids: Sequence[int],
                 order: Sequence[ColumnElement[Any]], *, limit: int) -> list[TextAnswerRow]:
    """The first ``limit`` free-text answers (in ``order``) to each question, one query."""
    rank = func.row_number().over(partition_by=Answer.question_id, order_by=order)
    ranked = (select(Answer.question_id, Answer.value_text, Response.submitted_dt,
                     rank.label("rank"))
              .join(Response, Response.id == Answer.response_id)
              .where(*scope(survey, filters.period.start, filters.period.end),
                     Answer.question_id.in_(question_ids), *_text_answered(),
                     *filter_conditions(filters))
              .subquery())
    query = (select(ranked.c.question_id, ranked.c.value_text, ranked.c.submitted_dt)
             .where(ranked.c.rank <= limit).order_by(ranked.c.question_id, ranked.c.rank))
    return [TextAnswerRow(*row) for row in db.session.execute(query)]


def export_rows(survey: Survey, filters: Filters, order: Sequence[ColumnElement[Any]],
                *, identified: bool) -> Iterator[tuple[Response, Person | None]]:
    """Filtered responses (with their answers, and person when ``identified``), streamed."""
    query = (select(Response, Person if identified else sa.null())
             .where(*scope(survey, filters.period.start, filters.period.end),
                    *filter_conditions(filters))
             .options(selectinload(Response.answers)).order_by(*order))
    if identified:
        query = query.outerjoin(Person, Person.id == Response.person_id)
    for row in db.session.execute(query.execution_options(yield_per=EXPORT_BATCH)):
        yield row[0], row[1]
