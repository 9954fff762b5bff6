"""CSV export of a survey's responses: filtered, anonymity rules applied, formula-safe, streamed.

Used by the dashboard's download link and by ``polso responses export``. Rows are read in
batches (``yield_per``) and written one line at a time, so memory stays flat for a million rows.
Numbers are written as numbers; text that a spreadsheet would run as a formula (``=``, ``+``,
``-``, ``@``, tab, CR) is prefixed with ``'`` (:func:`survey_app.core.csvsafe.safe_cell`).

The plain file is for programs: commas, decimal points, UTF-8, a choice as its option's number.
The spreadsheet file (:class:`Spreadsheet`) is for a person opening it with a double click: a
byte-order mark so Excel reads UTF-8 ("più", not "piÃ¹"), the separators of the reader's
language (Italian Excel splits on ``;`` and reads ``0,75``), and a choice as its option's text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass

from survey_app.core.csvsafe import safe_cell
from survey_app.dashboards import queries
from survey_app.dashboards.anonymity import Disclosure, Policy
from survey_app.dashboards.filters import Filters
from survey_app.surveys.models import Question, QuestionKind, Survey

BASE_COLUMNS = ["score", "category", "comment", "sentiment", "sentiment_label"]


@dataclass(frozen=True, slots=True)
class Spreadsheet:
    """How a spreadsheet in the reader's language splits a CSV file and reads its numbers, and
    that language (of the choices' texts)."""

    locale: str = "en"
    decimal: str = "."

    @property
    def delimiter(self) -> str:
        return ";" if self.decimal == "," else ","

    def number(self, value: float) -> str:
        return str(value).replace(".", self.decimal)


@dataclass(frozen=True, slots=True)
class Export:
    """A checked export, ready to stream (see :func:`prepare_export`)."""

    survey: Survey
    filters: Filters
    policy: Policy
    segment_keys: list[str]
    questions: list[Question]
    #: Anonymous surveys: whether the group has enough comments to include them.
    has_comments: bool
    #: Free-text questions whose answers are included (each by its own count when anonymous).
    text_questions: frozenset[int]

    @property
    def disclosure(self) -> Disclosure:
        """The same rules for single answers read through the API."""
        return Disclosure(comments=self.has_comments, text_questions=self.text_questions,
                          segment_keys=tuple(self.segment_keys))

    @property
    def header(self) -> list[str]:
        when = ["submitted_at"] if self.policy.shows_identity() else ["period"]
        identity = ["email", "name"] if self.policy.shows_identity() else []
        return (when + BASE_COLUMNS + identity + [f"q{q.position}" for q in self.questions]
                + self.segment_keys)

    def lines(self, sheet: Spreadsheet | None = None) -> Iterator[str]:
        """The CSV text, one line at a time: plain, or for ``sheet``."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=sheet.delimiter if sheet else ",")

        def cell(value: object) -> object:
            if sheet and isinstance(value, float):
                return sheet.number(value)  # a number still: no formula guard on its "-"
            return safe_cell(value)

        def line(values: list[object]) -> str:
            buffer.seek(0)
            buffer.truncate()
            writer.writerow([cell(v) for v in values])
            return buffer.getvalue()

        yield ("\ufeff" if sheet else "") + line(self.header)
        labels = {q.id: q.choice_labels(sheet.locale) for q in self.questions
                  if sheet and q.kind == QuestionKind.CHOICE}
        rows = queries.export_rows(self.survey, self.filters, self.policy.export_order(),
                                   identified=self.policy.shows_identity())
        for response, person in rows:
            yield line(self._values(response, person, labels))

    def _values(self, response, person,  # type: ignore[no-untyped-def]
                labels: dict[int, list[str]]) -> list[object]:
        """A row's cells; a choice as its text when ``labels`` has its question's."""
        identified = self.policy.shows_identity()
        when: object = (response.submitted_dt.isoformat(timespec="seconds") if identified else
                        self.policy.period_label(response.submitted_dt.date(),
                                                 self.filters.period.granularity))
        polarity = response.sentiment_polarity
        values: list[object] = [
            when, response.score, response.category,
            response.comment if self.has_comments else None,
            None if polarity is None else round(polarity, 3), response.sentiment_label]
        if identified:
            values += [person.email if person else None, person.name if person else None]
        answers = {a.question_id: a for a in response.answers}
        for question in self.questions:
            answer = answers.get(question.id)
            if answer is None:
                values.append(None)
            elif answer.value_int is not None:
                texts = labels.get(question.id, [])
                values.append(texts[answer.value_int] if answer.value_int < len(texts)
                              else answer.value_int)
            else:
                values.append(answer.value_text if question.id in self.text_questions
                              else None)
        values += [response.segment.get(key) for key in self.segment_keys]
        return values


def prepare_export(survey: Survey, filters: Filters) -> Export:
    """Check the anonymity rules for this export and fix its columns.

    :raises GroupHiddenError: anonymous survey, filtered group below the threshold or
        hidden among its siblings.
    :raises NarrowingRefusedError: a filter narrows its group by fewer than the threshold.
    """
    policy = Policy.for_survey(survey)
    questions = [q for q in survey.extra_questions if q.kind != QuestionKind.SCORE]
    texts = frozenset(q.id for q in questions if q.kind == QuestionKind.TEXT)
    has_comments = True
    if policy.is_anonymous:
        counts = queries.group_counts(survey, filters)
        policy.check_export(counts.n, counts.parents, counts.siblings)
        has_comments = policy.shows_comments(counts.n, counts.comments)
        answered = queries.text_answer_counts(survey, filters) if texts else {}
        texts = frozenset(q for q in texts if policy.shows_comments(counts.n,
                                                                    answered.get(q, 0)))
        keys = policy.export_segment_keys(filters, [])
    else:
        keys = queries.all_segment_keys(survey)
    return Export(survey, filters, policy, keys, questions, has_comments, texts)
