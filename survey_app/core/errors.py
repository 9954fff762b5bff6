"""Domain errors raised by services, and the HTTP error pages."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException


class DomainError(Exception):
    """A business rule refused the operation; the message is safe to show to the user."""


class NotFoundError(DomainError):
    """The object does not exist (or must look as if it did not)."""


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def register_error_pages(app: Flask) -> None:
    """Friendly HTML (or JSON for the API) for every HTTP error; never a stack trace."""

    app.register_error_handler(HTTPException, error_page)


def error_page(error: HTTPException):  # type: ignore[no-untyped-def]
    """The error as a page, or as JSON for the API."""
    code = error.code or 500
    if wants_json():
        body = {"error": {"code": error.name.lower().replace(" ", "_"),
                          "message": error.description, "fields": {}}}
        return jsonify(body), code
    return render_template("errors/error.html", error=error), code
