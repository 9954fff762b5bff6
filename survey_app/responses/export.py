"""CSV export of a survey's responses: formula-safe, streamed, anonymous stays anonymous."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from survey_app.core.csvsafe import safe_cell
from survey_app.responses.queries import export_rows, segment_keys
from survey_app.surveys.models import Survey

BASE_COLUMNS = ["submitted_at", "score", "category", "comment", "sentiment", "sentiment_label"]


def header(survey: Survey, keys: list[str]) -> list[str]:
    identity = [] if survey.is_anonymous else ["email", "name"]
    questions = [f"q{q.position}" for q in survey.extra_questions]
    return BASE_COLUMNS + identity + questions + keys


def csv_lines(survey: Survey) -> Iterator[str]:
    """The export as CSV text, one line at a time."""
    keys = segment_keys(survey)
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(values: list[object]) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([safe_cell(v) for v in values])
        return buffer.getvalue()

    yield line(header(survey, keys))
    for response, person in export_rows(survey):
        submitted = (response.submitted_dt.date().isoformat() if survey.is_anonymous
                     else response.submitted_dt.isoformat(timespec="seconds"))
        answers = {a.question_id: a for a in response.answers}
        values: list[object] = [
            submitted, response.score, response.category, response.comment,
            None if response.sentiment_polarity is None else round(response.sentiment_polarity, 3),
            response.sentiment_label,
        ]
        if not survey.is_anonymous:
            values += [person.email if person else None, person.name if person else None]
        for question in survey.extra_questions:
            answer = answers.get(question.id)
            values.append(None if answer is None else
                          answer.value_text if answer.value_int is None else answer.value_int)
        values += [response.segment.get(k) for k in keys]
        yield line(values)
