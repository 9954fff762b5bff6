"""The respondent form, built per survey from its questions."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import ValidationError
from wtforms.validators import Length, Optional

from survey_app.core.fields import (
    StrictBooleanField,
    StrictHiddenIntegerField,
    StrictIntegerField,
    StrictTextAreaField,
)
from survey_app.responses.services import TEXT_ANSWER_MAX_LENGTH, Submission
from survey_app.surveys.models import Question, QuestionKind, Survey


class InRange:
    """The value must be one of ``values``; missing is allowed unless ``required``."""

    def __init__(self, values: range, *, required: bool, message: Any,
                 missing: Any = None) -> None:
        self.values, self.required, self.message = values, required, message
        self.missing = missing or _l("Please choose an answer.")

    def __call__(self, form: FlaskForm, field: StrictIntegerField) -> None:
        if field.data is None:
            if self.required and not field.errors:
                raise ValidationError(self.missing)
            return
        if field.data not in self.values:
            raise ValidationError(self.message)


class ResponseForm(FlaskForm):
    """Base class; :func:`build_form` adds the score and question fields."""

    #: The response version being edited; empty for a first answer.
    version = StrictHiddenIntegerField()

    survey: Survey

    def to_submission(self, locale: str) -> Submission:
        answers: dict[int, int | str] = {}
        for question in self.survey.extra_questions:
            value = self[field_name(question)].data
            if value not in (None, ""):
                answers[question.id] = value
        contact = self._fields.get("contact")
        return Submission(
            score=self.score.data,
            comment=self.comment.data,
            answers=answers,
            locale=locale,
            contact_requested=bool(contact and contact.data),
        )


def field_name(question: Question) -> str:
    return f"q_{question.id}"


def _question_field(question: Question) -> Any:
    if question.kind == QuestionKind.TEXT:
        return StrictTextAreaField(validators=[Optional(), Length(max=TEXT_ANSWER_MAX_LENGTH)])
    values = (range(1, 6) if question.kind == QuestionKind.AGREEMENT
              else range(len(question.choices or [])))
    return StrictIntegerField(validators=[InRange(values, required=question.is_required,
                                                  message=_l("Choose one of the options."))])


def build_form(survey: Survey, **kwargs: Any) -> ResponseForm:
    """A form class for ``survey``'s questions, instantiated with ``kwargs``."""
    scale = survey.score_range
    message = _l("Choose a score from %(low)s to %(high)s.", low=scale[0], high=scale[-1])
    attrs: dict[str, Any] = {
        "survey": survey,
        "score": StrictIntegerField(validators=[InRange(scale, required=True, message=message,
                                                        missing=message)]),
        "comment": StrictTextAreaField(
            validators=[Optional(), Length(max=current_app.config["COMMENT_MAX_LENGTH"])]
        ),
    }
    for question in survey.extra_questions:
        attrs[field_name(question)] = _question_field(question)
    if survey.is_anonymous:
        attrs["contact"] = StrictBooleanField()
    form_class = type("SurveyResponseForm", (ResponseForm,), attrs)
    return form_class(**kwargs)
