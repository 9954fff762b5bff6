"""The Invitation model."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey_app.core.db import IDS_NEVER_REUSED, db, utcnow
from survey_app.people.models import Person
from survey_app.surveys.models import Survey


class InvitationStatus(StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    OPENED = "opened"
    RESPONDED = "responded"
    BOUNCED = "bounced"
    FAILED = "failed"
    EXPIRED = "expired"


class Invitation(db.Model):
    """A person's personal link to one survey; only the token's hash is kept."""

    __tablename__ = "invitations"
    __table_args__ = (
        sa.CheckConstraint(
            "status IN ('queued', 'sent', 'opened', 'responded', 'bounced', 'failed', 'expired')",
            "status_valid",
        ),
        sa.Index("ix_invitations_survey_status", "survey_id", "status"),
        IDS_NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(sa.ForeignKey("surveys.id"))
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"), index=True)
    wave_id: Mapped[int | None] = mapped_column(sa.ForeignKey("waves.id"), index=True)
    #: SHA-256 of the link token (hex); the token itself is never stored.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    status: Mapped[str] = mapped_column(sa.String(16), default=InvitationStatus.SENT)
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)
    expires_dt: Mapped[datetime]
    opened_dt: Mapped[datetime | None]
    #: When it was answered; left empty for anonymous surveys so it cannot be matched by time.
    responded_dt: Mapped[datetime | None]
    reminder_count: Mapped[int] = mapped_column(default=0)
    #: E-mailed links: random salt from which the token is derived with the secret key, so
    #: reminders can carry the same link; NULL for links shown once (CLI, API).
    token_salt: Mapped[str | None] = mapped_column(sa.String(32))
    #: When the mail server accepted the first e-mail carrying the link.
    sent_dt: Mapped[datetime | None]
    #: When the latest e-mail (invitation or reminder) was queued; reminders count from here.
    last_mailed_dt: Mapped[datetime | None]
    failed_dt: Mapped[datetime | None]
    bounced_dt: Mapped[datetime | None]
    #: The latest scanner activity in the link's history (honeypot, or a burst over every
    #: score button), judged when an open is recorded so an answer need not read the history.
    scanner_dt: Mapped[datetime | None]

    survey: Mapped[Survey] = relationship()
    person: Mapped[Person] = relationship()

    def __repr__(self) -> str:
        return f"<Invitation {self.id}>"


class LinkOpen(db.Model):
    """One GET of a personal link: the history used to tell link scanners from people."""

    __tablename__ = "link_opens"

    id: Mapped[int] = mapped_column(primary_key=True)
    invitation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("invitations.id", ondelete="CASCADE"), index=True)
    #: The ``?score=N`` of an e-mail button, if any; never kept for anonymous surveys.
    score: Mapped[int | None]
    #: The hidden link no person can see was followed.
    is_honeypot: Mapped[bool] = mapped_column(default=False)
    #: Anonymous surveys: the day only (its start), so opens cannot be matched by time.
    opened_dt: Mapped[datetime] = mapped_column(default=utcnow)
