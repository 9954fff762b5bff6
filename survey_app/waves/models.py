"""InvitationEmail: the delivery state of each invitation and reminder e-mail."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey_app.core.db import db
from survey_app.core.delivery import DeliveryMixin, delivery_table_args
from survey_app.invitations.models import Invitation

#: An invitation's first e-mail has sequence 0; reminders 1 and 2.
MAX_SEQUENCE = 2


class InvitationEmail(DeliveryMixin, db.Model):
    """One e-mail carrying an invitation's link: the invitation itself or a reminder."""

    __tablename__ = "invitation_emails"
    __table_args__ = (
        *delivery_table_args("invitation_emails"),
        #: A reminder is created once, even when two schedulers race.
        sa.UniqueConstraint("invitation_id", "sequence"),
        sa.CheckConstraint(f"sequence >= 0 AND sequence <= {MAX_SEQUENCE}", "sequence_valid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invitation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("invitations.id", ondelete="CASCADE"))
    #: 0 = the invitation, 1… = reminder number.
    sequence: Mapped[int] = mapped_column(default=0)

    invitation: Mapped[Invitation] = relationship()

    @property
    def is_reminder(self) -> bool:
        return self.sequence > 0

    def __repr__(self) -> str:
        return f"<InvitationEmail {self.id} #{self.sequence} {self.status}>"
