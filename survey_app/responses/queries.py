"""Reading responses for exports, streamed in batches (constant memory)."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import selectinload

from survey_app.core.db import db
from survey_app.people.models import Person
from survey_app.responses.models import Response
from survey_app.surveys.models import Survey

BATCH = 1000


def segment_keys(survey: Survey) -> list[str]:
    """Every segment attribute name used by the survey's responses, sorted."""
    keys: set[str] = set()
    rows = db.session.execute(
        select(Response.segment).where(Response.survey_id == survey.id).execution_options(
            yield_per=BATCH)
    )
    for (segment,) in rows:
        keys.update(segment or {})
    return sorted(keys)


def export_rows(survey: Survey) -> Iterator[tuple[Response, Person | None]]:
    """Responses with their person (identified surveys only), in a stable order.

    Anonymous responses come day by day, shuffled within a day (ordered by their token digest),
    so the order reveals nothing about who answered when.
    """
    query = select(Response, Person).outerjoin(Person, Person.id == Response.person_id)
    query = query.where(Response.survey_id == survey.id).options(selectinload(Response.answers))
    if survey.is_anonymous:
        query = query.order_by(Response.submitted_dt, Response.token_digest)
    else:
        query = query.order_by(Response.submitted_dt, Response.id)
    for row in db.session.execute(query.execution_options(yield_per=BATCH)):
        yield row.Response, (None if survey.is_anonymous else row.Person)


def countable() -> ColumnElement[bool]:
    """The condition every score, rate and trend must use: leaves out responses flagged
    "suspected automated" (a mail scanner's burst) until a person confirms them.

    ``select(...).where(Response.survey_id == s.id, countable())``
    """
    return Response.is_suspected_automated.is_(False)
