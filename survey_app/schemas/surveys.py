"""A survey and its questions as the API returns them."""

from __future__ import annotations

from typing import Any

from marshmallow import fields

from survey_app.schemas.common import Representation, moment
from survey_app.surveys.models import Question, Survey


class QuestionSchema(Representation):
    id = fields.Integer(required=True)
    #: 0 is the score question.
    position = fields.Integer(required=True)
    kind = fields.String(required=True, metadata={"enum": ["score", "agreement", "choice",
                                                           "text"]})
    text = fields.Dict(keys=fields.String(), values=fields.String(), required=True,
                       metadata={"description": "Wording by language, e.g. {\"en\": \"…\"}."})
    choices = fields.List(fields.Dict(keys=fields.String(), values=fields.String()),
                          allow_none=True, required=True,
                          metadata={"description": "Options of a choice question, each by "
                                                   "language; null for other kinds."})
    is_required = fields.Boolean(required=True)


class SurveySchema(Representation):
    id = fields.Integer(required=True)
    slug = fields.String(required=True)
    title = fields.String(required=True)
    kind = fields.String(required=True, metadata={"enum": ["nps", "csat", "enps", "pulse"]})
    audience = fields.String(required=True, metadata={"enum": ["customers", "employees"]})
    anonymity = fields.String(required=True, metadata={"enum": ["identified", "anonymous"]})
    status = fields.String(required=True, metadata={"enum": ["draft", "active", "closed"]})
    default_locale = fields.String(required=True)
    is_public = fields.Boolean(required=True)
    #: Anonymous surveys: groups smaller than this show no numbers.
    min_group_size = fields.Integer(required=True)
    created_at = fields.String(required=True, metadata={"format": "date-time"})
    questions = fields.List(fields.Nested(QuestionSchema), required=True)


def question_data(question: Question) -> dict[str, Any]:
    return {"id": question.id, "position": question.position, "kind": question.kind,
            "text": dict(question.text), "choices": question.choices,
            "is_required": question.is_required}


def survey_data(survey: Survey) -> dict[str, Any]:
    """The survey as :class:`SurveySchema` describes it."""
    return {"id": survey.id, "slug": survey.slug, "title": survey.title, "kind": survey.kind,
            "audience": survey.audience, "anonymity": survey.anonymity, "status": survey.status,
            "default_locale": survey.default_locale, "is_public": survey.is_public,
            "min_group_size": survey.min_group_size, "created_at": moment(survey.created_dt),
            "questions": [question_data(q) for q in survey.questions]}
