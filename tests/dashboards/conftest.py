"""Dashboard fixtures: responses written straight to the database in bulk (no respondent flow)."""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask

from survey_app.core.db import db
from survey_app.core.scoring import categorise
from survey_app.responses.models import Answer, Response
from survey_app.surveys.models import Survey

_counter = itertools.count()


@pytest.fixture
def add_responses(app: Flask) -> Callable[..., None]:
    """``add_responses(survey_id, rows)``: commit one response per row dict.

    Row keys: ``score`` (required), ``comment``, ``segment`` (dict), ``days_ago`` (default 1),
    ``sentiment`` (label, default "unknown"), ``answers`` ({position: value}).
    """

    def add(survey_id: int, rows: list[dict[str, Any]]) -> None:
        with app.app_context():
            survey = db.session.get(Survey, survey_id)
            questions = {q.position: q for q in survey.questions}
            today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
            for row in rows:
                when = today - timedelta(days=row.get("days_ago", 1))
                if not survey.is_anonymous:
                    when += timedelta(hours=9, seconds=next(_counter) % 3600)
                sentiment = row.get("sentiment", "unknown")
                response = Response(
                    survey_id=survey.id, token_digest=secrets.token_hex(32),
                    is_anonymous=survey.is_anonymous, score=row["score"],
                    category=categorise(survey.kind, row["score"]), comment=row.get("comment"),
                    locale=row.get("locale", "en"),
                    sentiment_polarity={"negative": -0.5, "positive": 0.5, "neutral": 0.0}.get(
                        sentiment),
                    sentiment_label=sentiment, segment=row.get("segment", {}), channel="link",
                    submitted_dt=when, person_id=row.get("person_id"))
                for position, value in row.get("answers", {}).items():
                    answer = Answer(question_id=questions[position].id)
                    if isinstance(value, str):
                        answer.value_text = value
                    else:
                        answer.value_int = value
                    response.answers.append(answer)
                db.session.add(response)
            db.session.commit()

    return add
