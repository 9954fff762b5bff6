"""Shared conditions for reading responses (the dashboards' CSV export is in dashboards)."""

from __future__ import annotations

from sqlalchemy import ColumnElement

from survey_app.responses.models import Response


def countable() -> ColumnElement[bool]:
    """The condition every score, rate and trend must use: leaves out responses flagged
    "suspected automated" (a mail scanner's burst) until a person confirms them.

    ``select(...).where(Response.survey_id == s.id, countable())``
    """
    return Response.is_suspected_automated.is_(False)
