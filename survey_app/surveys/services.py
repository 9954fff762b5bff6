"""Creating surveys with sensible default questions."""

from __future__ import annotations

import re

from flask import current_app
from sqlalchemy import select

from survey_app.core.db import db
from survey_app.core.errors import DomainError
from survey_app.surveys.models import (
    MAX_EXTRA_QUESTIONS,
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
