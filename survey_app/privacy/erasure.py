"""Erasing a person (GDPR art. 17): identity, links and free text go, aggregate scores stay.

The rule (docs/distribution.md): the person row, their invitations (with e-mail delivery rows
and link history) and their customer activity (purchases, cancellations …) are **deleted**.
Each response that was linked to them (identified responses, and anonymous ones whose author
asked to be contacted) is **kept** with its score, category,
sentiment, numeric answers, segment snapshot, wave and day, but loses its person and invitation
links, its comment, its free-text answers and its token digest (replaced by a random value).
Follow-up cases about them lose the person and are closed if still open; their notes (and notes
on status changes) and the replies sent to the person lose their text and address, since both
may quote or name them — the timeline keeps who did what, when. Anonymous responses were never
linked to anybody and are not touched.

This module sits above people, invitations, responses and followups on purpose: erasure is the
one operation that crosses them all. Later features that store personal data (case notes,
replies, webhooks) connect to :data:`person_erased` and delete theirs.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass

from blinker import Namespace
from flask import current_app
from sqlalchemy import ColumnElement, delete, or_, select, update

from survey_app.core.db import db
from survey_app.followups.models import (
    CaseStatus,
    FollowUp,
    FollowUpEvent,
    FollowUpMail,
    MailKind,
)
from survey_app.followups.services import OPEN_STATUSES
from survey_app.invitations.models import Invitation, LinkOpen
from survey_app.people.models import Person
from survey_app.referrals.models import ReferralCode
from survey_app.responses.models import ProvisionalAnswer, Response
from survey_app.retention import summaries
from survey_app.retention.models import Activity
from survey_app.surveys.models import Question, QuestionKind
from survey_app.waves.models import InvitationEmail

logger = logging.getLogger(__name__)

#: What an erased person's reply e-mails keep as their address.
ERASED_ADDRESS = "erased"

_signals = Namespace()
#: Sent with ``person_id=`` before the person's rows are deleted (receivers flush, never commit).
person_erased = _signals.signal("person-erased")


@dataclass(frozen=True)
class ErasureResult:
    invitations: int
    responses_anonymised: int
    cases_anonymised: int


def erase_person(person: Person) -> ErasureResult:
    """Erase ``person`` as described in the module docstring (flushes, never commits)."""
    person_id = person.id
    invitation_ids = select(Invitation.id).where(Invitation.person_id == person_id)
    responses = list(db.session.scalars(select(Response).where(
        or_(Response.person_id == person_id, Response.invitation_id.in_(invitation_ids)))))
    for response in responses:
        strip_identity(response)
    cases = anonymise_cases(or_(FollowUp.person_id == person_id,
                                FollowUp.response_id.in_([r.id for r in responses])))
    person_erased.send(current_app._get_current_object(),  # type: ignore[attr-defined]
                       person_id=person_id)
    db.session.execute(delete(Activity).where(Activity.person_id == person_id))
    summaries.refresh([person_id])
    for model in (LinkOpen, InvitationEmail, ProvisionalAnswer):
        db.session.execute(delete(model).where(model.invitation_id.in_(invitation_ids)))
    count = db.session.execute(delete(Invitation).where(Invitation.person_id == person_id)
                               ).rowcount
    db.session.delete(person)
    db.session.flush()
    logger.info("person %s erased: %s invitations deleted, %s responses and %s cases "
                "anonymised", person_id, count, len(responses), len(cases))
    return ErasureResult(count, len(responses), len(cases))


def anonymise_cases(where: ColumnElement[bool]) -> list[FollowUp]:
    """The cases matching ``where`` lose their person, their notes' and replies' text and
    address, and are closed if still open (flushes)."""
    cases = list(db.session.scalars(select(FollowUp).where(where)))
    for case in cases:
        case.person_id = None
        if case.status in OPEN_STATUSES:
            case.status = CaseStatus.CLOSED
    _blank_case_texts([case.id for case in cases])
    db.session.flush()
    return cases


def _blank_case_texts(case_ids: list[int]) -> None:
    if not case_ids:
        return
    db.session.execute(update(FollowUpEvent).where(FollowUpEvent.followup_id.in_(case_ids))
                       .values(body=None))
    db.session.execute(update(FollowUpMail)
                       .where(FollowUpMail.followup_id.in_(case_ids),
                              FollowUpMail.kind == MailKind.REPLY)
                       .values(subject=None, body=None, to_address=ERASED_ADDRESS))


def strip_identity(response: Response) -> None:
    """``response`` loses its person, invitation, link, comment, free-text answers, a passive's
    "what would make it a 10?" and the tie to its author's referral code."""
    response.person_id = None
    response.invitation_id = None
    response.comment = None
    response.improvement = None
    db.session.execute(update(ReferralCode).where(ReferralCode.response_id == response.id)
                       .values(response_id=None))
    response.token_digest = secrets.token_hex(32)  # the old link can no longer find it
    text_questions = set(db.session.scalars(select(Question.id).where(
        Question.survey_id == response.survey_id, Question.kind == QuestionKind.TEXT)))
    for answer in list(response.answers):
        if answer.question_id in text_questions or answer.value_text is not None:
            response.answers.remove(answer)
