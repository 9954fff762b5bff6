"""The API's resources, one module (and flask-smorest blueprint) each, in the document's order."""

from __future__ import annotations

from survey_app.api.blueprint import ApiBlueprint
from survey_app.api.views import cases, invitations, people, responses, surveys, webhooks

#: Registered by :func:`survey_app.api.init_app`; add a resource's blueprint here.
BLUEPRINTS: list[ApiBlueprint] = [surveys.blp, invitations.blp, responses.blp, people.blp,
                                  cases.blp, webhooks.blp]
