"""``POST /api/v1/responses``: an answer from another channel (kiosk, in-app widget, a partner's
form), given through a person's link or a public survey, recorded as the web form records it."""

from __future__ import annotations

from typing import Any

from flask import current_app
from marshmallow import ValidationError, fields, validates_schema
from marshmallow.validate import Length, Range
from sqlalchemy import select

from survey_app.accounts.access import can_collect
from survey_app.accounts.models import ApiToken, Role
from survey_app.api import auth
from survey_app.api.blueprint import ApiBlueprint
from survey_app.api.errors import refuse
from survey_app.api.idempotency import idempotent
from survey_app.core.db import db
from survey_app.core.inputs import MAX_ID
from survey_app.core.strictjson import StrictBoolean, StrictInteger, StrictSchema, Text
from survey_app.core.tokens import new_token
from survey_app.invitations.models import Invitation
from survey_app.invitations.services import SurveyClosedError, UnknownLinkError, check_open
from survey_app.responses import services as responses
from survey_app.responses.models import Channel, Response
from survey_app.schemas import public_id
from survey_app.surveys.models import MAX_EXTRA_QUESTIONS, Survey, SurveyStatus

blp = ApiBlueprint("responses", __name__, description=(
    "Submit an answer through a person's link or to a public survey, with the same checks as "
    "the web form."))


class AnswerValue(fields.Field):
    """A JSON integer (agreement 1–5, choice index) or text (a text question)."""

    default_error_messages = {"invalid": "Not a JSON integer or string."}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int | str:
        if type(value) is int:
            return value
        if isinstance(value, str):
            return Text(multiline=True).deserialize(value)
        raise self.make_error("invalid")


class AnswerSchema(StrictSchema):
    question_id = StrictInteger(required=True, validate=Range(1, MAX_ID))
    value = AnswerValue(required=True, metadata={
        "oneOf": [{"type": "integer"}, {"type": "string"}],
        "description": "Agreement 1–5, the index of a choice (from 0), or text"})


class ResponseRequestSchema(StrictSchema):
    link_token = Text(validate=Length(min=1, max=64), metadata={
        "description": "The token of a person's link (/s/<token>); or give survey"})
    survey = Text(validate=Length(min=1, max=64), metadata={
        "description": "The slug of a public survey; or give link_token"})
    score = StrictInteger(required=True, validate=Range(0, 10), metadata={
        "description": "0–10 (NPS, eNPS, pulse) or 1–5 (CSAT)"})
    comment = Text(multiline=True, allow_none=True)
    answers = fields.List(fields.Nested(AnswerSchema), validate=Length(max=MAX_EXTRA_QUESTIONS))
    language = Text(metadata={"enum": ["en", "it"], "description": (
        "Language the answer was given in; default: the person's, else the survey's")})
    contact_requested = StrictBoolean(metadata={
        "description": "Anonymous surveys: the respondent agrees to be contacted"})

    @validates_schema
    def _one_target(self, data: dict[str, Any], **kwargs: Any) -> None:
        if ("link_token" in data) == ("survey" in data):
            raise ValidationError("Give link_token or survey (exactly one).", "link_token")
        ids = [a["question_id"] for a in data.get("answers") or []]
        if len(set(ids)) != len(ids):
            raise ValidationError("Each question may be answered once.", "answers")
        if data.get("language", "en") not in current_app.config["LANGUAGES"]:
            raise ValidationError("Must be one of: en, it.", "language")


class ReceiptSchema(StrictSchema):
    id = fields.String(allow_none=True, required=True, metadata={
        "description": "The response's id, as GET /responses/{id}, the lists and webhooks give "
                       "it; null for anonymous surveys (it could be matched to whoever holds "
                       "the link)"})
    survey = fields.String(required=True, metadata={"description": "The survey's slug"})
    score = fields.Integer(required=True)
    category = fields.String(required=True, metadata={"enum": [
        "promoter", "passive", "detractor", "satisfied", "neutral", "dissatisfied"]})
    is_anonymous = fields.Boolean(required=True)


@blp.route("/responses", methods=["POST"])
@auth.require(Role.ADMIN, Role.HR, Role.SUPPORT)
@auth.document(410)
@blp.arguments(ResponseRequestSchema)
@idempotent
@blp.response(201, ReceiptSchema)
def create(data: dict[str, Any]) -> dict[str, Any]:
    """Submit an answer

    Through a person's link (``link_token``: once; 409 when it has answered, 410 when it has
    expired or the survey is closed) or to a public survey (``survey``: each call is one more
    answer). Answers given through the API are not edited through it.
    """
    token = auth.current_token()
    if "link_token" in data:
        invitation, survey = _link(token, data["link_token"])
        locale = data.get("language") or invitation.person.locale
        link = data["link_token"]
    else:
        invitation, survey = None, _public_survey(token, data["survey"])
        locale = data.get("language") or survey.default_locale
        link = new_token()  # each API answer to a public survey is one respondent
    if locale not in current_app.config["LANGUAGES"]:
        locale = survey.default_locale
    submission = responses.Submission(
        score=data["score"], comment=data.get("comment"), locale=locale,
        answers={a["question_id"]: a["value"] for a in data.get("answers") or []},
        contact_requested=data.get("contact_requested", False))
    try:
        response = responses.record_response(survey, submission, token=link,
                                             channel=Channel.API, invitation=invitation)
    except responses.InvalidSubmissionError as error:
        refuse(422, "Some answers are not acceptable.", slug="validation",
               errors={_field(name): [message] for name, message in error.fields.items()})
    return _receipt(response, survey)


def _link(token: ApiToken, link_token: str) -> tuple[Invitation, Survey]:
    """The link's invitation, if it may still be answered and the token may see its survey."""
    try:
        invitation, answered = responses.open_link(link_token)
    except UnknownLinkError:
        refuse(404, auth.HIDDEN)
    if not can_collect(token, invitation.survey):
        auth.refuse_hidden(token, invitation.survey)
    if answered is not None:
        raise responses.AlreadyAnsweredError("This link has already been answered.")
    check_open(invitation)
    return invitation, invitation.survey


def _public_survey(token: ApiToken, slug: str) -> Survey:
    survey = db.session.scalar(select(Survey).where(Survey.slug == slug, Survey.is_public))
    if survey is None or survey.status == SurveyStatus.DRAFT:
        refuse(404, auth.HIDDEN)
    if not can_collect(token, survey):
        auth.refuse_hidden(token, survey)
    if survey.status == SurveyStatus.CLOSED:
        raise SurveyClosedError("This survey no longer takes answers.")
    return survey


def _field(name: str) -> str:
    """The service's field name as the request names it: ``q_12`` → ``answers.12``."""
    return f"answers.{name[2:]}" if name.startswith("q_") else name


def _receipt(response: Response, survey: Survey) -> dict[str, Any]:
    return {"id": None if response.is_anonymous else public_id(response), "survey": survey.slug,
            "score": response.score, "category": response.category,
            "is_anonymous": response.is_anonymous}
