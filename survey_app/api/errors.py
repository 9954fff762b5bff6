"""API refusals: raise a problem (RFC 9457) from anywhere, map domain errors, document them.

Rendering lives in :func:`survey_app.core.errors.problem` (every error under ``/api/`` is a
problem, also 404 and 405 of URLs no view serves); this module names the API's own problem
types and turns the services' :class:`~survey_app.core.errors.DomainError` into them.
"""

from __future__ import annotations

from typing import Any, NoReturn

from flask import Response
from marshmallow import fields
from werkzeug.exceptions import HTTPException, default_exceptions

from survey_app.core.cursors import InvalidCursorError
from survey_app.core.errors import DomainError, NotFoundError, error_page, problem
from survey_app.core.strictjson import StrictSchema
from survey_app.dashboards.anonymity import GroupHiddenError, NarrowingRefusedError
from survey_app.dashboards.filters import InvalidFilterError
from survey_app.followups.services import (
    CaseChangedError,
    CaseStateError,
    FollowUpError,
    InvalidTransitionError,
)
from survey_app.invitations.services import LinkExpiredError, SurveyClosedError
from survey_app.responses.flood import TooManyAnswersError
from survey_app.responses.services import AlreadyAnsweredError, StaleEditError


def refuse(status: int, detail: str, *, slug: str | None = None, errors: Any = None,
           headers: dict[str, str] | None = None, title: str | None = None) -> NoReturn:
    """Stop the request with a problem answer (``slug``: its type after the base URI)."""
    error = default_exceptions[status]()
    error.data = {"detail": detail, "slug": slug, "errors": errors,  # type: ignore[attr-defined]
                  "headers": headers, "title": title}
    raise error


#: Domain errors → (status, problem slug). A service error not listed is a 422 (the rule
#: refused the request as sent); ``NotFoundError`` and its subclasses are 404s.
DOMAIN_PROBLEMS: dict[type[DomainError], tuple[int, str]] = {
    AlreadyAnsweredError: (409, "already-answered"),
    StaleEditError: (409, "conflict"),
    LinkExpiredError: (410, "link-expired"),
    SurveyClosedError: (410, "survey-closed"),
    TooManyAnswersError: (429, "rate-limited"),
    InvalidFilterError: (400, "invalid-filter"),
    InvalidCursorError: (400, "invalid-cursor"),
    GroupHiddenError: (422, "anonymity-threshold"),
    NarrowingRefusedError: (422, "anonymity-threshold"),
    CaseStateError: (409, "invalid-transition"),
    InvalidTransitionError: (409, "invalid-transition"),
    CaseChangedError: (409, "conflict"),
}


def domain_problem(error: DomainError) -> Response:
    """The problem answer for a refusal of a service (registered on every API blueprint)."""
    status, slug = next((found for kind, found in DOMAIN_PROBLEMS.items()
                         if isinstance(error, kind)), (422, "validation"))
    if isinstance(error, NotFoundError):
        status, slug = 404, "not-found"
    detail = str(error) or _DEFAULT_DETAIL.get(slug, "The request was refused.")
    errors = getattr(error, "fields", None)
    if isinstance(error, FollowUpError) and error.field:  # what the request left out, not a move
        status, slug, errors = 422, "validation", {error.field: [detail]}
    return problem(status, detail, slug=slug, errors=errors)


_DEFAULT_DETAIL = {
    "already-answered": "This link has already been answered.",
    "link-expired": "This link has expired.",
    "survey-closed": "This survey no longer takes answers.",
    "not-found": "Nothing here, or not within this token's scope.",
}


def as_problem(error: Exception) -> Response | None:
    """``error`` as the problem answer a client gets, or ``None`` for a server error (5xx)."""
    if isinstance(error, DomainError):
        return domain_problem(error)
    if isinstance(error, HTTPException) and (error.code or 500) < 500:
        return error_page(error)
    return None


class ProblemSchema(StrictSchema):
    """An RFC 9457 problem: every error answer of the API (``application/problem+json``)."""

    type = fields.String(required=True, metadata={
        "description": "Stable URI of the kind of problem (docs/api.md lists them)",
        "example": "https://polso.dev/problems/validation"})
    title = fields.String(required=True, metadata={"description": "Short summary of the kind"})
    status = fields.Integer(required=True, metadata={"description": "The HTTP status"})
    detail = fields.String(required=True, metadata={"description": "What went wrong here"})
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()), metadata={
        "description": "Messages per field (``people.3.email``) for validation problems"})
