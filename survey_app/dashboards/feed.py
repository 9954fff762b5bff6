"""A survey's responses page by page for the API: keyset cursors, the dashboard's filters and
its anonymity rules (docs/api.md, "Reading responses").

Pages follow :meth:`Policy.sync_order`: identified answers in the order they were last written
(``updated_dt``, then id), so a client walking the pages reads every answer exactly once even
while new ones arrive (they come after its position), and ``updated_since`` reads only what
changed; anonymous answers in the comment list's shuffle (their hash), never by time, under
the export's checks (a group below the threshold, or narrowed by too few, is refused).
Each page is three statements (responses, their answers, their people), read as rows.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import select

from survey_app.core import cursors
from survey_app.core.db import db
from survey_app.dashboards import queries
from survey_app.dashboards.anonymity import Disclosure, Policy
from survey_app.dashboards.export import prepare_export
from survey_app.dashboards.filters import Filters, bucket_start
from survey_app.people.models import Person
from survey_app.responses.models import Answer, Response
from survey_app.surveys.models import Survey

#: Largest page; the default one.
MAX_LIMIT = 500
DEFAULT_LIMIT = 100
#: The columns of a page's rows (named as :class:`Response`'s, for ``schemas.response_data``).
COLUMNS = (Response.id, Response.token_digest, Response.is_anonymous, Response.score,
           Response.category, Response.comment, Response.sentiment_polarity,
           Response.sentiment_label, Response.segment, Response.channel, Response.locale,
           Response.person_id, Response.invitation_id, Response.wave_id, Response.submitted_dt,
           Response.updated_dt)


@dataclass
class Page:
    """One page of responses as rows, with what the representation needs."""

    rows: list[sa.Row[Any]]
    answers: dict[int, list[sa.Row[Any]]] = field(default_factory=dict)
    #: ``(id, email, name)`` rows of the page's people, by id.
    people: dict[int, sa.Row[Any]] = field(default_factory=dict)
    #: Anonymous surveys: what may be shown of each answer (``None``: identified).
    disclosure: Disclosure | None = None
    next_cursor: str | None = None


def sync_filters(survey: Survey, filters: Filters, updated_since: datetime | None) -> Filters:
    """Anonymous surveys keep no time: ``updated_since`` becomes the period's start, moved back
    to the start of its week or month like every anonymous period (it narrows the group, so
    it passes the same checks)."""
    if updated_since is None or not survey.is_anonymous:
        return filters
    period = filters.period
    start = bucket_start(updated_since.date(), period.granularity)
    if period.start is None or start > period.start:
        period = replace(period, start=start)
    return replace(filters, period=period)


def response_page(survey: Survey, filters: Filters, *, cursor: str | None = None,
                  listing: str = "", limit: int = DEFAULT_LIMIT,
                  updated_since: datetime | None = None) -> Page:
    """The page of ``survey``'s countable responses under ``filters`` after ``cursor``, whose
    cursors name ``listing`` (:func:`survey_app.api.paging.listing`).

    :raises InvalidCursorError: a malformed cursor, or one of another listing or survey.
    :raises GroupHiddenError: anonymous survey, filtered group below the threshold.
    :raises NarrowingRefusedError: anonymous survey, a filter narrows its group by too few.
    """
    policy = Policy.for_survey(survey)
    filters = sync_filters(survey, filters, updated_since)
    disclosure = prepare_export(survey, filters).disclosure if policy.is_anonymous else None
    order = policy.sync_order()
    conditions = [*queries.scope(survey, filters.period.start, filters.period.end),
                  *queries.filter_conditions(filters)]
    if not policy.is_anonymous:
        # Rows the previous release wrote after the upgrade have no time yet (the migration).
        conditions.append(Response.updated_dt.is_not(None))
        if updated_since is not None:
            conditions.append(Response.updated_dt >= updated_since)
    if cursor is not None:
        conditions.append(_after(order, _decode(cursor, listing, survey, policy)))
    rows = list(db.session.execute(select(*COLUMNS).where(*conditions).order_by(*order)
                                   .limit(limit + 1)))
    page = Page(rows[:limit], disclosure=disclosure)
    if len(rows) > limit:
        last = page.rows[-1]
        page.next_cursor = cursors.encode(listing, survey.id,
                                          *(getattr(last, c.key) for c in order))
    _load_details(page, survey, identified=not policy.is_anonymous)
    return page


def _decode(cursor: str, listing: str, survey: Survey, policy: Policy) -> list[Any]:
    """The sort key a cursor of this survey's pages holds (survey id first)."""
    shape = (int, str) if policy.is_anonymous else (int, datetime, int)
    survey_id, *key = cursors.decode(cursor, listing, shape)
    if survey_id != survey.id:
        raise cursors.InvalidCursorError()
    return key


def _after(order: tuple[Any, ...], key: list[Any]) -> sa.ColumnElement[bool]:
    """``(a, b) > (x, y)`` written out, with ``a >= x`` in front: the range both databases
    start the index scan at. Without it each page read the survey from its start (SQLite
    even took the submission-time index and sorted): 100,000 answers in pages of 500 cost
    3.9× the raw read instead of 2× (bench/api.py)."""
    if len(order) == 1:
        return order[0] > key[0]
    first, second = order
    return sa.and_(first >= key[0],
                   sa.or_(first > key[0], sa.and_(first == key[0], second > key[1])))


def _load_details(page: Page, survey: Survey, *, identified: bool) -> None:
    """The page's answers to extra questions (if the survey has any) and its people (if
    identified), as rows: one statement each."""
    ids = [row.id for row in page.rows]
    if ids and survey.extra_questions:
        answers: defaultdict[int, list[sa.Row[Any]]] = defaultdict(list)
        for answer in db.session.execute(
                select(Answer.response_id, Answer.question_id, Answer.value_int,
                       Answer.value_text).where(Answer.response_id.in_(ids))):
            answers[answer.response_id].append(answer)
        page.answers = answers
    people = {row.person_id for row in page.rows if row.person_id is not None}
    if identified and people:
        page.people = {p.id: p for p in db.session.execute(
            select(Person.id, Person.email, Person.name).where(Person.id.in_(people)))}
