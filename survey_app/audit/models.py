"""The AuditEvent model: one staff action that changed something."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey_app.accounts.models import User
from survey_app.core.db import db, utcnow


class AuditEvent(db.Model):
    """Who did what to which object, when and from where.

    Never holds passwords, respondent comments or the identity behind an anonymous response.
    """

    __tablename__ = "audit_events"
    __table_args__ = (sa.Index("ix_audit_events_actor_created", "actor_id", "created_dt"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The staff user; ``None`` for the system, the CLI or a failed sign-in.
    actor_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    #: Dotted verb, e.g. ``login``, ``user.role``, ``survey.edit``, ``responses.export``.
    action: Mapped[str] = mapped_column(sa.String(64), index=True)
    #: Model name of the object acted on (``user``, ``survey`` …), if any.
    target_type: Mapped[str | None] = mapped_column(sa.String(32))
    target_id: Mapped[int | None]
    #: Small JSON object of what changed (old and new values, counts, filters).
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: Client address of the request, if the action came through the web.
    ip: Mapped[str | None] = mapped_column(sa.String(45))
    created_dt: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    actor: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<AuditEvent {self.action} {self.target_type}:{self.target_id}>"
