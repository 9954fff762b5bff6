"""Creating and editing surveys, their status, and the live numbers of the survey list."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from survey_app.core.db import db
from survey_app.core.errors import DomainError
from survey_app.responses.models import Response
from survey_app.surveys.models import (
    MAX_EXTRA_QUESTIONS,
    MIN_RETENTION_DAYS,
    TEXT_FIELDS,
    Question,
    QuestionKind,
    Survey,
    SurveyKind,
    SurveyStatus,
)

SLUG_PATTERN = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?")

#: The score question each kind starts with.
SCORE_QUESTIONS = {
    SurveyKind.NPS: {
        "en": "How likely are you to recommend us to a friend or colleague?",
        "it": "Quanto è probabile che ci raccomandi a un amico o a un collega?",
    },
    SurveyKind.ENPS: {
        "en": "How likely are you to recommend working here to a friend?",
        "it": "Quanto è probabile che consigli a un amico di lavorare qui?",
    },
    SurveyKind.CSAT: {
        "en": "How satisfied are you with the service you received?",
        "it": "Quanto sei soddisfatto del servizio ricevuto?",
    },
    SurveyKind.PULSE: {
        "en": "How likely are you to recommend working here to a friend?",
        "it": "Quanto è probabile che consigli a un amico di lavorare qui?",
    },
}

#: Extra questions a new pulse survey starts with; HR edits them later.
PULSE_QUESTIONS = [
    (QuestionKind.AGREEMENT, {"en": "I have what I need to do my job well.",
                              "it": "Ho ciò che mi serve per lavorare bene."}, None),
    (QuestionKind.AGREEMENT, {"en": "My workload is manageable.",
                              "it": "Il mio carico di lavoro è sostenibile."}, None),
    (QuestionKind.CHOICE, {"en": "How often do you talk with your manager about your work?",
                           "it": "Quanto spesso parli del tuo lavoro con il tuo responsabile?"},
     [{"en": "Every week", "it": "Ogni settimana"},
      {"en": "Every month", "it": "Ogni mese"},
      {"en": "Rarely or never", "it": "Raramente o mai"}]),
    (QuestionKind.TEXT, {"en": "What one thing would make your work better?",
                         "it": "Quale cosa renderebbe migliore il tuo lavoro?"}, None),
]


class InvalidSurveyError(DomainError):
    """A survey setting was not acceptable."""


def create_survey(
    *,
    kind: str,
    title: str,
    slug: str,
    anonymous: bool | None = None,
    locale: str = "en",
    is_public: bool = False,
) -> Survey:
    """Create an active survey with the kind's score question (and starter pulse questions).

    Employee surveys (eNPS, pulse) are anonymous unless ``anonymous=False`` is given.

    :raises InvalidSurveyError: bad kind, slug, title or locale, or the slug is taken.
    """
    if kind not in set(SurveyKind):
        raise InvalidSurveyError(f"kind must be one of nps, csat, enps, pulse — not {kind!r}")
    if not SLUG_PATTERN.fullmatch(slug):
        raise InvalidSurveyError(
            "slug must be 1–64 lower-case letters, digits and inner hyphens, like 'q4-nps'"
        )
    title = title.strip()
    if not title or len(title) > 200:
        raise InvalidSurveyError("title must be 1–200 characters")
    if locale not in current_app.config["LANGUAGES"]:
        raise InvalidSurveyError(f"language must be en or it, not {locale!r}")
    if db.session.scalar(select(Survey.id).where(Survey.slug == slug)) is not None:
        raise InvalidSurveyError(f"a survey with slug {slug!r} already exists")
    for_employees = kind in (SurveyKind.ENPS, SurveyKind.PULSE)
    if anonymous is None:
        anonymous = for_employees
    config = current_app.config
    survey = Survey(
        kind=kind,
        title=title,
        slug=slug,
        audience="employees" if for_employees else "customers",
        anonymity="anonymous" if anonymous else "identified",
        status=SurveyStatus.ACTIVE,
        default_locale=locale,
        is_public=is_public,
        link_lifetime_days=config["LINK_LIFETIME_DAYS"],
        edit_window_hours=config["EDIT_WINDOW_HOURS"],
        min_group_size=config["MIN_GROUP_SIZE"],
        throttle_days=config["THROTTLE_DAYS"],
        reminder_count=config["REMINDER_COUNT"],
        reminder_after_days=config["REMINDER_AFTER_DAYS"],
    )
    survey.questions.append(
        Question(position=0, kind=QuestionKind.SCORE, text=SCORE_QUESTIONS[kind], is_required=True)
    )
    if kind == SurveyKind.PULSE:
        for position, (qkind, text, choices) in enumerate(PULSE_QUESTIONS, start=1):
            survey.questions.append(Question(position=position, kind=qkind, text=text,
                                             choices=choices))
    assert len(survey.questions) <= 1 + MAX_EXTRA_QUESTIONS
    db.session.add(survey)
    db.session.flush()
    return survey


def get_survey_by_slug(slug: str) -> Survey:
    """:raises InvalidSurveyError: no survey has that slug."""
    survey = db.session.scalar(select(Survey).where(Survey.slug == slug))
    if survey is None:
        raise InvalidSurveyError(f"no survey with slug {slug!r}")
    return survey


# --- staff survey management (issue 4) --------------------------------------------------------

#: Limits of the editable numbers.
LINK_LIFETIME_RANGE = range(1, 366)
EDIT_WINDOW_RANGE = range(0, 24 * 30 + 1)
MIN_GROUP_RANGE = range(3, 1001)
#: Choice questions offer this many options.
CHOICE_COUNT_RANGE = range(2, 11)
#: Longest text per name (characters); the title and the e-mail subject are one line.
TEXT_MAX_LENGTHS = {"title": 200, "intro": 2000, "thanks": 2000, "email_subject": 200,
                    "email_body": 2000}
RETENTION_MESSAGE = _l("Enter a number of days between 30 and 3650, or leave it empty to keep "
                       "answers as they were given.")


class SurveyEditError(InvalidSurveyError):
    """An edit broke a rule; ``field`` names the form field the message belongs to."""

    def __init__(self, message: Any, field: str = "") -> None:
        super().__init__(message)
        self.field = field


@dataclass
class QuestionSpec:
    """One extra question as the editor gave it (wording and choices per language)."""

    kind: str
    text: dict[str, str]
    choices: list[dict[str, str]] | None = None
    is_required: bool = False


@dataclass
class SurveySpec:
    """Everything the survey editor sets; the same for the page, an API or the CLI."""

    title: str
    kind: str
    default_locale: str = "en"
    anonymity: str = "identified"
    link_lifetime_days: int = 30
    edit_window_hours: int = 24
    min_group_size: int = 5
    is_public: bool = False
    #: Wording of the score question per language; empty = the kind's standard wording.
    score_text: dict[str, str] = field(default_factory=dict)
    questions: list[QuestionSpec] = field(default_factory=list)
    #: Respondent texts per language and name (``TEXT_FIELDS``); empty ones fall back.
    texts: dict[str, dict[str, str]] = field(default_factory=dict)


def response_count(survey: Survey) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Response).where(Response.survey_id == survey.id)
    ) or 0


def unique_slug(title: str) -> str:
    """A free slug made from ``title`` (ASCII, hyphens), with ``-2``, ``-3`` … when taken."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    base = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:50].strip("-") or "survey"
    taken = set(db.session.scalars(select(Survey.slug).where(
        (Survey.slug == base) | Survey.slug.like(f"{base}-%"))))
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    return slug


def check_spec(spec: SurveySpec) -> None:
    """Rules that hold for any survey, with or without responses.

    :raises SurveyEditError: a value is out of range or there are too many questions.
    """
    if spec.kind not in set(SurveyKind):
        raise SurveyEditError(_l("Choose one of the survey kinds."), "kind")
    if not spec.title.strip() or len(spec.title.strip()) > 200:
        raise SurveyEditError(_l("The title must have 1 to 200 characters."), "title")
    if spec.default_locale not in ("en", "it"):
        raise SurveyEditError(_l("The language must be en or it."), "default_locale")
    if spec.anonymity not in ("identified", "anonymous"):
        raise SurveyEditError(_l("Choose identified or anonymous."), "anonymity")
    for name, allowed in (("link_lifetime_days", LINK_LIFETIME_RANGE),
                          ("edit_window_hours", EDIT_WINDOW_RANGE),
                          ("min_group_size", MIN_GROUP_RANGE)):
        if getattr(spec, name) not in allowed:
            raise SurveyEditError(_l("Enter a whole number from %(low)s to %(high)s.",
                                     low=allowed[0], high=allowed[-1]), name)
    if len(spec.questions) > MAX_EXTRA_QUESTIONS:
        raise SurveyEditError(_l("A survey has at most %(n)s questions, the score question "
                                 "included.", n=MAX_EXTRA_QUESTIONS + 1), "questions")
    for question in spec.questions:
        _check_question(question)
    _check_texts(spec.texts)


def _check_texts(texts: dict[str, dict[str, str]]) -> None:
    for lang, values in texts.items():
        if lang not in current_app.config["LANGUAGES"] or set(values) - set(TEXT_FIELDS):
            raise SurveyEditError(_l("Texts are given in English and Italian only."))
        for name, value in values.items():
            value = (value or "").strip()
            if len(value) > TEXT_MAX_LENGTHS[name] or (
                    name in ("title", "email_subject") and any(c in value for c in "\r\n")):
                raise SurveyEditError(_l("A title or e-mail subject is one line of at most "
                                         "200 characters; other texts at most 2000."))


def _check_question(question: QuestionSpec) -> None:
    if question.kind not in (QuestionKind.AGREEMENT, QuestionKind.CHOICE, QuestionKind.TEXT):
        raise SurveyEditError(_l("A question is agreement, choice or text."), "questions")
    if not all((question.text.get(lang) or "").strip() for lang in ("en", "it")):
        raise SurveyEditError(_l("Every question needs its wording in English and Italian."),
                              "questions")
    if question.kind == QuestionKind.CHOICE:
        options = question.choices or []
        if len(options) not in CHOICE_COUNT_RANGE or not all(
                (o.get("en") or "").strip() and (o.get("it") or "").strip() for o in options):
            raise SurveyEditError(_l("A choice question needs 2 to 10 options, each in English "
                                     "and Italian."), "questions")


def create_survey_from_spec(spec: SurveySpec, *, slug: str | None = None) -> Survey:
    """Create a **draft** survey from the editor's settings.

    :raises SurveyEditError: see :func:`check_spec`; :raises InvalidSurveyError: bad slug.
    """
    check_spec(spec)
    survey = create_survey(kind=spec.kind, title=spec.title, slug=slug or unique_slug(spec.title),
                           anonymous=spec.anonymity == "anonymous", locale=spec.default_locale,
                           is_public=spec.is_public)
    survey.status = SurveyStatus.DRAFT
    _apply(survey, spec)
    db.session.flush()
    return survey


def update_survey(survey: Survey, spec: SurveySpec) -> list[str]:
    """Apply the editor's settings; returns the names of what changed (for the audit log).

    Once a survey has responses its kind is fixed, anonymity can only go from identified to
    anonymous, the anonymity threshold can only rise, and questions can be reworded or added
    but not removed or changed in kind or number of options. Nothing changes on error.

    :raises SurveyEditError: the edit breaks one of these rules or :func:`check_spec`.
    """
    check_spec(spec)
    if response_count(survey):
        _check_loosening(survey, spec)
    before = _snapshot(survey)
    _apply(survey, spec)
    db.session.flush()
    after = _snapshot(survey)
    return [name for name in after if before[name] != after[name]]


def _check_loosening(survey: Survey, spec: SurveySpec) -> None:
    if spec.kind != survey.kind:
        raise SurveyEditError(_l("The kind cannot change once the survey has responses."),
                              "kind")
    if survey.is_anonymous and spec.anonymity != "anonymous":
        raise SurveyEditError(_l("This survey has anonymous responses: it cannot become "
                                 "identified."), "anonymity")
    if spec.min_group_size < survey.min_group_size:
        raise SurveyEditError(_l("This survey has responses: the anonymity threshold can be "
                                 "raised but not lowered below %(n)s.",
                                 n=survey.min_group_size), "min_group_size")
    existing = survey.extra_questions
    if len(spec.questions) < len(existing) or any(
            new.kind != old.kind or len(new.choices or []) != len(old.choices or [])
            for old, new in zip(existing, spec.questions, strict=False)):
        raise SurveyEditError(_l("This survey has responses: its questions can be reworded "
                                 "and new ones added, but none removed or changed in kind or "
                                 "number of options."), "questions")


def _snapshot(survey: Survey) -> dict[str, Any]:
    return {
        **{name: getattr(survey, name) for name in (
            "title", "kind", "default_locale", "anonymity", "link_lifetime_days",
            "edit_window_hours", "min_group_size", "is_public")},
        "score_text": dict(survey.score_question.text),
        "questions": [(q.kind, dict(q.text), q.choices, q.is_required)
                      for q in survey.extra_questions],
        "texts": survey.texts,
    }


def _apply(survey: Survey, spec: SurveySpec) -> None:
    old_standard = SCORE_QUESTIONS[SurveyKind(survey.kind)]
    survey.title = spec.title.strip()
    survey.kind = spec.kind
    survey.audience = "employees" if spec.kind in (SurveyKind.ENPS, SurveyKind.PULSE) \
        else "customers"
    survey.default_locale = spec.default_locale
    survey.anonymity = spec.anonymity
    survey.link_lifetime_days = spec.link_lifetime_days
    survey.edit_window_hours = spec.edit_window_hours
    survey.min_group_size = spec.min_group_size
    survey.is_public = spec.is_public
    survey.texts = _clean_texts(spec.texts)
    standard = SCORE_QUESTIONS[SurveyKind(spec.kind)]
    texts = {lang: (spec.score_text.get(lang) or "").strip() for lang in ("en", "it")}
    # The old kind's standard wording left as it was follows the kind to its new standard.
    survey.score_question.text = {
        lang: standard[lang] if not text or text == old_standard[lang] else text
        for lang, text in texts.items()}
    existing = survey.extra_questions
    for position, new in enumerate(spec.questions, start=1):
        question = existing[position - 1] if position <= len(existing) else None
        if question is None:
            question = Question(position=position)
            survey.questions.append(question)
        question.kind = new.kind
        question.text = {lang: new.text[lang].strip() for lang in ("en", "it")}
        question.choices = ([{lang: o[lang].strip() for lang in ("en", "it")}
                             for o in new.choices or []]
                            if new.kind == QuestionKind.CHOICE else None)
        question.is_required = new.is_required
    for question in existing[len(spec.questions):]:
        survey.questions.remove(question)


def _clean_texts(texts: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """Stripped texts without the empty ones (so they fall back to the default language)."""
    cleaned = {lang: {name: value.strip() for name, value in values.items()
                      if value and value.strip()} for lang, values in texts.items()}
    return {lang: values for lang, values in cleaned.items() if values}


def activate_survey(survey: Survey) -> None:
    """Draft or closed → active (links and the public page answer again)."""
    survey.status = SurveyStatus.ACTIVE
    db.session.flush()


def close_survey(survey: Survey) -> None:
    """Active → closed: links and the public page say the survey is closed."""
    survey.status = SurveyStatus.CLOSED
    db.session.flush()


#: Retention periods the editor accepts (the database refuses below the minimum).
RETENTION_RANGE = range(MIN_RETENTION_DAYS, 3651)


def set_retention(survey: Survey, days: int | None) -> None:
    """Anonymise ``survey``'s answers ``days`` after they were given (``None``: never).

    :raises SurveyEditError: ``days`` is outside :data:`RETENTION_RANGE`.
    """
    if days is not None and days not in RETENTION_RANGE:
        raise SurveyEditError(RETENTION_MESSAGE, "retention_days")
    survey.retention_days = days
    db.session.flush()
