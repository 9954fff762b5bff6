"""One-click answers: a score clicked in an e-mail counts unless a form follows or a scanner did it.

A person who taps a score button and closes the tab has answered (as Delighted counts it); a
mail scanner opens every button. So the click is kept as a :class:`ProvisionalAnswer` and, after
``PROVISIONAL_MINUTES``, :func:`settle_due` records it as the person's answer — unless a form
was sent meanwhile (that answer wins) or the link's opens look like a scanner's (several score
buttons, or the honeypot). Identified surveys only: see docs/distribution.md.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from survey_app.core.db import db, utcnow
from survey_app.invitations.models import Invitation, InvitationStatus, LinkOpen
from survey_app.invitations.services import LinkExpiredError, SurveyClosedError, check_open
from survey_app.invitations.tracking import LinkKeyChangedError, link_token
from survey_app.responses.models import Channel, ProvisionalAnswer
from survey_app.responses.services import AlreadyAnsweredError, Submission, record_response

logger = logging.getLogger(__name__)


def record_click(invitation: Invitation, score: int, now: datetime | None = None) -> None:
    """Keep ``score``, clicked in the e-mail, as the link's provisional answer (the latest
    click wins). Nothing is kept for anonymous surveys or links that take no answers."""
    now = now or utcnow()
    survey = invitation.survey
    if survey.is_anonymous or score not in survey.score_range:
        return
    try:
        check_open(invitation, now)
    except (LinkExpiredError, SurveyClosedError):
        return
    existing = _provisional_of(invitation)
    if existing is None:
        try:
            with db.session.begin_nested():  # two clicks at once: the other one inserted it
                db.session.add(ProvisionalAnswer(invitation_id=invitation.id, score=score,
                                                 clicked_dt=now))
            return
        except IntegrityError:
            existing = _provisional_of(invitation)
    if existing is not None:
        existing.score, existing.clicked_dt = score, now
        db.session.flush()


def _provisional_of(invitation: Invitation) -> ProvisionalAnswer | None:
    return db.session.scalar(
        select(ProvisionalAnswer).where(ProvisionalAnswer.invitation_id == invitation.id))


def looks_like_scanner(invitation: Invitation) -> bool:
    """The link's opens show more than one score button, or the hidden honeypot link."""
    buttons, honeypots = db.session.execute(
        select(func.count(LinkOpen.score.distinct()),
               func.count().filter(LinkOpen.is_honeypot))
        .where(LinkOpen.invitation_id == invitation.id)).one()
    return buttons > 1 or honeypots > 0 or invitation.scanner_dt is not None


def settle_due(now: datetime | None = None) -> tuple[int, int]:
    """Count the provisional answers older than ``PROVISIONAL_MINUTES`` as answers, or drop
    them (a form was sent, the link looks like a scanner's, or it can no longer be
    answered). Flushes; the caller commits. Returns (counted, dropped)."""
    now = now or utcnow()
    due = now - timedelta(minutes=current_app.config["PROVISIONAL_MINUTES"])
    counted = dropped = 0
    for provisional in db.session.scalars(
            select(ProvisionalAnswer).where(ProvisionalAnswer.clicked_dt <= due)
            .order_by(ProvisionalAnswer.id)
            .options(joinedload(ProvisionalAnswer.invitation))).all():
        if _count(provisional):
            counted += 1
        else:
            dropped += 1
        db.session.delete(provisional)
    db.session.flush()
    if counted or dropped:
        logger.info("provisional answers: %s counted, %s dropped", counted, dropped)
    return counted, dropped


def _count(provisional: ProvisionalAnswer) -> bool:
    """Record ``provisional`` as its link's answer, if it should be; whether it was."""
    invitation = provisional.invitation
    if invitation.status == InvitationStatus.RESPONDED or looks_like_scanner(invitation):
        return False
    survey = invitation.survey
    locale = invitation.person.locale
    if locale not in current_app.config["LANGUAGES"]:
        locale = survey.default_locale
    try:
        token = link_token(invitation)
        with db.session.begin_nested():
            record_response(survey, Submission(score=provisional.score, locale=locale),
                            token=token, channel=Channel.EMAIL, invitation=invitation,
                            now=provisional.clicked_dt)
    except (LinkKeyChangedError, AlreadyAnsweredError):
        return False
    return True
