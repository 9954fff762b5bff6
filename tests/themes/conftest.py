"""Themes fixtures: answers recorded through the real service, stored themes read back."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from survey_app.core.db import db
from survey_app.responses.services import Submission, record_response
from survey_app.surveys.models import QuestionKind, Survey
from survey_app.themes.models import ResponseTheme

_tokens = itertools.count(1)


@pytest.fixture
def answer(app: Flask) -> Callable[..., int]:
    """``answer(survey_id, score, comment, locale="en", text=None) -> response id`` (committed).

    ``text`` answers the survey's first free-text question.
    """

    def record(survey_id: int, score: int, comment: str | None, *, locale: str = "en",
               text: str | None = None, **options: Any) -> int:
        with app.app_context():
            survey = db.session.get(Survey, survey_id)
            answers = {}
            if text is not None:
                question = next(q for q in survey.extra_questions if q.kind == QuestionKind.TEXT)
                answers[question.id] = text
            response = record_response(
                survey, Submission(score=score, comment=comment, answers=answers, locale=locale),
                token=f"theme-test-token-{next(_tokens):06d}-padding-padding", channel="link",
                **options)
            db.session.commit()
            return response.id

    return record


@pytest.fixture
def stored_themes(app: Flask) -> Callable[[int], list[tuple[str, int | None]]]:
    """``stored_themes(response_id)``: ``(theme, question id)`` rows, sorted."""

    def read(response_id: int) -> list[tuple[str, int | None]]:
        with app.app_context():
            rows = db.session.execute(
                sa.select(ResponseTheme.theme, ResponseTheme.question_id)
                .where(ResponseTheme.response_id == response_id)).all()
            return sorted((theme, question) for theme, question in rows)

    return read
