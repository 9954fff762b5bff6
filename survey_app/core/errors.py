"""Domain errors raised by services, and the HTTP error pages (RFC 9457 problems for the API)."""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

from flask import Flask, Response, current_app, render_template, request
from werkzeug.exceptions import HTTPException

from survey_app.core.strictjson import flatten_errors

#: Every problem ``type`` is this plus a slug (docs/api.md lists them); stable for clients.
PROBLEM_BASE = "https://polso.dev/problems/"
#: The slug of a status with no more specific problem.
PROBLEM_SLUGS = {
    400: "bad-request", 401: "unauthorized", 403: "forbidden", 404: "not-found",
    405: "method-not-allowed", 406: "not-acceptable", 409: "conflict", 410: "gone",
    413: "body-too-large", 415: "unsupported-media-type", 422: "validation",
    429: "rate-limited", 500: "server-error",
}
#: Headers of an HTTP error that a problem answer keeps.
_KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate")


class DomainError(Exception):
    """A business rule refused the operation; the message is safe to show to the user."""


class NotFoundError(DomainError):
    """The object does not exist (or must look as if it did not)."""


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def register_error_pages(app: Flask) -> None:
    """Friendly HTML (or JSON for the API) for every HTTP error; never a stack trace."""

    app.register_error_handler(HTTPException, error_page)


def _api_detail(code: int, data: dict[str, Any]) -> str | None:
    """Plainer words than Werkzeug's for what a program most often gets wrong."""
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if code == 413 and limit:
        return f"The body is over the limit of {limit // 1024} KiB."
    if code == 422 and (data.get("errors") or data.get("messages")):
        return "Some fields are not valid: errors names each one."
    return None


def error_page(error: HTTPException):  # type: ignore[no-untyped-def]
    """The error as a page, or as an ``application/problem+json`` answer for the API.

    An ``HTTPException`` raised with ``data`` (webargs' ``abort`` and ``api.errors.refuse``)
    may give the problem's ``slug``, ``title``, ``detail``, per-field ``errors`` (or webargs'
    ``messages``) and extra ``headers``.
    """
    code = error.code or 500
    if wants_json():
        data: dict[str, Any] = getattr(error, "data", None) or {}
        headers = {k: v for k, v in error.get_headers() if k in _KEPT_HEADERS}
        headers.update(data.get("headers") or {})
        detail = data.get("detail") or _api_detail(code, data) or error.description or error.name
        return problem(code, detail,
                       slug=data.get("slug"), title=data.get("title"),
                       errors=data.get("errors") or data.get("messages"), headers=headers)
    return render_template("errors/error.html", error=error), code


def problem(status: int, detail: str, *, slug: str | None = None, title: str | None = None,
            errors: Any = None, headers: dict[str, str] | None = None,
            **extra: Any) -> Response:
    """An RFC 9457 problem answer: ``type`` (:data:`PROBLEM_BASE` + slug), ``title``,
    ``status``, ``detail``, ``errors`` per field when given, and ``extra`` members."""
    slug = slug or PROBLEM_SLUGS.get(status) or ("server-error" if status >= 500
                                                 else "bad-request")
    body: dict[str, Any] = {"type": PROBLEM_BASE + slug,
                            "title": title or _title(status), "status": status,
                            "detail": detail}
    if errors:
        if isinstance(errors, dict) and set(errors) == {"json"}:  # webargs' location level
            errors = errors["json"]
        body["errors"] = flatten_errors(errors)
    body.update(extra)
    response = current_app.response_class(json.dumps(body), status=status,
                                          mimetype="application/problem+json")
    response.headers.update(headers or {})
    return response


def _title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
