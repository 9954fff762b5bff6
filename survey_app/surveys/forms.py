"""The survey editor: settings, the score question's wording, up to nine more questions."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    SelectField,
    StringField,
    TextAreaField,
    ValidationError,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
)
from wtforms.widgets import NumberInput

from survey_app.core.fields import StrictIntegerField
from survey_app.core.forms import BaseForm
from survey_app.surveys.models import (
    MAX_EXTRA_QUESTIONS,
    TEXT_FIELDS,
    QuestionKind,
    Survey,
    SurveyKind,
)
from survey_app.surveys.services import (
    EDIT_WINDOW_RANGE,
    LINK_LIFETIME_RANGE,
    MIN_GROUP_RANGE,
    RETENTION_MESSAGE,
    RETENTION_RANGE,
    QuestionSpec,
    SurveySpec,
)

KIND_LABELS = {
    SurveyKind.NPS: _l("NPS — customers, 0–10"),
    SurveyKind.CSAT: _l("CSAT — customers, 1–5"),
    SurveyKind.ENPS: _l("eNPS — employees, 0–10"),
    SurveyKind.PULSE: _l("Pulse — employees, eNPS plus questions"),
}
AUDIENCE_KINDS = {"customers": (SurveyKind.NPS, SurveyKind.CSAT),
                  "employees": (SurveyKind.ENPS, SurveyKind.PULSE)}


class WholeNumberField(StrictIntegerField):
    """ASCII digits only (no sign, no ``1_0``), shown as a number box."""

    widget = NumberInput(min=0)


def _range(allowed: range) -> list[Any]:
    return [InputRequired(), NumberRange(min=allowed[0], max=allowed[-1])]


def _lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class QuestionForm(Form):
    """One extra question. A slot left completely empty is ignored."""

    kind = SelectField(_l("Kind"), choices=[
        SelectChoice(QuestionKind.AGREEMENT.value, _l("Agreement, 1–5")),
        SelectChoice(QuestionKind.CHOICE.value, _l("Choice")),
        SelectChoice(QuestionKind.TEXT.value, _l("Short text")),
    ])
    text_en = StringField(_l("Question in English"), validators=[Optional(), Length(max=300)])
    text_it = StringField(_l("Question in Italian"), validators=[Optional(), Length(max=300)])
    choices_en = TextAreaField(_l("Options in English, one per line"),
                               validators=[Optional(), Length(max=2000)])
    choices_it = TextAreaField(_l("Options in Italian, one per line, same order"),
                               validators=[Optional(), Length(max=2000)])
    is_required = BooleanField(_l("An answer is required"))
    remove = BooleanField(_l("Remove this question"))

    @property
    def is_blank(self) -> bool:
        return not any((self.text_en.data or "").strip() or (self.text_it.data or "").strip()
                       or _lines(self.choices_en.data) or _lines(self.choices_it.data))

    @property
    def is_used(self) -> bool:
        return not self.remove.data and not self.is_blank

    def validate(self, extra_validators: Any = None) -> bool:
        if not self.is_used:
            return True
        valid = super().validate(extra_validators)
        for name in ("text_en", "text_it"):
            if not (self[name].data or "").strip():
                self[name].errors = [*self[name].errors, _l("Write the question here.")]
                valid = False
        if self.kind.data == QuestionKind.CHOICE:
            en, it = _lines(self.choices_en.data), _lines(self.choices_it.data)
            if not 2 <= len(en) <= 10:
                self.choices_en.errors = [*self.choices_en.errors,
                                          _l("Give 2 to 10 options, one per line.")]
                valid = False
            elif len(it) != len(en):
                self.choices_it.errors = [*self.choices_it.errors,
                                          _l("Give as many Italian options as English ones.")]
                valid = False
        return valid

    def to_spec(self) -> QuestionSpec:
        choices = None
        if self.kind.data == QuestionKind.CHOICE:
            choices = [{"en": en, "it": it} for en, it in zip(
                _lines(self.choices_en.data), _lines(self.choices_it.data), strict=False)]
        return QuestionSpec(kind=self.kind.data, is_required=bool(self.is_required.data),
                            text={"en": self.text_en.data.strip(), "it": self.text_it.data.strip()},
                            choices=choices)


class TextsForm(Form):
    """The respondent texts of one language; empty ones fall back to the default language."""

    title = StringField(_l("Survey name shown to respondents"),
                        validators=[Optional(), Length(max=200)])
    intro = TextAreaField(_l("Introduction, above the questions"),
                          validators=[Optional(), Length(max=2000)])
    thanks = TextAreaField(_l("Thank-you text, after answering"),
                           validators=[Optional(), Length(max=2000)])
    email_subject = StringField(_l("E-mail subject"), validators=[Optional(), Length(max=200)])
    email_body = TextAreaField(_l("E-mail message, above the score buttons"),
                               validators=[Optional(), Length(max=2000)])

    def to_dict(self) -> dict[str, str]:
        return {name: self[name].data or "" for name in TEXT_FIELDS}


class SurveyForm(BaseForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(_l("Kind"))
    default_locale = SelectField(_l("Default language"), choices=[
        SelectChoice("en", "English"), SelectChoice("it", "Italiano")])
    anonymity = SelectField(_l("Anonymity"), choices=[
        SelectChoice("anonymous", _l("Anonymous")),
        SelectChoice("identified", _l("Identified")),
    ])
    min_group_size = WholeNumberField(_l("Anonymity threshold (smallest group shown)"),
                                      validators=_range(MIN_GROUP_RANGE))
    link_lifetime_days = WholeNumberField(_l("Link lifetime (days)"),
                                          validators=_range(LINK_LIFETIME_RANGE))
    edit_window_hours = WholeNumberField(_l("Edit window (hours after answering)"),
                                         validators=_range(EDIT_WINDOW_RANGE))
    is_public = BooleanField(_l("Public link: anyone with the survey's /p/ address can answer"))
    score_text_en = StringField(_l("Score question in English"),
                                validators=[Optional(), Length(max=300)])
    score_text_it = StringField(_l("Score question in Italian"),
                                validators=[Optional(), Length(max=300)])
    questions = FieldList(FormField(QuestionForm), min_entries=1)
    texts_en = FormField(TextsForm, label=_l("English"))
    texts_it = FormField(TextsForm, label=_l("Italian"))

    def set_kinds(self, audiences: list[str]) -> None:
        self.kind.choices = [SelectChoice(kind.value, KIND_LABELS[kind])
                             for audience in audiences for kind in AUDIENCE_KINDS[audience]]

    def used_questions(self) -> list[QuestionForm]:
        return [entry.form for entry in self.questions if entry.form.is_used]

    def validate_questions(self, field: FieldList) -> None:
        if len(self.used_questions()) > MAX_EXTRA_QUESTIONS:
            from wtforms import ValidationError

            raise ValidationError(_l(
                "A survey has at most %(n)s questions, the score question included: remove "
                "%(extra)s.", n=MAX_EXTRA_QUESTIONS + 1,
                extra=len(self.used_questions()) - MAX_EXTRA_QUESTIONS))

    def to_spec(self) -> SurveySpec:
        return SurveySpec(
            title=self.title.data, kind=self.kind.data, default_locale=self.default_locale.data,
            anonymity=self.anonymity.data, link_lifetime_days=self.link_lifetime_days.data,
            edit_window_hours=self.edit_window_hours.data,
            min_group_size=self.min_group_size.data, is_public=bool(self.is_public.data),
            score_text={"en": self.score_text_en.data or "", "it": self.score_text_it.data or ""},
            questions=[q.to_spec() for q in self.used_questions()],
            texts={"en": self.texts_en.form.to_dict(), "it": self.texts_it.form.to_dict()},
        )


def form_data(survey: Survey) -> dict[str, Any]:
    """The editor's values for an existing survey."""
    return {
        "title": survey.title, "kind": survey.kind, "default_locale": survey.default_locale,
        "anonymity": survey.anonymity, "min_group_size": survey.min_group_size,
        "link_lifetime_days": survey.link_lifetime_days,
        "edit_window_hours": survey.edit_window_hours, "is_public": survey.is_public,
        "score_text_en": survey.score_question.text.get("en", ""),
        "score_text_it": survey.score_question.text.get("it", ""),
        "questions": [{
            "kind": q.kind, "text_en": q.text.get("en", ""), "text_it": q.text.get("it", ""),
            "choices_en": "\n".join(o.get("en", "") for o in q.choices or []),
            "choices_it": "\n".join(o.get("it", "") for o in q.choices or []),
            "is_required": q.is_required,
        } for q in survey.extra_questions],
        **{f"texts_{lang}": survey.texts.get(lang, {}) for lang in ("en", "it")},
    }


class RetentionForm(BaseForm):
    """The survey's retention period: its own small form on the edit page."""

    retention_days = StringField(
        _l("Anonymise answers after … days"),
        validators=[Optional(), Regexp(r"[0-9]{1,5}\Z", message=RETENTION_MESSAGE)],
        description=_l("Every night, older answers lose the person, their team and other "
                       "details, comments and text answers; scores stay. Empty: keep answers "
                       "as they were given."))

    def validate_retention_days(self, field: StringField) -> None:
        if field.data and not field.errors and int(field.data) not in RETENTION_RANGE:
            raise ValidationError(RETENTION_MESSAGE)

    @property
    def days(self) -> int | None:
        return int(self.retention_days.data) if self.retention_days.data else None
