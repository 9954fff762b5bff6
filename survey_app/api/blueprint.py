"""The API's flask-smorest ``Api`` (problem+json errors) and its resource blueprints."""

from __future__ import annotations

import http
from typing import Any

import flask_smorest
from flask import Response

from survey_app.api.errors import ProblemSchema, domain_problem
from survey_app.api.parsing import StrictParser
from survey_app.core.errors import DomainError
from survey_app.extensions import csrf

#: Every URL of the API starts with this.
PREFIX = "/api/v1"
#: The media type of every error answer (RFC 9457).
PROBLEM_JSON = "application/problem+json"


class ApiBlueprint(flask_smorest.Blueprint):
    """The operations on one resource, tagged ``tag`` in the OpenAPI document."""

    ARGUMENTS_PARSER = StrictParser()

    def __init__(self, tag: str, import_name: str, *, description: str) -> None:
        super().__init__(f"api_{tag}", import_name, url_prefix=PREFIX, description=description)
        self.tag = tag
        self.register_error_handler(DomainError, domain_problem)
        self.after_request(_untyped_when_empty)
        csrf.exempt(self)  # token auth, no cookies: nothing for a forged request to ride on

    def route(self, rule: str, *, parameters: Any = None, tags: Any = None,
              **options: Any) -> Any:
        return super().route(rule, parameters=parameters, tags=tags or [self.tag], **options)


class PolsoApi(flask_smorest.Api):
    """flask-smorest's ``Api`` with problem+json errors and the app's own error handling.

    Error answers are rendered by ``core.errors`` for every path under ``/api/`` (also URLs no
    view serves), so the app-wide handler flask-smorest would install is left out. The three
    overrides follow flask-smorest 0.47's own methods (pinned exactly);
    ``tests/api/test_openapi.py`` breaks if a new version changes what they rely on.
    """

    ERROR_SCHEMA = ProblemSchema

    def _register_error_handlers(self) -> None:
        """Errors are ``core.errors.error_page``'s (problem+json under ``/api/``)."""

    def _register_responses(self) -> None:
        """A reusable response per HTTP status (and ``default``): a problem, as it is sent."""
        for status in http.HTTPStatus:
            if status >= 400:
                self.spec.components.response(status.name, _problem_response(status.phrase),
                                              lazy=True)
        self.spec.components.response(self.DEFAULT_ERROR_RESPONSE_NAME,
                                      _problem_response("Error"), lazy=True)

    def register_blueprint(self, blp: flask_smorest.Blueprint, *, parameters: Any = None,
                           **options: Any) -> None:
        """Register ``blp`` (an :class:`ApiBlueprint`) and document it under its tag (the
        blueprint's name is ``api_<tag>``: ``invitations`` and others name staff blueprints)."""
        self._app.extensions["flask-smorest"]["blp_name_to_api"][blp.name] = self
        self._app.register_blueprint(blp, **options)
        blp.register_views_in_doc(self, self._app, self.spec, name=blp.name,
                                  parameters=parameters)
        self.spec.tag({"name": getattr(blp, "tag", blp.name), "description": blp.description})


def _untyped_when_empty(response: Response) -> Response:
    """A 204 has no body, so no type: flask-smorest gives its empty body JSON's."""
    if response.status_code == 204:
        response.headers.pop("Content-Type", None)
    return response


def _problem_response(description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {PROBLEM_JSON: {"schema": "ProblemSchema"}}}
