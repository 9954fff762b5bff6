"""A response as the API and webhooks return it — with the anonymity rules applied.

An anonymous survey's answer never carries a person, an e-mail, an invitation or wave, or a
time finer than its week (``created_at``/``updated_at`` are null, ``created_on`` is the Monday of
the week it was sent in, as the export dates it: a day could single out who answered), and
its ``id`` is not the sequential row number (which would tell the order people answered in) but
``anon-`` and 32 hex digits of the answer's token digest. Its comment, free-text answers and
segment attributes appear only as far as the caller's :class:`Disclosure` allows (the
dashboard export's rules: enough comments in the group, only the attributes a filter fixes).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from marshmallow import fields

from survey_app.core.db import db
from survey_app.dashboards.anonymity import NOTHING_MORE, Disclosure
from survey_app.dashboards.filters import bucket_start
from survey_app.people.models import Person
from survey_app.responses.models import Answer, Response
from survey_app.schemas.common import Representation, moment
from survey_app.surveys.models import Survey

#: An anonymous answer's public id: ``anon-`` and the first 32 hex digits of its digest.
ANONYMOUS_ID = re.compile(r"anon-([0-9a-f]{32})")
#: An identified answer's public id: its row id (0 … 2³¹−1, like ids in URLs).
IDENTIFIED_ID = re.compile(r"[0-9]{1,10}")
MAX_ID = 2**31 - 1


class SentimentSchema(Representation):
    polarity = fields.Float(required=True, allow_none=True,
                            metadata={"description": "−1 … 1; null without a comment."})
    label = fields.String(required=True,
                          metadata={"enum": ["negative", "neutral", "positive", "unknown"]})


class ResponseAnswerSchema(Representation):
    question_id = fields.Integer(required=True)
    position = fields.Integer(required=True)
    value = fields.Raw(required=True, allow_none=True, metadata={
        "description": "1–5 (agreement), the option's index (choice) or the text; null when a "
                       "free-text answer of an anonymous survey may not be read.",
        "oneOf": [{"type": "integer"}, {"type": "string"}, {"type": "null"}]})


class RespondentSchema(Representation):
    id = fields.Integer(required=True)
    email = fields.String(required=True)
    name = fields.String(required=True)


class ResponseSchema(Representation):
    id = fields.String(required=True, metadata={
        "description": "The row id as text, or ``anon-…`` for an anonymous survey's answer."})
    survey = fields.String(required=True, metadata={"description": "The survey's slug."})
    is_anonymous = fields.Boolean(required=True)
    score = fields.Integer(required=True)
    category = fields.String(required=True, metadata={"enum": [
        "promoter", "passive", "detractor", "satisfied", "neutral", "dissatisfied"]})
    comment = fields.String(required=True, allow_none=True)
    sentiment = fields.Nested(SentimentSchema, required=True)
    answers = fields.List(fields.Nested(ResponseAnswerSchema), required=True)
    segment = fields.Dict(keys=fields.String(), required=True, metadata={
        "description": "Segment attributes when the person answered (anonymous: only those "
                       "the request's filters fix)."})
    channel = fields.String(required=True, metadata={"enum": ["email", "link", "public", "api"]})
    locale = fields.String(required=True)
    person = fields.Nested(RespondentSchema, required=True, allow_none=True)
    invitation_id = fields.Integer(required=True, allow_none=True)
    wave_id = fields.Integer(required=True, allow_none=True)
    created_on = fields.String(required=True, metadata={
        "format": "date", "description": "The day it was sent; anonymous surveys: the Monday "
                                         "of that week."})
    created_at = fields.String(required=True, allow_none=True, metadata={
        "format": "date-time", "description": "Null for anonymous surveys."})
    updated_at = fields.String(required=True, allow_none=True, metadata={
        "format": "date-time", "description": "When the answer was last written (first sent "
                                              "or changed); null for anonymous surveys."})


def public_id(response: Response | Any) -> str:
    """The id the API shows for ``response`` (see the module docstring)."""
    if response.is_anonymous:
        return f"anon-{response.token_digest[:32]}"
    return str(response.id)


def parse_response_id(text: str) -> int | str | None:
    """The row id (``int``) or the digest prefix (``str``) a public id names; ``None`` if it
    is neither."""
    if IDENTIFIED_ID.fullmatch(text) and int(text) <= MAX_ID:
        return int(text)
    match = ANONYMOUS_ID.fullmatch(text)
    return match.group(1) if match else None


def response_data(response: Response | Any, disclosure: Disclosure = NOTHING_MORE, *,
                  survey: Survey | None = None, answers: Sequence[Answer | Any] | None = None,
                  person: Person | Any | None = None) -> dict[str, Any]:
    """``response`` as :class:`ResponseSchema` describes it.

    ``disclosure`` applies to anonymous surveys only. ``response`` is a :class:`Response` or
    a row with the same column names (the API's pages read rows, not objects); then its
    ``survey`` and ``answers`` are given, and ``person`` (identified answers) when it has one.
    """
    anonymous = response.is_anonymous
    survey = survey or response.survey
    given = response.answers if answers is None else answers
    written = _answers(given, survey, disclosure, anonymous) if given else []
    if anonymous:
        segment = {k: response.segment[k] for k in disclosure.segment_keys
                   if k in (response.segment or {})}
        respondent = None
    else:
        segment = response.segment or {}
        if person is None and response.person_id is not None and answers is None:
            person = db.session.get(Person, response.person_id)
        respondent = (None if person is None else
                      {"id": person.id, "email": person.email, "name": person.name})
    submitted = response.submitted_dt
    return {
        "id": public_id(response), "survey": survey.slug, "is_anonymous": anonymous,
        "score": response.score, "category": response.category,
        "comment": response.comment if not anonymous or disclosure.comments else None,
        "sentiment": {"polarity": response.sentiment_polarity,
                      "label": response.sentiment_label},
        "answers": written, "segment": segment, "channel": response.channel,
        "locale": response.locale, "person": respondent,
        "invitation_id": None if anonymous else response.invitation_id,
        "wave_id": None if anonymous else response.wave_id,
        "created_on": (bucket_start(submitted.date(), "week") if anonymous
                       else submitted.date()).isoformat(),
        "created_at": None if anonymous else submitted.isoformat(),
        "updated_at": None if anonymous else moment(response.updated_dt),
    }


def _answers(answers: Sequence[Answer | Any], survey: Survey, disclosure: Disclosure,
             anonymous: bool) -> list[dict[str, Any]]:
    """The extra answers in question order; an anonymous survey's text only if disclosed."""
    positions = {q.id: q.position for q in survey.questions}
    written = []
    for answer in sorted(answers, key=lambda a: positions.get(a.question_id, 99)):
        value: int | str | None = answer.value_int
        if value is None and (not anonymous or answer.question_id in disclosure.text_questions):
            value = answer.value_text
        written.append({"question_id": answer.question_id,
                        "position": positions.get(answer.question_id, 0), "value": value})
    return written
