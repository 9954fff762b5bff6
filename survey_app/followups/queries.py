"""Reading the follow-up queue."""

from __future__ import annotations

from sqlalchemy import case, select

from survey_app.core.db import db
from survey_app.followups.models import FollowUp
from survey_app.followups.services import OPEN_STATUSES

#: Red first, then yellow, then green.
PRIORITY_ORDER = case({"red": 0, "yellow": 1, "green": 2}, value=FollowUp.priority)


def open_cases(limit: int = 500) -> list[FollowUp]:
    """Open cases, most urgent first (priority, then due time)."""
    query = (select(FollowUp).where(FollowUp.status.in_(OPEN_STATUSES))
             .order_by(PRIORITY_ORDER, FollowUp.due_dt, FollowUp.id).limit(limit))
    return list(db.session.scalars(query))
