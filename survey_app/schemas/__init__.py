"""Marshmallow representations of Polso's resources, shared by the JSON API and webhooks.

Each resource has one representation: a ``*_data`` function that builds the JSON object from
the model (applying the anonymity rules where they bite) and a schema that describes exactly
that object, from which the OpenAPI document is generated. The API's paginated lists return
the functions' dicts as they are (``schema.dump`` of 500 rows cost more than reading them; the
tests check that every dict dumps to itself), single objects and webhook payloads may go
through ``schema.dump``; both give the same JSON.
"""

from survey_app.schemas.followups import CaseSchema, TimelineEntrySchema, case_data
from survey_app.schemas.metrics import MetricsSchema, metrics_data
from survey_app.schemas.people import PersonSchema, person_data
from survey_app.schemas.responses import (
    Disclosure,
    ResponseAnswerSchema,
    ResponseSchema,
    parse_response_id,
    public_id,
    response_data,
)
from survey_app.schemas.surveys import QuestionSchema, SurveySchema, survey_data

__all__ = [
    "ResponseAnswerSchema", "CaseSchema", "Disclosure", "MetricsSchema", "PersonSchema",
    "QuestionSchema", "ResponseSchema", "SurveySchema", "TimelineEntrySchema", "case_data",
    "metrics_data", "parse_response_id", "person_data", "public_id", "response_data",
    "survey_data",
]
