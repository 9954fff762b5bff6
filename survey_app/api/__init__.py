"""The JSON API under ``/api/v1/`` (issue 14): flask-smorest blueprints, one per resource.

:func:`init_app` builds the app's :class:`PolsoApi` (the OpenAPI 3.1 document, generated from
the marshmallow schemas that validate, at ``/api/v1/openapi.json``), registers every resource
of :data:`survey_app.api.views.BLUEPRINTS`, the reference page ``/api/docs``, the rate-limit
and the rate-limit headers. See ``docs/api.md``.
"""

from __future__ import annotations

from flask import Flask

from survey_app.api import docs, ratelimit
from survey_app.api.blueprint import PREFIX, PolsoApi
from survey_app.api.views import BLUEPRINTS


def init_app(app: Flask) -> PolsoApi:
    """Build the API of ``app``: spec, resources, reference page, rate-limit headers."""
    app.config.setdefault("API_TITLE", "Polso API")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.1.0")
    app.config.setdefault("OPENAPI_URL_PREFIX", PREFIX)
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    app.config.setdefault("API_SPEC_OPTIONS", {
        "info": {"description": "Trigger surveys, submit answers, read results and work "
                                "follow-up cases. See /api/docs and docs/api.md.",
                 "license": {"name": "MIT", "identifier": "MIT"}},
        "servers": [{"url": app.config["BASE_URL"].rstrip("/")}],
        "security": [{"bearerAuth": []}],
    })
    ratelimit.check_config(app)
    api = PolsoApi(app)
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "polso_…",
                       "description": "An API token from /settings/tokens or "
                                      "`polso tokens create`."})
    for blueprint in BLUEPRINTS:
        api.register_blueprint(blueprint)
    app.register_blueprint(docs.bp)
    app.after_request(ratelimit.add_headers)
    app.extensions["polso_api"] = api
    return api
