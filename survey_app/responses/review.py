"""A person's decision on a response flagged "suspected automated" (``suspected_reason``)."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select

from survey_app.core.db import db, utcnow
from survey_app.followups import services as followups
from survey_app.invitations.models import Invitation, InvitationStatus
from survey_app.responses.models import Response
from survey_app.responses.signals import response_counted

logger = logging.getLogger(__name__)


def confirm_human(response: Response, now: datetime | None = None) -> None:
    """Count the response after all, and open the follow-up case it would have opened."""
    response.is_suspected_automated = False
    response.suspected_reason = None
    db.session.flush()
    response_counted.send(response)
    followups.open_or_update(response, now=now or utcnow())
    db.session.flush()
    logger.info("response %s confirmed as a person's", response.id)


def discard(response: Response) -> None:
    """Delete a scanner's response; an identified invitation may then be answered again.

    (An anonymous response is linked to no invitation, so its invitation stays "responded".)
    """
    if response.invitation_id is not None:
        invitation = db.session.scalar(
            select(Invitation).where(Invitation.id == response.invitation_id))
        if invitation is not None:
            invitation.status = InvitationStatus.OPENED
            invitation.responded_dt = None
    db.session.delete(response)
    db.session.flush()
    logger.info("suspected automated response %s discarded", response.id)
