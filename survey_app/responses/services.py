"""Recording and editing responses: category, sentiment, segment snapshot, follow-up."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache

from flask import current_app
from sqlalchemy import Select, bindparam, exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from survey_app.core.db import db, insert_loaded, utcnow
from survey_app.core.errors import DomainError
from survey_app.core.scoring import categorise, is_happy
from survey_app.core.sentiment import analyze
from survey_app.core.tokens import hash_token, is_well_formed, response_digest
from survey_app.followups import services as followups
from survey_app.invitations.models import Invitation
from survey_app.invitations.services import (
    UnknownLinkError,
    link_query,
    responded,
    verified,
)
from survey_app.invitations.tracking import looks_automated
from survey_app.responses.models import Answer, Response, Suspicion
from survey_app.responses.signals import response_recording, response_updated
from survey_app.responses.tagging import tag_response
from survey_app.surveys.models import QuestionKind, Survey
from survey_app.themes.services import survey_terms

logger = logging.getLogger(__name__)

#: Longest answer to a short-text question (characters).
TEXT_ANSWER_MAX_LENGTH = 1000


class AlreadyAnsweredError(DomainError):
    """This link (or browser) has already answered and may no longer change the answer."""


class ImprovementNotAskedError(DomainError):
    """Only passives are asked what would make it a 10."""


class StaleEditError(DomainError):
    """The answer was changed elsewhere since this form was loaded."""


class InvalidSubmissionError(DomainError):
    """Some answers are not acceptable; ``fields`` maps field names to messages."""

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in fields.items()))
        self.fields = fields


@dataclass
class Submission:
    """Validated answers, independent of where they came from (form, API, CLI)."""

    score: int
    comment: str | None = None
    #: Extra answers by question id: 1–5 (agreement), option index (choice) or text.
    answers: dict[int, int | str] = field(default_factory=dict)
    locale: str = "en"
    #: Anonymous respondents only: attach my identity so someone can contact me.
    contact_requested: bool = False


def check_submission(survey: Survey, submission: Submission) -> None:
    """:raises InvalidSubmissionError: a value is out of range or a required answer is missing."""
    errors: dict[str, str] = {}
    if submission.score not in survey.score_range:
        low, high = survey.score_range[0], survey.score_range[-1]
        errors["score"] = f"must be a whole number from {low} to {high}"
    comment, limit = submission.comment or "", current_app.config["COMMENT_MAX_LENGTH"]
    if len(comment) > limit:
        errors["comment"] = f"at most {limit} characters ({len(comment)} given)"
    elif "\x00" in comment:
        errors["comment"] = "contains a NUL character"
    questions = {q.id: q for q in survey.extra_questions}
    score_question = next((q.id for q in survey.questions if q.position == 0), None)
    for question_id in submission.answers.keys() - questions.keys():
        errors[f"q_{question_id}"] = ("is the score question: give its answer as score"
                                      if question_id == score_question
                                      else "is not a question of this survey")
    for question in questions.values():
        value = submission.answers.get(question.id)
        name = f"q_{question.id}"
        if value is None or value == "":
            if question.is_required:
                errors[name] = "an answer is required"
        elif question.kind == QuestionKind.AGREEMENT and value not in range(1, 6):
            errors[name] = "must be from 1 to 5"
        elif question.kind == QuestionKind.CHOICE and value not in range(
                len(question.choices or [])):
            errors[name] = "is not one of the options"
        elif question.kind == QuestionKind.TEXT and (
            not isinstance(value, str) or len(value) > TEXT_ANSWER_MAX_LENGTH or "\x00" in value
        ):
            errors[name] = f"must be text of at most {TEXT_ANSWER_MAX_LENGTH} characters"
    if submission.locale not in current_app.config["LANGUAGES"]:
        errors["locale"] = "must be one of " + ", ".join(current_app.config["LANGUAGES"])
    if submission.contact_requested and not survey.is_anonymous:
        errors["contact"] = "only anonymous surveys ask for consent to be contacted"
    if errors:
        raise InvalidSubmissionError(errors)


def suspicion(*, honeypot: str | None, seconds_on_page: int | None) -> Suspicion | None:
    """What a submitted form itself shows that no person does: the hidden field filled in, or
    sent less than ``MIN_ANSWER_SECONDS`` after the page was rendered (``None``: unknown)."""
    if honeypot:
        return Suspicion.HONEYPOT
    minimum = current_app.config["MIN_ANSWER_SECONDS"]
    if seconds_on_page is not None and seconds_on_page < minimum:
        return Suspicion.TOO_FAST
    return None


def open_link(token: str) -> tuple[Invitation, Response | None]:
    """The invitation behind a personal link and the response given through it.

    The response is found by its token digest, which only the link's holder can compute; one
    query tells whether there is one, and only then is it loaded (an edit).

    :raises UnknownLinkError: malformed or unknown token, or a draft survey.
    """
    if not is_well_formed(token):
        raise UnknownLinkError()
    digest = response_digest(token)
    row = db.session.execute(_open_link_query(), {
        "token_hash": hash_token(token), "digest": digest}).unique().one_or_none()
    invitation = verified(row[0] if row else None, token)
    return invitation, find_response(token) if row[1] else None


@cache
def _open_link_query() -> Select[tuple[Invitation, bool]]:
    return link_query().add_columns(
        exists().where(Response.token_digest == bindparam("digest")))


def find_response(token: str) -> Response | None:
    """The response submitted with ``token``, if any."""
    digest = response_digest(token)
    return db.session.scalar(select(Response).where(Response.token_digest == digest))


def edit_deadline(response: Response) -> datetime:
    """Until when the respondent may change ``response``.

    Anonymous responses keep only their day, so their window is counted from the day's end.
    """
    start = response.submitted_dt + (timedelta(days=1) if response.is_anonymous else timedelta())
    return start + timedelta(hours=response.survey.edit_window_hours)


def can_edit(response: Response, now: datetime | None = None) -> bool:
    """Whether ``response`` may still be changed; never when the survey's window is 0 (an
    anonymous answer's day-long grace only makes up for its missing time of day)."""
    return response.survey.edit_window_hours > 0 and (now or utcnow()) < edit_deadline(response)


def record_response(
    survey: Survey,
    submission: Submission,
    *,
    token: str,
    channel: str,
    invitation: Invitation | None = None,
    suspected: Suspicion | None = None,
    now: datetime | None = None,
) -> Response:
    """Store a first answer: categorise, score sentiment, snapshot the segment, open a case.

    ``token`` is the link (or public-browser) token; only a digest of it is kept, and the
    database refuses a second response with the same digest. ``suspected``: what the
    submission itself shows (:func:`suspicion`); such an answer is left out of scores and
    opens no case until a person confirms it. A mail scanner's earlier opens of the link flag
    nothing — a sent form is a person's act — and are only noted (``is_after_scanner``).

    :raises InvalidSubmissionError: bad answers.
    :raises AlreadyAnsweredError: this token has answered already; roll the session back.
    """
    check_submission(survey, submission)
    now = now or utcnow()
    person = invitation.person if invitation else None
    identified = person is not None and not survey.is_anonymous
    response = Response(
        survey=survey,
        wave_id=invitation.wave_id if invitation else None,
        invitation_id=invitation.id if identified else None,
        person_id=person.id if person and (identified or submission.contact_requested) else None,
        token_digest=response_digest(token),
        is_anonymous=survey.is_anonymous,
        is_contact_requested=submission.contact_requested,
        segment=dict(person.attributes) if person else {},
        channel=channel,
        submitted_dt=_day_start(now) if survey.is_anonymous else now,
        updated_dt=None if survey.is_anonymous else now,
        locale=submission.locale,
        followup=None,
    )
    _apply(response, submission)  # sentiment and the rest, before any write
    response.suspected_reason = suspected
    response.is_suspected_automated = suspected is not None
    # Anonymous answers keep no note: with the link's scanner stamp it would point at the person.
    response.is_after_scanner = identified and looks_automated(invitation, now)
    # A suspected answer opens no case until a person confirms it.
    case = None if response.is_suspected_automated else followups.new_case(response, now)
    alerts = followups.new_case_alerts(case, now) if case else []
    # Every row is known: write them back to back (SQLite's write lock is held from the first
    # write to the commit), as plain statements — the unit of work cost more than they do.
    answers = list(response.answers)
    rows = [response, *answers, *response.themes,
            *([case, *case.events, *alerts] if case else [])]
    # Other features' rows (the webhook outbox's), in the same statement.
    rows_after = [row for _receiver, extra in response_recording.send(response, case=case)
                  for row in extra or ()]
    try:
        # The unique token digest refuses a second (even concurrent) answer.
        insert_loaded(*rows, updating=(invitation, responded(invitation, now))
                      if invitation is not None else None, rows_after=rows_after)
    except IntegrityError:
        raise AlreadyAnsweredError() from None
    # SQLAlchemy keeps an untouched empty collection out of the object's state: mark the
    # answers as loaded, or a reader of the new response (its webhook payload) queries them.
    set_committed_value(response, "answers", answers)
    if case is not None:
        followups.case_inserted(case, alerts)
    logger.debug("response %s recorded for survey %s", _loggable_id(response), survey.id)
    return response


def update_response(
    response: Response, submission: Submission, *, version: int, now: datetime | None = None
) -> Response:
    """Change an answer within its edit window; the same row is updated, never a new one.

    :raises AlreadyAnsweredError: the edit window is over.
    :raises StaleEditError: ``version`` is not the response's current version.
    :raises InvalidSubmissionError: bad answers.
    """
    now = now or utcnow()
    if not can_edit(response, now):
        raise AlreadyAnsweredError()
    if version != response.version:
        raise StaleEditError()
    check_submission(response.survey, submission)
    if submission.contact_requested and response.is_anonymous and response.person_id is None:
        # Consent can be given on an edit too; it cannot be withdrawn by editing.
        response.is_contact_requested = True
    _apply(response, submission)
    response.updated_dt = None if response.is_anonymous else now
    try:
        db.session.flush()  # UPDATE … WHERE version = ?: a concurrent edit makes it match nothing
    except StaleDataError:
        raise StaleEditError() from None
    if not response.is_suspected_automated:  # a scanner's: no case until confirmed
        followups.open_or_update(response, now=now)
    db.session.flush()
    response_updated.send(response)
    logger.info("response %s updated", _loggable_id(response))
    return response


def replace_anonymous(response: Response, submission: Submission,
                      now: datetime | None = None) -> Response:
    """Answer an anonymous survey again through the same link: the new answer replaces the
    earlier one, which no page ever shows (so there is no version to compare it with).

    :raises AlreadyAnsweredError: the edit window is over, or ``response`` is identified.
    :raises StaleEditError: a concurrent change got there first.
    :raises InvalidSubmissionError: bad answers.
    """
    if not response.is_anonymous:
        raise AlreadyAnsweredError()
    return update_response(response, submission, version=response.version, now=now)


def add_improvement(response: Response, text: str, now: datetime | None = None) -> Response:
    """Store a passive's answer to "what would make it a 10?" on their response (flushes).

    :raises ImprovementNotAskedError: not a passive's answer.
    :raises AlreadyAnsweredError: the edit window is over.
    :raises InvalidSubmissionError: empty or longer than ``COMMENT_MAX_LENGTH``.
    """
    if response.category != "passive":
        raise ImprovementNotAskedError()
    if not can_edit(response, now or utcnow()):
        raise AlreadyAnsweredError()
    text, limit = text.strip(), current_app.config["COMMENT_MAX_LENGTH"]
    if not text or len(text) > limit or "\x00" in text:
        raise InvalidSubmissionError({"improvement": f"must be text of 1 to {limit} characters"})
    response.improvement = text
    db.session.flush()
    logger.info("response %s: improvement added", _loggable_id(response))
    return response


def _apply(response: Response, submission: Submission) -> None:
    """Copy answers onto ``response`` and derive category, sentiment and themes."""
    survey = response.survey
    comment = (submission.comment or "").strip() or None
    sentiment = analyze(comment, submission.locale,
                        thresholds=current_app.config["SENTIMENT_THRESHOLDS"])
    response.score = submission.score
    response.category = categorise(survey.kind, submission.score)
    response.comment = comment
    response.locale = submission.locale
    response.sentiment_polarity = sentiment.polarity
    response.sentiment_label = sentiment.label
    response.sentiment_analyzer = sentiment.analyzer
    response.is_mismatch = is_happy(response.category) and sentiment.label == "negative"
    existing = {a.question_id: a for a in response.answers}
    for question in survey.extra_questions:
        value = submission.answers.get(question.id)
        if value is None or value == "":
            if question.id in existing:
                response.answers.remove(existing[question.id])
            continue
        answer = existing.get(question.id) or Answer(question_id=question.id)
        if isinstance(value, str):
            answer.value_int, answer.value_text = None, value.strip()
        else:
            answer.value_int, answer.value_text = value, None
        if question.id not in existing:
            response.answers.append(answer)
    with db.session.no_autoflush:  # the edit is flushed once, as one new version
        tag_response(response, survey_terms(survey))


def _loggable_id(response: Response) -> int | str:
    """An anonymous response's id stays out of logs: with the line's time and the request
    line beside it, it would tie the answer to an address."""
    return "(anonymous)" if response.is_anonymous else response.id


def _day_start(moment: datetime) -> datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)
