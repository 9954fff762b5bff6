"""The FollowUp model: one case in the follow-up queue."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey_app.core.db import db, utcnow
from survey_app.people.models import Person
from survey_app.responses.models import Response


class Priority(StrEnum):
    RED = "red"
    YELLOW = "yellow"
    GREEN = "green"


class CaseStatus(StrEnum):
    NEW = "new"
    IN_PROGRESS = "in_progress"
    WAITING = "waiting"
    RESOLVED = "resolved"
    CLOSED = "closed"


class CaseReason(StrEnum):
    DETRACTOR = "detractor"
    MISMATCH = "mismatch"
    CONTACT_REQUEST = "contact_request"


class Team(StrEnum):
    """Who works the case: support for customers, HR for employees."""

    SUPPORT = "support"
    HR = "hr"


class FollowUp(db.Model):
    """A case opened from a response, worked until the loop is closed."""

    __tablename__ = "followups"
    __table_args__ = (
        sa.CheckConstraint("priority IN ('red', 'yellow', 'green')", "priority_valid"),
        sa.CheckConstraint(
            "status IN ('new', 'in_progress', 'waiting', 'resolved', 'closed')", "status_valid"
        ),
        sa.CheckConstraint(
            "reason IN ('detractor', 'mismatch', 'contact_request')", "reason_valid"
        ),
        sa.CheckConstraint("team IN ('support', 'hr')", "team_valid"),
        sa.Index("ix_followups_queue", "team", "status", "priority", "due_dt"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(sa.ForeignKey("responses.id"), unique=True)
    person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id"), index=True)
    team: Mapped[str] = mapped_column(sa.String(8))
    reason: Mapped[str] = mapped_column(sa.String(16))
    priority: Mapped[str] = mapped_column(sa.String(8))
    status: Mapped[str] = mapped_column(sa.String(16), default=CaseStatus.NEW)
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)
    due_dt: Mapped[datetime]

    response: Mapped[Response] = relationship(back_populates="followup")
    person: Mapped[Person | None] = relationship()

    def __repr__(self) -> str:
        return f"<FollowUp {self.id} {self.priority}>"
