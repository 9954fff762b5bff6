"""The respondent form, built per survey from its questions."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from wtforms import StringField, ValidationError
from wtforms.validators import Length, Optional

from survey_app.core.fields import (
    StrictBooleanField,
    StrictHiddenIntegerField,
    StrictIntegerField,
    StrictTextAreaField,
)
from survey_app.core.forms import BaseForm, LinkBoundCSRF
from survey_app.responses.services import TEXT_ANSWER_MAX_LENGTH, Submission
from survey_app.surveys.models import Question, QuestionKind, Survey


class InRange:
    """The value must be one of ``values``; missing is allowed unless ``required``."""

    def __init__(self, values: range, *, required: bool, message: Any,
                 missing: Any = None) -> None:
        self.values, self.required, self.message = values, required, message
        self.missing = missing or _l("Please choose an answer.")

    def __call__(self, form: BaseForm, field: StrictIntegerField) -> None:
        if field.data is None:
            if self.required and not field.errors:
                raise ValidationError(self.missing)
            return
        if field.data not in self.values:
            raise ValidationError(self.message)


class ResponseForm(BaseForm):
    """Base class; :func:`build_form` adds the score and question fields."""

    #: The response version being edited; empty for a first answer.
    version = StrictHiddenIntegerField()
    #: Honeypot: hidden from people (CSS, screen readers, tab order); only programs that fill
    #: in every field fill it, and their answer is flagged (``responses.suspicion``).
    website = StringField()

    survey: Survey

    def seconds_on_page(self) -> int | None:
        """Seconds since the page was rendered, from a link-bound CSRF token (else unknown)."""
        if self.meta.csrf_class is not LinkBoundCSRF:
            return None
        return LinkBoundCSRF.age(self.csrf_token.data)

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


def _question_field(kind: str, is_required: bool, choice_count: int) -> Any:
    if kind == QuestionKind.TEXT:
        return StrictTextAreaField(validators=[Optional(), Length(max=TEXT_ANSWER_MAX_LENGTH)])
    values = range(1, 6) if kind == QuestionKind.AGREEMENT else range(choice_count)
    return StrictIntegerField(validators=[InRange(values, required=is_required,
                                                  message=_l("Choose one of the options."))])


def build_form(survey: Survey, *, link: str | None = None, **kwargs: Any) -> ResponseForm:
    """The form for ``survey``'s questions, instantiated with ``kwargs``.

    ``link``: the hash of the personal link it is served on; its CSRF token is then bound to
    the link (:class:`LinkBoundCSRF`) and needs no session cookie.
    """
    shape = (survey.score_range, survey.is_anonymous,
             current_app.config["COMMENT_MAX_LENGTH"],
             tuple((q.id, q.kind, q.is_required, len(q.choices or []))
                   for q in survey.extra_questions), link is not None)
    if link is not None:
        kwargs["meta"] = {"csrf_context": link}
    form = _form_class(shape)(**kwargs)
    form.survey = survey
    return form


@lru_cache(maxsize=256)
def _form_class(shape: tuple[Any, ...]) -> type[ResponseForm]:
    """A form class per survey shape: building classes per request is slow."""
    scale, is_anonymous, comment_max, questions, link_bound = shape
    message = _l("Choose a score from %(low)s to %(high)s.", low=scale[0], high=scale[-1])
    attrs: dict[str, Any] = {
        "score": StrictIntegerField(validators=[InRange(scale, required=True, message=message,
                                                        missing=message)]),
        "comment": StrictTextAreaField(validators=[Optional(), Length(max=comment_max)]),
    }
    for question_id, question_kind, is_required, choice_count in questions:
        attrs[f"q_{question_id}"] = _question_field(question_kind, is_required, choice_count)
    if is_anonymous:
        attrs["contact"] = StrictBooleanField()
    if link_bound:
        attrs["Meta"] = type("Meta", (), {"csrf_class": LinkBoundCSRF})
    return type("SurveyResponseForm", (ResponseForm,), attrs)
