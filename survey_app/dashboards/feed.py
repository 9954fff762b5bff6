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

import base64
import binascii
import json
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy import select

from survey_app.core.db import db
from survey_app.dashboards import queries
from survey_app.dashboards.anonymity import Disclosure, Policy
from survey_app.dashboards.export import prepare_export
from survey_app.dashboards.filters import Filters, InvalidFilterError, bucket_start
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


class InvalidCursorError(InvalidFilterError):
    """The cursor was not made by this API for this survey."""


@dataclass
class Page:
    """One page of responses as rows, with what the representation needs."""

    rows: list[sa.Row[Any]]
    answers: dict[int, list[sa.Row[Any]]] = field(default_factory=dict)
    people: dict[int, Person] = field(default_factory=dict)
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
                  limit: int = DEFAULT_LIMIT, updated_since: datetime | None = None) -> Page:
    """The page of ``survey``'s countable responses under ``filters`` after ``cursor``.

    :raises InvalidCursorError: a malformed cursor, or one of another survey.
    :raises GroupHiddenError: anonymous survey, filtered group below the threshold.
    :raises NarrowingRefusedError: anonymous survey, a filter narrows its group by too few.
    """
    policy = Policy.for_survey(survey)
    filters = sync_filters(survey, filters, updated_since)
    disclosure = prepare_export(survey, filters).disclosure if policy.is_anonymous else None
    order = policy.sync_order()
    conditions = [*queries.scope(survey, filters.period.start, filters.period.end),
                  *queries.filter_conditions(filters)]
    if updated_since is not None and not policy.is_anonymous:
        conditions.append(Response.updated_dt >= updated_since)
    if cursor is not None:
        conditions.append(_after(order, decode_cursor(cursor, survey, len(order))))
    rows = list(db.session.execute(select(*COLUMNS).where(*conditions).order_by(*order)
                                   .limit(limit + 1)))
    page = Page(rows[:limit], disclosure=disclosure)
    if len(rows) > limit:
        last = page.rows[-1]
        page.next_cursor = encode_cursor(survey, [getattr(last, c.key) for c in order])
    _load_details(page, identified=not policy.is_anonymous)
    return page


def _after(order: tuple[Any, ...], key: list[Any]) -> sa.ColumnElement[bool]:
    """``(a, b) > (x, y)`` written out, which both databases answer from the index."""
    if len(order) == 1:
        return order[0] > key[0]
    first, second = order
    return sa.or_(first > key[0], sa.and_(first == key[0], second > key[1]))


def _load_details(page: Page, *, identified: bool) -> None:
    ids = [row.id for row in page.rows]
    if not ids:
        return
    answers: defaultdict[int, list[sa.Row[Any]]] = defaultdict(list)
    for answer in db.session.execute(
            select(Answer.response_id, Answer.question_id, Answer.value_int, Answer.value_text)
            .where(Answer.response_id.in_(ids))):
        answers[answer.response_id].append(answer)
    page.answers = answers
    people = {row.person_id for row in page.rows if row.person_id is not None}
    if identified and people:
        page.people = {p.id: p for p in db.session.scalars(
            select(Person).where(Person.id.in_(people)))}


# --- cursors -------------------------------------------------------------------------------------


def encode_cursor(survey: Survey, key: list[Any]) -> str:
    """An opaque cursor: the survey and the last row's sort key, base64url-encoded JSON."""
    values = [v.isoformat() if isinstance(v, datetime) else v for v in key]
    text = json.dumps([survey.id, *values], separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).rstrip(b"=").decode()


def decode_cursor(cursor: str, survey: Survey, size: int) -> list[Any]:
    """The sort key in ``cursor`` (see :func:`encode_cursor`).

    :raises InvalidCursorError: not one of ours, or for another survey or order.
    """
    refused = InvalidCursorError(_("The cursor is not valid: use the next_cursor of the "
                                   "previous page, unchanged."))
    try:
        if len(cursor) > 400 or not cursor.isascii():
            raise ValueError(cursor)
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise refused from None
    if not isinstance(values, list) or len(values) != size + 1 or values[0] != survey.id:
        raise refused
    key = values[1:]
    if size == 1:
        if not isinstance(key[0], str) or len(key[0]) != 64:
            raise refused
        return key
    moment, ident = key
    if not isinstance(moment, str) or type(ident) is not int or not 0 <= ident < 2**63:
        raise refused
    try:
        when = datetime.fromisoformat(moment)
    except ValueError:
        raise refused from None
    if when.tzinfo is None:
        raise refused
    return [when.astimezone(UTC), ident]

